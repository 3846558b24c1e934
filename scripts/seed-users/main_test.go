package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/cognitolocal/cltest"
	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/fakeaws"
	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/passwords"
)

const stack = "TestStack"

var mutating = []string{
	"cognito.AdminCreateUser", "cognito.AdminAddUserToGroup", "cognito.AdminSetUserPassword",
	"cognito.AdminUpdateUserAttributes", "cognito.AdminRemoveUserFromGroup", "cognito.CreateGroup",
	"cognito.AdminUserGlobalSignOut",
}

type env struct {
	fx   *cltest.Fixture
	fake *fakeaws.Server
	dir  string
}

// newEnv starts cognito-local with tenant-A and tenant-B groups behind a
// recording proxy; the stack TestStack has the pool id and TenantIds.
func newEnv(t *testing.T) *env {
	t.Helper()
	fx := cltest.New(t, "tenant-A", "tenant-B")
	fake := fakeaws.New(t, fakeaws.Options{
		CognitoUpstream: fx.Server.URL(),
		Stacks: map[string]map[string]string{stack: {
			"UserPoolId": fx.PoolID, "UserPoolClientId": fx.ClientID, "TenantIds": "tenant-A,tenant-B",
		}},
	})
	cltest.Env(t)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", fake.URL)
	return &env{fx: fx, fake: fake, dir: t.TempDir()}
}

func (e *env) write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type result struct {
	code           int
	stdout, stderr string
}

func (e *env) seed(t *testing.T, getenv func(string) string, args ...string) result {
	t.Helper()
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	var out, errb bytes.Buffer
	args = append([]string{"--stack", stack, "--endpoint", e.fake.URL}, args...)
	code := run(context.Background(), args, getenv, &out, &errb)
	return result{code, out.String(), errb.String()}
}

func (e *env) groups(t *testing.T, user string) []string {
	t.Helper()
	out, err := e.fx.Client.AdminListGroupsForUser(context.Background(), &cip.AdminListGroupsForUserInput{
		UserPoolId: aws.String(e.fx.PoolID), Username: aws.String(user)})
	if err != nil {
		t.Fatalf("list groups of %s: %v", user, err)
	}
	var g []string
	for _, x := range out.Groups {
		g = append(g, aws.ToString(x.GroupName))
	}
	slices.Sort(g)
	return g
}

// claims signs user in and returns the access token's claims.
func (e *env) claims(t *testing.T, user, password string) map[string]any {
	t.Helper()
	out, err := e.fx.Client.InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth, ClientId: aws.String(e.fx.ClientID),
		AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": password},
	})
	if err != nil {
		t.Fatalf("sign in %s: %v", user, err)
	}
	return cltest.Claims(t, aws.ToString(out.AuthenticationResult.AccessToken))
}

func (e *env) mutatingCalls() int {
	n := 0
	for _, m := range mutating {
		n += e.fake.Count(m)
	}
	return n
}

func assertNoSecrets(t *testing.T, r result, pw passwords.File) {
	t.Helper()
	for u, p := range pw {
		if strings.Contains(r.stdout, p) || strings.Contains(r.stderr, p) {
			t.Fatalf("password of %s appears in the output", u)
		}
	}
}

func lines(s string) []string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	slices.Sort(l)
	return l
}

