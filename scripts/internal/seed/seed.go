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
	AdminUserGlobalSignOut(context.Context, *cip.AdminUserGlobalSignOutInput, ...func(*cip.Options)) (*cip.AdminUserGlobalSignOutOutput, error)
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
	// signOut: an existing user whose tenant membership changes is signed
	// out globally (its refresh tokens stop working), between the removals
	// and the addition. It is planned whenever an existing user is not in
	// its tenant's group, so a re-run after a half-done move signs out again.
	signOut     bool
	setPassword bool
	details     []string
	err         error
}

func (p plan) changes() bool {
	return p.create || p.setEmail || p.addGroup || len(p.removeGroups) > 0 || p.signOut || p.setPassword
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
	// Order of the details = order of the writes: removals first, then the
	// global sign-out, then the addition (a failure half-way denies access
	// instead of granting a second tenant).
	for _, g := range groups {
		if g != u.Tenant && slices.Contains(o.StackTenants, g) {
			p.removeGroups = append(p.removeGroups, g)
			p.details = append(p.details, "remove from group "+g)
		}
	}
	if !slices.Contains(groups, u.Tenant) {
		p.addGroup = true
	}
	if p.addGroup || len(p.removeGroups) > 0 {
		p.signOut = true
		p.details = append(p.details, "sign out everywhere")
	}
	if p.addGroup {
		p.details = append(p.details, "add to group "+u.Tenant)
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
	if err := changeTenant(ctx, api, pool, u, p); err != nil {
		return err
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

// changeTenant makes u a member of its tenant's group only: it removes the
// other tenants' groups first, then signs the user out globally, then adds the
// tenant's group. A failure stops there and the error says what was done,
// what was not, and that a re-run finishes the job (the re-run plans the
// missing steps again, the sign-out included).
func changeTenant(ctx context.Context, api CognitoAPI, pool *string, u User, p plan) error {
	if p.create { // a new user has no sessions and no other groups
		if _, err := api.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{
			UserPoolId: pool, Username: aws.String(u.Username), GroupName: aws.String(u.Tenant),
		}); err != nil {
			return fmt.Errorf("add to group %s: %w", u.Tenant, err)
		}
		return nil
	}
	var done []string
	var todo []string
	for _, g := range p.removeGroups {
		todo = append(todo, "remove from group "+g)
	}
	if p.signOut {
		todo = append(todo, "sign out everywhere")
	}
	if p.addGroup {
		todo = append(todo, "add to group "+u.Tenant)
	}
	step := func(what string, call func() error) error {
		if err := call(); err != nil {
			return &HalfDoneError{User: u.Username, Tenant: u.Tenant, Done: done, NotDone: todo[len(done):], Step: what, Err: err}
		}
		done = append(done, what)
		return nil
	}
	name := aws.String(u.Username)
	for _, g := range p.removeGroups {
		if err := step("remove from group "+g, func() error {
			_, err := api.AdminRemoveUserFromGroup(ctx, &cip.AdminRemoveUserFromGroupInput{UserPoolId: pool, Username: name, GroupName: aws.String(g)})
			return err
		}); err != nil {
			return err
		}
	}
	if p.signOut {
		if err := step("sign out everywhere", func() error {
			_, err := api.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: pool, Username: name})
			return err
		}); err != nil {
			return err
		}
	}
	if p.addGroup {
		if err := step("add to group "+u.Tenant, func() error {
			_, err := api.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: pool, Username: name, GroupName: aws.String(u.Tenant)})
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// HalfDoneError reports a tenant change that stopped part-way. Because the
// removals come first, a half-done change leaves the user with fewer tenants,
// never more.
type HalfDoneError struct {
	User, Tenant string
	Done         []string // steps that succeeded, in order
	NotDone      []string // steps not made, the failed one first
	Step         string   // the step that failed
	Err          error
}

func (e *HalfDoneError) Error() string {
	done := "nothing"
	if len(e.Done) > 0 {
		done = strings.Join(e.Done, ", ")
	}
	msg := fmt.Sprintf("tenant change of %s to %s half-done: %s failed: %v; done: %s; NOT done: %s",
		e.User, e.Tenant, e.Step, e.Err, done, strings.Join(e.NotDone, ", "))
	if slices.Contains(e.NotDone, "add to group "+e.Tenant) {
		msg += fmt.Sprintf(" (%s is not in group %s yet: access denied, not granted)", e.User, e.Tenant)
	}
	return msg + "; re-run seed-users with the same file to finish"
}

func (e *HalfDoneError) Unwrap() error { return e.Err }

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
