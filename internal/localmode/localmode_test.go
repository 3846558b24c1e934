package localmode

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/cognitolocal"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/localalb"
)

// assemblyDir is a real `cdk synth` of e2e/testdata/tenants-3cells.json
// (tenant-A and tenant-B in cell 1, tenant-C in cell 2, tenant-D in cell
// eu-1): manifest.json and the templates as CDK wrote them.
const assemblyDir = "testdata/cdk-3cells"

const (
	poolLogicalID   = "IdentityUserPool96FE3B9B"
	clientLogicalID = "IdentityUserPoolSpaClient33F8E0A2"
)

func TestReadIdentity(t *testing.T) {
	id, err := ReadIdentity(assemblyDir, localalb.Resolver{})
	if err != nil {
		t.Fatal(err)
	}
	if id.PoolLogicalID != poolLogicalID || id.ClientLogicalID != clientLogicalID {
		t.Errorf("logical ids: %+v", id)
	}
	if got := strings.Join(id.Groups, ","); got != "tenant-A,tenant-B,tenant-C,tenant-D" {
		t.Errorf("groups = %s, want every cell's, sorted", got)
	}
	if id.Client.AccessTokenValidity != 60 || id.Client.TokenValidityUnits["AccessToken"] != "minutes" ||
		!reflect.DeepEqual(id.Client.ExplicitAuthFlows, []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}) {
		t.Errorf("client token validity not read: %+v", id.Client)
	}
	if id.PasswordPolicy["MinimumLength"] != float64(12) {
		t.Errorf("password policy not read: %v", id.PasswordPolicy)
	}
}

