package smoketest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/testutil"
)

// seedUsersBin is a real seed-users binary (smoke.sh reads the users file
// through `seed-users --list-tenant-users`), built once by TestMain.
var seedUsersBin string

func TestMain(m *testing.M) {
	os.Exit(testutil.RunInTempDir(m, "smoketest-bin-", func(dir string) error {
		seedUsersBin = filepath.Join(dir, "seed-users")
		build := exec.Command("go", "build", "-o", seedUsersBin, "../../seed-users")
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("build seed-users: %v\n%s", err, out)
		}
		return nil
	}))
}

// binDir makes dir/bin with the real seed-users and returns its path; the
// test adds a fake get-token (and stack-outputs) to it.
func binDir(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(seedUsersBin, filepath.Join(bin, "seed-users")); err != nil {
		t.Fatal(err)
	}
	return bin
}

func scriptPath(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("../../smoke.sh")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// requireCmd skips (fails under CI) a test that needs the tool name, which
// the Debian package of the same name installs.
func requireCmd(t *testing.T, name string) {
	t.Helper()
	testutil.RequireTool(t, name, "apt-get install -y "+name)
}

func TestShellcheck(t *testing.T) {
	requireCmd(t, "shellcheck")
	// Every script of scripts/ and the CI entry point, as `make lint` does.
	files, err := filepath.Glob(filepath.Join(filepath.Dir(scriptPath(t)), "*.sh"))
	if err != nil || len(files) < 2 {
		t.Fatalf("scripts: %v %v", files, err)
	}
	files = append(files, filepath.Join(filepath.Dir(scriptPath(t)), "..", ".ci", "run"))
	out, err := exec.Command("shellcheck", append([]string{"--severity=style"}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("shellcheck: %v\n%s", err, out)
	}
}

type smokeResult struct {
	code           int
	stdout, stderr string
}

func runSmoke(t *testing.T, env []string, args ...string) smokeResult {
	t.Helper()
	requireCmd(t, "bash")
	requireCmd(t, "curl")
	cmd := exec.Command("bash", append([]string{scriptPath(t)}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run smoke.sh: %v", err)
	}
	return smokeResult{code, out.String(), errb.String()}
}

func writeFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

const usersCSV = "username,email,tenant\nalice,alice@example.com,tenant-A\nbob,bob@example.com,tenant-B\ncarol,carol@example.com,tenant-A\n"

func TestSmokeUsage(t *testing.T) {
	dir := t.TempDir()
	users := writeFile(t, dir, "users.csv", usersCSV, 0o644)
	badHeader := writeFile(t, dir, "bad.csv", "user,mail,tenant\nalice,a@example.com,tenant-A\n", 0o644)
	badLine := writeFile(t, dir, "badline.csv", "username,email,tenant\nalice,a@example.com\n", 0o644)
	pw := writeFile(t, dir, "pw.json", `{}`, 0o600)
	bin := binDir(t, dir)
	writeFile(t, bin, "get-token", "#!/bin/sh\nexit 1\n", 0o755)
	writeFile(t, bin, "stack-outputs", "#!/bin/sh\necho http://not-https.example.com\n", 0o755)
	common := []string{"--users", users, "--passwords-file", pw, "--client-id", "c", "--bin-dir", bin}
	tests := []struct {
		name    string
		args    []string
		env     []string
		code    int
		wantOut string
		wantErr string
	}{
		{name: "help", args: []string{"--help"}, code: 0, wantOut: "usage: smoke.sh"},
		{name: "no arguments", code: 2, wantErr: "--users is required"},
		{name: "unknown flag", args: []string{"--bogus"}, code: 2, wantErr: "unknown argument: --bogus"},
		{name: "flag without value", args: []string{"--users"}, code: 2, wantErr: "--users needs a value"},
		{name: "no base url or stack", args: []string{"--users", users, "--passwords-file", pw}, code: 2, wantErr: "pass --directory, --stack or --base-url"},
		{name: "directory and base url", args: append([]string{"--base-url", "https://x.example.com", "--directory", users}, common...), code: 2, wantErr: "not both"},
		{name: "bad sample", args: append([]string{"--base-url", "https://x.example.com", "--sample", "0"}, common...), code: 2, wantErr: "--sample must be a positive integer"},
		{name: "bad directory line", args: append([]string{"--directory", users}, common...), code: 2, wantErr: "directory line 1: want tenant<TAB>cell"},
		{name: "users tenant not in directory", args: append([]string{"--directory", writeFile(t, dir, "dir.tsv", "tenant-A\t1\thttps://a.example.com\thttp://a.example.com\n", 0o644)}, common...), code: 2, wantErr: "tenant tenant-B of"},
		{name: "bad cell id", args: append([]string{"--directory", writeFile(t, dir, "dir2.tsv", "tenant-A\tCell_1\thttps://a.example.com\thttp://a.example.com\n", 0o644)}, common...), code: 2, wantErr: "directory line 1"},
		{name: "no password source", args: []string{"--users", users, "--base-url", "https://x.example.com", "--client-id", "c"}, env: []string{"COGNITO_PASSWORD="}, code: 2, wantErr: "--passwords-file"},
		{name: "no client id", args: []string{"--users", users, "--passwords-file", pw, "--base-url", "https://x.example.com"}, code: 2, wantErr: "--client-id or --stack"},
		{name: "cacert and insecure", args: append([]string{"--base-url", "https://x.example.com", "--cacert", pw, "-k"}, common...), code: 2, wantErr: "not both"},
		{name: "bad header", args: []string{"--users", badHeader, "--passwords-file", pw, "--client-id", "c", "--base-url", "https://x.example.com", "--bin-dir", bin}, code: 2, wantErr: "header must be"},
		{name: "bad line", args: []string{"--users", badLine, "--passwords-file", pw, "--client-id", "c", "--base-url", "https://x.example.com", "--bin-dir", bin}, code: 2, wantErr: "line 2: want 3 columns"},
		{name: "http base url", args: append([]string{"--base-url", "http://x.example.com"}, common...), code: 2, wantErr: "base URL must be https://"},
		{name: "base url with path", args: append([]string{"--base-url", "https://x.example.com/tenant-A"}, common...), code: 2, wantErr: "without a path"},
		{name: "https http-url", args: append([]string{"--base-url", "https://x.example.com", "--http-url", "https://x.example.com"}, common...), code: 2, wantErr: "HTTP URL must be http://"},
		{name: "stack directory not https", args: append([]string{"--stack", "S"}, common...), code: 2, wantErr: "directory line 1"},
		{name: "bad max-time", args: append([]string{"--base-url", "https://x.example.com", "--max-time", "abc"}, common...), code: 2, wantErr: "--max-time"},
		{name: "missing bin", args: []string{"--users", users, "--passwords-file", pw, "--client-id", "c", "--base-url", "https://x.example.com", "--bin-dir", dir}, code: 2, wantErr: "get-token not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runSmoke(t, tt.env, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stdout, tt.wantOut) || !strings.Contains(r.stderr, tt.wantErr) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
			}
		})
	}
}

// fakeALB imitates the deployed routing: per-tenant rules with JWT checks
// (HMAC "signature", token_use, client_id, cognito:groups), prefix rewrite,
// default 404, HTTP->HTTPS 301. Flags break one behaviour each.
type fakeALB struct {
	secret  []byte
	tenants []string
	broken  string
}

func b64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (f *fakeALB) token(claims map[string]any) string {
	head := b64(map[string]string{"alg": "HS256", "kid": "k"}) + "." + b64(claims)
	m := hmac.New(sha256.New, f.secret)
	m.Write([]byte(head))
	return head + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (f *fakeALB) valid(authz, tenant string) bool {
	tok, ok := strings.CutPrefix(authz, "Bearer ")
	parts := strings.Split(tok, ".")
	if !ok || len(parts) != 3 {
		return false
	}
	m := hmac.New(sha256.New, f.secret)
	m.Write([]byte(parts[0] + "." + parts[1]))
	if f.broken != "no-signature-check" && base64.RawURLEncoding.EncodeToString(m.Sum(nil)) != parts[2] {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return false
	}
	var c struct {
		TokenUse string   `json:"token_use"`
		ClientID string   `json:"client_id"`
		Groups   []string `json:"cognito:groups"`
	}
	if json.Unmarshal(raw, &c) != nil {
		return false
	}
	if f.broken != "accept-id-token" && (c.TokenUse != "access" || c.ClientID != "client-1") {
		return false
	}
	return f.broken == "no-group-check" || slices.Contains(c.Groups, tenant)
}

func (f *fakeALB) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for _, tenant := range f.tenants {
		rest, ok := strings.CutPrefix(r.URL.Path, "/"+tenant)
		if !ok || (rest != "" && !strings.HasPrefix(rest, "/")) {
			continue
		}
		if !f.valid(r.Header.Get("Authorization"), tenant) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, "<html><body><center><h1>401 Authorization Required</h1></center></body></html>")
			return
		}
		path := "/" + strings.TrimPrefix(rest, "/")
		if f.broken == "no-rewrite" {
			path = r.URL.Path
		}
		query := map[string]string{}
		for k, v := range r.URL.Query() {
			query[k] = v[0]
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"tenantId": tenant, "path": path, "query": query, "method": r.Method, "requestId": "req-1"})
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprint(w, "Not Found")
}

