package rie

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/gobuild"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/localproc"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/testutil"
)

// Binaries built once per test run by TestMain.
var emulatorPath, echoPath string

func TestMain(m *testing.M) {
	os.Exit(testutil.RunInTempDir(m, "rie-test-", func(dir string) error {
		// Generous: on a loaded 2-core machine a cold build takes minutes.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		emulatorPath = filepath.Join(dir, "aws-lambda-rie")
		if err := BuildEmulator(ctx, emulatorPath); err != nil {
			return err
		}
		var err error
		echoPath, err = gobuild.Build(ctx, gobuild.Options{PackageDir: "testdata/echo", OutDir: filepath.Join(dir, "echo"), GOOS: "linux", GOARCH: runtime.GOARCH})
		if err != nil {
			return fmt.Errorf("build echo bootstrap: %w", err)
		}
		return nil
	}))
}

func startEcho(t *testing.T, env map[string]string) *Instance {
	t.Helper()
	inst, err := Start(context.Background(), Options{Emulator: emulatorPath, Bootstrap: echoPath, Env: env})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := inst.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return inst
}

func invokeJSON(t *testing.T, inst *Instance, payload string) map[string]string {
	t.Helper()
	out, err := inst.Invoke(context.Background(), []byte(payload))
	if err != nil {
		t.Fatalf("Invoke(%s): %v", payload, err)
	}
	var m map[string]string
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("Invoke(%s) returned %q: %v", payload, out, err)
	}
	return m
}

