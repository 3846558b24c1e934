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

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/cognitolocal/cltest"
	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/fakeaws"
	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/passwords"
)

// newCellsEnv is newEnv for a deployment with cells: the shared stack has
// only the pool outputs, each cell stack lists its tenants.
func newCellsEnv(t *testing.T) *env {
	t.Helper()
	fx := cltest.New(t, "tenant-A", "tenant-B", "tenant-C")
	fake := fakeaws.New(t, fakeaws.Options{
		CognitoUpstream: fx.Server.URL(),
		Stacks: map[string]map[string]string{
			stack:             {"UserPoolId": fx.PoolID, "UserPoolClientId": fx.ClientID},
			stack + "-Cell-1": {"Cell": "1", "TenantIds": "tenant-A,tenant-B"},
			stack + "-Cell-2": {"Cell": "2", "TenantIds": "tenant-C"},
			// A deleted cell's tenants are not tenants any more.
			stack + "-Cell-3": {"Cell": "3", "TenantIds": "tenant-Z"},
		},
		StackStatus: map[string]string{stack + "-Cell-3": "DELETE_COMPLETE"},
	})
	cltest.Env(t)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", fake.URL)
	return &env{fx: fx, fake: fake, dir: t.TempDir()}
}

func TestSeedAcrossCells(t *testing.T) {
	e := newCellsEnv(t)
	pw := filepath.Join(e.dir, "pw.json")
	bad := e.write(t, "bad.csv", "username,email,tenant\nzed,zed@example.com,tenant-Z\n")
	r := e.seed(t, nil, "--users", bad, "--passwords-file", pw)
	if r.code != 1 || !strings.Contains(r.stderr, `unknown tenant "tenant-Z" (the stack has: tenant-A, tenant-B, tenant-C)`) {
		t.Fatalf("deleted cell's tenant: exit %d\n%s", r.code, r.stderr)
	}
	users := e.write(t, "users.csv", "username,email,tenant\nalice,alice@example.com,tenant-A\ncy,cy@example.com,tenant-C\n")
	r = e.seed(t, nil, "--users", users, "--passwords-file", pw)
	if r.code != 0 || !strings.Contains(r.stdout, "created=2") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if g := e.groups(t, "cy"); !slices.Equal(g, []string{"tenant-C"}) {
		t.Errorf("cy groups %v", g)
	}
}

// TestListTenantUsers: the users file parser smoke.sh relies on. A UTF-8
// byte-order mark (spreadsheet exports) is accepted here exactly as by a
// seeding run; no AWS call is made (no endpoint is even configured).
func TestListTenantUsers(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bom := write("bom.csv", "\xef\xbb\xbfusername,email,tenant\r\nalice,alice@example.com,tenant-A\r\n bob , bob@example.com , tenant-B \r\ncarol,carol@example.com,tenant-A\r\n")
	bad := write("bad.csv", "username,email,tenant\nalice,alice@example.com\n")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"--users", bom, "--list-tenant-users"}, os.Getenv, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if want := "tenant-A\talice\ntenant-B\tbob\n"; out.String() != want {
		t.Errorf("stdout %q, want %q", out.String(), want)
	}
	out.Reset()
	errb.Reset()
	if code := run(context.Background(), []string{"--users", bad, "--list-tenant-users"}, os.Getenv, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "line 2: want 3 columns") || out.Len() != 0 || strings.Contains(errb.String(), "pass --tenants") {
		t.Errorf("bad file: exit %d stdout %q stderr %q", code, out.String(), errb.String())
	}
}

