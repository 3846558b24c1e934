package rie

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// gate is an HTTP endpoint the echo handler's "wait" calls: the test learns
// that the invoke is running (arrived) and decides when it ends (release).
type gate struct {
	url     string
	arrived chan struct{}
	release chan struct{}
}

func newGate(t *testing.T) *gate {
	g := &gate{arrived: make(chan struct{}, 4), release: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.arrived <- struct{}{}
		<-g.release
	}))
	t.Cleanup(srv.Close)
	g.url = srv.URL + "/wait"
	return g
}

// A caller that gives up mid-invoke gets its error at once; the emulator is
// not sent the next invoke until the first has finished, and the next
// request is a 200 from the same, still warm emulator (issue 7, item 4).
func TestCancelledInvokeDoesNotOverlapNext(t *testing.T) {
	inst := startEcho(t, nil)
	invokeJSON(t, inst, `{"echo":"warm"}`)
	pid := inst.Pid()
	g := newGate(t)

	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := inst.Invoke(ctx, []byte(`{"wait":"`+g.url+`"}`))
		first <- err
	}()
	<-g.arrived // the function is running
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled invoke: %v, want context.Canceled", err)
	}
	if !inst.Busy() {
		t.Fatal("the emulator is still running the first invoke but the instance is not busy")
	}

	next := make(chan error, 1)
	var got []byte
	go func() {
		var err error
		got, err = inst.Invoke(context.Background(), []byte(`{"echo":"next"}`))
		next <- err
	}()
	select {
	case err := <-next:
		t.Fatalf("the next invoke finished (%v) while the first was still running", err)
	default:
	}
	close(g.release) // let the first invoke finish
	if err := <-next; err != nil {
		t.Fatalf("next invoke: %v", err)
	}
	if !strings.Contains(string(got), `"echo":"next"`) {
		t.Fatalf("next invoke returned %s", got)
	}
	if st := inst.Stats(); st.Restarts != 0 || inst.Pid() != pid {
		t.Fatalf("the emulator was restarted (%+v): the invokes overlapped", st)
	}
	// A context that has already ended never reaches the emulator.
	done, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	if _, err := inst.Invoke(done, []byte(`{}`)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Invoke: %v", err)
	}
}

// Stop ends an invoke that is still running.
func TestStopEndsRunningInvoke(t *testing.T) {
	inst := startEcho(t, nil)
	g := newGate(t)
	defer close(g.release)
	res := make(chan error, 1)
	go func() {
		_, err := inst.Invoke(context.Background(), []byte(`{"wait":"`+g.url+`"}`))
		res <- err
	}()
	<-g.arrived
	if err := inst.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := <-res; err == nil {
		t.Fatal("invoke survived Stop")
	}
}

func TestOutputGoesToLogFile(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "logs", "fnA.log")
	inst, err := Start(context.Background(), Options{Emulator: emulatorPath, Bootstrap: echoPath, LogFile: logFile})
	if err != nil {
		t.Fatal(err)
	}
	invokeJSON(t, inst, `{"log":"hello from the function"}`)
	if err := inst.Stop(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"(rapid)", "hello from the function", "START RequestId", "REPORT RequestId"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("log file lacks %q:\n%s", want, b)
		}
	}
}
