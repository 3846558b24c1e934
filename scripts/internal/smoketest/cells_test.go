package smoketest

import (
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// cell is one fake ALB with its HTTP redirect listener.
type cell struct {
	id    string
	alb   *fakeALB
	https *httptest.Server
	http  *httptest.Server
}

func startCell(t *testing.T, id string, alb *fakeALB) *cell {
	t.Helper()
	c := &cell{id: id, alb: alb, https: httptest.NewTLSServer(alb)}
	c.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "https://127.0.0.1:443"+r.URL.RequestURI())
		w.WriteHeader(http.StatusMovedPermanently)
	}))
	t.Cleanup(c.https.Close)
	t.Cleanup(c.http.Close)
	return c
}

// fakeGetToken writes a get-token that prints canned tokens by user.
func fakeGetToken(t *testing.T, bin string, tokens map[string]string) {
	t.Helper()
	var script strings.Builder
	script.WriteString("#!/usr/bin/env bash\nset -eu\nuser='' kind=access\nwhile [ $# -gt 0 ]; do case $1 in --username) user=$2; shift 2;; --token) kind=$2; shift 2;; *) shift;; esac; done\ncase \"$user:$kind\" in\n")
	for k, v := range tokens {
		fmt.Fprintf(&script, "  %s) printf '%%s\\n' '%s' ;;\n", k, v)
	}
	script.WriteString("  *) echo \"get-token: sign in $user: NotAuthorizedException\" >&2; exit 1 ;;\nesac\n")
	writeFile(t, bin, "get-token", script.String(), 0o755)
}

type parsed struct {
	passes []string
	fails  []string
	notes  []string
}

func parseOutput(t *testing.T, out string) parsed {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var p parsed
	lineRE := regexp.MustCompile(`^(PASS|FAIL) (\S+) expected=\S* got=\S*$`)
	for _, l := range lines[:len(lines)-1] {
		if strings.HasPrefix(l, "NOTE ") {
			p.notes = append(p.notes, l)
			continue
		}
		m := lineRE.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("malformed line %q in\n%s", l, out)
		}
		if m[1] == "FAIL" {
			p.fails = append(p.fails, m[2])
		} else {
			p.passes = append(p.passes, m[2])
		}
	}
	if want := fmt.Sprintf("%d passed, %d failed", len(p.passes), len(p.fails)); lines[len(lines)-1] != want {
		t.Fatalf("last line %q, want %q", lines[len(lines)-1], want)
	}
	return p
}