func TestSmokeMatrixAgainstFakeALB(t *testing.T) {
	tests := []struct {
		broken    string
		wantFails []string // case name prefixes that must FAIL
	}{
		{broken: ""},
		{broken: "no-group-check", wantFails: []string{"cross-tenant:tenant-A->tenant-B", "cross-tenant:tenant-B->tenant-A"}},
		{broken: "accept-id-token", wantFails: []string{"id-token:tenant-A"}},
		{broken: "no-signature-check", wantFails: []string{"tampered-payload:"}},
		{broken: "no-rewrite", wantFails: []string{"rewrite:", "bare-prefix:"}},
		{broken: "no-redirect", wantFails: []string{"http-redirect:"}},
		{broken: "get-token-fails-for-bob", wantFails: []string{"get-token:bob", "own-tenant:tenant-B", "tampered-payload:"}},
	}
	for _, tt := range tests {
		name := tt.broken
		if name == "" {
			name = "correct ALB"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel() // independent servers and files; curl mostly waits
			alb := &fakeALB{secret: []byte("test-secret"), tenants: []string{"tenant-A", "tenant-B"}, broken: tt.broken}
			tls := httptest.NewTLSServer(alb)
			defer tls.Close()
			httpSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.broken == "no-redirect" {
					alb.ServeHTTP(w, r)
					return
				}
				w.Header().Set("Location", "https://127.0.0.1:443"+r.URL.RequestURI())
				w.WriteHeader(http.StatusMovedPermanently)
			}))
			defer httpSrv.Close()

			dir := t.TempDir()
			ca := writeFile(t, dir, "ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tls.Certificate().Raw})), 0o644)
			users := writeFile(t, dir, "users.csv", usersCSV, 0o644)
			pw := writeFile(t, dir, "pw.json", `{}`, 0o600)
			exp := time.Now().Add(time.Hour).Unix()
			tokens := map[string]string{
				"alice:access": alb.token(map[string]any{"token_use": "access", "client_id": "client-1", "cognito:groups": []string{"tenant-A"}, "exp": exp}),
				"alice:id":     alb.token(map[string]any{"token_use": "id", "aud": "client-1", "cognito:groups": []string{"tenant-A"}, "exp": exp}),
				"bob:access":   alb.token(map[string]any{"token_use": "access", "client_id": "client-1", "cognito:groups": []string{"tenant-B"}, "exp": exp}),
			}
			if tt.broken == "get-token-fails-for-bob" {
				delete(tokens, "bob:access")
			}
			var script strings.Builder
			script.WriteString("#!/usr/bin/env bash\nset -eu\nuser='' kind=access\nwhile [ $# -gt 0 ]; do case $1 in --username) user=$2; shift 2;; --token) kind=$2; shift 2;; *) shift;; esac; done\ncase \"$user:$kind\" in\n")
			for k, v := range tokens {
				fmt.Fprintf(&script, "  %s) printf '%%s\\n' '%s' ;;\n", k, v)
			}
			script.WriteString("  *) echo \"get-token: sign in $user: NotAuthorizedException\" >&2; exit 1 ;;\nesac\n")
			bin := binDir(t, dir)
			writeFile(t, bin, "get-token", script.String(), 0o755)

			r := runSmoke(t, nil, "--base-url", tls.URL, "--http-url", httpSrv.URL, "--users", users,
				"--passwords-file", pw, "--client-id", "client-1", "--cacert", ca, "--bin-dir", bin, "--max-time", "5")
			for _, tok := range tokens {
				if strings.Contains(r.stdout+r.stderr, tok) || strings.Contains(r.stdout+r.stderr, strings.Split(tok, ".")[1]) {
					t.Fatal("a token (or its payload) appears in the output")
				}
			}
			lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
			last := lines[len(lines)-1]
			var fails []string
			passes := 0
			lineRE := regexp.MustCompile(`^(PASS|FAIL) (\S+) expected=\S* got=\S*$`)
			for _, l := range lines[:len(lines)-1] {
				m := lineRE.FindStringSubmatch(l)
				if m == nil {
					if strings.HasPrefix(l, "NOTE ") {
						continue
					}
					t.Fatalf("malformed line %q in\n%s", l, r.stdout)
				}
				if m[1] == "FAIL" {
					fails = append(fails, m[2])
				} else {
					passes++
				}
			}
			if want := fmt.Sprintf("%d passed, %d failed", passes, len(fails)); last != want {
				t.Fatalf("last line %q, want %q\n%s", last, want, r.stdout)
			}
			// The correct ALB passes every case: 2 no/garbage token, 2 own, 2 cross,
			// id, tampered, rewrite, bare, 2 unknown, redirect = 13.
			if tt.broken == "" && (passes != 13 || len(fails) != 0 || r.code != 0) {
				t.Fatalf("correct ALB: exit %d, %d passed, fails %v\n%s\n%s", r.code, passes, fails, r.stdout, r.stderr)
			}
			if tt.broken != "" && r.code != 1 {
				t.Fatalf("exit %d, want 1\n%s", r.code, r.stdout)
			}
			for _, w := range tt.wantFails {
				if !slices.ContainsFunc(fails, func(f string) bool { return strings.HasPrefix(f, w) }) {
					t.Errorf("case %s did not fail; fails = %v\n%s", w, fails, r.stdout)
				}
			}
			if tt.broken != "" && len(fails) > len(tt.wantFails)+1 {
				t.Errorf("more failures than expected: %v", fails)
			}
		})
	}
}

