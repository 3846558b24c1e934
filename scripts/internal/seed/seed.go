package seed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// CognitoAPI is the part of the Cognito client the seeder uses.
// It deliberately has no CreateGroup: groups belong to the stack (and a
// duplicate CreateGroup on cognito-local silently drops the group's members).
type CognitoAPI interface {
	GetGroup(context.Context, *cip.GetGroupInput, ...func(*cip.Options)) (*cip.GetGroupOutput, error)
	AdminGetUser(context.Context, *cip.AdminGetUserInput, ...func(*cip.Options)) (*cip.AdminGetUserOutput, error)
	AdminListGroupsForUser(context.Context, *cip.AdminListGroupsForUserInput, ...func(*cip.Options)) (*cip.AdminListGroupsForUserOutput, error)
	AdminCreateUser(context.Context, *cip.AdminCreateUserInput, ...func(*cip.Options)) (*cip.AdminCreateUserOutput, error)
	AdminAddUserToGroup(context.Context, *cip.AdminAddUserToGroupInput, ...func(*cip.Options)) (*cip.AdminAddUserToGroupOutput, error)
	AdminRemoveUserFromGroup(context.Context, *cip.AdminRemoveUserFromGroupInput, ...func(*cip.Options)) (*cip.AdminRemoveUserFromGroupOutput, error)
	AdminUpdateUserAttributes(context.Context, *cip.AdminUpdateUserAttributesInput, ...func(*cip.Options)) (*cip.AdminUpdateUserAttributesOutput, error)
	AdminSetUserPassword(context.Context, *cip.AdminSetUserPasswordInput, ...func(*cip.Options)) (*cip.AdminSetUserPasswordOutput, error)
}

// PasswordSource supplies passwords for the users whose password is set.
type PasswordSource interface {
	// Prepare is called once, after the read-only planning phase and before
	// any change, with the users whose password will be set. A file-backed
	// source generates missing passwords and saves them here, so a password
	// is on disk before Cognito ever has it.
	Prepare(usernames []string) error
	// Password returns the password for username (after Prepare).
	Password(username string) (string, bool)
}

// Options configures Run.
type Options struct {
	UserPoolID string
	// StackTenants are all tenant ids of the stack. A user is removed from
	// the groups of other stack tenants (never from non-tenant groups), so
	// moving a user between tenants in the CSV cannot leave it in both.
	StackTenants []string
	Passwords    PasswordSource
	// ResetPasswords sets the password of existing confirmed users too.
	// Without it, an existing user's password is left alone: the tool cannot
	// read it and a check by signing in is not done, so "unchanged" means
	// "no API write was made".
	ResetPasswords bool
	Concurrency    int
	DryRun         bool
	// Progress receives one line per user ("alice tenant-A created").
	Progress io.Writer
}

// Status is the outcome for one user.
type Status string

// Outcomes.
const (
	Created   Status = "created"
	Updated   Status = "updated"
	Unchanged Status = "unchanged"
	Failed    Status = "failed"
)

// Result is the outcome for one user.
type Result struct {
	User    User
	Status  Status
	Details []string // what changed (or would change), never secrets
	Err     error
}

// Summary counts results by status.
type Summary struct{ Created, Updated, Unchanged, Failed int }

func (s Summary) String() string {
	return fmt.Sprintf("created=%d updated=%d unchanged=%d failed=%d", s.Created, s.Updated, s.Unchanged, s.Failed)
}

// plan is what has to be done for one user.
type plan struct {
	create       bool
	setEmail     bool
	addGroup     bool
	removeGroups []string
	setPassword  bool
	details      []string
	err          error
}

func (p plan) changes() bool {
	return p.create || p.setEmail || p.addGroup || len(p.removeGroups) > 0 || p.setPassword
}

// Run seeds users. It first checks (read-only) that every tenant's group
// exists and plans every user; a missing group aborts before any change.
// Per-user failures are reported in the results and do not stop other users.
func Run(ctx context.Context, api CognitoAPI, users []User, o Options) ([]Result, Summary, error) {
	if o.UserPoolID == "" {
		return nil, Summary{}, errors.New("seed: no user pool id")
	}
	if o.Passwords == nil {
		return nil, Summary{}, errors.New("seed: no password source")
	}
	if o.Concurrency < 1 {
		o.Concurrency = 1
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	pool := aws.String(o.UserPoolID)

	for _, tenant := range Tenants(users) {
		_, err := api.GetGroup(ctx, &cip.GetGroupInput{UserPoolId: pool, GroupName: aws.String(tenant)})
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return nil, Summary{}, fmt.Errorf("group %q not found in user pool %s: groups belong to the stack "+
				"(deploy it; this tool never creates groups)", tenant, o.UserPoolID)
		}
		if err != nil {
			return nil, Summary{}, fmt.Errorf("check group %q in user pool %s: %w", tenant, o.UserPoolID, err)
		}
	}

	plans := make([]plan, len(users))
	forEach(ctx, o.Concurrency, len(users), func(i int) {
		plans[i] = planUser(ctx, api, pool, users[i], o)
	})
	if err := ctx.Err(); err != nil {
		return nil, Summary{}, err
	}

	var needPassword []string
	for i, p := range plans {
		if p.err == nil && p.setPassword {
			needPassword = append(needPassword, users[i].Username)
		}
	}
	if !o.DryRun && len(needPassword) > 0 {
		if err := o.Passwords.Prepare(needPassword); err != nil {
			return nil, Summary{}, fmt.Errorf("prepare passwords: %w", err)
		}
	}

	results := make([]Result, len(users))
	var mu sync.Mutex
	forEach(ctx, o.Concurrency, len(users), func(i int) {
		u, p := users[i], plans[i]
		r := Result{User: u, Details: p.details}
		switch {
		case p.err != nil:
			r.Status, r.Err = Failed, p.err
		case !p.changes():
			r.Status = Unchanged
		case o.DryRun:
			r.Status = Updated
			if p.create {
				r.Status = Created
			}
		default:
			r.Err = apply(ctx, api, pool, u, p, o.Passwords)
			switch {
			case r.Err != nil:
				r.Status = Failed
			case p.create:
				r.Status = Created
			default:
				r.Status = Updated
			}
		}
		results[i] = r
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintln(o.Progress, progressLine(r, o.DryRun))
	})
	var s Summary
	for i := range results {
		if results[i].Status == "" { // not run: context cancelled
			results[i] = Result{User: users[i], Status: Failed, Err: ctx.Err()}
		}
		switch results[i].Status {
		case Created:
			s.Created++
		case Updated:
			s.Updated++
		case Unchanged:
			s.Unchanged++
		default:
			s.Failed++
		}
	}
	return results, s, nil
}

