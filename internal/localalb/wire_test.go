package localalb

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// page401 is the page a live ALB sent for a missing token and for another
// tenant's token (docs/alb-behaviour.md §1.8).
const page401 = "<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n" +
	"<center><h1>401 Authorization Required</h1></center>\r\n</body>\r\n</html>\r\n"

func TestGeneratedPagesUseNginxReasons(t *testing.T) {
	env := newTestEnv(t, readTemplate(t), nil)
	for _, h := range []http.Header{nil, bearer(env.idp.token(t, "tenant-B", nil))} {
		resp := env.do(t, 443, "GET", "/tenant-A/x", h, "")
		if body := readBody(t, resp); resp.StatusCode != 401 || body != page401 {
			t.Errorf("401 page: status %d body %q, want %q", resp.StatusCode, body, page401)
		}
	}
	title := func(status int, reason string) string {
		return "<title>" + strconv.Itoa(status) + " " + reason + "</title>"
	}
	noTarget := newTestEnv(t, tpl(t, map[string]string{
		"R":  rule("1", `[{"Field":"path-pattern","Values":["/*"]}]`, forwardTG, ""),
		"TG": `{"Type":"AWS::ElasticLoadBalancingV2::TargetGroup","Properties":{"TargetType":"lambda"}}`,
	}), nil)
	if body := readBody(t, noTarget.do(t, 443, "GET", "/", nil, "")); !strings.Contains(body, title(503, "Service Temporarily Unavailable")) {
		t.Errorf("503 page: %q", body)
	}
	fwd := newTestEnv(t, tpl(t, map[string]string{"R": rule("1", `[{"Field":"path-pattern","Values":["/*"]}]`, forwardTG, "")}), nil)
	if body := readBody(t, fwd.do(t, 443, "POST", "/", nil, strings.Repeat("a", maxLambdaRequestBody+1))); !strings.Contains(body, title(413, "Request Entity Too Large")) {
		t.Errorf("413 page: %q", body)
	}
	for status, want := range map[int]string{301: "Moved Permanently", 302: "Found", 400: "Bad Request",
		500: "Internal Server Error", 502: "Bad Gateway", 504: "Gateway Time-out"} {
		if got := errorPage(status); !strings.Contains(got, title(status, want)) || !strings.Contains(got, "<h1>"+strconv.Itoa(status)+" "+want+"</h1>") {
			t.Errorf("errorPage(%d) = %q", status, got)
		}
	}
}

// withHTTPListener adds a plain HTTP listener on template port 80.
func withHTTPListener(t testing.TB) []byte {
	return tpl(t, map[string]string{
		"L80": `{"Type":"AWS::ElasticLoadBalancingV2::Listener","Properties":{"LoadBalancerArn":{"Ref":"LB"},"Port":80,"Protocol":"HTTP",
			"DefaultActions":[{"Type":"fixed-response","FixedResponseConfig":{"StatusCode":"200","ContentType":"text/plain","MessageBody":"ok"}}]}}`,
	})
}

// rawRequest writes req on a new TCP connection to addr and returns the
// response status and body.
func rawRequest(t *testing.T, addr, req string) (int, string, http.Header) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, readBody(t, resp), resp.Header
}

