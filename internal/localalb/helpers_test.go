package localalb

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/testutil"
)

const (
	testRegion   = "us-east-1"
	testPoolID   = "us-east-1_TestPool1"
	testClientID = "testclient0000000000000001"
	testIssuer   = "https://cognito-idp.us-east-1.amazonaws.com/" + testPoolID
	cognitoBase  = "https://cognito-idp.us-east-1.amazonaws.com/"
)

// testResolver pins the Cognito ids the tokens use.
func testResolver() Resolver {
	return Resolver{Region: testRegion, Refs: map[string]string{
		"UserPool6BA7E5F2":       testPoolID,
		"UserPoolClient2F5918F7": testClientID,
	}}
}

func readTemplate(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/template.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testIdP is a fake Cognito JWKS endpoint on 127.0.0.1 with a key generated
// per test run (never cognito-local's shipped key).
type testIdP struct {
	key     *rsa.PrivateKey
	kid     string
	srv     *httptest.Server
	fetches atomic.Int64
	failing atomic.Bool
}

var (
	rsaKeyOnce sync.Once
	rsaKey     *rsa.PrivateKey
)

func newTestIdP(t testing.TB) *testIdP {
	t.Helper()
	rsaKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		rsaKey = k
	})
	p := &testIdP{key: rsaKey, kid: "test-key-1"}
	jwks, err := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "kid": p.kid, "use": "sig", "alg": "RS256",
		"n": base64.RawURLEncoding.EncodeToString(p.key.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(p.key.E)).Bytes()),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.fetches.Add(1)
		if p.failing.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		if r.URL.Path != "/"+testPoolID+"/.well-known/jwks.json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(jwks)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// token signs an access token for tenant with optional claim overrides
