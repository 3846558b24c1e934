package localalb

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestTenantRouting(t *testing.T) {
	env := newTestEnv(t, readTemplate(t), nil)
	tokA := env.idp.token(t, "tenant-A", nil)
	tokB := env.idp.token(t, "tenant-B", nil)
	tests := []struct {
		name       string
		target     string
		header     http.Header
		wantStatus int
		wantFn     *fakeInvoker // nil: no invocation expected
		wantPath   string
		wantQuery  map[string]any
	}{
		{"tenant A sub path with query", "/tenant-A/orders/7?x=1", bearer(tokA), 200, env.fnA, "/orders/7", map[string]any{"x": "1"}},
		{"tenant A root with slash", "/tenant-A/", bearer(tokA), 200, env.fnA, "/", map[string]any{}},
		{"tenant A bare prefix", "/tenant-A", bearer(tokA), 200, env.fnA, "/", map[string]any{}},
		{"tenant B", "/tenant-B/hello", bearer(tokB), 200, env.fnB, "/hello", map[string]any{}},
		{"no token", "/tenant-A/orders", nil, 401, nil, "", nil},
		{"cross-tenant token", "/tenant-A/orders", bearer(tokB), 401, nil, "", nil},
		{"expired token", "/tenant-A/x", bearer(env.idp.token(t, "tenant-A", map[string]any{"exp": time.Now().Add(-time.Minute).Unix()})), 401, nil, "", nil},
		{"wrong issuer", "/tenant-A/x", bearer(env.idp.token(t, "tenant-A", map[string]any{"iss": "https://evil.example.com/pool"})), 401, nil, "", nil},
		{"id token", "/tenant-A/x", bearer(env.idp.token(t, "tenant-A", map[string]any{"token_use": "id"})), 401, nil, "", nil},
		{"other client", "/tenant-A/x", bearer(env.idp.token(t, "tenant-A", map[string]any{"client_id": "other"})), 401, nil, "", nil},
		{"not a bearer token", "/tenant-A/x", http.Header{"Authorization": {"Basic dTpw"}}, 401, nil, "", nil},
		{"unknown path → default 404", "/nobody/x", bearer(tokA), 404, nil, "", nil},
		{"path is case-sensitive", "/TENANT-A/x", bearer(tokA), 404, nil, "", nil},
		{"similar prefix does not match", "/tenant-AB/x", bearer(tokA), 404, nil, "", nil},
		{"dot segments normalized before matching", "/tenant-B/../tenant-A/x", bearer(tokA), 200, env.fnA, "/x", map[string]any{}},
		{"encoded dot segments cannot escape to another tenant", "/tenant-A/%2E%2E/tenant-B/x", bearer(tokA), 401, nil, "", nil},
		{"invalid escape → 400", "/tenant-A/%zz", bearer(tokA), 400, nil, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			beforeA, beforeB := env.fnA.count(), env.fnB.count()
			resp := env.do(t, 443, "GET", tt.target, tt.header, "")
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", resp.StatusCode, tt.wantStatus, readBody(t, resp))
			}
			invokedA, invokedB := env.fnA.count()-beforeA, env.fnB.count()-beforeB
			switch tt.wantFn {
			case nil:
				if invokedA+invokedB != 0 {
					t.Fatalf("a function was invoked (A %d, B %d)", invokedA, invokedB)
				}
				return
			case env.fnA:
				if invokedA != 1 || invokedB != 0 {
					t.Fatalf("invocations A %d B %d, want A only", invokedA, invokedB)
				}
			case env.fnB:
				if invokedB != 1 || invokedA != 0 {
					t.Fatalf("invocations A %d B %d, want B only", invokedA, invokedB)
				}
			}
			ev := tt.wantFn.last(t)
			if ev["path"] != tt.wantPath {
				t.Errorf("event path = %v, want %s", ev["path"], tt.wantPath)
			}
			if q, _ := json.Marshal(ev["queryStringParameters"]); string(q) != mustJSON(tt.wantQuery) {
				t.Errorf("queryStringParameters = %s, want %s", q, mustJSON(tt.wantQuery))
			}
			if got := ev["headers"].(map[string]any)["authorization"]; got != tt.header.Get("Authorization") {
				t.Errorf("the token must be forwarded unchanged")
			}
		})
	}
	// The JWKS was fetched once for all these requests (both tenants share it).
	if n := env.alb.KeySet().Fetches(); n != 1 {
		t.Errorf("KeySet fetched %d times, want 1", n)
	}
	if n := env.idp.fetches.Load(); n != 1 {
		t.Errorf("JWKS server saw %d fetches, want 1", n)
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestJWKSUnavailableIs500(t *testing.T) {
	env := newTestEnv(t, readTemplate(t), nil)
	env.idp.failing.Store(true)
	resp := env.do(t, 443, "GET", "/tenant-A/x", bearer(env.idp.token(t, "tenant-A", nil)), "")
	if resp.StatusCode != 500 {
		t.Fatalf("status = %d, want 500", resp.StatusCode)
	}
	if env.fnA.count() != 0 {
		t.Fatal("function invoked although JWKS is unavailable")
	}
	if resp.Header.Get("WWW-Authenticate") != "" || resp.Header.Get("Server") != "awselb/2.0" {
		t.Errorf("headers = %v", resp.Header)
	}
}

func TestRequestLogNeverContainsToken(t *testing.T) {
	env := newTestEnv(t, readTemplate(t), nil)
	tok := env.idp.token(t, "tenant-A", nil)
	env.do(t, 443, "GET", "/tenant-A/orders?secret=1", bearer(tok), "")
	env.do(t, 443, "GET", "/tenant-A/orders", bearer(env.idp.token(t, "tenant-B", nil)), "")
	logs := env.logs.String()
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one log line per request, got %d:\n%s", len(lines), logs)
	}
	if strings.Contains(logs, tok[:20]) || strings.Contains(logs, "Bearer") || strings.Contains(logs, "secret=1") {
		t.Fatalf("log leaks the token or the query:\n%s", logs)
	}
	var first, second map[string]any
	_ = json.Unmarshal([]byte(lines[0]), &first)
	_ = json.Unmarshal([]byte(lines[1]), &second)
	want := map[string]any{"listener": "AlbHttpsListener1A2B3C4D", "method": "GET", "path": "/tenant-A/orders",
		"rule": "TenantRuleTenantA", "priority": 10.0, "jwt": "pass", "rewritten_path": "/orders",
		"target_group": "TenantTargetGroupTenantA", "function": "TenantFunctionTenantA", "status": 200.0}
	for k, v := range want {
		if first[k] != v {
			t.Errorf("log %s = %v, want %v", k, first[k], v)
		}
	}
	if _, ok := first["latency_ms"]; !ok {
		t.Error("log has no latency")
	}
	if second["jwt"] != "reject" || second["status"] != 401.0 || second["jwt_reason"] == "" {
		t.Errorf("rejection log = %v", second)
	}
}

