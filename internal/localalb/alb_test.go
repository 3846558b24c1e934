package localalb

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
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

func TestLambdaEventSingleValue(t *testing.T) {
	env := newTestEnv(t, tpl(t, map[string]string{
		"R": rule("1", `[{"Field":"path-pattern","Values":["/*"]}]`, forwardTG, ""),
		"LB": `{"Type":"AWS::ElasticLoadBalancingV2::LoadBalancer","Properties":{"LoadBalancerAttributes":[
			{"Key":"routing.http.drop_invalid_header_fields.enabled","Value":"true"}]}}`,
	}), nil)
	h := http.Header{
		"X-Rep":            {"1", "2"},
		"X-Forwarded-For":  {"203.0.113.7"},
		"X-Forwarded-Port": {"1"},
		"X_under":          {"dropped"},
		"Content-Type":     {"application/json; charset=utf-8"},
		"Host":             {"app.example.com"},
	}
	resp := env.do(t, 443, "POST", "/p/a%20b?a=1&a=2&b=%20x&flag", h, `{"k":"v"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	ev := env.fnA.last(t)
	arn := ev["requestContext"].(map[string]any)["elb"].(map[string]any)["targetGroupArn"].(string)
	if !strings.Contains(arn, ":targetgroup/TG/") {
		t.Errorf("targetGroupArn = %s", arn)
	}
	if ev["httpMethod"] != "POST" || ev["path"] != "/p/a%20b" || ev["body"] != `{"k":"v"}` || ev["isBase64Encoded"] != false {
		t.Errorf("event = %v", ev)
	}
	if got := mustJSON(ev["queryStringParameters"]); got != `{"a":"2","b":"%20x","flag":""}` {
		t.Errorf("queryStringParameters = %s (last value wins, not decoded)", got)
	}
	if _, ok := ev["multiValueHeaders"]; ok {
		t.Error("multiValueHeaders present in single-value mode")
	}
	hd := ev["headers"].(map[string]any)
	want := map[string]string{"x-rep": "2", "x-forwarded-for": "203.0.113.7, 192.0.2.1", "x-forwarded-port": "443",
		"x-forwarded-proto": "https", "host": "app.example.com", "content-type": "application/json; charset=utf-8"}
	for k, v := range want {
		if hd[k] != v {
			t.Errorf("headers[%s] = %v, want %s", k, hd[k], v)
		}
	}
	if _, ok := hd["x_under"]; ok {
		t.Error("header with '_' must be dropped when drop_invalid_header_fields is enabled")
	}
	for k := range hd {
		if k != strings.ToLower(k) {
			t.Errorf("header %q is not lower-case", k)
		}
	}
	if tr, _ := hd["x-amzn-trace-id"].(string); !traceIDPattern.MatchString(tr) {
		t.Errorf("trace id %q", tr)
	}
	// An incoming trace id is kept.
	env.do(t, 443, "GET", "/", http.Header{"X-Amzn-Trace-Id": {"Root=1-5759e988-bd862e3fe1be46a994272793"}}, "")
	if tr := env.fnA.last(t)["headers"].(map[string]any)["x-amzn-trace-id"]; tr != "Root=1-5759e988-bd862e3fe1be46a994272793" {
		t.Errorf("incoming trace id not kept: %v", tr)
	}
	// Empty query: {} present.
	if got := mustJSON(env.fnA.last(t)["queryStringParameters"]); got != `{}` {
		t.Errorf("empty query = %s", got)
	}
}

func TestDropInvalidHeaderFieldsDisabledKeepsUnderscore(t *testing.T) {
	env := newTestEnv(t, tpl(t, map[string]string{"R": rule("1", `[{"Field":"path-pattern","Values":["/*"]}]`, forwardTG, "")}), nil)
	env.do(t, 443, "GET", "/", http.Header{"X_under": {"kept"}}, "")
	if got := env.fnA.last(t)["headers"].(map[string]any)["x_under"]; got != "kept" {
		t.Errorf("x_under = %v, want kept (attribute off by default)", got)
	}
}

func TestLambdaEventMultiValue(t *testing.T) {
	env := newTestEnv(t, tpl(t, map[string]string{
		"R":  rule("1", `[{"Field":"path-pattern","Values":["/*"]}]`, forwardTG, ""),
		"TG": `{"Type":"AWS::ElasticLoadBalancingV2::TargetGroup","Properties":{"TargetType":"lambda","Targets":[{"Id":{"Fn::GetAtt":["Fn","Arn"]}}],"TargetGroupAttributes":[{"Key":"lambda.multi_value_headers.enabled","Value":"true"}]}}`,
		"LB": `{"Type":"AWS::ElasticLoadBalancingV2::LoadBalancer","Properties":{"LoadBalancerAttributes":[{"Key":"routing.http.xff_header_processing.mode","Value":"preserve"}]}}`,
	}), nil)
	env.fnA.respond = func([]byte) ([]byte, error) {
		return []byte(`{"statusCode":200,"headers":{"X-Single":"ignored"},"multiValueHeaders":{"Set-Cookie":["a=1","b=2"],"Connection":["close"],"Content-Length":["999"]},"body":"mv"}`), nil
	}
	resp := env.do(t, 443, "GET", "/?a=1&a=2", http.Header{"X-Rep": {"1", "2"}, "X-Forwarded-For": {"203.0.113.7"}}, "")
	ev := env.fnA.last(t)
	if got := mustJSON(ev["multiValueQueryStringParameters"]); got != `{"a":["1","2"]}` {
		t.Errorf("multiValueQueryStringParameters = %s", got)
	}
	mh := ev["multiValueHeaders"].(map[string]any)
	if got := mustJSON(mh["x-rep"]); got != `["1","2"]` {
		t.Errorf("multiValueHeaders[x-rep] = %s", got)
	}
	if got := mustJSON(mh["x-forwarded-for"]); got != `["203.0.113.7"]` {
		t.Errorf("xff preserve mode = %s", got)
	}
	if _, ok := ev["headers"]; ok {
		t.Error("headers present in multi-value mode")
	}
	if _, ok := ev["queryStringParameters"]; ok {
		t.Error("queryStringParameters present in multi-value mode")
	}
	if got := resp.Header.Values("Set-Cookie"); len(got) != 2 || got[0] != "a=1" || got[1] != "b=2" {
		t.Errorf("Set-Cookie = %v", got)
	}
	if resp.Header.Get("X-Single") != "" || resp.Header.Get("Connection") != "" || resp.Header.Get("Content-Length") != "2" {
		t.Errorf("response headers = %v", resp.Header)
	}
}

func TestLambdaBodyEncoding(t *testing.T) {
	env := newTestEnv(t, tpl(t, map[string]string{"R": rule("1", `[{"Field":"path-pattern","Values":["/*"]}]`, forwardTG, "")}), nil)
	tests := []struct {
		contentType, body string
		wantB64           bool
	}{
		{"text/plain", "hello", false},
		{"text/html; charset=utf-8", "<p>", false},
		{"application/json", `{"a":1}`, false},
		{"application/javascript", "x()", false},
		{"application/xml", "<a/>", false},
		{"APPLICATION/JSON", `{}`, false},
		{"application/octet-stream", "\x00\x01", true},
		{"image/png", "png", true},
		{"application/x-www-form-urlencoded", "a=1", true},
		{"", "no type", true},
		{"text/plain", "\xff\xfe", true}, // not UTF-8
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.contentType != "" {
			h.Set("Content-Type", tt.contentType)
		}
		env.do(t, 443, "POST", "/", h, tt.body)
		ev := env.fnA.last(t)
		want := tt.body
		if tt.wantB64 {
			want = base64.StdEncoding.EncodeToString([]byte(tt.body))
		}
		if ev["isBase64Encoded"] != tt.wantB64 || ev["body"] != want {
			t.Errorf("%q: body %q b64 %v, want %q %v", tt.contentType, ev["body"], ev["isBase64Encoded"], want, tt.wantB64)
		}
	}
	env.do(t, 443, "GET", "/", nil, "")
	if ev := env.fnA.last(t); ev["body"] != "" || ev["isBase64Encoded"] != false {
		t.Errorf("empty body: %v %v", ev["body"], ev["isBase64Encoded"])
	}
}

func TestRequestLimits(t *testing.T) {
	env := newTestEnv(t, tpl(t, map[string]string{"R": rule("1", `[{"Field":"path-pattern","Values":["/*"]}]`, forwardTG, "")}), nil)
	ct := http.Header{"Content-Type": {"text/plain"}}
	if resp := env.do(t, 443, "POST", "/", ct, strings.Repeat("a", maxLambdaRequestBody)); resp.StatusCode != 200 {
		t.Errorf("1 MiB body: status %d, want 200", resp.StatusCode)
	}
	before := env.fnA.count()
	if resp := env.do(t, 443, "POST", "/", ct, strings.Repeat("a", maxLambdaRequestBody+1)); resp.StatusCode != 413 {
		t.Errorf("1 MiB + 1 body: status %d, want 413", resp.StatusCode)
	}
	ws := http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}}
	if resp := env.do(t, 443, "GET", "/", ws, ""); resp.StatusCode != 400 {
		t.Errorf("websocket upgrade: status %d, want 400", resp.StatusCode)
	}
	if env.fnA.count() != before {
		t.Error("function invoked for a rejected request")
	}
}

func TestLambdaResponseMapping(t *testing.T) {
	env := newTestEnv(t, tpl(t, map[string]string{"R": rule("1", `[{"Field":"path-pattern","Values":["/*"]}]`, forwardTG, "")}), nil)
	big := `{"statusCode":200,"body":"` + strings.Repeat("x", maxLambdaResponse) + `"}`
	tests := []struct {
		name       string
		payload    string
		err        error
		wantStatus int
		wantBody   string
		wantHeader map[string]string
	}{
		{"plain", `{"statusCode":201,"statusDescription":"201 Created","headers":{"Content-Type":"text/plain","X-A":"b"},"body":"made","isBase64Encoded":false}`,
			nil, 201, "made", map[string]string{"X-A": "b", "Content-Length": "4", "Server": ""}},
		{"body omitted", `{"statusCode":204,"headers":{}}`, nil, 204, "", nil},
		{"base64 body decoded", `{"statusCode":200,"body":"AAEC/w==","isBase64Encoded":true}`, nil, 200, "\x00\x01\x02\xff", map[string]string{"Content-Length": "4", "Content-Type": ""}},
		{"hop-by-hop dropped, length computed", `{"statusCode":200,"headers":{"Connection":"close","Transfer-Encoding":"chunked","Content-Length":"99","Keep-Alive":"x"},"body":"abc"}`,
			nil, 200, "abc", map[string]string{"Connection": "", "Transfer-Encoding": "", "Keep-Alive": "", "Content-Length": "3"}},
		{"multiValueHeaders ignored in single mode", `{"statusCode":200,"headers":{"A":"1"},"multiValueHeaders":{"B":["2"]},"body":""}`, nil, 200, "", map[string]string{"A": "1", "B": ""}},
		{"function error (RIE HTTP 200)", `{"errorMessage":"boom","errorType":"errorString"}`, nil, 502, "", nil},
		{"function error type only", `{"errorType":"Runtime.ExitError"}`, nil, 502, "", nil},
		{"timeout text from RIE", `Task timed out after 3.00 seconds`, nil, 502, "", nil},
		{"not an object", `[1,2]`, nil, 502, "", nil},
		{"null", `null`, nil, 502, "", nil},
		{"no statusCode", `{"body":"x"}`, nil, 502, "", nil},
		{"statusCode string", `{"statusCode":"200"}`, nil, 502, "", nil},
		{"statusCode float", `{"statusCode":200.5}`, nil, 502, "", nil},
		{"statusCode out of range", `{"statusCode":700}`, nil, 502, "", nil},
		{"header value not a string", `{"statusCode":200,"headers":{"X":1}}`, nil, 502, "", nil},
		{"header value with newline", `{"statusCode":200,"headers":{"X":"a\r\nInjected: 1"}}`, nil, 502, "", nil},
		{"header name invalid", `{"statusCode":200,"headers":{"Bad Name":"1"}}`, nil, 502, "", nil},
		{"bad base64", `{"statusCode":200,"body":"***","isBase64Encoded":true}`, nil, 502, "", nil},
		{"response over 1 MiB", big, nil, 502, "", nil},
		{"invoker error (dead runtime)", "", errors.New("rie: emulator process has exited"), 502, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.fnA.respond = func([]byte) ([]byte, error) { return []byte(tt.payload), tt.err }
			resp := env.do(t, 443, "GET", "/", nil, "")
			body := readBody(t, resp)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus == 502 {
				if !strings.Contains(body, "502 Bad Gateway") || resp.Header.Get("Server") != "awselb/2.0" {
					t.Errorf("502 page = %q %v", body, resp.Header)
				}
				return
			}
			if body != tt.wantBody {
				t.Errorf("body = %q, want %q", body, tt.wantBody)
			}
			for k, v := range tt.wantHeader {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestInvokeTimeoutIs502(t *testing.T) {
	env := newTestEnv(t, tpl(t, map[string]string{"R": rule("1", `[{"Field":"path-pattern","Values":["/*"]}]`, forwardTG, "")}),
		func(o *Options) { o.InvokeGrace = 10 * time.Millisecond })
	env.fnA.respond = func([]byte) ([]byte, error) { return nil, context.DeadlineExceeded }
	blocking := &blockingInvoker{}
	env.alb.invokers[env.alb.model.Functions["Fn"]] = blocking
	start := time.Now()
	resp := env.do(t, 443, "GET", "/", nil, "")
	if resp.StatusCode != 502 {
		t.Fatalf("status %d, want 502", resp.StatusCode)
	}
	if d := time.Since(start); d < time.Second {
		t.Fatalf("gave up after %s, before the function timeout of 1 s", d)
	}
	if !strings.Contains(env.logs.String(), `"error_reason":"LambdaTimeout"`) {
		t.Errorf("log lacks LambdaTimeout: %s", env.logs.String())
	}
}

type blockingInvoker struct{}

func (blockingInvoker) Invoke(ctx context.Context, _ []byte) ([]byte, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestNoRegisteredTargetIs503(t *testing.T) {
	env := newTestEnv(t, tpl(t, map[string]string{
		"R":  rule("1", `[{"Field":"path-pattern","Values":["/*"]}]`, forwardTG, ""),
		"TG": `{"Type":"AWS::ElasticLoadBalancingV2::TargetGroup","Properties":{"TargetType":"lambda"}}`,
	}), nil)
	if resp := env.do(t, 443, "GET", "/", nil, ""); resp.StatusCode != 503 {
		t.Fatalf("status %d, want 503", resp.StatusCode)
	}
}

func TestServerHeaderAttribute(t *testing.T) {
	l443 := strings.Replace(defaultResources()["L443"], `"Protocol":"HTTPS"`,
		`"Protocol":"HTTPS","ListenerAttributes":[{"Key":"routing.http.response.server.enabled","Value":"false"}]`, 1)
	env := newTestEnv(t, tpl(t, map[string]string{"L443": l443}), nil)
	if resp := env.do(t, 443, "GET", "/", nil, ""); resp.StatusCode != 404 || resp.Header.Get("Server") != "" {
		t.Fatalf("status %d Server %q", resp.StatusCode, resp.Header.Get("Server"))
	}
}

func TestNewValidatesOptions(t *testing.T) {
	m, err := LoadTemplate(readTemplate(t), testResolver())
	if err != nil {
		t.Fatal(err)
	}
	inv := map[string]Invoker{"TenantFunctionTenantA": &fakeInvoker{}, "TenantFunctionTenantB": &fakeInvoker{}}
	addrs := map[int]string{80: "127.0.0.1:0", 443: "127.0.0.1:0"}
	cert, _, _ := SelfSignedCertificate(time.Hour)
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"missing address", Options{ListenerAddrs: map[int]string{80: "127.0.0.1:0"}, Invokers: inv, TLSCertificate: &cert}, "port 443"},
		{"public address", Options{ListenerAddrs: map[int]string{80: "0.0.0.0:80", 443: "127.0.0.1:0"}, Invokers: inv, TLSCertificate: &cert}, "loopback"},
		{"no certificate", Options{ListenerAddrs: addrs, Invokers: inv}, "TLSCertificate"},
		{"missing invoker", Options{ListenerAddrs: addrs, Invokers: map[string]Invoker{"TenantFunctionTenantA": &fakeInvoker{}}, TLSCertificate: &cert}, "TenantFunctionTenantB"},
		{"JWKS rewrite to plain http on a public host", Options{ListenerAddrs: addrs, Invokers: inv, TLSCertificate: &cert,
			JWKSRewrites: []PrefixRewrite{{From: cognitoBase, To: "http://example.com/"}}}, "jwt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(m, tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestForwardedHeaderModes(t *testing.T) {
	lbWith := func(attrs string) string {
		return `{"Type":"AWS::ElasticLoadBalancingV2::LoadBalancer","Properties":{"LoadBalancerAttributes":[` + attrs + `]}}`
	}
	tests := []struct {
		name, attrs, incoming string
		want                  any // nil: header absent
	}{
		{"append without incoming", ``, "", "192.0.2.1"},
		{"append with incoming", ``, "203.0.113.7, 198.51.100.2", "203.0.113.7, 198.51.100.2, 192.0.2.1"},
		{"append with client port", `{"Key":"routing.http.xff_client_port.enabled","Value":"true"}`, "", "192.0.2.1:1234"},
		{"preserve without incoming", `{"Key":"routing.http.xff_header_processing.mode","Value":"preserve"}`, "", nil},
		{"remove", `{"Key":"routing.http.xff_header_processing.mode","Value":"remove"}`, "203.0.113.7", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t, tpl(t, map[string]string{
				"LB": lbWith(tt.attrs),
				"R":  rule("1", `[{"Field":"path-pattern","Values":["/*"]}]`, forwardTG, ""),
			}), nil)
			h := http.Header{}
			if tt.incoming != "" {
				h.Set("X-Forwarded-For", tt.incoming)
			}
			env.do(t, 443, "GET", "/", h, "")
			got, ok := env.fnA.last(t)["headers"].(map[string]any)["x-forwarded-for"]
			if tt.want == nil {
				if ok {
					t.Fatalf("x-forwarded-for = %v, want absent", got)
				}
				return
			}
			if got != tt.want {
				t.Fatalf("x-forwarded-for = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHTTPListenerForwardsProtoHTTP(t *testing.T) {
	env := newTestEnv(t, tpl(t, map[string]string{
		"L8080": `{"Type":"AWS::ElasticLoadBalancingV2::Listener","Properties":{"LoadBalancerArn":{"Ref":"LB"},"Port":8080,"Protocol":"HTTP","DefaultActions":[{"Type":"forward","TargetGroupArn":{"Ref":"TG"}}]}}`,
	}), nil)
	env.do(t, 8080, "GET", "http://app.example.com:8080/abs/path?q=1", http.Header{"X-Forwarded-Proto": {"https"}}, "")
	ev := env.fnA.last(t)
	hd := ev["headers"].(map[string]any)
	if hd["x-forwarded-proto"] != "http" || hd["x-forwarded-port"] != "8080" {
		t.Errorf("forwarded headers = %v %v", hd["x-forwarded-proto"], hd["x-forwarded-port"])
	}
	if ev["path"] != "/abs/path" || mustJSON(ev["queryStringParameters"]) != `{"q":"1"}` {
		t.Errorf("absolute-form target: path %v query %v", ev["path"], ev["queryStringParameters"])
	}
}

func TestRequestTarget(t *testing.T) {
	tests := []struct {
		uri, path, query string
		bad              bool
	}{
		{uri: "/a?b=1", path: "/a", query: "b=1"},
		{uri: "/a", path: "/a"},
		{uri: "/a?", path: "/a"},
		{uri: "http://h.example.com/x/y?z", path: "/x/y", query: "z"},
		{uri: "http://h.example.com", path: "/"},
		{uri: "http://h.example.com?q=1", path: "/", query: "q=1"},
		{uri: "*", bad: true},
		{uri: "h.example.com:443", bad: true},
		{uri: "/a?b=1#frag", bad: true},
	}
	for _, tt := range tests {
		r, _ := http.NewRequest("GET", "/", nil)
		r.RequestURI = tt.uri
		p, q, err := requestTarget(r)
		if tt.bad {
			if err == nil {
				t.Errorf("%q: want an error, got %q %q", tt.uri, p, q)
			}
			continue
		}
		if err != nil || p != tt.path || q != tt.query {
			t.Errorf("%q: got %q %q %v, want %q %q", tt.uri, p, q, err, tt.path, tt.query)
		}
	}
}

func TestFunctionEnvErrorsNameTheVariable(t *testing.T) {
	_, err := LoadTemplate(tpl(t, map[string]string{
		"Fn": `{"Type":"AWS::Lambda::Function","Properties":{"Environment":{"Variables":{"TABLE":{"Fn::ImportValue":"shared-table"}}}}}`,
	}), Resolver{})
	if err == nil || !strings.Contains(err.Error(), "Fn (AWS::Lambda::Function): Environment") || !strings.Contains(err.Error(), "Fn::ImportValue") {
		t.Fatalf("err = %v", err)
	}
}