// (a nil value deletes the claim).
func (p *testIdP) token(t testing.TB, tenant string, overrides map[string]any) string {
	t.Helper()
	now := time.Now()
	claims := jwt.MapClaims{
		"iss": testIssuer, "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(),
		"token_use": "access", "client_id": testClientID, "cognito:groups": []string{tenant},
		"sub": "11111111-2222-3333-4444-555555555555", "username": "alice",
	}
	for k, v := range overrides {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = p.kid
	s, err := tok.SignedString(p.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (p *testIdP) rewrites() []PrefixRewrite {
	return []PrefixRewrite{{From: cognitoBase, To: p.srv.URL + "/"}}
}

// fakeInvoker records payloads and answers with a fixed response or a func.
type fakeInvoker struct {
	mu       sync.Mutex
	payloads [][]byte
	respond  func(payload []byte) ([]byte, error)
}

func (f *fakeInvoker) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	f.mu.Lock()
	f.payloads = append(f.payloads, append([]byte(nil), payload...))
	f.mu.Unlock()
	if f.respond != nil {
		return f.respond(payload)
	}
	return []byte(`{"statusCode":200,"headers":{"Content-Type":"text/plain"},"body":"ok","isBase64Encoded":false}`), nil
}

func (f *fakeInvoker) last(t testing.TB) map[string]any {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.payloads) == 0 {
		t.Fatal("the function was not invoked")
	}
	var m map[string]any
	if err := json.Unmarshal(f.payloads[len(f.payloads)-1], &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func (f *fakeInvoker) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.payloads)
}

// testEnv is a loaded template served in-process (no sockets for the ALB).
type testEnv struct {
	alb  *ALB
	idp  *testIdP
	fnA  *fakeInvoker
	fnB  *fakeInvoker
	logs *testutil.LockedBuffer
}

func newTestEnv(t testing.TB, tplJSON []byte, mutate func(*Options)) *testEnv {
	t.Helper()
	m, err := LoadTemplate(tplJSON, testResolver())
	if err != nil {
		t.Fatalf("LoadTemplate: %v", err)
	}
	return newModelEnv(t, m, mutate)
}

// newModelEnv is newTestEnv for a loaded model.
func newModelEnv(t testing.TB, m *Model, mutate func(*Options)) *testEnv {
	t.Helper()
	var err error
	env := &testEnv{idp: newTestIdP(t), fnA: &fakeInvoker{}, fnB: &fakeInvoker{}, logs: &testutil.LockedBuffer{}}
	invokers := map[string]Invoker{}
	for id := range m.Functions {
		if strings.HasSuffix(id, "TenantB") || m.Functions[id].Env[TenantEnv] == "tenant-B" {
			invokers[id] = env.fnB
		} else {
			invokers[id] = env.fnA
		}
	}
	addrs := map[int]string{}
	for _, l := range m.Listeners {
		addrs[l.Port] = "127.0.0.1:0"
	}
	cert, _, err := SelfSignedCertificate(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{
		ListenerAddrs:  addrs,
		JWKSRewrites:   env.idp.rewrites(),
		Invokers:       invokers,
		TLSCertificate: &cert,
		Logger:         slog.New(slog.NewJSONHandler(env.logs, nil)),
	}
	if mutate != nil {
		mutate(&o)
	}
	env.alb, err = New(m, o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return env
}

// do serves one request in-process on the listener with the template port.
func (e *testEnv) do(t testing.TB, port int, method, target string, header http.Header, body string) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	// The handler reads the raw RequestURI; build the request on "/" so that
	// targets Go's URL parser rejects can still be tested.
	req := httptest.NewRequest(method, "/", rd)
	req.RequestURI = target
	for k, v := range header {
		req.Header[k] = v
	}
	if host := header.Get("Host"); host != "" {
		req.Host = host
	}
	rec := httptest.NewRecorder()
	h := e.alb.Handler(port)
	if h == nil {
		t.Fatalf("no listener on port %d", port)
	}
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func bearer(tok string) http.Header {
	return http.Header{"Authorization": {"Bearer " + tok}}
}

func readBody(t testing.TB, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// tpl builds a minimal template: an ALB, one HTTPS listener on 443 with a
// fixed-response default, one Lambda "Fn" with target group "TG", plus the
// given extra resources (logical id → resource JSON) that may replace them.
func tpl(t testing.TB, extra map[string]string) []byte {
	t.Helper()
	res := defaultResources()
	for k, v := range extra {
		if v == "" {
			delete(res, k)
		} else {
			res[k] = v
		}
	}
	var b strings.Builder
	b.WriteString(`{"Resources":{`)
	first := true
	for k, v := range res {
		if !first {
			b.WriteString(",")
		}
		first = false
		b.WriteString(`"` + k + `":` + v)
	}
	b.WriteString("}}")
	if !json.Valid([]byte(b.String())) {
		t.Fatalf("test template is not JSON: %s", b.String())
	}
	return []byte(b.String())
}

// defaultResources are the resources tpl starts from.
func defaultResources() map[string]string {
	return map[string]string{
		"LB": `{"Type":"AWS::ElasticLoadBalancingV2::LoadBalancer","Properties":{"Type":"application"}}`,
		"L443": `{"Type":"AWS::ElasticLoadBalancingV2::Listener","Properties":{"LoadBalancerArn":{"Ref":"LB"},"Port":443,"Protocol":"HTTPS",
			"Certificates":[{"CertificateArn":"arn:aws:acm:us-east-1:000000000000:certificate/x"}],
			"DefaultActions":[{"Type":"fixed-response","FixedResponseConfig":{"StatusCode":"404","ContentType":"text/plain","MessageBody":"Not Found"}}]}}`,
		"Fn": `{"Type":"AWS::Lambda::Function","Properties":{"Runtime":"provided.al2023","Handler":"bootstrap","Timeout":1}}`,
		"TG": `{"Type":"AWS::ElasticLoadBalancingV2::TargetGroup","Properties":{"TargetType":"lambda","Targets":[{"Id":{"Fn::GetAtt":["Fn","Arn"]}}]}}`,
	}
}

// rule returns a ListenerRule resource on L443 with the given JSON fragments.
func rule(priority, conditions, actions, transforms string) string {
	s := `{"Type":"AWS::ElasticLoadBalancingV2::ListenerRule","Properties":{"ListenerArn":{"Ref":"L443"},"Priority":` + priority +
		`,"Conditions":` + conditions + `,"Actions":` + actions
	if transforms != "" {
		s += `,"Transforms":` + transforms
	}
	return s + "}}"
}

const forwardTG = `[{"Type":"forward","TargetGroupArn":{"Ref":"TG"}}]`