func TestPriorityFirstMatchAndDefault(t *testing.T) {
	fixed := func(code string) string {
		return `[{"Type":"fixed-response","FixedResponseConfig":{"StatusCode":"` + code + `"}}]`
	}
	// R10 is defined first in the template but has the higher number.
	env := newTestEnv(t, tpl(t, map[string]string{
		"R10": rule("10", `[{"Field":"path-pattern","Values":["/a/b"]}]`, fixed("202"), ""),
		"R5":  rule("5", `[{"Field":"path-pattern","Values":["/a/*"]}]`, fixed("201"), ""),
		"R7":  rule("7", `[{"Field":"path-pattern","Values":["/c"]},{"Field":"http-request-method","HttpRequestMethodConfig":{"Values":["POST"]}}]`, fixed("203"), ""),
	}), nil)
	tests := []struct {
		method, target string
		want           int
	}{
		{"GET", "/a/b", 201}, // lowest priority number wins although R10 is more specific
		{"GET", "/a/x", 201},
		{"POST", "/c", 203},
		{"GET", "/c", 404}, // AND: method fails → default
		{"GET", "/zzz", 404},
	}
	for _, tt := range tests {
		resp := env.do(t, 443, tt.method, tt.target, nil, "")
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.target, resp.StatusCode, tt.want)
		}
	}
	resp := env.do(t, 443, "GET", "/zzz", nil, "")
	if body := readBody(t, resp); body != "Not Found" || resp.Header.Get("Content-Type") != "text/plain" ||
		resp.Header.Get("Server") != "awselb/2.0" {
		t.Errorf("fixed response = %q %v", body, resp.Header)
	}
}

