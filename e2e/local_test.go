// Package e2e runs the real local system end to end: `cmd/local` (cdk synth,
// cognito-local, the seed tool, one Lambda runtime emulator per tenant, the
// local ALB), then the curl smoke matrix from scripts/smoke.sh against it,
// then Ctrl-C, and checks that nothing is left running.
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
	"time"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/gobuild"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/localmode"
)

// syncBuffer collects a child's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
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

func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var ls []net.Listener
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

type localRun struct {
	cmd     *exec.Cmd
	out     *syncBuffer
	startup string // the console from the start to ready
	workDir string
	ports   []int
	done    chan error
}

func startLocal(t *testing.T, root, bin, workDir string, extra ...string) *localRun {
	t.Helper()
	ports := freePorts(t, 3)
	args := append([]string{
		"--work-dir", workDir,
		"--https-port", strconv.Itoa(ports[0]), "--http-port", strconv.Itoa(ports[1]), "--cognito-port", strconv.Itoa(ports[2]),
	}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = root
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &localRun{cmd: cmd, out: out, workDir: workDir, ports: ports, done: make(chan error, 1)}
	go func() { r.done <- cmd.Wait() }()
	t.Cleanup(func() {
		// Last resort if the test failed half-way: kill the whole group.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	})
	// A safety net, not a timing assumption: on a loaded 2-core machine a
	// cold synthesis alone has taken over three minutes.
	deadline := time.After(8 * time.Minute)
	for {
		// state.json is written after the ready table is printed.
		if _, err := os.Stat(filepath.Join(workDir, "state.json")); err == nil {
			r.startup = out.String()
			return r
		}
		select {
		case err := <-r.done:
			t.Fatalf("local mode exited before it was ready: %v\n%s", err, out.String())
		case <-deadline:
			t.Fatalf("local mode not ready after 8 minutes:\n%s", out.String())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// stop sends Ctrl-C and checks a clean exit with every port closed and no
// process left that belongs to this run.
func (r *localRun) stop(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatalf("local mode exit after Ctrl-C: %v\n%s", err, r.out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("local mode did not stop within 30 s of Ctrl-C\n%s", r.out.String())
	}
	for _, p := range r.ports {
		if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)), time.Second); err == nil {
			c.Close()
			t.Errorf("port %d still listening after Ctrl-C", p)
		}
	}
	if left := processesUnder(r.workDir); len(left) > 0 {
		t.Errorf("processes left running after Ctrl-C: %v", left)
	}
	if _, err := os.Stat(filepath.Join(r.workDir, "state.json")); err == nil {
		t.Error("state.json left behind after Ctrl-C")
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

	run := startLocal(t, root, bin, workDir)
	st, err := localmode.ReadState(workDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Tenants) < 2 {
		t.Fatalf("want at least two tenants for the cross-tenant cases, got %v", st.Tenants)
	}
	t.Logf("console at ready (%d lines):\n%s", strings.Count(run.startup, "\n"), run.startup)
	checkQuietStart(t, run.startup, st)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	smoke := exec.CommandContext(ctx, "bash", "scripts/smoke.sh",
		"--base-url", st.BaseURL, "--http-url", st.HTTPURL, "--cacert", st.CACert,
		"--users", st.UsersFile, "--passwords-file", st.PasswordsFile, "--client-id", st.ClientID,
		"--endpoint", st.CognitoURL, "--region", st.Region, "--bin-dir", st.BinDir)
	smoke.Dir = root
	smokeOut, err := smoke.CombinedOutput()
	t.Logf("smoke matrix:\n%s", smokeOut)
	if err != nil {
		t.Fatalf("smoke matrix failed: %v\nlocal mode output:\n%s", err, run.out.String())
	}
	if !strings.Contains(string(smokeOut), " passed, 0 failed") {
		t.Fatalf("smoke summary missing or failing:\n%s", smokeOut)
	}
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

	// A second start works, and finds the ports free again.
	second := startLocal(t, root, bin, workDir, "--assembly", st.Assembly)
	second.stop(t)
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
	if len(st.Cells) != 1 || st.Cells[0].Cell != "1" || st.Cells[0].BaseURL != st.BaseURL {
		t.Errorf("state cells %+v: want the one default cell at %s", st.Cells, st.BaseURL)
	}
	tsv, err := os.ReadFile(st.DirectoryTSV)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(tsv), "\n"); got != len(st.Tenants) {
		t.Errorf("directory.tsv has %d lines for %d tenants:\n%s", got, len(st.Tenants), tsv)
	}
	names := []string{"synth.log", "cognito-local.log", "seed-users.log", "alb-requests.log"}
	for _, tenant := range st.Tenants {
		names = append(names, "fn-"+tenant+".log")
	}
	for _, name := range names {
		if _, err := os.Stat(filepath.Join(st.LogsDir, name)); err != nil {
			t.Errorf("child log missing: %v", err)
		}
	}
	// Positive control: the children did print; it went to their files.
	if b, _ := os.ReadFile(filepath.Join(st.LogsDir, "fn-"+st.Tenants[0]+".log")); !strings.Contains(string(b), "(rapid)") {
		t.Errorf("fn-%s.log has no (rapid) line: the emulator's output did not reach its file:\n%s", st.Tenants[0], b)
	}
	if b, _ := os.ReadFile(filepath.Join(st.LogsDir, "cognito-local.log")); !strings.Contains(string(b), "Cognito Local running") {
		t.Errorf("cognito-local.log lacks cognito-local's start line:\n%s", b)
	}
}

// checkRequestConsole: after the smoke matrix the console has one short line
// per request naming tenants and priorities, and each function's own lines
// prefixed with its tenant, still nothing from the emulator.
func checkRequestConsole(t *testing.T, out string, st localmode.State) {
	t.Helper()
	tenant := st.Tenants[0]
	if !regexp.MustCompile(`(?m)^  GET /` + regexp.QuoteMeta(tenant) + `/\S* -> ` + regexp.QuoteMeta(tenant) + ` \(priority \d+\) 200 `).MatchString(out) {
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
