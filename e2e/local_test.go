// Package e2e runs the real local system end to end: `cmd/local` on a
// tenants file of three cells (cdk synth, cognito-local, the seed tool, one
// local ALB per cell, a Lambda runtime emulator per tenant from its first
// request), then the curl smoke matrix from scripts/smoke.sh across the
// cells (--directory), then Ctrl-C, and checks that nothing is left running
// and that a second start works.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/gobuild"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/localmode"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/localproc"
)

// syncBuffer collects a child's output while the test reads it, and lets
// the test wait for a line to appear (no polling, no sleeps).
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // closed and replaced at every Write
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{changed: make(chan struct{})} }

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.changed)
	s.changed = make(chan struct{})
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor blocks until the output contains want (true) or the process
// exits (false).
func (s *syncBuffer) waitFor(want string, exited <-chan struct{}) bool {
	for {
		s.mu.Lock()
		found, changed := strings.Contains(s.b.String(), want), s.changed
		s.mu.Unlock()
		if found {
			return true
		}
		select {
		case <-changed:
		case <-exited:
			return strings.Contains(s.String(), want)
		}
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// requireTools skips when a prerequisite is missing on a developer machine,
// and fails under CI, where .ci/run installs everything.
func requireTools(t *testing.T, root string) {
	t.Helper()
	missing := []string{}
	for _, bin := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	for _, p := range []string{"tools/node/node_modules/.bin/cdk", "tools/node/node_modules/.bin/cognito-local"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			missing = append(missing, p+" (npm ci --prefix tools/node)")
		}
	}
	if len(missing) == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("missing prerequisites under CI: %v", missing)
	}
	t.Skipf("missing prerequisites: %v", missing)
}

// portRanges returns, for each n in sizes, the first of n consecutive ports
// that were free a moment ago (the cells of local mode take --https-port+i
// and --http-port+i), the ranges distinct.
func portRanges(t *testing.T, sizes ...int) []int {
	t.Helper()
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	listen := func(port int) net.Listener {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			return nil
		}
		return l
	}
	var firsts []int
	for _, n := range sizes {
		for attempt := 0; ; attempt++ {
			if attempt == 100 {
				t.Fatalf("no %d consecutive free ports found", n)
			}
			l := listen(0)
			if l == nil {
				t.Fatal("cannot listen on 127.0.0.1")
			}
			first := l.Addr().(*net.TCPAddr).Port
			rng := []net.Listener{l}
			for p := first + 1; p < first+n; p++ {
				if l := listen(p); l != nil {
					rng = append(rng, l)
				}
			}
			if len(rng) == n {
				held = append(held, rng...)
				firsts = append(firsts, first)
				break
			}
			for _, l := range rng {
				l.Close()
			}
		}
	}
	return firsts
}

type localRun struct {
	cmd     *exec.Cmd
	out     *syncBuffer
	startup string // the console from the start to the ready table
	workDir string
	ports   []int // every port it listens on
	exited  chan struct{}
	err     error // the exit status, once exited is closed
}

// readyLine ends the ready table; state.json is written before it.
const readyLine = "Ctrl-C stops everything this command started."

