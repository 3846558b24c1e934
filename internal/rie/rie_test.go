package rie

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Binaries built once per test run by TestMain.
var emulatorPath, echoPath string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "rie-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	emulatorPath = filepath.Join(dir, "aws-lambda-rie")
	if err := BuildEmulator(ctx, emulatorPath); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	echoPath = filepath.Join(dir, "bootstrap")
	build := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-o", echoPath, "./testdata/echo")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build echo bootstrap: %v\n%s", err, out)
		return 1
	}
	return m.Run()
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
		wg.Add(1)
		go func() {
			defer wg.Done()
			payload := fmt.Sprintf(`{"echo":"%d","sleep":"20ms"}`, n)
			out, err := inst.Invoke(context.Background(), []byte(payload))
			if err != nil {
				errs <- err
				return
			}
			if !strings.Contains(string(out), fmt.Sprintf(`"echo":"%d"`, n)) {
				errs <- fmt.Errorf("call %d got %s", n, out)
			}
		}()
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

func TestInvokeAfterProcessDeathFails(t *testing.T) {
	inst := startEcho(t, nil)
	invokeJSON(t, inst, `{"echo":"warm"}`)
	if err := syscall.Kill(-inst.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-inst.exited
	if _, err := inst.Invoke(context.Background(), []byte(`{}`)); err == nil {
		t.Fatal("Invoke on a dead emulator must fail")
	}
}

func TestStopIsIdempotentAndKillsBootstrap(t *testing.T) {
	inst := startEcho(t, nil)
	invokeJSON(t, inst, `{"echo":"start bootstrap"}`) // bootstrap starts lazily
	pgid := inst.cmd.Process.Pid
	if err := inst.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := inst.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if err := syscall.Kill(-pgid, 0); err == nil {
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
