package rie

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/invoke"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/localproc"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/testutil"
)

// fakeClock is the pool's clock in tests: idle times never depend on the scheduler.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newPool(t *testing.T, o PoolOptions) (*Pool, *fakeClock) {
	t.Helper()
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	o.Emulator, o.Bootstrap, o.Now = emulatorPath, echoPath, clock.Now
	if o.LogDir == "" {
		o.LogDir = t.TempDir()
	}
	p, err := NewPool(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p, clock
}

func poolInvoke(t *testing.T, f *Function, payload string) string {
	t.Helper()
	out, err := f.Invoke(context.Background(), []byte(payload))
	if err != nil {
		t.Fatalf("%s: Invoke(%s): %v", f.Name(), payload, err)
	}
	return string(out)
}

// pidOf is the pid of f's running emulator, 0 when it is cold.
func pidOf(f *Function) int {
	f.pool.mu.Lock()
	defer f.pool.mu.Unlock()
	if f.inst == nil {
		return 0
	}
	return f.inst.Pid()
}

func TestPoolStartsOnFirstInvokeOnce(t *testing.T) {
	p, _ := newPool(t, PoolOptions{})
	f := p.Function("tenant-a", map[string]string{"TENANT_ID": "tenant-a"})
	if st := p.Stats(); st.Warm != 0 || st.ColdStarts != 0 {
		t.Fatalf("a new pool runs something: %+v", st)
	}
	const n = 6
	var wg sync.WaitGroup
	colds := make(chan time.Duration, n)
	for range n {
		wg.Go(func() {
			ctx, info := invoke.WithInfo(context.Background())
			out, err := f.Invoke(ctx, []byte(`{"echo":"x"}`))
			if err != nil || !strings.Contains(string(out), `"tenant":"tenant-a"`) {
				t.Errorf("Invoke: %s %v", out, err)
			}
			colds <- info.ColdStart
		})
	}
	wg.Wait()
	close(colds)
	reported := 0
	for d := range colds {
		if d > 0 {
			reported++
		}
	}
	if st := p.Stats(); st.ColdStarts != 1 || st.Warm != 1 {
		t.Fatalf("concurrent first invokes: %+v, want one cold start", st)
	}
	if reported != 1 {
		t.Fatalf("%d invokes reported a cold start, want 1", reported)
	}
	// Warm now: no cold start reported.
	ctx, info := invoke.WithInfo(context.Background())
	if _, err := f.Invoke(ctx, []byte(`{}`)); err != nil || info.ColdStart != 0 {
		t.Fatalf("warm invoke: err %v, cold start %s", err, info.ColdStart)
	}
	if p.Function("tenant-a", nil) != f {
		t.Fatal("Function returned a second value for the same name")
	}
}

func TestPoolStopsIdleRuntimes(t *testing.T) {
	p, clock := newPool(t, PoolOptions{IdleTimeout: time.Minute})
	a, b := p.Function("a", nil), p.Function("b", nil)
	poolInvoke(t, a, `{}`)
	clock.Advance(30 * time.Second)
	poolInvoke(t, b, `{}`)
	pidA := pidOf(a)

	clock.Advance(30*time.Second - time.Nanosecond)
	if n := p.SweepIdle(); n != 0 {
		t.Fatalf("swept %d before the idle time", n)
	}
	clock.Advance(time.Nanosecond)
	if n := p.SweepIdle(); n != 1 || pidOf(a) != 0 || pidOf(b) == 0 {
		t.Fatalf("swept %d; a %d b %d: want only a stopped", n, pidOf(a), pidOf(b))
	}
	if localproc.GroupAlive(pidA) {
		t.Fatalf("a's emulator %d still runs", pidA)
	}
	poolInvoke(t, a, `{}`) // cold again
	if st := p.Stats(); st.ColdStarts != 3 || st.IdleStops != 1 || st.Warm != 2 {
		t.Fatalf("Stats = %+v", st)
	}
}

func TestPoolIdleTimeoutZeroNeverStops(t *testing.T) {
	p, clock := newPool(t, PoolOptions{})
	a := p.Function("a", nil)
	poolInvoke(t, a, `{}`)
	clock.Advance(1000 * time.Hour)
	if n := p.SweepIdle(); n != 0 || pidOf(a) == 0 {
		t.Fatalf("IdleTimeout 0 swept %d", n)
	}
}

