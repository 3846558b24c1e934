package localalb

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

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