func TestWireDetails(t *testing.T) {
	env := newTestEnv(t, withHTTPListener(t), nil)
	if err := env.alb.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.alb.Shutdown(context.Background()) })
	addr := env.alb.Addr(80)
	long := func(n int) string { return strings.Repeat("a", n) }
	// A request line of exactly 16 KB: "GET " + target + " HTTP/1.1".
	lineTarget := func(total int) string { return "/" + long(total-len("GET ")-len(" HTTP/1.1")-1) }
	tests := []struct {
		name, req  string
		wantStatus int
		wantReason string
	}{
		{"OPTIONS * is the ALB's, not Go's (ALB-A19)", "OPTIONS * HTTP/1.1\r\nHost: h.example.com\r\n\r\n", 400, "InvalidRequestTarget"},
		{"raw # in the path", "GET /a#b HTTP/1.1\r\nHost: h.example.com\r\n\r\n", 400, "InvalidRequestTarget"},
		{"raw # in the query", "GET /a?x=1#b HTTP/1.1\r\nHost: h.example.com\r\n\r\n", 400, "InvalidRequestTarget"},
		{"request line of 16 KB", "GET " + lineTarget(16<<10) + " HTTP/1.1\r\nHost: h.example.com\r\n\r\n", 200, ""},
		{"request line over 16 KB", "GET " + lineTarget(16<<10+1) + " HTTP/1.1\r\nHost: h.example.com\r\n\r\n", 400, "RequestLineTooLong"},
		{"header of 16 KB", "GET / HTTP/1.1\r\nHost: h.example.com\r\nX-Big: " + long(16<<10-len("X-Big: ")) + "\r\n\r\n", 200, ""},
		{"header over 16 KB", "GET / HTTP/1.1\r\nHost: h.example.com\r\nX-Big: " + long(16<<10-len("X-Big: ")+1) + "\r\n\r\n", 400, "HeaderTooLong"},
		{"header block over 64 KB (the ALB's 400, not Go's 431)", "GET / HTTP/1.1\r\nHost: h.example.com\r\n" +
			strings.Repeat("X-Big: "+long(15<<10)+"\r\n", 5) + "\r\n", 400, "HeaderBlockTooLarge"},
		{"header block under 64 KB", "GET / HTTP/1.1\r\nHost: h.example.com\r\n" +
			strings.Repeat("X-Big: "+long(15<<10)+"\r\n", 4) + "\r\n", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, h := rawRequest(t, addr, tt.req)
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d (body %q)", status, tt.wantStatus, body)
			}
			if tt.wantStatus == 400 {
				if !strings.Contains(body, "<title>400 Bad Request</title>") || h.Get("Server") != "awselb/2.0" {
					t.Errorf("not the ALB's 400 page: %q %v", body, h)
				}
				if !strings.Contains(env.logs.String(), `"error_reason":"`+tt.wantReason+`"`) {
					t.Errorf("log lacks error_reason %s", tt.wantReason)
				}
			}
		})
	}
}

// connCounter counts the server side's open connections of a test server.
type connCounter struct {
	mu      sync.Mutex
	open    int
	changed chan struct{}
}

func (c *connCounter) state(_ net.Conn, s http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch s {
	case http.StateNew:
		c.open++
	case http.StateClosed, http.StateHijacked:
		c.open--
	default:
		return
	}
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

func (c *connCounter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open
}

// waitClosed waits until every connection is closed. The bound only turns a
// failure into a test error instead of a hang; passing never depends on it.
func (c *connCounter) waitClosed(t *testing.T) {
	t.Helper()
	bound := time.NewTimer(30 * time.Second)
	defer bound.Stop()
	for c.count() != 0 {
		select {
		case <-c.changed:
		case <-bound.C:
			t.Fatalf("%d JWKS connection(s) still open after Shutdown", c.count())
		}
	}
}

func TestShutdownClosesJWKSConnections(t *testing.T) {
	idp := newTestIdP(t)
	counter := &connCounter{changed: make(chan struct{}, 1)}
	jwks := httptest.NewUnstartedServer(idp.srv.Config.Handler)
	jwks.Config.ConnState = counter.state
	jwks.Start()
	t.Cleanup(jwks.Close)
	for i := range 20 {
		env := newTestEnv(t, readTemplate(t), func(o *Options) {
			o.JWKSRewrites = []PrefixRewrite{{From: cognitoBase, To: jwks.URL + "/"}}
		})
		if resp := env.do(t, 443, "GET", "/tenant-A/x", bearer(idp.token(t, "tenant-A", nil)), ""); resp.StatusCode != 200 {
			t.Fatalf("cycle %d: status %d", i, resp.StatusCode)
		}
		if counter.count() == 0 {
			t.Fatalf("cycle %d: the JWKS was not fetched over a connection", i)
		}
		if err := env.alb.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		counter.waitClosed(t)
	}
}

func TestDefaultJWKSClientHasIdleTimeout(t *testing.T) {
	env := newTestEnv(t, readTemplate(t), nil)
	tr, ok := env.alb.jwksClient.Transport.(*http.Transport)
	if !ok || tr.IdleConnTimeout <= 0 {
		t.Fatalf("JWKS transport %#v has no idle timeout", env.alb.jwksClient.Transport)
	}
}
