package seed

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// poolFake is an in-memory pool with real group memberships, a log of the
// write calls in order, and switches that make one kind of write fail.
type poolFake struct {
	CognitoAPI // nil: a call the seeder should not make panics

	mu          sync.Mutex
	groups      map[string][]string // user -> groups
	calls       []string
	failRemove  bool
	failSignOut bool
}

func (f *poolFake) log(c string) {
	f.calls = append(f.calls, c)
}

func (f *poolFake) GetGroup(context.Context, *cip.GetGroupInput, ...func(*cip.Options)) (*cip.GetGroupOutput, error) {
	return &cip.GetGroupOutput{}, nil
}

func (f *poolFake) AdminGetUser(_ context.Context, in *cip.AdminGetUserInput, _ ...func(*cip.Options)) (*cip.AdminGetUserOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.groups[aws.ToString(in.Username)]; !ok {
		return nil, &types.UserNotFoundException{Message: aws.String("User does not exist")}
	}
	u := aws.ToString(in.Username)
	return &cip.AdminGetUserOutput{UserStatus: types.UserStatusTypeConfirmed, UserAttributes: []types.AttributeType{
		{Name: aws.String("email"), Value: aws.String(u + "@example.com")},
		{Name: aws.String("email_verified"), Value: aws.String("true")},
	}}, nil
}

func (f *poolFake) AdminListGroupsForUser(_ context.Context, in *cip.AdminListGroupsForUserInput, _ ...func(*cip.Options)) (*cip.AdminListGroupsForUserOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out cip.AdminListGroupsForUserOutput
	for _, g := range f.groups[aws.ToString(in.Username)] {
		out.Groups = append(out.Groups, types.GroupType{GroupName: aws.String(g)})
	}
	return &out, nil
}

func (f *poolFake) AdminAddUserToGroup(_ context.Context, in *cip.AdminAddUserToGroupInput, _ ...func(*cip.Options)) (*cip.AdminAddUserToGroupOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, g := aws.ToString(in.Username), aws.ToString(in.GroupName)
	f.log("add " + u + " " + g)
	if !slices.Contains(f.groups[u], g) {
		f.groups[u] = append(f.groups[u], g)
		slices.Sort(f.groups[u])
	}
	return &cip.AdminAddUserToGroupOutput{}, nil
}

func (f *poolFake) AdminRemoveUserFromGroup(_ context.Context, in *cip.AdminRemoveUserFromGroupInput, _ ...func(*cip.Options)) (*cip.AdminRemoveUserFromGroupOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, g := aws.ToString(in.Username), aws.ToString(in.GroupName)
	if f.failRemove {
		f.log("remove " + u + " " + g + " FAILED")
		return nil, errors.New("retries exhausted")
	}
	f.log("remove " + u + " " + g)
	f.groups[u] = slices.DeleteFunc(f.groups[u], func(x string) bool { return x == g })
	return &cip.AdminRemoveUserFromGroupOutput{}, nil
}

func (f *poolFake) AdminUserGlobalSignOut(_ context.Context, in *cip.AdminUserGlobalSignOutInput, _ ...func(*cip.Options)) (*cip.AdminUserGlobalSignOutOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := aws.ToString(in.Username)
	if f.failSignOut {
		f.log("sign-out " + u + " FAILED")
		return nil, errors.New("throttled")
	}
	f.log("sign-out " + u)
	return &cip.AdminUserGlobalSignOutOutput{}, nil
}

func (f *poolFake) userGroups(u string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.groups[u]...)
}

func (f *poolFake) takeCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

func moveAlice(t *testing.T, f *poolFake) (Result, Summary) {
	t.Helper()
	users := []User{{Line: 2, Username: "alice", Email: "alice@example.com", Tenant: "tenant-B"}}
	results, sum, err := Run(context.Background(), f, users, Options{
		UserPoolID: "p", StackTenants: []string{"tenant-A", "tenant-B"}, Passwords: SharedPassword("x"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return results[0], sum
}

// TestMoveRemovesBeforeAdding: when the removal of the old membership fails,
// the user is not given the new tenant (it is never in both), and the error
// says what was and was not done. A re-run finishes the move.
func TestMoveRemovesBeforeAdding(t *testing.T) {
	f := &poolFake{groups: map[string][]string{"alice": {"tenant-A"}}, failRemove: true}
	r, sum := moveAlice(t, f)
	if g := f.userGroups("alice"); slices.Contains(g, "tenant-B") {
		t.Fatalf("after a failed removal alice is in %v: the new tenant was granted before the old one was revoked", g)
	}
	if sum.Failed != 1 || r.Status != Failed {
		t.Fatalf("status %s, summary %v", r.Status, sum)
	}
	var half *HalfDoneError
	if !errors.As(r.Err, &half) {
		t.Fatalf("error %v is not a HalfDoneError", r.Err)
	}
	msg := r.Err.Error()
	for _, want := range []string{"tenant change of alice to tenant-B half-done", "remove from group tenant-A failed: retries exhausted",
		"done: nothing", "NOT done: remove from group tenant-A, sign out everywhere, add to group tenant-B",
		"not in group tenant-B yet: access denied, not granted", "re-run seed-users"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if c := f.takeCalls(); !slices.Equal(c, []string{"remove alice tenant-A FAILED"}) {
		t.Errorf("calls %v", c)
	}

	// Sign-out fails after the removal: alice is in no tenant group at all.
	f.failRemove, f.failSignOut = false, true
	r, _ = moveAlice(t, f)
	if g := f.userGroups("alice"); len(g) != 0 {
		t.Fatalf("groups %v, want none", g)
	}
	if msg := r.Err.Error(); !strings.Contains(msg, "done: remove from group tenant-A; NOT done: sign out everywhere, add to group tenant-B") {
		t.Errorf("error: %s", msg)
	}
	f.takeCalls()

	// The re-run signs out again and adds the group: done.
	f.failSignOut = false
	r, sum = moveAlice(t, f)
	if r.Err != nil || sum.Updated != 1 {
		t.Fatalf("re-run: %v %v", r.Err, sum)
	}
	if g := f.userGroups("alice"); !slices.Equal(g, []string{"tenant-B"}) {
		t.Errorf("groups %v", g)
	}
	if c := f.takeCalls(); !slices.Equal(c, []string{"sign-out alice", "add alice tenant-B"}) {
		t.Errorf("re-run calls %v", c)
	}
	// And once more: nothing to do.
	if r, _ = moveAlice(t, f); r.Status != Unchanged {
		t.Errorf("third run %s", r.Status)
	}
}

// TestMoveSignsOutBetweenRemoveAndAdd: a successful move revokes the user's
// sessions (refresh tokens of the old tenant) after the removal and before
// the addition.
func TestMoveSignsOutBetweenRemoveAndAdd(t *testing.T) {
	f := &poolFake{groups: map[string][]string{"alice": {"admins", "tenant-A"}}}
	r, _ := moveAlice(t, f)
	if r.Err != nil || r.Status != Updated {
		t.Fatalf("%s %v", r.Status, r.Err)
	}
	if c := f.takeCalls(); !slices.Equal(c, []string{"remove alice tenant-A", "sign-out alice", "add alice tenant-B"}) {
		t.Errorf("calls %v", c)
	}
	if !slices.Equal(r.Details, []string{"remove from group tenant-A", "sign out everywhere", "add to group tenant-B"}) {
		t.Errorf("details %v", r.Details)
	}
	if g := f.userGroups("alice"); !slices.Equal(g, []string{"admins", "tenant-B"}) {
		t.Errorf("groups %v (non-tenant groups stay)", g)
	}
}