func TestPoolEvictsLeastRecentlyUsed(t *testing.T) {
	p, clock := newPool(t, PoolOptions{MaxWarm: 2})
	a, b, c := p.Function("a", nil), p.Function("b", nil), p.Function("c", nil)
	poolInvoke(t, a, `{}`)
	clock.Advance(time.Second)
	poolInvoke(t, b, `{}`)
	clock.Advance(time.Second)
	poolInvoke(t, a, `{}`) // a is now the most recently used
	pidA, pidB := pidOf(a), pidOf(b)
	clock.Advance(time.Second)
	poolInvoke(t, c, `{}`)
	if pidOf(b) != 0 || localproc.GroupAlive(pidB) {
		t.Fatal("the least recently used runtime (b) was not stopped")
	}
	if pidOf(a) != pidA || pidOf(c) == 0 {
		t.Fatalf("a %d (was %d), c %d: want a and c warm", pidOf(a), pidA, pidOf(c))
	}
	if st := p.Stats(); st.Evictions != 1 || st.Warm != 2 {
		t.Fatalf("Stats = %+v", st)
	}
}

// With every runtime busy, a start waits for one to become idle; a runtime
// in use is never stopped.
func TestPoolWaitsWhenEveryRuntimeIsBusy(t *testing.T) {
	p, _ := newPool(t, PoolOptions{MaxWarm: 1})
	a, b := p.Function("a", nil), p.Function("b", nil)
	g := newGate(t)
	resA := make(chan error, 1)
	go func() {
		_, err := a.Invoke(context.Background(), []byte(`{"wait":"`+g.url+`"}`))
		resA <- err
	}()
	<-g.arrived
	resB := make(chan error, 1)
	go func() {
		_, err := b.Invoke(context.Background(), []byte(`{}`))
		resB <- err
	}()
	select {
	case err := <-resB:
		t.Fatalf("b ran (%v) while a, the only runtime allowed, was busy", err)
	default:
	}
	if pidOf(a) == 0 {
		t.Fatal("a busy runtime was stopped")
	}
	close(g.release)
	if err := <-resA; err != nil {
		t.Fatalf("a: %v", err)
	}
	if err := <-resB; err != nil {
		t.Fatalf("b: %v", err)
	}
	if st := p.Stats(); st.Evictions != 1 || st.Warm != 1 || pidOf(a) != 0 {
		t.Fatalf("Stats = %+v, a %d", st, pidOf(a))
	}
	// A caller that gives up waiting gets its error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Invoke(ctx, []byte(`{}`)); err == nil {
		t.Fatal("Invoke with an ended context succeeded")
	}
}

// children returns the live processes whose parent is this test process, as
// "pid (comm)" for messages.
func children(t *testing.T) []string {
	t.Helper()
	kids, err := liveChildren(os.Getpid())
	if err != nil {
		t.Skip("no /proc")
	}
	var out []string
	for _, k := range kids {
		out = append(out, k.stat)
	}
	return out
}

func TestPoolCloseLeavesNoProcess(t *testing.T) {
	before := len(children(t))
	p, _ := newPool(t, PoolOptions{})
	var pids, boots []int
	for _, name := range []string{"a", "b", "c"} {
		f := p.Function(name, nil)
		poolInvoke(t, f, `{}`)
		pids = append(pids, pidOf(f))
		boots = append(boots, childPids(pidOf(f))...)
	}
	if len(boots) != 3 {
		t.Fatalf("bootstraps %v, want 3", boots)
	}
	if got := len(children(t)); got != before+3 {
		t.Fatalf("%d children, want %d", got, before+3)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if localproc.GroupAlive(pid) {
			t.Errorf("emulator group %d survived Close", pid)
		}
	}
	for _, pid := range boots {
		if !gone(pid) {
			t.Errorf("bootstrap %d survived Close", pid)
		}
	}
	if got := children(t); len(got) != before {
		t.Fatalf("children after Close: %v", got)
	}
	if _, err := p.Function("a", nil).Invoke(context.Background(), []byte(`{}`)); err == nil {
		t.Fatal("Invoke after Close succeeded")
	}
}

func TestPoolLogFilesAndConsole(t *testing.T) {
	var console testutil.LockedBuffer
	logDir := t.TempDir()
	p, _ := newPool(t, PoolOptions{LogDir: logDir, Console: &console})
	poolInvoke(t, p.Function("tenant-a", nil), `{"log":"hello from a"}`)
	poolInvoke(t, p.Function("tenant-b", nil), `{"log":"hello from b"}`)
	if err := p.Close(); err != nil { // the output is complete once the processes are gone
		t.Fatal(err)
	}
	got := console.String()
	for _, want := range []string{"[tenant-a] hello from a\n", "[tenant-a] stderr: hello from a\n", "[tenant-b] hello from b\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("console lacks %q:\n%s", want, got)
		}
	}
	for _, noise := range []string{"(rapid)", "START", "END RequestId", "REPORT", "hello from b\n[tenant-a]"} {
		if strings.Contains(got, noise) {
			t.Errorf("console has %q:\n%s", noise, got)
		}
	}
	b, err := os.ReadFile(filepath.Join(logDir, "tenant-a.log"))
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); !strings.Contains(s, "(rapid)") || !strings.Contains(s, "hello from a") || strings.Contains(s, "hello from b") {
		t.Errorf("tenant-a.log:\n%s", s)
	}
}