// TestSmokeTwoCells runs the matrix over a directory of two cells (two fake
// ALBs): cross-cell tokens must get 401, a tenant's prefix on the other
// cell's ALB 404; a cell that accepts any tenant's token, or routes a tenant
// it does not hold, is caught.
func TestSmokeTwoCells(t *testing.T) {
	secret := []byte("test-secret")
	tests := []struct {
		name      string
		cell2     *fakeALB
		viaStack  bool // the directory from `stack-outputs --stack S --directory --format tsv`
		wantFails []string
	}{
		{name: "correct cells", cell2: &fakeALB{secret: secret, tenants: []string{"tenant-C"}}},
		{name: "correct cells via --stack", cell2: &fakeALB{secret: secret, tenants: []string{"tenant-C"}}, viaStack: true},
		{name: "cell 2 skips the group check", cell2: &fakeALB{secret: secret, tenants: []string{"tenant-C"}, broken: "no-group-check"},
			wantFails: []string{"cross-cell:tenant-A->tenant-C", "cross-cell:tenant-B->tenant-C"}},
		{name: "cell 2 routes tenant-A", cell2: &fakeALB{secret: secret, tenants: []string{"tenant-C", "tenant-A"}},
			wantFails: []string{"wrong-cell:tenant-A@cell-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // independent servers and files; curl mostly waits
			c1 := startCell(t, "1", &fakeALB{secret: secret, tenants: []string{"tenant-A", "tenant-B"}})
			c2 := startCell(t, "2", tt.cell2)
			dir := t.TempDir()
			bundle := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c1.https.Certificate().Raw})) +
				string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c2.https.Certificate().Raw}))
			ca := writeFile(t, dir, "ca.pem", bundle, 0o644)
			var tsv strings.Builder
			for _, row := range []struct {
				tenant string
				c      *cell
			}{{"tenant-A", c1}, {"tenant-B", c1}, {"tenant-C", c2}} {
				fmt.Fprintf(&tsv, "%s\t%s\t%s\t%s\n", row.tenant, row.c.id, row.c.https.URL, row.c.http.URL)
			}
			directory := writeFile(t, dir, "directory.tsv", tsv.String(), 0o644)
			users := writeFile(t, dir, "users.csv", usersCSV+"cy,cy@example.com,tenant-C\n", 0o644)
			pw := writeFile(t, dir, "pw.json", `{}`, 0o600)
			exp := time.Now().Add(time.Hour).Unix()
			alb := c1.alb
			tokens := map[string]string{
				"alice:access": alb.token(map[string]any{"token_use": "access", "client_id": "client-1", "cognito:groups": []string{"tenant-A"}, "exp": exp}),
				"alice:id":     alb.token(map[string]any{"token_use": "id", "aud": "client-1", "cognito:groups": []string{"tenant-A"}, "exp": exp}),
				"bob:access":   alb.token(map[string]any{"token_use": "access", "client_id": "client-1", "cognito:groups": []string{"tenant-B"}, "exp": exp}),
				"cy:access":    alb.token(map[string]any{"token_use": "access", "client_id": "client-1", "cognito:groups": []string{"tenant-C"}, "exp": exp}),
			}
			bin := binDir(t, dir)
			fakeGetToken(t, bin, tokens)
			source := []string{"--directory", directory}
			if tt.viaStack {
				writeFile(t, bin, "stack-outputs", "#!/bin/sh\n[ \"$*\" = '--stack S --directory --format tsv --region us-east-1' ] || { echo \"stack-outputs: unexpected $*\" >&2; exit 1; }\ncat '"+directory+"'\n", 0o755)
				source = []string{"--stack", "S", "--region", "us-east-1"}
			}
			r := runSmoke(t, nil, append(source, "--users", users, "--passwords-file", pw,
				"--client-id", "client-1", "--cacert", ca, "--bin-dir", bin, "--max-time", "5")...)
			p := parseOutput(t, r.stdout)
			if len(tt.wantFails) == 0 {
				// 2 cells x 7 per-cell cases, 3 own, 2 cross-tenant, 4 cross-cell, 3 wrong-cell, id, tampered = 28.
				if r.code != 0 || len(p.passes) != 28 || len(p.fails) != 0 {
					t.Fatalf("exit %d, %d passed, fails %v\n%s\n%s", r.code, len(p.passes), p.fails, r.stdout, r.stderr)
				}
				for _, want := range []string{"cross-tenant:tenant-A->tenant-B", "cross-cell:tenant-A->tenant-C", "cross-cell:tenant-C->tenant-B",
					"wrong-cell:tenant-A@cell-2", "wrong-cell:tenant-C@cell-1", "no-token:tenant-C@cell-2", "http-redirect:/tenant-A/x?q=1@cell-1"} {
					if !slices.Contains(p.passes, want) {
						t.Errorf("no PASS %s in\n%s", want, r.stdout)
					}
				}
				return
			}
			if r.code != 1 || !slices.Equal(p.fails, tt.wantFails) {
				t.Fatalf("exit %d, fails %v, want %v\n%s", r.code, p.fails, tt.wantFails, r.stdout)
			}
		})
	}
}

