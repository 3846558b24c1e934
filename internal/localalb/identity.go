package localalb

import (
	"errors"
	"fmt"
	"sort"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"
)

// Identity is what local mode recreates in cognito-local.
type Identity struct {
	// PoolLogicalID and ClientLogicalID are the one user pool and the one app
	// client of the shared stack.
	PoolLogicalID, ClientLogicalID string
	// Groups are the GroupName of every AWS::Cognito::UserPoolGroup of the
	// cell stacks (nested stacks included), sorted.
	Groups []string
	// Pool and Client are the two resources as written (local mode decodes
	// the password policy and the client's token settings from them).
	Pool, Client Resource
}

// ReadAssemblyIdentity returns only the identity facts of the cloud assembly
// dir (the shared stack's pool and client, the groups of all cell stacks),
// without loading the ALB models: local mode creates the pool first and
// then passes its ids to LoadAssembly through Resolver.Refs.
func ReadAssemblyIdentity(dir string, r Resolver) (Identity, error) {
	a, err := readAssembly(dir, r)
	if err != nil {
		return Identity{}, err
	}
	shared := a.stacks[a.r.StackName]
	if shared == nil {
		return Identity{}, fmt.Errorf("cloud assembly %s: no stack %s (the shared stack; set Resolver.StackName)", dir, a.r.StackName)
	}
	id, err := a.identity(shared)
	if err != nil {
		return Identity{}, err
	}
	var errs []error
	for name, st := range a.stacks {
		if _, ok := contract.CellFromStackName(a.r.StackName, name); !ok {
			continue
		}
		groups, err := a.groups(st)
		errs = append(errs, err)
		id.Groups = append(id.Groups, groups...)
	}
	sort.Strings(id.Groups)
	return id, errors.Join(errs...)
}

// identity reads the one user pool and app client of the shared stack.
func (a *asmLoader) identity(shared *asmStack) (Identity, error) {
	var id Identity
	t := &Template{tpl: shared.tpl}
	pools, clients := t.Resources(typeUserPool), t.Resources(typeUserPoolClient)
	if len(pools) != 1 || len(clients) != 1 {
		return id, fmt.Errorf("stack %s: %d user pools and %d user pool clients; the shared stack has exactly one of each", shared.name, len(pools), len(clients))
	}
	id.PoolLogicalID, id.ClientLogicalID = pools[0].LogicalID, clients[0].LogicalID
	id.Pool, id.Client = pools[0], clients[0]
	return id, nil
}

// groups returns the GroupName of every user pool group of a cell stack and
// its nested stacks.
func (a *asmLoader) groups(st *asmStack) ([]string, error) {
	var out []string
	var errs []error
	st.walk(func(s *asmStack) {
		for _, res := range (&Template{tpl: s.tpl}).Resources(typeUserPoolGroup) {
			v, err := s.rv.resolveString(res.raw.Properties["GroupName"])
			if err != nil || v == "" {
				if err == nil {
					err = errors.New("required")
				}
				errs = append(errs, &FieldError{Stack: s.name, LogicalID: res.LogicalID, ResourceType: res.Type, Field: "GroupName", Problem: err.Error()})
				continue
			}
			out = append(out, v)
		}
	})
	return out, errors.Join(errs...)
}
