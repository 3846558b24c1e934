package jwtvalidate

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// Test keys are generated per test binary run; no key shipped with any package is used.
type testKeys struct {
	primary, rotated, attacker *rsa.PrivateKey
	ec                         *ecdsa.PrivateKey
}

var (
	keysOnce  sync.Once
	keysValue testKeys
)

func keys(t testing.TB) testKeys {
	t.Helper()
	keysOnce.Do(func() {
		gen := func() *rsa.PrivateKey {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			return k
		}
		ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		keysValue = testKeys{primary: gen(), rotated: gen(), attacker: gen(), ec: ec}
	})
	return keysValue
}

const (
	testIssuer   = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Test"
	testJWKSURL  = testIssuer + "/.well-known/jwks.json"
	testKid      = "key-1"
	testClientID = "client-123"
)

var testNow = time.Unix(1_800_000_000, 0)

func fixedNow() time.Time { return testNow }

// clock is a settable test clock.
type clock struct{ now atomic.Int64 }

func newClock() *clock                   { c := &clock{}; c.now.Store(testNow.UnixNano()); return c }
func (c *clock) Now() time.Time          { return time.Unix(0, c.now.Load()) }
func (c *clock) Advance(d time.Duration) { c.now.Add(int64(d)) }

// jwkEntry builds one JWKS entry for pub with the given members.
func jwkEntry(t testing.TB, pub any, members map[string]any) jwk.Key {
	t.Helper()
	k, err := jwk.Import(pub)
	if err != nil {
		t.Fatalf("jwk.Import: %v", err)
	}
	for name, v := range members {
		if err := k.Set(name, v); err != nil {
			t.Fatalf("jwk set %s: %v", name, err)
		}
	}
	return k
}

func jwksJSON(t testing.TB, entries ...jwk.Key) []byte {
	t.Helper()
	set := jwk.NewSet()
	for _, e := range entries {
		if err := set.AddKey(e); err != nil {
			t.Fatalf("AddKey: %v", err)
		}
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatalf("marshal jwks: %v", err)
	}
	return b
}

func rsaEntry(t testing.TB, key *rsa.PrivateKey, kid string) jwk.Key {
	return jwkEntry(t, &key.PublicKey, map[string]any{"kid": kid, "alg": "RS256", "use": "sig"})
}

// jwksServer serves a settable JWKS on 127.0.0.1 and counts requests.
type jwksServer struct {
	*httptest.Server
	body     atomic.Pointer[[]byte]
	status   atomic.Int32
	gate     atomic.Pointer[chan struct{}] // when set, a request waits until it is closed (or the client gives up)
	arrived  chan struct{}                 // receives one value per request that reached the handler (buffered)
	requests atomic.Int64
}

func newJWKSServer(t testing.TB, body []byte) *jwksServer {
	t.Helper()
	s := &jwksServer{arrived: make(chan struct{}, 64)}
	s.setBody(body)
	s.status.Store(http.StatusOK)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		select {
		case s.arrived <- struct{}{}:
		default:
		}
		if g := s.gate.Load(); g != nil {
			select {
			case <-*g:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(int(s.status.Load()))
		_, _ = w.Write(*s.body.Load())
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) setBody(b []byte) { s.body.Store(&b) }

// hold makes requests wait until the returned release is called.
func (s *jwksServer) hold() (release func()) {
	g := make(chan struct{})
	s.gate.Store(&g)
	var once sync.Once
	return func() { once.Do(func() { close(g) }) }
}
func (s *jwksServer) url() string { return s.URL + "/us-east-1_Test/.well-known/jwks.json" }

func baseClaims() map[string]any {
	return map[string]any{
		"iss":            testIssuer,
		"exp":            testNow.Add(time.Hour).Unix(),
		"iat":            testNow.Add(-time.Minute).Unix(),
		"auth_time":      testNow.Add(-time.Minute).Unix(),
		"sub":            "5ebd2cb4-f910-49c3-aa13-3da45157865b",
		"token_use":      "access",
		"client_id":      testClientID,
		"cognito:groups": []string{"tenant-A"},
		"scope":          "aws.cognito.signin.user.admin openid",
		"username":       "alice",
	}
}

func testConfig() Config {
	return Config{
		Issuer:       testIssuer,
		JWKSEndpoint: testJWKSURL,
		AdditionalClaims: []Claim{
			{Name: "cognito:groups", Format: FormatStringArray, Values: []string{"tenant-A"}},
			{Name: "token_use", Format: FormatSingleString, Values: []string{"access"}},
			{Name: "client_id", Format: FormatSingleString, Values: []string{testClientID}},
		},
	}
}

// sign returns a compact JWS over the JSON of claims.
func sign(t testing.TB, alg jwa.SignatureAlgorithm, key any, kid string, claims any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatalf("marshal claims: %v", err)
	}
	return signPayload(t, alg, key, map[string]any{"kid": kid, "typ": "JWT"}, payload)
}

// signPayload signs raw payload bytes with extra protected headers (kid omitted when "").
func signPayload(t testing.TB, alg jwa.SignatureAlgorithm, key any, headers map[string]any, payload []byte) string {
	t.Helper()
	hdrs := jws.NewHeaders()
	for name, v := range headers {
		if name == "kid" && v == "" {
			continue
		}
		if err := hdrs.Set(name, v); err != nil {
			t.Fatalf("set header %s: %v", name, err)
		}
	}
	tok, err := jws.Sign(payload, jws.WithKey(alg, key, jws.WithProtectedHeaders(hdrs)))
	if err != nil {
		t.Fatalf("jws.Sign %s: %v", alg, err)
	}
	return string(tok)
}

// unsigned builds an `alg: none` token by hand (jwx refuses to produce one).
func unsigned(t testing.TB, claims any) string {
	t.Helper()
	enc := base64.RawURLEncoding
	hdr := enc.EncodeToString([]byte(`{"alg":"none","kid":"` + testKid + `","typ":"JWT"}`))
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatalf("marshal claims: %v", err)
	}
	return hdr + "." + enc.EncodeToString(payload) + "."
}

func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

// newTestValidator returns a validator with a fixed clock reading JWKS from srv.
func newTestValidator(t testing.TB, srv *jwksServer, ks *KeySet, cfg Config) *Validator {
	t.Helper()
	v, err := NewValidator(cfg, ks, ValidatorOptions{Now: fixedNow, JWKSURL: srv.url()})
	if err != nil {
		t.Fatalf("NewValidator: %v", err)
	}
	return v
}

// fixture is the common setup: a JWKS server serving the primary key, a key
// set on the settable clock clk (at testNow until a test advances it), and a
// validator of testConfig() with the fixed claims clock reading from srv.
type fixture struct {
	k   testKeys
	srv *jwksServer
	clk *clock
	ks  *KeySet
	v   *Validator
}

func newFixture(t testing.TB) fixture {
	t.Helper()
	f := fixture{k: keys(t), clk: newClock()}
	f.srv = newJWKSServer(t, jwksJSON(t, rsaEntry(t, f.k.primary, testKid)))
	f.ks = NewKeySet(nil, KeySetOptions{Now: f.clk.Now})
	f.v = newTestValidator(t, f.srv, f.ks, testConfig())
	return f
}

// validToken is a bearer header with a valid token signed by the primary key.
func (f fixture) validToken(t testing.TB) http.Header {
	return bearer(sign(t, jwa.RS256(), f.k.primary, testKid, baseClaims()))
}

// checkCancelled is v.Check for a request cancelled before the check starts.
func checkCancelled(v *Validator, h http.Header) Verdict {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return v.Check(ctx, h)
}
