package localmode

import (
	"errors"
	"fmt"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/localalb"
)

// Identity is what the cloud assembly declares about Cognito: the shared
// stack's one user pool and app client, and the tenant groups of every cell
// stack. Local mode recreates exactly these in cognito-local. The template
// is read by localalb, the one reader of synthesized templates.
type Identity struct {
	localalb.Identity
	PoolName       string
	PasswordPolicy map[string]any
	Client         ClientSpec
}

// ClientSpec is the subset of AWS::Cognito::UserPoolClient that changes how
// tokens are minted.
type ClientSpec struct {
	Name                 string            `json:"ClientName"`
	ExplicitAuthFlows    []string          `json:"ExplicitAuthFlows"`
	AccessTokenValidity  int               `json:"AccessTokenValidity"`
	IDTokenValidity      int               `json:"IdTokenValidity"`
	RefreshTokenValidity int               `json:"RefreshTokenValidity"`
	TokenValidityUnits   map[string]string `json:"TokenValidityUnits"`
	GenerateSecret       bool              `json:"GenerateSecret"`
}

// ReadIdentity reads the identity facts of the cloud assembly dir (cdk.out)
// whose shared stack is r.StackName (default TenantRouting): exactly one
// user pool and one public app client in the shared stack, and at least one
// tenant group in the cell stacks.
func ReadIdentity(dir string, r localalb.Resolver) (Identity, error) {
	base, err := localalb.ReadAssemblyIdentity(dir, r)
	if err != nil {
		return Identity{}, err
	}
	id := Identity{Identity: base}
	var pool struct {
		UserPoolName string `json:"UserPoolName"`
		Policies     struct {
			PasswordPolicy map[string]any `json:"PasswordPolicy"`
		} `json:"Policies"`
	}
	if err := base.Pool.DecodeProperties(&pool); err != nil {
		return Identity{}, err
	}
	id.PoolName, id.PasswordPolicy = pool.UserPoolName, pool.Policies.PasswordPolicy
	if err := base.Client.DecodeProperties(&id.Client); err != nil {
		return Identity{}, err
	}
	switch {
	case id.Client.GenerateSecret:
		return Identity{}, fmt.Errorf("resource %s: GenerateSecret is true; local mode signs in as a public (SPA) client", id.ClientLogicalID)
	case len(id.Groups) == 0:
		return Identity{}, errors.New("the cell stacks have no AWS::Cognito::UserPoolGroup (one per tenant expected)")
	}
	return id, nil
}