func TestInvokeEchoesPayloadAndFunctionEnv(t *testing.T) {
	t.Setenv("RIE_TEST_PARENT_SECRET", "must-not-leak")
	// LOG_LEVEL=verbose would make RIE exit if it configured the emulator.
	inst := startEcho(t, map[string]string{"TENANT_ID": "tenant-A", "AWS_LAMBDA_FUNCTION_NAME": "fnA", "LOG_LEVEL": "verbose"})
	if !strings.HasPrefix(inst.InvokeAddr(), "127.0.0.1:") || !strings.HasPrefix(inst.RuntimeAPIAddr(), "127.0.0.1:") {
		t.Fatalf("addresses not on loopback: %s %s", inst.InvokeAddr(), inst.RuntimeAPIAddr())
	}
	got := invokeJSON(t, inst, `{"echo":"hello"}`)
	want := map[string]string{"echo": "hello", "tenant": "tenant-A", "function": "fnA", "leak": "", "logLevel": "verbose"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestFunctionErrorIsReturnedAsPayload(t *testing.T) {
	inst := startEcho(t, nil)
	out, err := inst.Invoke(context.Background(), []byte(`{"fail":true}`))
	if err != nil {
		t.Fatalf("function error must not be an Invoke error, got %v", err)
	}
	if !strings.Contains(string(out), `"errorType"`) || !strings.Contains(string(out), "failed on request") {
		t.Fatalf("payload %q lacks errorType/errorMessage", out)
	}
	// The emulator survives a function error.
	if got := invokeJSON(t, inst, `{"echo":"again"}`); got["echo"] != "again" {
		t.Fatalf("after error: %v", got)
	}
}

// Without serialization RIE panics on the second overlapping invoke (see
// local-components.md §2); every call here must succeed.
func TestConcurrentInvokesAreSerialized(t *testing.T) {
	inst := startEcho(t, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for n := range 8 {
		wg.Go(func() {
			payload := fmt.Sprintf(`{"echo":"%d","sleep":"20ms"}`, n)
			out, err := inst.Invoke(context.Background(), []byte(payload))
			if err != nil {
				errs <- err
				return
			}
			if !strings.Contains(string(out), fmt.Sprintf(`"echo":"%d"`, n)) {
				errs <- fmt.Errorf("call %d got %s", n, out)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if !inst.Alive() {
		t.Fatal("emulator died under concurrent load")
	}
}

// An emulator that died (here: SIGKILL to its group) is started again by
// the next invoke, which succeeds; the restart is logged with its reason and
// counted.
func TestDeadEmulatorIsRestarted(t *testing.T) {
	var log testutil.LockedBuffer
	inst, err := Start(context.Background(), Options{Name: "fnA", Emulator: emulatorPath, Bootstrap: echoPath,
		Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Stop() })
	invokeJSON(t, inst, `{"echo":"warm"}`)
	inst.mu.Lock()
	dead := inst.proc
	inst.mu.Unlock()
	if err := syscall.Kill(-dead.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-dead.Exited()
	if inst.Alive() {
		t.Fatal("Alive after SIGKILL")
	}
	if got := invokeJSON(t, inst, `{"echo":"again"}`); got["echo"] != "again" {
		t.Fatalf("invoke after the restart: %v", got)
	}
	if st := inst.Stats(); st.Restarts != 1 || st.Invokes != 2 {
		t.Fatalf("Stats = %+v, want 1 restart, 2 invokes", st)
	}
	if inst.Pid() == dead.Pid() || localproc.GroupAlive(dead.Pid()) {
		t.Fatalf("old emulator %d still around, current %d", dead.Pid(), inst.Pid())
	}
	if l := log.String(); !strings.Contains(l, "restarting") || !strings.Contains(l, "killed") || !strings.Contains(l, "fnA") {
		t.Fatalf("restart not logged with its reason: %q", l)
	}
}

func TestStopIsIdempotentAndKillsBootstrap(t *testing.T) {
	inst := startEcho(t, nil)
	invokeJSON(t, inst, `{"echo":"start bootstrap"}`) // bootstrap starts lazily
	pgid := inst.Pid()
	boot := childPids(pgid) // the emulator runs the bootstrap in a group of its own
	if len(boot) != 1 {
		t.Fatalf("bootstrap not found: children %v", boot)
	}
	if err := inst.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := inst.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if !gone(boot[0]) {
		t.Fatalf("bootstrap %d still runs after Stop", boot[0])
	}
	if localproc.GroupAlive(pgid) {
		t.Fatalf("process group %d still has members after Stop", pgid)
	}
	if _, err := inst.Invoke(context.Background(), []byte(`{}`)); err == nil {
		t.Fatal("Invoke after Stop must fail")
	}
}

func TestStartValidatesAddresses(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"missing binaries", Options{}, "required"},
		{"public invoke address", Options{Emulator: emulatorPath, Bootstrap: echoPath, InvokeAddr: "0.0.0.0:0"}, "127.0.0.1"},
		{"same ports", Options{Emulator: emulatorPath, Bootstrap: echoPath, InvokeAddr: "127.0.0.1:45999", RuntimeAPIAddr: "127.0.0.1:45999"}, "45999"},
		{"bad address", Options{Emulator: emulatorPath, Bootstrap: echoPath, RuntimeAPIAddr: "nope"}, "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, err := Start(context.Background(), tt.o)
			if err == nil {
				_ = inst.Stop()
				t.Fatal("want error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestStartReportsBusyPort(t *testing.T) {
	first := startEcho(t, nil)
	for _, o := range []Options{
		{Emulator: emulatorPath, Bootstrap: echoPath, InvokeAddr: first.InvokeAddr()},
		{Emulator: emulatorPath, Bootstrap: echoPath, RuntimeAPIAddr: first.InvokeAddr()},
	} {
		inst, err := Start(context.Background(), o)
		if err == nil {
			_ = inst.Stop()
			t.Fatalf("Start on busy port %s must fail", first.InvokeAddr())
		}
		if !strings.Contains(err.Error(), first.InvokeAddr()) {
			t.Errorf("error %q does not name the busy address", err)
		}
	}
}

func TestBuildEnvIsMinimal(t *testing.T) {
	t.Setenv("RIE_TEST_PARENT_SECRET", "x")
	env := buildEnv(map[string]string{"TENANT_ID": "t", "PATH": "/custom"})
	joined := strings.Join(env, "\n")
	if strings.Contains(joined, "RIE_TEST_PARENT_SECRET") {
		t.Error("parent environment leaked")
	}
	if !strings.Contains(joined, "TENANT_ID=t") || !strings.Contains(joined, "PATH=/custom") {
		t.Errorf("function env missing or not overriding: %v", env)
	}
}