func TestRedirect(t *testing.T) {
	redirect := func(cfg string) string {
		return `[{"Type":"redirect","RedirectConfig":` + cfg + `}]`
	}
	env := newTestEnv(t, tpl(t, map[string]string{
		"L80": `{"Type":"AWS::ElasticLoadBalancingV2::Listener","Properties":{"LoadBalancerArn":{"Ref":"LB"},"Port":80,"Protocol":"HTTP",
			"DefaultActions":[{"Type":"redirect","RedirectConfig":{"Protocol":"HTTPS","Port":"443","StatusCode":"HTTP_301"}}]}}`,
		"R1": rule("1", `[{"Field":"path-pattern","Values":["/old/*"]}]`, redirect(`{"StatusCode":"HTTP_302","Path":"/new/#{path}","Host":"www.#{host}","Query":"#{query}&v=1"}`), ""),
		"R2": rule("2", `[{"Field":"path-pattern","Values":["/port"]}]`, redirect(`{"StatusCode":"HTTP_301","Port":"8080","Protocol":"#{protocol}"}`), ""),
		"R3": rule("3", `[{"Field":"path-pattern","Values":["/t/*"]}]`, redirect(`{"StatusCode":"HTTP_302","Host":"other.example.com"}`),
			`[{"Type":"url-rewrite","UrlRewriteConfig":{"Rewrites":[{"Regex":"^/t/(.*)$","Replace":"/$1"}]}}]`),
	}), func(o *Options) {
		o.ListenerAddrs[443] = "127.0.0.1:18443" // not started: translation uses the configured port
	})
	tests := []struct {
		port         int
		target, host string
		wantStatus   int
		wantLocation string
	}{
		// ALB-T5: the template port 443 becomes the local port of the 443 listener.
		{80, "/x/y?q=1", "app.example.com", 301, "https://app.example.com:18443/x/y?q=1"},
		{80, "/", "app.example.com:8080", 301, "https://app.example.com:18443/"},
		{443, "/old/a/b?k=v", "app.example.com", 302, "https://www.app.example.com:18443/new/old/a/b?k=v&v=1"},
		{443, "/port", "h.example.com", 301, "https://h.example.com:8080/port"},
		// ALB-A4: placeholders see the rewritten path.
		{443, "/t/inner?z=1", "h.example.com", 302, "https://other.example.com:18443/inner?z=1"},
	}
	for _, tt := range tests {
		resp := env.do(t, tt.port, "GET", tt.target, http.Header{"Host": {tt.host}}, "")
		if resp.StatusCode != tt.wantStatus || resp.Header.Get("Location") != tt.wantLocation {
			t.Errorf("%d %s: %d %q, want %d %q", tt.port, tt.target, resp.StatusCode, resp.Header.Get("Location"), tt.wantStatus, tt.wantLocation)
		}
	}
}

func TestTransformsThroughALB(t *testing.T) {
	jwtThenForward := `[{"Type":"jwt-validation","Order":1,"JwtValidationConfig":{"Issuer":"` + testIssuer + `","JwksEndpoint":"` + testIssuer + `/.well-known/jwks.json"}},{"Type":"forward","Order":2,"TargetGroupArn":{"Ref":"TG"}}]`
	env := newTestEnv(t, tpl(t, map[string]string{
		"RHost": rule("1", `[{"Field":"path-pattern","Values":["/host"]}]`, forwardTG,
			`[{"Type":"host-header-rewrite","HostHeaderRewriteConfig":{"Rewrites":[{"Regex":"^api\\.(.+)$","Replace":"internal.$1"}]}}]`),
		"RFail": rule("2", `[{"Field":"path-pattern","Values":["/fail/*"]}]`, forwardTG,
			`[{"Type":"url-rewrite","UrlRewriteConfig":{"Rewrites":[{"Regex":"^/fail/(.*)$","Replace":"$1"}]}}]`),
		"RJwtFail": rule("3", `[{"Field":"path-pattern","Values":["/jwtfail/*"]}]`, jwtThenForward,
			`[{"Type":"url-rewrite","UrlRewriteConfig":{"Rewrites":[{"Regex":"^/jwtfail/(.*)$","Replace":"$1"}]}}]`),
		"RQuery": rule("4", `[{"Field":"path-pattern","Values":["/dp/*"]}]`, forwardTG,
			`[{"Type":"url-rewrite","UrlRewriteConfig":{"Rewrites":[{"Regex":"^/dp/([A-Za-z0-9]+)/?$","Replace":"/product.php?id=$1"}]}}]`),
	}), nil)
	resp := env.do(t, 443, "GET", "/host", http.Header{"Host": {"api.example.com:8443"}}, "")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if h := env.fnA.last(t)["headers"].(map[string]any)["host"]; h != "internal.example.com:8443" {
		t.Errorf("rewritten host = %v", h)
	}
	if resp := env.do(t, 443, "GET", "/fail/x", nil, ""); resp.StatusCode != 500 {
		t.Errorf("failed transform: status %d, want 500", resp.StatusCode)
	}
	// 401 is decided before the transform runs (ALB-A4).
	if resp := env.do(t, 443, "GET", "/jwtfail/x", nil, ""); resp.StatusCode != 401 {
		t.Errorf("jwt before transform: status %d, want 401", resp.StatusCode)
	}
	if resp := env.do(t, 443, "GET", "/jwtfail/x", bearer(env.idp.token(t, "x", nil)), ""); resp.StatusCode != 500 {
		t.Errorf("valid token then failing transform: status %d, want 500", resp.StatusCode)
	}
	env.do(t, 443, "GET", "/dp/B09G3HRMW?ref=a", nil, "")
	ev := env.fnA.last(t)
	if ev["path"] != "/product.php" || mustJSON(ev["queryStringParameters"]) != `{"id":"B09G3HRMW","ref":"a"}` {
		t.Errorf("AWS example through the ALB: path %v query %v", ev["path"], ev["queryStringParameters"])
	}
}

var traceIDPattern = regexp.MustCompile(`^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$`)
