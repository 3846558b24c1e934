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
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

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
	deadline := time.After(4 * time.Minute)
	for {
		if _, err := os.Stat(filepath.Join(workDir, "state.json")); err == nil {
			return r
		}
		select {
		case err := <-r.done:
			t.Fatalf("local mode exited before it was ready: %v\n%s", err, out.String())
		case <-deadline:
			t.Fatalf("local mode not ready after 4 minutes:\n%s", out.String())
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
	binDir := t.TempDir()
	bin := filepath.Join(binDir, "local")
	build := exec.Command("go", "build", "-o", bin, "./cmd/local")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build cmd/local: %v\n%s", err, out)
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
	second := startLocal(t, root, bin, workDir, "--template", st.Template)
	second.stop(t)
}