// TestExportAndRestoreMemberships is the upgrade to cells on the real
// cognito-local: the memberships are saved, the tenant groups are deleted and
// recreated empty (what CloudFormation does when a group moves from the
// shared stack to a cell stack), and a normal seed run restores every
// membership without changing any password.
func TestExportAndRestoreMemberships(t *testing.T) {
	e := newEnv(t) // the single-stack layout: TestStack lists the tenants
	users := e.write(t, "users.csv", "username,email,tenant\nalice,alice@example.com,tenant-A\nbob,bob@example.com,tenant-B\ncarol,carol@example.com,tenant-A\n")
	pwPath := filepath.Join(e.dir, "passwords.json")
	if r := e.seed(t, nil, "--users", users, "--passwords-file", pwPath); r.code != 0 {
		t.Fatalf("seed: %s %s", r.stdout, r.stderr)
	}
	pw, _, err := passwords.Load(pwPath)
	if err != nil {
		t.Fatal(err)
	}

	// Save.
	saved := filepath.Join(e.dir, "memberships.csv")
	r := e.seed(t, nil, "--export-memberships", saved)
	if r.code != 0 || !strings.Contains(r.stdout, "saved 3 membership(s) of 2 tenant(s)") {
		t.Fatalf("export: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	data, _ := os.ReadFile(saved)
	want := "username,email,tenant\nalice,alice@example.com,tenant-A\ncarol,carol@example.com,tenant-A\nbob,bob@example.com,tenant-B\n"
	if string(data) != want {
		t.Fatalf("saved file:\n%s\nwant:\n%s", data, want)
	}
	if fi, _ := os.Stat(saved); fi.Mode().Perm() != 0o600 {
		t.Errorf("saved file mode %v", fi.Mode().Perm())
	}
	// Never overwritten.
	if r := e.seed(t, nil, "--export-memberships", saved); r.code != 1 || !strings.Contains(r.stderr, "never overwritten") {
		t.Fatalf("second export: exit %d %s", r.code, r.stderr)
	}

	// The upgrade recreates the groups empty.
	ctx := context.Background()
	pool := aws.String(e.fx.PoolID)
	for _, g := range []string{"tenant-A", "tenant-B"} {
		if _, err := e.fx.Client.DeleteGroup(ctx, &cip.DeleteGroupInput{UserPoolId: pool, GroupName: aws.String(g)}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.fx.Client.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: pool, GroupName: aws.String(g)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []string{"alice", "bob", "carol"} {
		if g := e.groups(t, u); len(g) != 0 {
			t.Fatalf("%s still in %v after the groups were recreated", u, g)
		}
	}
	// An export now finds nothing and says so (it would not overwrite anyway).
	if r := e.seed(t, nil, "--export-memberships", filepath.Join(e.dir, "late.csv")); r.code != 1 || !strings.Contains(r.stderr, "have no members: nothing to save") {
		t.Errorf("late export: exit %d %s", r.code, r.stderr)
	}

	// Restore with the normal seed path and a fresh passwords file path: no
	// password is set, so none is generated and the old ones keep working.
	freshPW := filepath.Join(e.dir, "restore-pw.json")
	e.fake.Reset()
	r = e.seed(t, nil, "--users", saved, "--passwords-file", freshPW)
	if r.code != 0 || !strings.Contains(r.stdout, "created=0 updated=3 unchanged=0 failed=0") {
		t.Fatalf("restore: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if n := e.fake.Count("cognito.AdminSetUserPassword"); n != 0 {
		t.Errorf("restore set %d passwords", n)
	}
	if _, err := os.Stat(freshPW); !os.IsNotExist(err) {
		t.Errorf("restore wrote a passwords file: %v", err)
	}
	for user, tenant := range map[string]string{"alice": "tenant-A", "bob": "tenant-B", "carol": "tenant-A"} {
		if g := e.groups(t, user); !slices.Equal(g, []string{tenant}) {
			t.Errorf("%s groups after restore %v, want [%s]", user, g, tenant)
		}
		if c := e.claims(t, user, pw[user]); !slices.Equal(cltest.Groups(c), []string{tenant}) {
			t.Errorf("%s token groups %v", user, c["cognito:groups"])
		}
	}
	// Restoring again changes nothing.
	if r := e.seed(t, nil, "--users", saved, "--passwords-file", freshPW); r.code != 0 || !strings.Contains(r.stdout, "unchanged=3") {
		t.Errorf("second restore: %s %s", r.stdout, r.stderr)
	}
}

func TestExportUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--export-memberships", "x.csv", "--users", "u.csv"},
		{"--export-memberships", "x.csv", "--passwords-file", "p.json"},
		{"--export-memberships", "x.csv", "--dry-run"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, os.Getenv, &out, &errb); code != 2 || !strings.Contains(errb.String(), "takes no --users") {
			t.Errorf("%v: exit %d %s", args, code, errb.String())
		}
	}
}