// startLocal starts cmd/local for cells cells and waits for its ready table.
func startLocal(t *testing.T, root, bin, workDir string, cells int, extra ...string) *localRun {
	t.Helper()
	first := portRanges(t, cells, cells, 1)
	args := append([]string{
		"--work-dir", workDir,
		"--https-port", strconv.Itoa(first[0]), "--http-port", strconv.Itoa(first[1]), "--cognito-port", strconv.Itoa(first[2]),
	}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = root
	out := newSyncBuffer()
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &localRun{cmd: cmd, out: out, workDir: workDir, exited: make(chan struct{})}
	for i := 0; i < cells; i++ {
		r.ports = append(r.ports, first[0]+i, first[1]+i)
	}
	r.ports = append(r.ports, first[2])
	go func() { r.err = cmd.Wait(); close(r.exited) }()
	t.Cleanup(func() {
		// Last resort if the test failed half-way: kill the whole group.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	})
	// No deadline here: a cold synthesis on a loaded 2-core machine has
	// taken minutes; go test's -timeout bounds a hang.
	if !out.waitFor(readyLine, r.exited) {
		t.Fatalf("local mode exited before it was ready: %v\n%s", r.err, out.String())
	}
	r.startup = out.String()
	return r
}

// stop sends Ctrl-C and checks a clean exit with every port free and no
// process left that belongs to this run.
func (r *localRun) stop(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	<-r.exited
	if r.err != nil {
		t.Fatalf("local mode exit after Ctrl-C: %v\n%s", r.err, r.out.String())
	}
	for _, p := range r.ports {
		if err := localproc.CheckPortFree("127.0.0.1", p, "a port of local mode"); err != nil {
			t.Errorf("after Ctrl-C: %v", err)
		}
	}
	if left := processesUnder(r.workDir); len(left) > 0 {
		t.Errorf("processes left running after Ctrl-C: %v", left)
	}
	for _, name := range []string{"state.json", "directory.tsv", "directory.json"} {
		if _, err := os.Stat(filepath.Join(r.workDir, name)); err == nil {
			t.Errorf("%s left behind after Ctrl-C", name)
		}
	}
}

// processesUnder lists processes whose command line or working directory
// lies in dir (the runtime emulators, the handlers and cognito-local do).
func processesUnder(dir string) []string {
	entries, _ := os.ReadDir("/proc")
	var found []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		cwd, _ := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if strings.Contains(string(cmdline), dir) || strings.HasPrefix(cwd, dir) {
			found = append(found, fmt.Sprintf("%d %s", pid, strings.ReplaceAll(string(cmdline), "\x00", " ")))
		}
	}
	return found
}

// threeCells is the tenants file of the end-to-end run: tenant-A and
// tenant-B in cell 1, tenant-C in cell 2, tenant-D in cell eu-1.
const threeCells = "e2e/testdata/tenants-3cells.json"

func TestLocalModeSmokeMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: runs the whole local system")
	}
	root := repoRoot(t)
	requireTools(t, root)
	bin, err := gobuild.Build(context.Background(), gobuild.Options{
		PackageDir: filepath.Join(root, "cmd", "local"), OutDir: t.TempDir(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
	})
	if err != nil {
		t.Fatalf("build cmd/local: %v", err)
	}
	workDir := filepath.Join(t.TempDir(), "work")

	run := startLocal(t, root, bin, workDir, 3, "--context", "tenantsFile="+threeCells)
	st, err := localmode.ReadState(workDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("console at ready (%d lines):\n%s", strings.Count(run.startup, "\n"), run.startup)
	checkQuietStart(t, run.startup, st)

	smoke := exec.Command("bash", "scripts/smoke.sh",
		"--directory", st.DirectoryTSV, "--cacert", st.CACert,
		"--users", st.UsersFile, "--passwords-file", st.PasswordsFile, "--client-id", st.ClientID,
		"--endpoint", st.CognitoURL, "--region", st.Region, "--bin-dir", st.BinDir)
	smoke.Dir = root
	smokeOut, err := smoke.CombinedOutput()
	t.Logf("smoke matrix:\n%s", smokeOut)
	if err != nil {
		t.Fatalf("smoke matrix failed: %v\nlocal mode output:\n%s", err, run.out.String())
	}
	checkSmoke(t, string(smokeOut))
	checkRequestConsole(t, run.out.String(), st)

	// Secrets never reach the console or the logs.
	passwords := map[string]string{}
	raw, err := os.ReadFile(st.PasswordsFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &passwords); err != nil {
		t.Fatal(err)
	}
	for user, pw := range passwords {
		if strings.Contains(run.out.String(), pw) || strings.Contains(string(smokeOut), pw) {
			t.Errorf("the password of %s appears in the output", user)
		}
	}
	if strings.Contains(run.out.String(), "eyJ") {
		t.Error("something that looks like a JWT appears in the local mode output")
	}
	if fi, err := os.Stat(st.PasswordsFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("passwords file mode: %v %v, want 0600", fi.Mode().Perm(), err)
	}
	run.stop(t)

	// A second start works (the same cloud assembly, no synthesis), and
	// finds its ports free again.
	second := startLocal(t, root, bin, workDir, 3, "--assembly", st.Assembly)
	st2, err := localmode.ReadState(workDir)
	if err != nil || st2.Assembly != st.Assembly {
		t.Errorf("second start: %v, assembly %s", err, st2.Assembly)
	}
	if strings.Contains(second.startup, "synthesizing") {
		t.Errorf("the second start synthesized again:\n%s", second.startup)
	}
	checkQuietStart(t, second.startup, st2)
	second.stop(t)
}

// checkSmoke: the whole matrix passed, cross-cell and wrong-cell cases
// included.
func checkSmoke(t *testing.T, out string) {
	t.Helper()
	if !regexp.MustCompile(`(?m)^\d+ passed, 0 failed$`).MatchString(out) || strings.Contains(out, "\nFAIL ") {
		t.Errorf("smoke summary missing or failing:\n%s", out)
	}
	for _, c := range []string{"PASS cross-cell:tenant-A->tenant-C ", "PASS cross-cell:tenant-D->tenant-A ", "PASS wrong-cell:", "PASS cross-tenant:tenant-A->tenant-B "} {
		if !strings.Contains(out, c) {
			t.Errorf("smoke output lacks %q:\n%s", c, out)
		}
	}
}

// noiseLine matches what other programs print that must not reach the
// console: stack frames, Node's and the AWS SDK's notices, cognito-local's
// WARN lines, the runtime emulator's own lines, colour codes.
var noiseLine = regexp.MustCompile(`Error:|^\s+at |\(rapid\)|WARN|NodeJS|Node \d+ is end-of-life|end-of-support|end-of-life|^!!|\x1b\[|^(START|END|REPORT) RequestId`)

// cdkLogicalID matches a CDK logical id (construct path + 8 hex digits).
var cdkLogicalID = regexp.MustCompile(`\b[A-Z][A-Za-z0-9]*[0-9A-F]{8}\b`)

// consoleNoise returns the lines of out that come from a child process.
func consoleNoise(out string) []string {
	var bad []string
	for _, line := range strings.Split(out, "\n") {
		if noiseLine.MatchString(line) {
			bad = append(bad, line)
		}
	}
	return bad
}

// checkQuietStart: a clean start prints progress and the ready table only;
// what the children printed is in their log files.
func checkQuietStart(t *testing.T, startup string, st localmode.State) {
	t.Helper()
	if bad := consoleNoise(startup); len(bad) > 0 {
		t.Errorf("the console at ready has %d line(s) from child processes:\n%s", len(bad), strings.Join(bad, "\n"))
	}
	if !strings.Contains(startup, "] ready\n") || !strings.Contains(startup, "Ctrl-C stops everything") {
		t.Errorf("no ready line or table:\n%s", startup)
	}
	for _, c := range st.Cells {
		if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(c.Cell) + ` +` + regexp.QuoteMeta(c.BaseURL) + ` +` + regexp.QuoteMeta(c.HTTPURL) + ` `).MatchString(startup) {
			t.Errorf("the ready table has no row for cell %s:\n%s", c.Cell, startup)
		}
	}
	var ids []string
	for _, c := range st.Cells {
		ids = append(ids, c.Cell+":"+strings.Join(c.Tenants, ","))
	}
	if got := strings.Join(ids, " "); got != "1:tenant-A,tenant-B 2:tenant-C eu-1:tenant-D" || st.Cells[0].BaseURL != st.BaseURL {
		t.Errorf("state cells %s (first at %s, want %s)", got, st.Cells[0].BaseURL, st.BaseURL)
	}
	if !strings.Contains(startup, "scripts/smoke.sh --directory ") {
		t.Errorf("the banner's smoke line does not use the directory:\n%s", startup)
	}
	tsv, err := os.ReadFile(st.DirectoryTSV)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(tsv), "\n"); got != len(st.Tenants) {
		t.Errorf("directory.tsv has %d lines for %d tenants:\n%s", got, len(st.Tenants), tsv)
	}
	for _, name := range []string{"cognito-local.log", "seed-users.log", "alb-requests.log", "runtimes.log"} {
		if _, err := os.Stat(filepath.Join(st.LogsDir, name)); err != nil {
			t.Errorf("child log missing: %v", err)
		}
	}
	// Runtimes start on a tenant's first request: none before it.
	if fns, _ := filepath.Glob(filepath.Join(st.LogsDir, "fn-*.log")); len(fns) > 0 {
		t.Errorf("runtimes started before any request: %v", fns)
	}
	// Positive control: the children did print; it went to their files.
	if b, _ := os.ReadFile(filepath.Join(st.LogsDir, "cognito-local.log")); !strings.Contains(string(b), "Cognito Local running") {
		t.Errorf("cognito-local.log lacks cognito-local's start line:\n%s", b)
	}
}

