package localalb

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

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
