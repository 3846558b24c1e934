package localalb

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/rie"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/testutil"
)

// Built once per package test run by TestMain.
var rieBinary, bootstrapBinary string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "localalb-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rieBinary = filepath.Join(dir, "aws-lambda-rie")
	if err := rie.BuildEmulator(ctx, rieBinary); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	bootstrapBinary = filepath.Join(dir, "bootstrap")
	build := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-o", bootstrapBinary, "./testdata/bootstrap")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build test bootstrap: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// stack is the contract template served for real: HTTPS + HTTP listeners on
// 127.0.0.1, one RIE per function, a JWKS on 127.0.0.1.
type stack struct {
	alb    *ALB
	idp    *testIdP
	rie    map[string]*rie.Instance
	client *http.Client
	certPM []byte
}

func startStack(t testing.TB, logger *slog.Logger) *stack {
	t.Helper()
	m, err := LoadTemplate(readTemplate(t), testResolver())
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{idp: newTestIdP(t), rie: map[string]*rie.Instance{}}
	invokers := map[string]Invoker{}
	ids := make([]string, 0, len(m.Functions))
	for id := range m.Functions {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		inst, err := rie.Start(context.Background(), rie.Options{
			Emulator: rieBinary, Bootstrap: bootstrapBinary, Env: m.Functions[id].RuntimeEnv(m.Region),
		})
		if err != nil {
			t.Fatalf("start RIE for %s: %v", id, err)
		}
		t.Cleanup(func() { _ = inst.Stop() })
		s.rie[id] = inst
		invokers[id] = inst
	}
	cert, certPEM, err := SelfSignedCertificate(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s.certPM = certPEM
	if logger == nil {
		logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	s.alb, err = New(m, Options{
		ListenerAddrs:  map[int]string{80: "127.0.0.1:0", 443: "127.0.0.1:0"},
		JWKSRewrites:   s.idp.rewrites(),
		Invokers:       invokers,
		TLSCertificate: &cert,
		Logger:         logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.alb.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.alb.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		t.Fatal("certificate PEM not usable")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConnsPerHost: 8, Proxy: nil}
	s.client = &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Cleanup(tr.CloseIdleConnections)
	return s
}

func (s *stack) get(t testing.TB, url, token string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestEndToEndWithRIE(t *testing.T) {
	logs := &testutil.LockedBuffer{}
	s := startStack(t, slog.New(slog.NewJSONHandler(logs, nil)))
	base := s.alb.URL(443)
	tokA := s.idp.token(t, "tenant-A", nil)
	tokB := s.idp.token(t, "tenant-B", nil)

	resp, body := s.get(t, base+"/tenant-A/orders/7?x=1&x=2", tokA)
	if resp.StatusCode != 200 || resp.Header.Get("X-Tenant") != "tenant-A" {
		t.Fatalf("tenant A: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	if resp.TLS == nil || resp.TLS.Version != tls.VersionTLS13 {
		t.Errorf("TLS version %x, want TLS 1.3", resp.TLS.Version)
	}
	if resp.Header.Get("Connection") == "close-me" {
		t.Error("hop-by-hop Connection header from the Lambda was passed through")
	}
	var ev struct {
		Path    string            `json:"path"`
		Query   map[string]string `json:"queryStringParameters"`
		Headers map[string]string `json:"headers"`
	}
	if err := json.Unmarshal([]byte(body), &ev); err != nil {
		t.Fatalf("echo body %q: %v", body, err)
	}
	if ev.Path != "/orders/7" || ev.Query["x"] != "2" || ev.Headers["authorization"] != "Bearer "+tokA ||
		ev.Headers["x-forwarded-proto"] != "https" || ev.Headers["x-forwarded-port"] != "443" {
		t.Errorf("event seen by the Go Lambda: %+v", ev)
	}

	tests := []struct {
		name, path, token string
		wantStatus        int
		check             func(t *testing.T, resp *http.Response, body string)
	}{
		{"tenant B", "/tenant-B/", tokB, 200, func(t *testing.T, resp *http.Response, body string) {
			if resp.Header.Get("X-Tenant") != "tenant-B" || !strings.Contains(body, `"path":"/"`) {
				t.Errorf("tenant B: %v %s", resp.Header, body)
			}
		}},
		{"cross tenant", "/tenant-B/", tokA, 401, nil},
		{"no token", "/tenant-A", "", 401, nil},
		{"default rule", "/", tokA, 404, func(t *testing.T, _ *http.Response, body string) {
			if body != "Not Found" {
				t.Errorf("body %q", body)
			}
		}},
		{"function error", "/tenant-A/error", tokA, 502, nil},
		{"response without statusCode", "/tenant-A/badjson", tokA, 502, nil},
		{"response over 1 MB", "/tenant-A/big", tokA, 502, nil},
		{"base64 response", "/tenant-A/b64", tokA, 200, func(t *testing.T, resp *http.Response, body string) {
			if body != "\x00\x01\x02\xff" || resp.Header.Get("Content-Length") != "4" {
				t.Errorf("b64 body %q headers %v", body, resp.Header)
			}
		}},
		{"still alive after errors", "/tenant-A/ok", tokA, 200, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := s.get(t, base+tt.path, tt.token)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %.200s", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.check != nil {
				tt.check(t, resp, body)
			}
		})
	}

	// HTTP → HTTPS redirect lands on the local HTTPS port (ALB-T5).
	resp, _ = s.get(t, s.alb.URL(80)+"/tenant-A/x?y=1", "")
	if want := "https://127.0.0.1:" + portOf(s.alb.Addr(443)) + "/tenant-A/x?y=1"; resp.StatusCode != 301 || resp.Header.Get("Location") != want {
		t.Errorf("redirect %d %q, want 301 %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}

	// Concurrent requests to one function are serialized by rie.Instance.
	var wg sync.WaitGroup
	errs := make(chan string, 32)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 4 {
				req, _ := http.NewRequest("GET", base+"/tenant-A/c", nil)
				req.Header.Set("Authorization", "Bearer "+tokA)
				resp, err := s.client.Do(req)
				if err != nil {
					errs <- err.Error()
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- fmt.Sprintf("status %d", resp.StatusCode)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error("concurrent:", e)
	}
	if n := s.alb.KeySet().Fetches(); n != 1 {
		t.Errorf("JWKS fetched %d times while warm, want 1", n)
	}
	if strings.Contains(logs.String(), tokA[:24]) {
		t.Error("token in the request log")
	}

	// A dead runtime answers 502.
	if err := s.rie["TenantFunctionTenantA"].Stop(); err != nil {
		t.Fatal(err)
	}
	if resp, _ := s.get(t, base+"/tenant-A/x", tokA); resp.StatusCode != 502 {
		t.Errorf("dead runtime: status %d, want 502", resp.StatusCode)
	}
}

func portOf(addr string) string {
	i := strings.LastIndexByte(addr, ':')
	return addr[i+1:]
}

func TestTLSPolicyRejectsTLS12(t *testing.T) {
	s := startStack(t, nil)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.certPM)
	conn, err := tls.Dial("tcp", s.alb.Addr(443), &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS12})
	if err == nil {
		conn.Close()
		t.Fatal("TLS 1.2 handshake succeeded on an ELBSecurityPolicy-TLS13-1-3 listener")
	}
	conn, err = tls.Dial("tcp", s.alb.Addr(443), &tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err != nil {
		t.Fatalf("TLS 1.3 with SAN localhost: %v", err)
	}
	conn.Close()
}

func TestBusyPortIsAClearError(t *testing.T) {
	s := startStack(t, nil)
	m := s.alb.Model()
	other, err := New(m, Options{
		ListenerAddrs:  map[int]string{80: "127.0.0.1:0", 443: s.alb.Addr(443)},
		JWKSRewrites:   s.idp.rewrites(),
		Invokers:       map[string]Invoker{"TenantFunctionTenantA": &fakeInvoker{}, "TenantFunctionTenantB": &fakeInvoker{}},
		TLSCertificate: s.alb.opts.TLSCertificate,
	})
	if err != nil {
		t.Fatal(err)
	}
	err = other.Start()
	if err == nil {
		_ = other.Shutdown(context.Background())
		t.Fatal("Start on a busy port succeeded")
	}
	if !strings.Contains(err.Error(), s.alb.Addr(443)) || !strings.Contains(err.Error(), "443") {
		t.Fatalf("error does not name the port: %v", err)
	}
	// The 80 listener opened before the failure must have been released.
	if err := other.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}
