package cognitolocal

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Pool is a user pool written straight into cognito-local's data directory
// (Dir/.cognito/db/<ID>.json) before it starts. This is how a pool gets an
// id of the caller's choice (CreateUserPool cannot choose one), and the fast
// way to create many groups: cognito-local rewrites the whole pool file on
// every CreateGroup call, so 1,000 groups through the API cost 1,000
// growing rewrites, while here they are one write.
type Pool struct {
	// ID is the pool id, e.g. us-east-1_AbCdEfGhI. Required.
	ID string
	// Name is the pool name (default: ID).
	Name string
	// Options are further UserPool fields as cognito-local stores them, e.g.
	// "UsernameAttributes", "MfaConfiguration", "Policies". Id and Name are
	// always set from ID and Name.
	Options map[string]any
	// Groups are created in the pool, in this order, without description,
	// precedence or role.
	Groups []string
}

// WritePool writes p into dir's cognito-local data (replacing an existing
// file of the same pool, users included). Start calls it for Options.Pools.
func WritePool(dir string, p Pool) error {
	if p.ID == "" {
		return errors.New("cognitolocal: Pool.ID is required")
	}
	if filepath.Base(p.ID) != p.ID || p.ID == "clients" {
		return fmt.Errorf("cognitolocal: invalid pool id %q", p.ID)
	}
	options := map[string]any{}
	for k, v := range p.Options {
		options[k] = v
	}
	options["Id"] = p.ID
	options["Name"] = p.Name
	if p.Name == "" {
		options["Name"] = p.ID
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	groups := make(map[string]any, len(p.Groups))
	for _, g := range p.Groups {
		if g == "" {
			return fmt.Errorf("cognitolocal: pool %s: empty group name", p.ID)
		}
		if _, dup := groups[g]; dup {
			return fmt.Errorf("cognitolocal: pool %s: group %q listed twice", p.ID, g)
		}
		groups[g] = map[string]any{"GroupName": g, "CreationDate": now, "LastModifiedDate": now}
	}
	b, err := json.MarshalIndent(map[string]any{"Options": options, "Users": map[string]any{}, "Groups": groups}, "", "  ")
	if err != nil {
		return fmt.Errorf("cognitolocal: encode pool %s: %w", p.ID, err)
	}
	dbDir := filepath.Join(dir, ".cognito", "db")
	if err := os.MkdirAll(dbDir, 0o700); err != nil {
		return fmt.Errorf("cognitolocal: create %s: %w", dbDir, err)
	}
	path := filepath.Join(dbDir, p.ID+".json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("cognitolocal: write %s: %w", path, err)
	}
	return nil
}

func writePools(dir string, pools []Pool) error {
	for _, p := range pools {
		if err := WritePool(dir, p); err != nil {
			return err
		}
	}
	return nil
}
