package localmode

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Identity is what the template declares about Cognito: the one user pool,
// its one app client and the tenant groups. Local mode recreates exactly
// these in cognito-local.
type Identity struct {
	PoolLogicalID   string
	PoolName        string
	PasswordPolicy  map[string]any
	ClientLogicalID string
	Client          ClientSpec
	Groups          []string
}

// ClientSpec is the subset of AWS::Cognito::UserPoolClient that changes how
// tokens are minted.
type ClientSpec struct {
	Name                 string
	ExplicitAuthFlows    []string
	AccessTokenValidity  int
	IDTokenValidity      int
	RefreshTokenValidity int
	TokenValidityUnits   map[string]string
	GenerateSecret       bool
}

type cfnTemplate struct {
	Resources map[string]struct {
		Type       string          `json:"Type"`
		Properties json.RawMessage `json:"Properties"`
	} `json:"Resources"`
}

// ReadIdentity extracts the Cognito resources from a synthesized template.
// It requires exactly one user pool and one client, and literal group names:
// anything else means the template is not the one this project synthesizes.
func ReadIdentity(templateJSON []byte) (Identity, error) {
	var t cfnTemplate
	if err := json.Unmarshal(templateJSON, &t); err != nil {
		return Identity{}, fmt.Errorf("parse template: %w", err)
	}
	var id Identity
	ids := make([]string, 0, len(t.Resources))
	for logical := range t.Resources {
		ids = append(ids, logical)
	}
	sort.Strings(ids)
	for _, logical := range ids {
		r := t.Resources[logical]
		switch r.Type {
		case "AWS::Cognito::UserPool":
			if id.PoolLogicalID != "" {
				return Identity{}, fmt.Errorf("template has two user pools (%s, %s); local mode serves exactly one", id.PoolLogicalID, logical)
			}
			var p struct {
				UserPoolName string `json:"UserPoolName"`
				Policies     struct {
					PasswordPolicy map[string]any `json:"PasswordPolicy"`
				} `json:"Policies"`
			}
			if err := json.Unmarshal(r.Properties, &p); err != nil {
				return Identity{}, fmt.Errorf("resource %s (AWS::Cognito::UserPool): %w", logical, err)
			}
			id.PoolLogicalID, id.PoolName, id.PasswordPolicy = logical, p.UserPoolName, p.Policies.PasswordPolicy
		case "AWS::Cognito::UserPoolClient":
			if id.ClientLogicalID != "" {
				return Identity{}, fmt.Errorf("template has two user pool clients (%s, %s); local mode serves exactly one", id.ClientLogicalID, logical)
			}
			var c struct {
				ClientName           string            `json:"ClientName"`
				ExplicitAuthFlows    []string          `json:"ExplicitAuthFlows"`
				AccessTokenValidity  int               `json:"AccessTokenValidity"`
				IDTokenValidity      int               `json:"IdTokenValidity"`
				RefreshTokenValidity int               `json:"RefreshTokenValidity"`
				TokenValidityUnits   map[string]string `json:"TokenValidityUnits"`
				GenerateSecret       bool              `json:"GenerateSecret"`
			}
			if err := json.Unmarshal(r.Properties, &c); err != nil {
				return Identity{}, fmt.Errorf("resource %s (AWS::Cognito::UserPoolClient): %w", logical, err)
			}
			id.ClientLogicalID = logical
			id.Client = ClientSpec{
				Name: c.ClientName, ExplicitAuthFlows: c.ExplicitAuthFlows,
				AccessTokenValidity: c.AccessTokenValidity, IDTokenValidity: c.IDTokenValidity,
				RefreshTokenValidity: c.RefreshTokenValidity, TokenValidityUnits: c.TokenValidityUnits,
				GenerateSecret: c.GenerateSecret,
			}
		case "AWS::Cognito::UserPoolGroup":
			var g struct {
				GroupName json.RawMessage `json:"GroupName"`
			}
			if err := json.Unmarshal(r.Properties, &g); err != nil {
				return Identity{}, fmt.Errorf("resource %s (AWS::Cognito::UserPoolGroup): %w", logical, err)
			}
			var name string
			if err := json.Unmarshal(g.GroupName, &name); err != nil || name == "" {
				return Identity{}, fmt.Errorf("resource %s (AWS::Cognito::UserPoolGroup): GroupName must be a literal string", logical)
			}
			id.Groups = append(id.Groups, name)
		}
	}
	switch {
	case id.PoolLogicalID == "":
		return Identity{}, fmt.Errorf("template has no AWS::Cognito::UserPool")
	case id.ClientLogicalID == "":
		return Identity{}, fmt.Errorf("template has no AWS::Cognito::UserPoolClient")
	case id.Client.GenerateSecret:
		return Identity{}, fmt.Errorf("resource %s: GenerateSecret is true; local mode signs in as a public (SPA) client", id.ClientLogicalID)
	case len(id.Groups) == 0:
		return Identity{}, fmt.Errorf("template has no AWS::Cognito::UserPoolGroup (one per tenant expected)")
	}
	sort.Strings(id.Groups)
	return id, nil
}