// checkRequestConsole: after the smoke matrix the console has one short line
// per request naming tenants and priorities, and each function's own lines
// prefixed with its tenant, still nothing from the emulator.
func checkRequestConsole(t *testing.T, out string, st localmode.State) {
	t.Helper()
	for _, tenant := range st.Tenants {
		// Positive control: each runtime printed; it went to its file.
		if b, _ := os.ReadFile(filepath.Join(st.LogsDir, "fn-"+tenant+".log")); !strings.Contains(string(b), "(rapid)") {
			t.Errorf("fn-%s.log has no (rapid) line: the emulator's output did not reach its file:\n%s", tenant, b)
		}
	}
	if !regexp.MustCompile(`(?m)^  cell \S+  GET /tenant-\S+ -> tenant-\S+ \(priority \d+\) 200 .*\(cold start \d+(\.\d)? ms\)$`).MatchString(out) {
		t.Errorf("no request line with a cold start on the console:\n%s", out)
	}
	tenant := st.Tenants[0]
	if !regexp.MustCompile(`(?m)^  cell 1  GET /` + regexp.QuoteMeta(tenant) + `/\S* -> ` + regexp.QuoteMeta(tenant) + ` \(priority \d+\) 200 `).MatchString(out) {
		t.Errorf("no request line naming %s and its priority on the console:\n%s", tenant, out)
	}
	if !strings.Contains(out, "\n["+tenant+"] {") {
		t.Errorf("no function line prefixed [%s] on the console:\n%s", tenant, out)
	}
	for _, noise := range []string{"(rapid)", "RequestId:"} {
		if strings.Contains(out, noise) {
			t.Errorf("the console shows the emulator's %q lines:\n%s", noise, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, " -> ") && cdkLogicalID.MatchString(line) {
			t.Errorf("a request line names a CDK logical id: %s", line)
		}
	}
	b, err := os.ReadFile(filepath.Join(st.LogsDir, "alb-requests.log"))
	if err != nil || !strings.Contains(string(b), `"rule":"`) {
		t.Errorf("alb-requests.log lacks the full structured lines: %v\n%s", err, b)
	}
}
