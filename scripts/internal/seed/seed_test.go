package seed

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// fakeAPI is an in-memory pool that tracks how many calls run at once.
type fakeAPI struct {
	mu       sync.Mutex
	users    map[string]bool
	groups   map[string][]string
	inFlight atomic.Int32
	maxSeen  atomic.Int32
	failUser string
}

func (f *fakeAPI) enter() func() {
	n := f.inFlight.Add(1)
	for {
		m := f.maxSeen.Load()
		if n <= m || f.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(2 * time.Millisecond)
	return func() { f.inFlight.Add(-1) }
}

func (f *fakeAPI) GetGroup(context.Context, *cip.GetGroupInput, ...func(*cip.Options)) (*cip.GetGroupOutput, error) {
	return &cip.GetGroupOutput{}, nil
}
func (f *fakeAPI) AdminGetUser(_ context.Context, in *cip.AdminGetUserInput, _ ...func(*cip.Options)) (*cip.AdminGetUserOutput, error) {
	defer f.enter()()
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.users[aws.ToString(in.Username)] {
		return nil, &types.UserNotFoundException{Message: aws.String("User does not exist")}
	}
	return &cip.AdminGetUserOutput{UserStatus: types.UserStatusTypeConfirmed}, nil
}
func (f *fakeAPI) AdminListGroupsForUser(context.Context, *cip.AdminListGroupsForUserInput, ...func(*cip.Options)) (*cip.AdminListGroupsForUserOutput, error) {
	return &cip.AdminListGroupsForUserOutput{}, nil
}
func (f *fakeAPI) AdminCreateUser(_ context.Context, in *cip.AdminCreateUserInput, _ ...func(*cip.Options)) (*cip.AdminCreateUserOutput, error) {
	defer f.enter()()
	if aws.ToString(in.Username) == f.failUser {
		return nil, fmt.Errorf("boom")
	}
	if in.MessageAction != types.MessageActionTypeSuppress {
		return nil, fmt.Errorf("welcome message not suppressed")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[aws.ToString(in.Username)] = true
	return &cip.AdminCreateUserOutput{}, nil
}
func (f *fakeAPI) AdminAddUserToGroup(context.Context, *cip.AdminAddUserToGroupInput, ...func(*cip.Options)) (*cip.AdminAddUserToGroupOutput, error) {
	defer f.enter()()
	return &cip.AdminAddUserToGroupOutput{}, nil
}
func (f *fakeAPI) AdminRemoveUserFromGroup(context.Context, *cip.AdminRemoveUserFromGroupInput, ...func(*cip.Options)) (*cip.AdminRemoveUserFromGroupOutput, error) {
	return &cip.AdminRemoveUserFromGroupOutput{}, nil
}
func (f *fakeAPI) AdminUpdateUserAttributes(context.Context, *cip.AdminUpdateUserAttributesInput, ...func(*cip.Options)) (*cip.AdminUpdateUserAttributesOutput, error) {
	return &cip.AdminUpdateUserAttributesOutput{}, nil
}
func (f *fakeAPI) AdminSetUserPassword(_ context.Context, in *cip.AdminSetUserPasswordInput, _ ...func(*cip.Options)) (*cip.AdminSetUserPasswordOutput, error) {
	defer f.enter()()
	if !in.Permanent {
		return nil, fmt.Errorf("password not permanent")
	}
	return &cip.AdminSetUserPasswordOutput{}, nil
}

func TestRunConcurrencyAndFailures(t *testing.T) {
	var users []User
	for i := range 20 {
		users = append(users, User{Line: i + 2, Username: fmt.Sprintf("u%02d", i), Email: fmt.Sprintf("u%02d@example.com", i), Tenant: "tenant-A"})
	}
	for _, limit := range []int{1, 3} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			api := &fakeAPI{users: map[string]bool{}, failUser: "u05"}
			var progress strings.Builder
			results, sum, err := Run(context.Background(), api, users, Options{
				UserPoolID: "p", StackTenants: []string{"tenant-A"}, Passwords: SharedPassword("x"),
				Concurrency: limit, Progress: &progress,
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := api.maxSeen.Load(); got > int32(limit) || (limit > 1 && got < 2) {
				t.Errorf("max in-flight calls = %d, limit %d", got, limit)
			}
			if sum != (Summary{Created: 19, Failed: 1}) || len(results) != 20 {
				t.Errorf("summary %v", sum)
			}
			if results[5].Status != Failed || !strings.Contains(progress.String(), "u05 tenant-A failed: create user: boom") {
				t.Errorf("u05: %+v\n%s", results[5], progress.String())
			}
			if n := strings.Count(progress.String(), "\n"); n != 20 {
				t.Errorf("%d progress lines, want 20", n)
			}
		})
	}
}
func (f *fakeAPI) AdminUserGlobalSignOut(context.Context, *cip.AdminUserGlobalSignOutInput, ...func(*cip.Options)) (*cip.AdminUserGlobalSignOutOutput, error) {
	return &cip.AdminUserGlobalSignOutOutput{}, nil
}
