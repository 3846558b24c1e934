package localproc

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/testutil"
)

// modeEnv switches the test binary into a child process (see TestMain).
const modeEnv = "LOCALPROC_TEST_MODE"

func TestMain(m *testing.M) {
	testutil.MainOrChild(m, modeEnv, map[string]func(){
		"print-exit": func() {
			fmt.Println("hello stdout")
			fmt.Fprintln(os.Stderr, "hello stderr")
			os.Exit(3)
		},
		"ignore-term": func() {
			signal.Ignore(syscall.SIGTERM)
			fmt.Println("ready")
			select {} // killed by SIGKILL; a blocked main with no other goroutine would panic, the signal goroutine prevents that
		},
		"grandchild": func() {
			self, _ := os.Executable()
			c := exec.Command(self)
			c.Env = append(os.Environ(), modeEnv+"=wait")
			if err := c.Start(); err != nil {
				os.Exit(4)
			}
			fmt.Printf("grandchild %d\n", c.Process.Pid)
			_ = c.Wait()
		},
		"wait": func() {
			ch := make(chan os.Signal, 1)
			signal.Notify(ch, syscall.SIGTERM)
			<-ch
			os.Exit(0)
		},
	})
}

func start(t *testing.T, mode string, o Options) *Process {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	o.Path = self
	o.Env = append(os.Environ(), modeEnv+"="+mode)
	p, err := Start(o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = p.Stop() })
	return p
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// lineWaiter is an Output that hands each line to the test.
func lineWaiter() (io.Writer, <-chan string) {
	r, w := io.Pipe()
	lines := make(chan string, 16)
	go func() {
		s := bufio.NewScanner(r)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	return w, lines
}

func TestLogFileAndTail(t *testing.T) {
	log := filepath.Join(t.TempDir(), "logs", "child.log")
	if err := os.MkdirAll(filepath.Dir(log), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(log, []byte("from an earlier run\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, "print-exit", Options{Name: "printer", LogFile: log})
	<-p.Exited()
	var ee *exec.ExitError
	if err := p.ExitError(); !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("ExitError = %v, want exit status 3", p.ExitError())
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"from an earlier run", "hello stdout", "hello stderr"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("log file lacks %q: %q", want, b)
		}
	}
	if tail := p.Tail(); strings.Contains(tail, "earlier run") || !strings.Contains(tail, "hello stderr") {
		t.Errorf("Tail = %q, want this run's output only", tail)
	}
	if p.LogFile() != log || p.Name() != "printer" {
		t.Errorf("LogFile %q Name %q", p.LogFile(), p.Name())
	}
	if fi, err := os.Stat(filepath.Dir(log)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("log dir: %v %v", fi, err)
	}
}

func TestTailIsBoundedWithoutLogFile(t *testing.T) {
	p := start(t, "print-exit", Options{TailSize: 8})
	<-p.Exited()
	// stdout and stderr share one pipe (same writer), so their order is kept.
	if tail := p.Tail(); tail != " stderr\n" {
		t.Fatalf("Tail = %q, want the last 8 bytes", tail)
	}
	tb := &tailBuffer{max: 4}
	_, _ = tb.Write([]byte("abcdefgh"))
	_, _ = tb.Write([]byte("ij"))
	if tb.String() != "ghij" {
		t.Fatalf("tailBuffer = %q", tb.String())
	}
}

func TestStopKillsAfterGrace(t *testing.T) {
	out, lines := lineWaiter()
	p := start(t, "ignore-term", Options{Output: out, Grace: 100 * time.Millisecond})
	if l := <-lines; l != "ready" {
		t.Fatalf("first line %q", l)
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if p.Alive() || alive(p.Pid()) {
		t.Fatal("process survived Stop")
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}

func TestStopReachesGrandchildren(t *testing.T) {
	out, lines := lineWaiter()
	p := start(t, "grandchild", Options{Output: out})
	pid, err := strconv.Atoi(strings.TrimPrefix(<-lines, "grandchild "))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if GroupAlive(p.Pid()) {
		t.Fatalf("process group %d still has members (grandchild %d)", p.Pid(), pid)
	}
}

func TestKillAndExited(t *testing.T) {
	out, lines := lineWaiter()
	p := start(t, "ignore-term", Options{Output: out})
	<-lines
	p.Kill()
	<-p.Exited()
	if p.ExitError() == nil || !strings.Contains(p.ExitError().Error(), "killed") {
		t.Fatalf("ExitError = %v", p.ExitError())
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop after exit: %v", err)
	}
}

func TestStartErrors(t *testing.T) {
	if _, err := Start(Options{}); err == nil {
		t.Fatal("Start without Path succeeded")
	}
	_, err := Start(Options{Name: "ghost", Path: "/nonexistent/ghost"})
	if err == nil || !strings.Contains(err.Error(), "ghost") {
		t.Fatalf("err = %v", err)
	}
}

func TestCheckPortFree(t *testing.T) {
	port := testutil.Listen(t).Addr().(*net.TCPAddr).Port
	err := CheckPortFree("127.0.0.1", port, "--cognito-port")
	if !errors.Is(err, ErrPortInUse) || !strings.Contains(err.Error(), "--cognito-port") || !strings.Contains(err.Error(), strconv.Itoa(port)) {
		t.Fatalf("busy port: %v", err)
	}
	if err := CheckPortFree("127.0.0.1", 0, "--http-port"); err == nil || !strings.Contains(err.Error(), "--http-port") {
		t.Fatalf("port 0: %v", err)
	}
	free, err := FreePort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckPortFree("127.0.0.1", free, "--x"); err != nil {
		t.Fatalf("free port: %v", err)
	}
}

func TestFreeAddrs(t *testing.T) {
	got, err := FreeAddrs("", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if got[0] == got[1] || !strings.HasPrefix(got[0], "127.0.0.1:") || strings.HasSuffix(got[1], ":0") {
		t.Fatalf("FreeAddrs = %v", got)
	}
	l := testutil.Listen(t)
	if _, err := FreeAddrs(l.Addr().String()); !errors.Is(err, ErrPortInUse) || !strings.Contains(err.Error(), l.Addr().String()) {
		t.Fatalf("busy: %v", err)
	}
	if _, err := FreeAddrs("nope"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("bad address: %v", err)
	}
}