func TestFunctionLinesFilter(t *testing.T) {
	var out strings.Builder
	w := &functionLines{prefix: []byte("[t] "), console: &out, mu: &sync.Mutex{}}
	for _, chunk := range []string{
		"02 Dec 2026 14:48:07,230 [INFO] (rapid) INIT START(type: on-demand, phase: init)\n",
		"START RequestId: 469c Version: $LATEST\nhel", "lo\r\n",
		"END RequestId: 469c\nREPORT RequestId: 469c\tDuration: 1 ms\n\n",
		`{"level":"info","msg":"handled"}` + "\n",
	} {
		_, _ = w.Write([]byte(chunk))
	}
	if got, want := out.String(), "[t] hello\n[t] {\"level\":\"info\",\"msg\":\"handled\"}\n"; got != want {
		t.Fatalf("console = %q, want %q", got, want)
	}
}

func TestNewPoolValidates(t *testing.T) {
	for _, o := range []PoolOptions{{}, {Emulator: "e", Bootstrap: "b"}, {Emulator: "e", Bootstrap: "b", LogDir: "d", IdleTimeout: -1}, {Emulator: "e", Bootstrap: "b", LogDir: "d", MaxWarm: -1}} {
		if p, err := NewPool(o); err == nil {
			_ = p.Close()
			t.Errorf("NewPool(%+v) succeeded", o)
		}
	}
}

// TestMeasureColdStartAndRSS reports (go test -v -run Measure) the cold start
// of one function (emulator start + first invoke) and the memory of one idle
// warm runtime: VmRSS of the emulator plus its bootstrap.
func TestMeasureColdStartAndRSS(t *testing.T) {
	p, _ := newPool(t, PoolOptions{})
	f := p.Function("measure", nil)
	began := time.Now()
	ctx, info := invoke.WithInfo(context.Background())
	if _, err := f.Invoke(ctx, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	total := time.Since(began)
	if info.ColdStart <= 0 {
		t.Fatalf("the first invoke reported no cold start (ColdStart = %v)", info.ColdStart)
	}
	began = time.Now()
	poolInvoke(t, f, `{}`)
	warm := time.Since(began)
	emulator := pidOf(f)
	boot := childPids(emulator)
	if len(boot) != 1 {
		t.Fatalf("emulator %d has children %v, want its bootstrap", emulator, boot)
	}
	rssE, rssB := vmRSSKiB(t, emulator), vmRSSKiB(t, boot[0])
	t.Logf("cold start: emulator ready %s, emulator start + first invoke %s; warm invoke %s; idle warm runtime VmRSS %d KiB (emulator %d + bootstrap %d)",
		info.ColdStart.Round(time.Microsecond), total.Round(time.Microsecond), warm.Round(time.Microsecond), rssE+rssB, rssE, rssB)
}

// childPids returns the live children of pid. (The emulator starts the
// bootstrap in a process group of its own.)
func childPids(pid int) []int {
	kids, _ := liveChildren(pid)
	var pids []int
	for _, k := range kids {
		pids = append(pids, k.pid)
	}
	return pids
}

// procChild is a live child process found in /proc.
type procChild struct {
	pid  int
	stat string // "<pid> <pid> (<comm>)": its /proc directory and the head of its stat line
}

// liveChildren returns the processes in /proc, other than zombies, whose
// parent is ppid.
func liveChildren(ppid int) ([]procChild, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	parent := strconv.Itoa(ppid)
	var out []procChild
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 2 && f[1] == parent && f[0] != "Z" {
			pid, _ := strconv.Atoi(e.Name())
			out = append(out, procChild{pid: pid, stat: e.Name() + " " + string(b[:i+1])})
		}
	}
	return out, nil
}

// gone reports whether pid has exited (a zombie has).
func gone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	return len(f) > 0 && (f[0] == "Z" || f[0] == "X")
}

func vmRSSKiB(t *testing.T, pid int) int {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}

// Both satisfy the local ALB's Invoker (internal/localalb).
var (
	_ interface {
		Invoke(context.Context, []byte) ([]byte, error)
	} = (*Function)(nil)
	_ interface {
		Invoke(context.Context, []byte) ([]byte, error)
	} = (*Instance)(nil)
)