func TestSeedLifecycle(t *testing.T) {
	e := newEnv(t)
	users := e.write(t, "users.csv", "username,email,tenant\nalice,alice@example.com,tenant-A\nbob,bob@example.com,tenant-B\ncarol,carol@example.com,tenant-A\n")
	pwPath := filepath.Join(e.dir, "passwords.json")

	// 1. Fresh seed: everything created, passwords generated and saved 0600.
	r := e.seed(t, nil, "--users", users, "--passwords-file", pwPath)
	if r.code != 0 {
		t.Fatalf("fresh seed exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	wantFresh := []string{"alice tenant-A created", "bob tenant-B created", "carol tenant-A created", "created=3 updated=0 unchanged=0 failed=0"}
	if got := lines(r.stdout); !slices.Equal(got, wantFresh) {
		t.Fatalf("stdout lines = %q, want %q", got, wantFresh)
	}
	if !strings.HasSuffix(strings.TrimSpace(r.stdout), "created=3 updated=0 unchanged=0 failed=0") {
		t.Errorf("summary is not the last line:\n%s", r.stdout)
	}
	fi, err := os.Stat(pwPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("passwords file: %v %v", fi, err)
	}
	pw, _, err := passwords.Load(pwPath)
	if err != nil || len(pw) != 3 {
		t.Fatalf("passwords file: %d entries, %v", len(pw), err)
	}
	for u, p := range pw {
		if !passwords.MeetsStrictPolicy(p) {
			t.Errorf("generated password of %s does not meet the strict policy", u)
		}
	}
	assertNoSecrets(t, r, pw)
	for user, want := range map[string]string{"alice": "tenant-A", "bob": "tenant-B", "carol": "tenant-A"} {
		if g := e.groups(t, user); !slices.Equal(g, []string{want}) {
			t.Errorf("%s groups = %v, want [%s]", user, g, want)
		}
		c := e.claims(t, user, pw[user])
		if c["token_use"] != "access" || c["username"] != user || !slices.Equal(cltest.Groups(c), []string{want}) {
			t.Errorf("%s token claims: token_use=%v username=%v groups=%v", user, c["token_use"], c["username"], c["cognito:groups"])
		}
	}
	if n := e.fake.Count("cognito.CreateGroup"); n != 0 {
		t.Errorf("CreateGroup called %d times", n)
	}

	// 2. Second run: unchanged, no write calls, passwords file untouched.
	before, _ := os.ReadFile(pwPath)
	e.fake.Reset()
	r = e.seed(t, nil, "--users", users, "--passwords-file", pwPath)
	wantSame := []string{"alice tenant-A unchanged", "bob tenant-B unchanged", "carol tenant-A unchanged", "created=0 updated=0 unchanged=3 failed=0"}
	if r.code != 0 || !slices.Equal(lines(r.stdout), wantSame) {
		t.Fatalf("re-run exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if n := e.mutatingCalls(); n != 0 {
		t.Errorf("re-run made %d write calls: %v", n, e.fake.Calls())
	}
	if after, _ := os.ReadFile(pwPath); !bytes.Equal(before, after) {
		t.Error("re-run rewrote the passwords file")
	}

	// 3. Repairs: bob lost his group; carol moved to tenant-B; dave was
	// created by a run that died before adding the group and password.
	ctx := context.Background()
	pool := aws.String(e.fx.PoolID)
	if _, err := e.fx.Client.AdminRemoveUserFromGroup(ctx, &cip.AdminRemoveUserFromGroupInput{UserPoolId: pool, Username: aws.String("bob"), GroupName: aws.String("tenant-B")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.fx.Client.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("dave"), MessageAction: ciptypes.MessageActionTypeSuppress,
		UserAttributes: []ciptypes.AttributeType{{Name: aws.String("email"), Value: aws.String("dave@example.com")}, {Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	users = e.write(t, "users.csv", "username,email,tenant\nalice,alice@example.com,tenant-A\nbob,bob@example.com,tenant-B\ncarol,carol@example.com,tenant-B\ndave,dave@example.com,tenant-A\n")
	e.fake.Reset()
	r = e.seed(t, nil, "--users", users, "--passwords-file", pwPath, "--dry-run")
	if r.code != 0 || !strings.Contains(r.stdout, "bob tenant-B would be updated (sign out everywhere; add to group tenant-B)") ||
		!strings.Contains(r.stdout, "created=0 updated=3 unchanged=1 failed=0") || e.mutatingCalls() != 0 {
		t.Fatalf("dry run: exit %d, %d write calls\n%s\n%s", r.code, e.mutatingCalls(), r.stdout, r.stderr)
	}
	if after, _ := os.ReadFile(pwPath); !bytes.Equal(before, after) {
		t.Error("dry run wrote the passwords file")
	}
	r = e.seed(t, nil, "--users", users, "--passwords-file", pwPath)
	wantRepair := []string{
		"alice tenant-A unchanged",
		"bob tenant-B updated (sign out everywhere; add to group tenant-B)",
		"carol tenant-B updated (remove from group tenant-A; sign out everywhere; add to group tenant-B)",
		"created=0 updated=3 unchanged=1 failed=0",
		"dave tenant-A updated (sign out everywhere; add to group tenant-A; set password (status FORCE_CHANGE_PASSWORD))",
	}
	if r.code != 0 || !slices.Equal(lines(r.stdout), wantRepair) {
		t.Fatalf("repair exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	// Every existing user whose tenant membership changed was signed out
	// globally (fakeaws answers the call: cognito-local lacks it).
	if n := e.fake.Count("cognito.AdminUserGlobalSignOut"); n != 3 {
		t.Errorf("AdminUserGlobalSignOut called %d times, want 3 (bob, carol, dave)", n)
	}
	pw, _, _ = passwords.Load(pwPath)
	if !strings.Contains(r.stderr, "generated passwords for dave") || len(pw) != 4 {
		t.Errorf("dave's password not generated: stderr %q, %d entries", r.stderr, len(pw))
	}
	assertNoSecrets(t, r, pw)
	if g := e.groups(t, "bob"); !slices.Equal(g, []string{"tenant-B"}) {
		t.Errorf("bob groups = %v", g)
	}
	if g := e.groups(t, "carol"); !slices.Equal(g, []string{"tenant-B"}) {
		t.Errorf("carol groups = %v", g)
	}
	if c := e.claims(t, "dave", pw["dave"]); !slices.Equal(cltest.Groups(c), []string{"tenant-A"}) {
		t.Errorf("dave groups claim = %v", c["cognito:groups"])
	}

	// 4. --reset-passwords with --password-env: everyone gets the shared password.
	const shared = "Shared-Passw0rd-For-All!"
	getenv := func(k string) string {
		if k == "SEED_PW" {
			return shared
		}
		return ""
	}
	r = e.seed(t, getenv, "--users", users, "--password-env", "SEED_PW", "--reset-passwords", "--concurrency", "2")
	if r.code != 0 || !strings.Contains(r.stdout, "created=0 updated=4 unchanged=0 failed=0") {
		t.Fatalf("reset exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	assertNoSecrets(t, r, passwords.File{"shared": shared})
	e.claims(t, "alice", shared)
}

// TestSeedRejectsBadInputWithoutCalls needs no cognito-local: the fake
// server has no upstream and records every call.
func TestSeedRejectsBadInputWithoutCalls(t *testing.T) {
	cltest.Env(t)
	fake := fakeaws.New(t, fakeaws.Options{Stacks: map[string]map[string]string{
		stack: {"UserPoolId": "us-east-1_x", "TenantIds": "tenant-A,tenant-B"},
	}})
	t.Setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", fake.URL)
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.csv", "username,email,tenant\nalice,alice@example.com,tenant-A\n", 0o600)
	bad := write("bad.csv", "username,email,tenant\nalice,alice@example.com,tenant-A\nalice,x@example.com,tenant-A\nbob,bob-at-example,tenant-B\ncarol,carol@example.com\n", 0o600)
	unknown := write("unknown.csv", "username,email,tenant\nalice,alice@example.com,tenant-A\nzed,zed@example.com,tenant-Z\n", 0o600)
	worldReadable := write("pw-644.json", `{"alice":"Secret-1234567890ab"}`, 0o644)
	okPW := filepath.Join(dir, "pw.json")

	tests := []struct {
		name      string
		args      []string
		wantCode  int
		wantErr   []string
		wantCalls []string // exact recorded calls
	}{
		{
			name:     "malformed file: every problem, zero calls",
			args:     []string{"--users", bad, "--passwords-file", okPW},
			wantCode: 1,
			wantErr: []string{"line 3: duplicate username", "line 4: malformed email", "line 5: want 3 columns",
				"nothing was changed", "pass --tenants"},
		},
		{
			name:     "unknown tenant with --tenants: zero calls",
			args:     []string{"--users", unknown, "--passwords-file", okPW, "--tenants", "tenant-A,tenant-B", "--user-pool-id", "p"},
			wantCode: 1,
			wantErr:  []string{`line 3: unknown tenant "tenant-Z" (the stack has: tenant-A, tenant-B)`},
		},
		{
			name:      "unknown tenant from the stack: only DescribeStacks, no Cognito call",
			args:      []string{"--users", unknown, "--passwords-file", okPW},
			wantCode:  1,
			wantErr:   []string{`line 3: unknown tenant "tenant-Z"`},
			wantCalls: []string{"cloudformation.DescribeStacks"},
		},
		{
			name:     "world-readable passwords file: zero calls",
			args:     []string{"--users", good, "--passwords-file", worldReadable},
			wantCode: 1,
			wantErr:  []string{"mode 0644", "chmod 600"},
		},
		{
			name:     "empty password env: zero calls",
			args:     []string{"--users", good, "--password-env", "NOPE"},
			wantCode: 1,
			wantErr:  []string{"NOPE is empty or unset"},
		},
		{name: "no password source", args: []string{"--users", good}, wantCode: 2, wantErr: []string{"one of --passwords-file or --password-env"}},
		{name: "both password sources", args: []string{"--users", good, "--passwords-file", okPW, "--password-env", "X"}, wantCode: 2, wantErr: []string{"not both"}},
		{name: "password as argument", args: []string{"--users", good, "--passwords-file", okPW, "hunter2"}, wantCode: 2, wantErr: []string{"unexpected arguments"}},
		{name: "missing users flag", args: []string{"--passwords-file", okPW}, wantCode: 2, wantErr: []string{"--users is required"}},
		{name: "missing users file", args: []string{"--users", filepath.Join(dir, "nope.csv"), "--passwords-file", okPW}, wantCode: 1, wantErr: []string{"no such file"}},
		{
			name:      "missing stack",
			args:      []string{"--users", good, "--passwords-file", okPW, "--stack", "Nope"},
			wantCode:  1,
			wantErr:   []string{"stack Nope not found"},
			wantCalls: []string{"cloudformation.DescribeStacks"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.Reset()
			var out, errb bytes.Buffer
			args := append([]string{"--stack", stack, "--endpoint", fake.URL}, tt.args...)
			if slices.Contains(tt.args, "--stack") {
				args = append([]string{"--endpoint", fake.URL}, tt.args...)
			}
			code := run(context.Background(), args, func(string) string { return "" }, &out, &errb)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstderr: %s", code, tt.wantCode, errb.String())
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errb.String())
				}
			}
			if got := fake.Calls(); !slices.Equal(got, tt.wantCalls) {
				t.Errorf("calls = %v, want %v", got, tt.wantCalls)
			}
			if out.Len() != 0 {
				t.Errorf("stdout not empty: %q", out.String())
			}
			if _, err := os.Stat(okPW); err == nil {
				t.Errorf("passwords file was created")
			}
		})
	}
}

func TestSeedMissingGroupIsAnErrorBeforeAnyChange(t *testing.T) {
	e := newEnv(t)
	// The stack claims tenant-C, but its group does not exist in the pool.
	users := e.write(t, "users.csv", "username,email,tenant\nalice,alice@example.com,tenant-A\ncy,cy@example.com,tenant-C\n")
	pwPath := filepath.Join(e.dir, "pw.json")
	r := e.seed(t, nil, "--users", users, "--passwords-file", pwPath, "--tenants", "tenant-A,tenant-C")
	if r.code != 1 || !strings.Contains(r.stderr, `group "tenant-C" not found in user pool`) {
		t.Fatalf("exit %d stderr %q", r.code, r.stderr)
	}
	if n := e.mutatingCalls(); n != 0 {
		t.Errorf("%d write calls: %v", n, e.fake.Calls())
	}
	if _, err := os.Stat(pwPath); err == nil {
		t.Error("passwords file written although nothing was seeded")
	}
}