func progressLine(r Result, dryRun bool) string {
	line := fmt.Sprintf("%s %s %s", r.User.Username, r.User.Tenant, r.Status)
	if dryRun && r.Status != Unchanged && r.Status != Failed {
		line = fmt.Sprintf("%s %s would be %s", r.User.Username, r.User.Tenant, r.Status)
	}
	if r.Err != nil {
		return line + ": " + r.Err.Error()
	}
	if len(r.Details) > 0 && r.Status != Created {
		line += " (" + strings.Join(r.Details, "; ") + ")"
	}
	return line
}

func planUser(ctx context.Context, api CognitoAPI, pool *string, u User, o Options) plan {
	got, err := api.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: pool, Username: aws.String(u.Username)})
	var nf *types.UserNotFoundException
	if errors.As(err, &nf) {
		return plan{create: true, addGroup: true, setPassword: true, details: []string{"create", "add to group " + u.Tenant, "set password"}}
	}
	if err != nil {
		return plan{err: fmt.Errorf("get user: %w", err)}
	}
	var p plan
	attrs := map[string]string{}
	for _, a := range got.UserAttributes {
		attrs[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	if attrs["email"] != u.Email || attrs["email_verified"] != "true" {
		p.setEmail = true
		p.details = append(p.details, "set email")
	}
	groups, err := listGroups(ctx, api, pool, u.Username)
	if err != nil {
		return plan{err: err}
	}
	if !slices.Contains(groups, u.Tenant) {
		p.addGroup = true
		p.details = append(p.details, "add to group "+u.Tenant)
	}
	for _, g := range groups {
		if g != u.Tenant && slices.Contains(o.StackTenants, g) {
			p.removeGroups = append(p.removeGroups, g)
			p.details = append(p.details, "remove from group "+g)
		}
	}
	switch got.UserStatus {
	case types.UserStatusTypeForceChangePassword, types.UserStatusTypeResetRequired:
		// Created but never finished (an earlier run failed half-way), or reset by an admin.
		p.setPassword = true
		p.details = append(p.details, "set password (status "+string(got.UserStatus)+")")
	default:
		if o.ResetPasswords {
			p.setPassword = true
			p.details = append(p.details, "reset password")
		}
	}
	return p
}

func listGroups(ctx context.Context, api CognitoAPI, pool *string, username string) ([]string, error) {
	var groups []string
	var token *string
	for {
		out, err := api.AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{
			UserPoolId: pool, Username: aws.String(username), Limit: aws.Int32(60), NextToken: token,
		})
		if err != nil {
			return nil, fmt.Errorf("list groups: %w", err)
		}
		for _, g := range out.Groups {
			groups = append(groups, aws.ToString(g.GroupName))
		}
		if aws.ToString(out.NextToken) == "" {
			return groups, nil
		}
		token = out.NextToken
	}
}

func apply(ctx context.Context, api CognitoAPI, pool *string, u User, p plan, pw PasswordSource) error {
	name := aws.String(u.Username)
	emailAttrs := []types.AttributeType{
		{Name: aws.String("email"), Value: aws.String(u.Email)},
		{Name: aws.String("email_verified"), Value: aws.String("true")},
	}
	if p.create {
		_, err := api.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
			UserPoolId: pool, Username: name,
			MessageAction:  types.MessageActionTypeSuppress,
			UserAttributes: emailAttrs,
		})
		if err != nil {
			return fmt.Errorf("create user: %w", err)
		}
	}
	if p.setEmail {
		if _, err := api.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{
			UserPoolId: pool, Username: name, UserAttributes: emailAttrs,
		}); err != nil {
			return fmt.Errorf("update email: %w", err)
		}
	}
	if p.addGroup {
		if _, err := api.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{
			UserPoolId: pool, Username: name, GroupName: aws.String(u.Tenant),
		}); err != nil {
			return fmt.Errorf("add to group %s: %w", u.Tenant, err)
		}
	}
	for _, g := range p.removeGroups {
		if _, err := api.AdminRemoveUserFromGroup(ctx, &cip.AdminRemoveUserFromGroupInput{
			UserPoolId: pool, Username: name, GroupName: aws.String(g),
		}); err != nil {
			return fmt.Errorf("remove from group %s: %w", g, err)
		}
	}
	if p.setPassword {
		password, ok := pw.Password(u.Username)
		if !ok {
			return errors.New("no password available")
		}
		if _, err := api.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
			UserPoolId: pool, Username: name, Password: aws.String(password), Permanent: true,
		}); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
	}
	return nil
}

// forEach runs fn(0..n-1) on at most limit goroutines, stopping early (not
// starting new items) when ctx is cancelled.
func forEach(ctx context.Context, limit, n int, fn func(i int)) {
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := range n {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case sem <- struct{}{}:
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			fn(i)
		}()
	}
	wg.Wait()
}