// TestSmokeSample: --sample N picks at most N tenants with a user, every
// cell represented, round robin over the cells, deterministically; --plan
// prints the choice without signing anyone in.
func TestSmokeSample(t *testing.T) {
	dir := t.TempDir()
	var tsv, csv strings.Builder
	csv.WriteString("username,email,tenant\n")
	cells := []struct {
		id      string
		tenants []string
	}{{"1", []string{"t1", "t2", "t3", "t4", "t5"}}, {"2", []string{"u1", "u2", "u3"}}, {"10", []string{"v1"}}}
	for _, c := range cells {
		for _, tn := range c.tenants {
			fmt.Fprintf(&tsv, "%s\t%s\thttps://cell-%s.example.com\thttp://cell-%s.example.com\n", tn, c.id, c.id, c.id)
			if tn != "t2" { // t2 has no user: never chosen
				fmt.Fprintf(&csv, "user-%s,%s@example.com,%s\n", tn, tn, tn)
			}
		}
	}
	directory := writeFile(t, dir, "directory.tsv", tsv.String(), 0o644)
	users := writeFile(t, dir, "users.csv", csv.String(), 0o644)
	bin := binDir(t, dir) // no get-token: --plan never signs in
	plan := func(sample string) []string {
		t.Helper()
		args := []string{"--directory", directory, "--users", users, "--bin-dir", bin, "--plan"}
		if sample != "" {
			args = append(args, "--sample", sample)
		}
		r := runSmoke(t, []string{"COGNITO_PASSWORD="}, args...)
		if r.code != 0 {
			t.Fatalf("--plan --sample %s: exit %d\n%s", sample, r.code, r.stderr)
		}
		var chosen []string
		for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			chosen = append(chosen, strings.Split(l, "\t")[0])
		}
		return chosen
	}
	for _, tt := range []struct {
		sample string
		want   []string
	}{
		{"4", []string{"t1", "t3", "u1", "v1"}},
		{"5", []string{"t1", "t3", "u1", "u2", "v1"}},
		{"2", []string{"t1", "u1", "v1"}}, // raised to the number of cells
		{"1", []string{"t1", "u1", "v1"}},
		{"100", []string{"t1", "t3", "t4", "t5", "u1", "u2", "u3", "v1"}},
		{"", []string{"t1", "t3", "t4", "t5", "u1", "u2", "u3", "v1"}},
	} {
		got := plan(tt.sample)
		if !slices.Equal(got, tt.want) {
			t.Errorf("--sample %q chose %v, want %v", tt.sample, got, tt.want)
		}
	}
	if a, b := plan("5"), plan("5"); !slices.Equal(a, b) {
		t.Errorf("--sample 5 is not deterministic: %v then %v", a, b)
	}
	// A plan line: tenant, cell, user, URL.
	r := runSmoke(t, nil, "--directory", directory, "--users", users, "--bin-dir", bin, "--plan", "--sample", "3")
	if !strings.Contains(r.stdout, "v1\t10\tuser-v1\thttps://cell-10.example.com/v1/\n") {
		t.Errorf("plan output:\n%s", r.stdout)
	}
}

// TestSmokeUsersFileWithBOM: a users file exported by a spreadsheet (UTF-8
// byte-order mark, CRLF) works for smoke.sh as it does for seed-users.
func TestSmokeUsersFileWithBOM(t *testing.T) {
	dir := t.TempDir()
	users := writeFile(t, dir, "users.csv", "\xef\xbb\xbfusername,email,tenant\r\nalice,alice@example.com,tenant-A\r\nbob,bob@example.com,tenant-B\r\n", 0o644)
	bin := binDir(t, dir)
	r := runSmoke(t, nil, "--base-url", "https://alb.example.com", "--users", users, "--bin-dir", bin, "--plan")
	want := "tenant-A\t1\talice\thttps://alb.example.com/tenant-A/\ntenant-B\t1\tbob\thttps://alb.example.com/tenant-B/\n"
	if r.code != 0 || r.stdout != want {
		t.Fatalf("exit %d\nstdout %q\nwant   %q\nstderr %s", r.code, r.stdout, want, r.stderr)
	}
}