func TestReadIdentityErrors(t *testing.T) {
	secret := copyAssembly(t, func(name string, b []byte) []byte {
		if name != "TenantRouting.template.json" {
			return b
		}
		return []byte(strings.Replace(string(b), `"GenerateSecret": false`, `"GenerateSecret": true`, 1))
	})
	tests := []struct {
		name, dir, stack, want string
	}{
		{"secret client", secret, "", "GenerateSecret"},
		{"no such shared stack", assemblyDir, "Other", "no stack Other"},
		{"not a cloud assembly", t.TempDir(), "", "manifest.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadIdentity(tc.dir, localalb.Resolver{StackName: tc.stack})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// copyAssembly copies the test assembly through edit (file name, content).
func copyAssembly(t *testing.T, edit func(name string, b []byte) []byte) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(assemblyDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(assemblyDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), edit(e.Name(), b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestPoolIDHasTheDeployedShape(t *testing.T) {
	id := PoolID("eu-west-1", "TenantRouting", "UserPool6BA7E5F2")
	if !regexp.MustCompile(`^eu-west-1_[A-Za-z0-9]{9}$`).MatchString(id) {
		t.Fatalf("pool id %q is not <region>_<9 alphanumerics>", id)
	}
	if id != PoolID("eu-west-1", "TenantRouting", "UserPool6BA7E5F2") {
		t.Fatal("pool id is not deterministic")
	}
	if id == PoolID("eu-west-1", "Other", "UserPool6BA7E5F2") {
		t.Fatal("pool id ignores the stack name")
	}
}

func TestPoolOfHasEveryGroupAndThePasswordPolicy(t *testing.T) {
	id, err := ReadIdentity(assemblyDir, localalb.Resolver{})
	if err != nil {
		t.Fatal(err)
	}
	p := poolOf("us-east-1_abcdefghi", id)
	if p.ID != "us-east-1_abcdefghi" || p.Name != poolLogicalID || !reflect.DeepEqual(p.Groups, id.Groups) {
		t.Errorf("pool %+v", p)
	}
	dir := t.TempDir()
	if err := cognitolocal.WritePool(dir, p); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, ".cognito", "db", "us-east-1_abcdefghi.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"Id": "us-east-1_abcdefghi"`, `"UsernameAttributes": []`, `"MinimumLength": 12`, `"GroupName": "tenant-D"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("pool file lacks %s:\n%s", want, b)
		}
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("pool file mode %v, want 0600 (cognito-local stores passwords in it)", fi.Mode().Perm())
	}
}

func TestCheckPortsNamesTheBusyFlagAndCell(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := l.Addr().(*net.TCPAddr).Port
	free := freePorts(t, 4)
	cells := []*Cell{{ID: "1", HTTPSPort: free[0], HTTPPort: free[1]}, {ID: "eu-2", HTTPSPort: busy, HTTPPort: free[2]}}
	err = checkPorts(cellPorts(cells, free[3]))
	if err == nil || !strings.Contains(err.Error(), "--https-port + 1 (cell eu-2)") || !strings.Contains(err.Error(), strconv.Itoa(busy)) {
		t.Fatalf("err = %v, want it to name --https-port + 1, cell eu-2 and port %d", err, busy)
	}
	if err := checkPorts([]portUse{{0, "--http-port (cell 1)"}}); err == nil || !strings.Contains(err.Error(), "--http-port") {
		t.Fatalf("port 0: err = %v", err)
	}
	// Two cells from --https-port 8443 and --http-port 8444 collide.
	cells = []*Cell{{ID: "1"}, {ID: "2"}}
	placeCells(cells, 8443, 8444)
	err = checkPorts(cellPorts(cells, 9229))
	if err == nil || !strings.Contains(err.Error(), "chosen twice") || !strings.Contains(err.Error(), "--https-port + 1 (cell 2)") {
		t.Fatalf("overlapping ranges: err = %v", err)
	}
}

// freePorts returns n distinct ports that were free a moment ago.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

func TestWithDefaultsAddsPlaceholderCertificateOnlyWhenNoneGiven(t *testing.T) {
	o := withDefaults(Options{})
	if !hasContextKey(o.Context, "certificateArn") {
		t.Fatal("no certificate placeholder added")
	}
	o = withDefaults(Options{Context: []string{"certificateArn=arn:aws:acm:eu-west-1:123456789012:certificate/x"}})
	if len(o.Context) != 1 {
		t.Fatalf("user certificate overridden: %v", o.Context)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{".local/a.pem": ".local/a.pem", "a b": "'a b'", "it's": `'it'\''s'`, "": "''"} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteDemoUsers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.csv")
	if err := writeDemoUsers(path, []string{"tenant-A", "tenant-B"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	want := "username,email,tenant\ndemo-tenant-a,demo-tenant-a@example.com,tenant-A\ndemo-tenant-b,demo-tenant-b@example.com,tenant-B\n"
	if string(b) != want {
		t.Fatalf("users file:\n%s\nwant:\n%s", b, want)
	}
}

func TestSynthEnvDropsAWSSettings(t *testing.T) {
	got := synthEnv([]string{"PATH=/bin", "AWS_PROFILE=prod", "AWS_REGION=eu-west-1", "CDK_DEFAULT_ACCOUNT=123456789012", "HOME=/root"})
	want := "PATH=/bin HOME=/root CDK_DISABLE_CLI_TELEMETRY=true"
	if strings.Join(got, " ") != want {
		t.Fatalf("synthEnv = %v, want %s", got, want)
	}
}

func TestBannerNeverPrintsSecretsAndFitsTheTenants(t *testing.T) {
	st := State{BaseURL: "https://127.0.0.1:8443", HTTPURL: "http://127.0.0.1:8080", CACert: "/r/.local/alb-cert.pem",
		CognitoURL: "http://127.0.0.1:9229", Region: "us-east-1", ClientID: "client123", Issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc",
		Tenants: []string{"tenant-A", "tenant-B"}, UsersFile: "/r/.local/users.csv", PasswordsFile: "/r/.local/passwords.json", BinDir: "/r/.local/bin",
		DirectoryTSV: "/r/.local/directory.tsv", DirectoryJSON: "/r/.local/directory.json", LogsDir: "/r/.local/logs",
		Cells: []CellState{{Cell: "1", Stack: "TenantRouting", BaseURL: "https://127.0.0.1:8443", HTTPURL: "http://127.0.0.1:8080", Tenants: []string{"tenant-A", "tenant-B"}}}}
	var b strings.Builder
	printBanner(&b, "/r", st)
	out := b.String()
	for _, want := range []string{
		"--username demo-tenant-a --passwords-file .local/passwords.json",
		"curl --cacert .local/alb-cert.pem -H \"Authorization: Bearer $TOKEN\" 'https://127.0.0.1:8443/tenant-A/orders/7?x=1'",
		"'https://127.0.0.1:8443/tenant-B/'  # another tenant's path: 401",
		"scripts/smoke.sh --directory .local/directory.tsv --cacert .local/alb-cert.pem",
		"logs           .local/logs",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`(?m)^  1 +https://127\.0\.0\.1:8443 +http://127\.0\.0\.1:8080 +tenant-A, tenant-B$`).MatchString(out) {
		t.Errorf("banner lacks the cell row:\n%s", out)
	}
	if strings.Contains(out, " -k") || strings.Contains(out, "--insecure") {
		t.Error("banner tells users to skip certificate verification")
	}
	st.Cells[0].Tenants = []string{"solo"}
	b.Reset()
	printBanner(&b, "/r", st)
	if strings.Contains(b.String(), "another tenant") {
		t.Errorf("single-tenant banner has a cross-tenant line:\n%s", b.String())
	}
	// Several cells: one row each, long tenant lists abbreviated, smoke.sh
	// given the directory.
	many := make([]string, 30)
	for i := range many {
		many[i] = fmt.Sprintf("t%02d", i)
	}
	st.Cells = []CellState{
		{Cell: "1", BaseURL: "https://127.0.0.1:8443", HTTPURL: "http://127.0.0.1:8080", Tenants: many},
		{Cell: "2", BaseURL: "https://127.0.0.1:8444", HTTPURL: "http://127.0.0.1:8081", Tenants: []string{"x"}},
	}
	b.Reset()
	printBanner(&b, "/r", st)
	out = b.String()
	for _, want := range []string{"t00, t01, t02, t03 (+26 more)", "https://127.0.0.1:8444", "smoke.sh --directory .local/directory.tsv"} {
		if !strings.Contains(out, want) {
			t.Errorf("multi-cell banner lacks %q:\n%s", want, out)
		}
	}
}

func TestLocalAWSEnvReplacesEveryAWSSetting(t *testing.T) {
	t.Setenv("AWS_PROFILE", "prod")
	t.Setenv("AWS_SESSION_TOKEN", "real-session")
	env := strings.Join(localAWSEnv("eu-west-1"), "\n")
	for _, leaked := range []string{"AWS_PROFILE=prod", "real-session"} {
		if strings.Contains(env, leaked) {
			t.Errorf("%s leaks into local mode", leaked)
		}
	}
	for _, want := range []string{"AWS_ACCESS_KEY_ID=local", "AWS_REGION=eu-west-1", "AWS_EC2_METADATA_DISABLED=true"} {
		if !strings.Contains(env, want) {
			t.Errorf("local env lacks %s", want)
		}
	}
}

func TestRunReportsABusyPortBeforeStartingAnything(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	free := freePorts(t, 2)
	work := filepath.Join(t.TempDir(), "work")
	var out strings.Builder
	err = Run(context.Background(), Options{
		WorkDir: work, HTTPSPort: free[0], HTTPPort: l.Addr().(*net.TCPAddr).Port, CognitoPort: free[1], Out: &out,
	})
	if err == nil || !strings.Contains(err.Error(), "--http-port (cell 1)") {
		t.Fatalf("err = %v, want the busy --http-port of cell 1", err)
	}
	if _, err := os.Stat(work); !os.IsNotExist(err) {
		t.Errorf("the work dir was created before the port check: %v", err)
	}
	if out.Len() != 0 {
		t.Errorf("console before the port check: %q", out.String())
	}
}
