// Package testutil holds what the project's tests share: the CI check, the
// rule for a missing tool (skip with the install command on a developer
// machine, fail under CI), the TestMain of a test binary that doubles as a
// child process or needs things built once per run, and a buffer that a child process writes while the
// test reads it.
package testutil

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"testing"
)

// InCI reports whether the tests run under CI (CI=true). A test that would
// skip for a missing tool fails there instead: a silent skip in CI is a defect.
func InCI() bool { return os.Getenv("CI") == "true" }

// RequireTool returns the path of the executable name (looked up in PATH
// unless name contains a slash). When it is missing, the test is skipped with
// installHint (e.g. "apt-get install -y shellcheck"), or fails under CI.
func RequireTool(t testing.TB, name, installHint string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name+" not found ("+err.Error()+"); install it with: "+installHint)
	}
	return path
}

// Missing skips the test with reason, or fails it under CI. It is what
// RequireTool does for prerequisites that are not a single executable in PATH.
func Missing(t testing.TB, reason string) {
	t.Helper()
	if InCI() {
		t.Fatalf("%s (CI=true: refusing to skip)", reason)
		return
	}
	t.Skip(reason)
}

// MainOrChild is the TestMain of a test binary that also plays the child
// processes its tests start (re-executing os.Executable()): with the
// environment variable modeEnv unset or empty it runs the tests; set to a key
// of children, it runs that function instead, which ends the process with
// os.Exit or returns for exit status 0.
func MainOrChild(m *testing.M, modeEnv string, children map[string]func()) {
	mode := os.Getenv(modeEnv)
	if mode == "" {
		os.Exit(m.Run())
	}
	if child, ok := children[mode]; ok {
		child()
	}
}

// Listen returns a TCP listener on a free loopback port, closed when the test
// ends: a busy port for the tests of the port checks.
func Listen(t testing.TB) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// RunInTempDir is for the TestMain of a package whose tests need something
// built once per run (a testdata program, an emulator): it calls setup with a
// new temporary directory, runs the tests and removes the directory. It
// returns the exit status for os.Exit: 1, with the error on stderr and no
// test run, when the directory or setup fails.
func RunInTempDir(m *testing.M, pattern string, setup func(dir string) error) int {
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := setup(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// LockedBuffer is a bytes.Buffer safe for one writer (a child process, a
// logger) and a concurrent reader (the test).
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
