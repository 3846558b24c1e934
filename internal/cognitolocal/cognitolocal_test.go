package cognitolocal_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/cognitolocal"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/cognitolocal/cltest"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/testutil"
)

// fakeModeEnv switches the test binary into a fake cognito-local (see TestMain).
const fakeModeEnv = "COGNITOLOCAL_TEST_FAKE"

func TestMain(m *testing.M) {
	testutil.MainOrChild(m, fakeModeEnv, map[string]func(){
		"exit": func() {
			fmt.Fprintln(os.Stderr, "fake failure: EADDRINUSE")
			os.Exit(1)
		},
		"ignore-term": func() {
			signal.Ignore(syscall.SIGTERM)
			http.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"ok":true}`) })
			_ = http.ListenAndServe(net.JoinHostPort(os.Getenv("HOST"), os.Getenv("PORT")), nil)
			os.Exit(3)
		},
	})
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func get(t *testing.T, url string) (int, string, error) {
	t.Helper()
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(body), err
}

func TestStartHealthStopRestart(t *testing.T) {
	bin := cltest.Binary(t)
	dir := t.TempDir()
	cfg := cltest.Config()
	cfgBefore, _ := json.Marshal(cfg)

	s, err := cognitolocal.Start(context.Background(), cognitolocal.Options{Dir: dir, Binary: bin, Config: cfg})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || s.URL() != "http://127.0.0.1:"+strconv.Itoa(s.Port()) {
		t.Fatalf("URL() = %q, Port() = %d", s.URL(), s.Port())
	}
	code, body, err := get(t, s.URL()+"/health")
	if err != nil || code != 200 || !strings.Contains(body, `"ok":true`) {
		t.Fatalf("health: code=%d body=%q err=%v", code, body, err)
	}

	// Config written, ServerConfig forced, caller's map untouched.
	raw, err := os.ReadFile(filepath.Join(dir, ".cognito", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var written map[string]any
	if err := json.Unmarshal(raw, &written); err != nil {
		t.Fatal(err)
	}
	if got := written["TokenConfig"].(map[string]any)["IssuerDomain"]; got != cltest.IssuerDomain {
		t.Errorf("IssuerDomain = %v", got)
	}
	sc := written["ServerConfig"].(map[string]any)
	if sc["hostname"] != "127.0.0.1" || sc["port"] != float64(s.Port()) {
		t.Errorf("ServerConfig = %v", sc)
	}
	if cfgAfter, _ := json.Marshal(cfg); string(cfgAfter) != string(cfgBefore) {
		t.Errorf("caller config modified: %s", cfgAfter)
	}
	if fi, err := os.Stat(filepath.Join(dir, ".cognito")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf(".cognito mode: %v %v", fi.Mode(), err)
	}

	// Busy port: a second server on the same port gives a clear error.
	_, err = cognitolocal.Start(context.Background(), cognitolocal.Options{Dir: t.TempDir(), Binary: bin, Port: s.Port(), PortFlag: "--cognito-port"})
	if !errors.Is(err, cognitolocal.ErrPortInUse) || !strings.Contains(err.Error(), strconv.Itoa(s.Port())) || !strings.Contains(err.Error(), "--cognito-port") {
		t.Fatalf("busy port: err = %v, want ErrPortInUse naming the port and the flag", err)
	}

	pid := s.Process()
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if alive(pid) {
		t.Fatalf("process %d still alive after Stop", pid)
	}
	// Port freed: we can bind it.
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port())))
	if err != nil {
		t.Fatalf("port not freed: %v", err)
	}
	_ = l.Close()

	// Second start in the same dir on the same port works.
	s2, err := cognitolocal.Start(context.Background(), cognitolocal.Options{Dir: dir, Binary: bin, Port: s.Port()})
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer s2.Stop()
	if code, _, err := get(t, s2.URL()+"/health"); err != nil || code != 200 {
		t.Fatalf("restart health: %d %v", code, err)
	}
	// Config nil keeps the previous file's content (IssuerDomain) and forces the server config.
	raw, _ = os.ReadFile(filepath.Join(dir, ".cognito", "config.json"))
	if !strings.Contains(string(raw), cltest.IssuerDomain) {
		t.Errorf("config with nil Options.Config lost existing content: %s", raw)
	}
}

func TestStartErrors(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		opts    cognitolocal.Options
		fake    string
		wantErr string
	}{
		{name: "no dir", opts: cognitolocal.Options{Binary: self}, wantErr: "Dir is required"},
		{name: "missing binary", opts: cognitolocal.Options{Binary: "/nonexistent/cognito-local"}, wantErr: "/nonexistent/cognito-local"},
		{name: "exits early", opts: cognitolocal.Options{Binary: self}, fake: "exit", wantErr: "exited before it became healthy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.opts.Binary != "" && tt.name != "no dir" {
				tt.opts.Dir = t.TempDir()
			}
			t.Setenv(fakeModeEnv, tt.fake)
			s, err := cognitolocal.Start(context.Background(), tt.opts)
			if err == nil {
				_ = s.Stop()
				t.Fatal("Start succeeded, want error")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestStartEarlyExitIncludesStderrTail(t *testing.T) {
	self, _ := os.Executable()
	t.Setenv(fakeModeEnv, "exit")
	_, err := cognitolocal.Start(context.Background(), cognitolocal.Options{Dir: t.TempDir(), Binary: self, Port: freePort(t)})
	if err == nil || !strings.Contains(err.Error(), "fake failure") {
		t.Fatalf("err = %v, want stderr tail", err)
	}
}

func TestStopKillsAfterGrace(t *testing.T) {
	self, _ := os.Executable()
	t.Setenv(fakeModeEnv, "ignore-term")
	s, err := cognitolocal.Start(context.Background(), cognitolocal.Options{Dir: t.TempDir(), Binary: self, StopGrace: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	pid := s.Process()
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	select {
	case <-s.Exited():
	default:
		t.Fatal("Exited() not closed after Stop")
	}
	if alive(pid) {
		t.Fatalf("process %d survived SIGKILL", pid)
	}
}

func TestStartCancelledContext(t *testing.T) {
	self, _ := os.Executable()
	t.Setenv(fakeModeEnv, "exit")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := cognitolocal.Start(ctx, cognitolocal.Options{Dir: t.TempDir(), Binary: self}); err == nil {
		t.Fatal("Start with cancelled context succeeded")
	}
}

func TestFindBinary(t *testing.T) {
	t.Run("env override missing", func(t *testing.T) {
		t.Setenv(cognitolocal.BinaryEnv, "/nonexistent/x")
		if _, err := cognitolocal.FindBinary(); err == nil || !strings.Contains(err.Error(), cognitolocal.BinaryEnv) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("not found tells how to install", func(t *testing.T) {
		t.Setenv(cognitolocal.BinaryEnv, "")
		t.Chdir(t.TempDir())
		_, err := cognitolocal.FindBinary()
		if err == nil || !strings.Contains(err.Error(), "npm ci --prefix tools/node") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("found from a subdirectory", func(t *testing.T) {
		t.Setenv(cognitolocal.BinaryEnv, "")
		root := t.TempDir()
		bin := filepath.Join(root, "tools", "node", "node_modules", ".bin", "cognito-local")
		if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		sub := filepath.Join(root, "a", "b")
		_ = os.MkdirAll(sub, 0o755)
		t.Chdir(sub)
		got, err := cognitolocal.FindBinary()
		if err != nil {
			testutil.Missing(t, "node not on PATH: "+err.Error())
		}
		if real, _ := filepath.EvalSymlinks(got); !reflect.DeepEqual(real, mustEval(t, bin)) {
			t.Fatalf("FindBinary = %s, want %s", got, bin)
		}
	})
}

func mustEval(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// The console belongs to local mode: cognito-local's output, including the
// WARN stack trace it logs for an expected "user does not exist", goes to
// its log file only, and the AWS SDK v2 end-of-support notice is suppressed.
func TestOutputGoesToLogFileOnly(t *testing.T) {
	bin := cltest.Binary(t)
	dir := t.TempDir()
	logFile := filepath.Join(dir, "logs", "cognito-local.log")
	var console testutil.LockedBuffer
	s, err := cognitolocal.Start(context.Background(), cognitolocal.Options{Dir: dir, Binary: bin, Config: cltest.Config(), LogFile: logFile,
		Pools: []cognitolocal.Pool{{ID: "us-east-1_Abcdefghi"}}})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	c := cltest.NewClient(s)
	_, err = c.AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: aws.String("us-east-1_Abcdefghi"), Username: aws.String("nobody")})
	var notFound *ciptypes.UserNotFoundException
	if !errors.As(err, &notFound) {
		t.Fatalf("AdminGetUser of a missing user: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "UserNotFoundError") || !strings.Contains(string(b), "Cognito Local running") {
		t.Errorf("log file lacks the startup line or the UserNotFoundError warning:\n%s", b)
	}
	if strings.Contains(string(b), "end-of-support") {
		t.Errorf("the AWS SDK v2 notice was printed:\n%s", b)
	}
	if !strings.Contains(s.Tail(), "UserNotFoundError") {
		t.Errorf("Tail lacks the latest output: %q", s.Tail())
	}
	if console.String() != "" {
		t.Errorf("console got output: %q", console.String())
	}
}

// Pools pre-seeds a pool with many groups in one file write; cognito-local
// serves them all.
func TestStartWithManyPreseededGroups(t *testing.T) {
	bin := cltest.Binary(t)
	const n = 1000
	groups := make([]string, n)
	for i := range groups {
		groups[i] = fmt.Sprintf("tenant-%04d", i)
	}
	pool := cognitolocal.Pool{ID: "us-east-1_Manygroup", Name: "many", Groups: groups,
		Options: map[string]any{"UsernameAttributes": []string{}, "MfaConfiguration": "OFF"}}
	dir := t.TempDir()
	start := time.Now()
	s, err := cognitolocal.Start(context.Background(), cognitolocal.Options{Dir: dir, Binary: bin, Config: cltest.Config(),
		LogFile: filepath.Join(dir, "cognito-local.log"), Pools: []cognitolocal.Pool{pool}})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	t.Logf("start with %d pre-seeded groups: %s", n, time.Since(start))
	c := cltest.NewClient(s)
	seen := map[string]bool{}
	in := &cip.ListGroupsInput{UserPoolId: aws.String(pool.ID)}
	for {
		out, err := c.ListGroups(context.Background(), in)
		if err != nil {
			t.Fatalf("ListGroups: %v", err)
		}
		for _, g := range out.Groups {
			seen[aws.ToString(g.GroupName)] = true
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	if len(seen) != n || !seen["tenant-0999"] {
		t.Fatalf("ListGroups returned %d groups, want %d", len(seen), n)
	}
	// The groups are real: a user can join one and a new group can be added.
	if _, err := c.CreateGroup(context.Background(), &cip.CreateGroupInput{UserPoolId: aws.String(pool.ID), GroupName: aws.String("tenant-new")}); err != nil {
		t.Fatalf("CreateGroup after pre-seeding: %v", err)
	}
	if _, err := c.GetGroup(context.Background(), &cip.GetGroupInput{UserPoolId: aws.String(pool.ID), GroupName: aws.String("tenant-0500")}); err != nil {
		t.Fatalf("GetGroup of a pre-seeded group: %v", err)
	}
}

func TestWritePoolRejects(t *testing.T) {
	for _, p := range []cognitolocal.Pool{{}, {ID: "../x"}, {ID: "clients"}, {ID: "p", Groups: []string{"a", "a"}}, {ID: "p", Groups: []string{""}}} {
		if err := cognitolocal.WritePool(t.TempDir(), p); err == nil {
			t.Errorf("WritePool(%+v) succeeded", p)
		}
	}
}