func TestSmokeSelfSignedNeedsOptIn(t *testing.T) {
	alb := &fakeALB{secret: []byte("s"), tenants: []string{"tenant-A"}}
	srv := httptest.NewUnstartedServer(alb)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the rejected handshakes are expected
	srv.StartTLS()
	defer srv.Close()
	dir := t.TempDir()
	users := writeFile(t, dir, "users.csv", "username,email,tenant\nalice,a@example.com,tenant-A\n", 0o644)
	pw := writeFile(t, dir, "pw.json", `{}`, 0o600)
	bin := binDir(t, dir)
	writeFile(t, bin, "get-token", "#!/bin/sh\nprintf '%s\\n' '"+alb.token(map[string]any{"token_use": "access", "client_id": "client-1", "cognito:groups": []string{"tenant-A"}})+"'\n", 0o755)
	args := []string{"--base-url", srv.URL, "--http-url", "http://127.0.0.1:1", "--users", users, "--passwords-file", pw, "--client-id", "client-1", "--bin-dir", bin, "--max-time", "3"}
	// Without --cacert/-k the self-signed certificate is rejected: every HTTPS case gets 000.
	r := runSmoke(t, nil, args...)
	if r.code != 1 || !strings.Contains(r.stdout, "FAIL own-tenant:tenant-A expected=200:tenant-A got=000:") {
		t.Fatalf("without opt-in: exit %d\n%s", r.code, r.stdout)
	}
	// With -k it works (the redirect case fails: nothing listens on port 1).
	r = runSmoke(t, nil, append(args, "-k")...)
	if !strings.Contains(r.stdout, "PASS own-tenant:tenant-A expected=200:tenant-A got=200:tenant-A") ||
		!strings.Contains(r.stdout, "NOTE only one tenant tested") || !strings.Contains(r.stdout, "FAIL http-redirect") {
		t.Fatalf("with -k:\n%s\n%s", r.stdout, r.stderr)
	}
}
