package jwtvalidate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

func TestKeySetSharedCachePerURL(t *testing.T) {
	f := newFixture(t)
	k, srv, ks, va := f.k, f.srv, f.ks, f.v
	tokA := sign(t, jwa.RS256(), k.primary, testKid, baseClaims())

	cfgB := testConfig()
	cfgB.AdditionalClaims[0].Values = []string{"tenant-B"}
	claimsB := baseClaims()
	claimsB["cognito:groups"] = []string{"tenant-B"}
	tokB := sign(t, jwa.RS256(), k.primary, testKid, claimsB)

	vb := newTestValidator(t, srv, ks, cfgB)
	for range 5 {
		if got := va.Check(context.Background(), bearer(tokA)); !got.Passed() {
			t.Fatalf("tenant A: %+v", got)
		}
		if got := vb.Check(context.Background(), bearer(tokB)); !got.Passed() {
			t.Fatalf("tenant B: %+v", got)
		}
	}
	if got := ks.Fetches(); got != 1 {
		t.Errorf("Fetches() = %d after 10 checks by two rules on one URL, want 1", got)
	}

	// A second URL is a second cache entry.
	vc, err := NewValidator(testConfig(), ks, ValidatorOptions{Now: fixedNow, JWKSURL: srv.URL + "/other/jwks.json"})
	if err != nil {
		t.Fatal(err)
	}
	if got := vc.Check(context.Background(), bearer(tokA)); !got.Passed() {
		t.Fatalf("second URL: %+v", got)
	}
	if got, want := ks.Fetches(), int64(2); got != want || srv.requests.Load() != want {
		t.Errorf("Fetches() = %d, server saw %d, want %d", got, srv.requests.Load(), want)
	}
}

func TestKeySetKeyRotation(t *testing.T) {
	k := keys(t)
	srv := newJWKSServer(t, jwksJSON(t, rsaEntry(t, k.primary, testKid)))
	clk := newClock()
	ks := NewKeySet(nil, KeySetOptions{Now: clk.Now})
	v, err := NewValidator(testConfig(), ks, ValidatorOptions{Now: clk.Now, JWKSURL: srv.url()})
	if err != nil {
		t.Fatal(err)
	}
	check := func(tok string) Verdict { return v.Check(context.Background(), bearer(tok)) }
	oldTok := sign(t, jwa.RS256(), k.primary, testKid, baseClaims())
	newTok := sign(t, jwa.RS256(), k.rotated, "key-2", baseClaims())

	steps := []struct {
		name        string
		advance     time.Duration
		rotate      bool
		token       string
		wantReason  string
		wantFetches int64
	}{
		{"old key warm", 0, false, oldTok, "", 1},
		{"unknown new kid refetches, still unknown", 0, false, newTok, "unknown kid", 1},
		{"IdP rotates; refetch rate limited", 5 * time.Second, true, newTok, "unknown kid", 1},
		{"after 10 s the unknown kid refetches", 5 * time.Second, false, newTok, "", 2},
		{"new key now cached", time.Second, false, newTok, "", 2},
		{"unknown kid right after a fetch: no fetch", 0, false, sign(t, jwa.RS256(), k.rotated, "key-3", baseClaims()), "unknown kid", 2},
		{"old key still cached (rotation keeps it)", 0, false, oldTok, "", 2},
	}
	// The first step fetched on a cold cache, so the unknown kid of step 2 must not
	// trigger another fetch within 10 s.
	for _, s := range steps {
		clk.Advance(s.advance)
		if s.rotate {
			srv.setBody(jwksJSON(t, rsaEntry(t, k.primary, testKid), rsaEntry(t, k.rotated, "key-2")))
		}
		got := check(s.token)
		if got.Reason != s.wantReason || ks.Fetches() != s.wantFetches {
			t.Fatalf("%s: Check = %+v, Fetches = %d; want reason %q, %d fetches", s.name, got, ks.Fetches(), s.wantReason, s.wantFetches)
		}
	}
}

func TestKeySetTTLRefreshAndStaleOnFailure(t *testing.T) {
	k := keys(t)
	srv := newJWKSServer(t, jwksJSON(t, rsaEntry(t, k.primary, testKid)))
	clk := newClock()
	ks := NewKeySet(nil, KeySetOptions{Now: clk.Now, TTL: time.Hour})
	v, err := NewValidator(testConfig(), ks, ValidatorOptions{JWKSURL: srv.url()}) // real clock for claims
	if err != nil {
		t.Fatal(err)
	}
	claims := baseClaims()
	claims["exp"] = time.Now().Add(time.Hour).Unix()
	claims["iat"] = time.Now().Add(-time.Minute).Unix()
	tok := bearer(sign(t, jwa.RS256(), k.primary, testKid, claims))

	steps := []struct {
		name        string
		advance     time.Duration
		status      int
		wantPass    bool
		wantFetches int64
	}{
		{"cold", 0, 200, true, 1},
		{"warm before TTL", 59 * time.Minute, 200, true, 1},
		{"TTL reached: refresh", time.Minute, 200, true, 2},
		{"TTL reached again, IdP down: stale set used (JWT-A11)", time.Hour, 503, true, 3},
		{"within retry interval: no fetch, stale set used", 500 * time.Millisecond, 503, true, 3},
		{"after retry interval: fetch again, still stale", time.Second, 503, true, 4},
		{"IdP back", time.Second, 200, true, 5},
		{"fresh again", time.Second, 200, true, 5},
	}
	for _, s := range steps {
		clk.Advance(s.advance)
		srv.status.Store(int32(s.status))
		got := v.Check(context.Background(), tok)
		if got.Passed() != s.wantPass || ks.Fetches() != s.wantFetches {
			t.Fatalf("%s: Check = %+v, Fetches = %d; want pass %v, %d fetches", s.name, got, ks.Fetches(), s.wantPass, s.wantFetches)
		}
	}
}

func TestKeySetRetryAfterFailure(t *testing.T) {
	k := keys(t)
	srv := newJWKSServer(t, []byte("oops"))
	srv.status.Store(http.StatusInternalServerError)
	clk := newClock()
	ks := NewKeySet(nil, KeySetOptions{Now: clk.Now})
	v, err := NewValidator(testConfig(), ks, ValidatorOptions{Now: fixedNow, JWKSURL: srv.url()})
	if err != nil {
		t.Fatal(err)
	}
	tok := bearer(sign(t, jwa.RS256(), k.primary, testKid, baseClaims()))

	if got := v.Check(context.Background(), tok); got.Status != 500 || got.Reason != "jwks unavailable: status 500" {
		t.Fatalf("IdP failing: %+v", got)
	}
	if got := v.Check(context.Background(), tok); got.Status != 500 || ks.Fetches() != 1 {
		t.Fatalf("within retry interval: %+v, %d fetches; want 500 from the remembered failure, 1 fetch", got, ks.Fetches())
	}
	srv.setBody(jwksJSON(t, rsaEntry(t, k.primary, testKid)))
	srv.status.Store(http.StatusOK)
	clk.Advance(DefaultRetryInterval)
	if got := v.Check(context.Background(), tok); !got.Passed() || ks.Fetches() != 2 {
		t.Fatalf("after retry interval: %+v, %d fetches", got, ks.Fetches())
	}
}

func TestKeySetSingleFlight(t *testing.T) {
	k := keys(t)
	srv := newJWKSServer(t, jwksJSON(t, rsaEntry(t, k.primary, testKid)))
	release := srv.hold()
	ks := NewKeySet(nil, KeySetOptions{Now: fixedNow})
	const n = 16
	waiting := make(chan struct{}, n)
	ks.waitHook = func() { waiting <- struct{}{} }
	v := newTestValidator(t, srv, ks, testConfig())
	tok := bearer(sign(t, jwa.RS256(), k.primary, testKid, baseClaims()))

	var wg sync.WaitGroup
	verdicts := make([]Verdict, n)
	for i := range n {
		wg.Go(func() { verdicts[i] = v.Check(context.Background(), tok) })
	}
	// Every request is in flight at once: one fetch held at the server, the
	// others waiting for it.
	<-srv.arrived
	for range n - 1 {
		<-waiting
	}
	release()
	wg.Wait()
	for i, got := range verdicts {
		if !got.Passed() {
			t.Errorf("request %d: %+v", i, got)
		}
	}
	if got := ks.Fetches(); got != 1 {
		t.Errorf("Fetches() = %d for %d concurrent cold requests, want 1", got, n)
	}
}

func TestKeySetWaiterHonoursContext(t *testing.T) {
	k := keys(t)
	srv := newJWKSServer(t, jwksJSON(t, rsaEntry(t, k.primary, testKid)))
	release := srv.hold()
	defer release()
	ks := NewKeySet(nil, KeySetOptions{Now: fixedNow})
	waiting := make(chan struct{}, 1)
	ks.waitHook = func() { waiting <- struct{}{} }
	v := newTestValidator(t, srv, ks, testConfig())
	tok := bearer(sign(t, jwa.RS256(), k.primary, testKid, baseClaims()))

	leaderDone := make(chan Verdict)
	go func() { leaderDone <- v.Check(context.Background(), tok) }()
	<-srv.arrived // the leader's fetch is in flight (held by the server)

	// The waiter's deadline passes while it waits for the leader's fetch.
	ctx := newExpiringContext()
	waiterDone := make(chan Verdict)
	go func() { waiterDone <- v.Check(ctx, tok) }()
	<-waiting
	ctx.expire()
	if got := <-waiterDone; got.Status != 500 || got.Reason != "jwks unavailable: context deadline exceeded" {
		t.Errorf("cancelled waiter: %+v", got)
	}
	release()
	if got := <-leaderDone; !got.Passed() {
		t.Errorf("leader: %+v", got)
	}

	// A request cancelled before the check starts is not blamed on the token.
	if got := checkCancelled(v, tok); got.Status != 500 || got.Reason != "request cancelled" {
		t.Errorf("cancelled request: %+v", got)
	}
}

func TestKeySetFetchFailures(t *testing.T) {
	k := keys(t)
	good := rsaEntry(t, k.primary, testKid)
	padTo := func(size int) []byte { // a valid JWKS padded with whitespace to exactly size bytes
		b := jwksJSON(t, good)
		return append(b[:len(b)-1], append(bytes.Repeat([]byte(" "), size-len(b)), '}')...)
	}
	nKeys := func(n int) []byte {
		entries := []jwk.Key{good}
		for i := 1; i < n; i++ {
			entries = append(entries, rsaEntry(t, k.rotated, fmt.Sprintf("k%d", i)))
		}
		return jwksJSON(t, entries...)
	}
	singleJWK, err := json.Marshal(good)
	if err != nil {
		t.Fatal(err)
	}
	// A listener that is closed at once gives a loopback port that refuses connections.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedURL := "http://" + ln.Addr().String() + "/jwks.json"
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		body       []byte
		status     int
		hang       bool   // the server never answers
		url        string // overrides the test server
		wantStatus int
		wantReason string
	}{
		{"exactly 150 KB", padTo(MaxJWKSBytes), 200, false, "", 0, ""},
		{"150 KB + 1 byte (JWT-A12)", padTo(MaxJWKSBytes + 1), 200, false, "", 500, "jwks invalid: response larger than 153600 bytes"},
		{"exactly 10 keys", nKeys(10), 200, false, "", 0, ""},
		{"11 keys (JWT-A12)", nKeys(11), 200, false, "", 500, "jwks invalid: 11 keys, maximum is 10"},
		{"11 keys, some unusable, still too many", append(nKeys(10)[:len(nKeys(10))-2], []byte(`,{"kty":"OKP","crv":"X25519","x":"AAAA"}]}`)...), 200, false, "", 500, "jwks invalid: 11 keys, maximum is 10"},
		{"not JSON", []byte("<html>"), 200, false, "", 500, "jwks invalid: not a JWK set"},
		{"keys not an array", []byte(`{"keys":{}}`), 200, false, "", 500, "jwks invalid: not a JWK set"},
		{"404", []byte("not found"), 404, false, "", 500, "jwks unavailable: status 404"},
		{"503", []byte("busy"), 503, false, "", 500, "jwks unavailable: status 503"},
		{"connection refused", nil, 200, false, refusedURL, 500, "jwks unavailable: dial tcp " + strings.TrimPrefix(strings.TrimSuffix(refusedURL, "/jwks.json"), "http://") + ": connect: connection refused"},
		{"timeout", jwksJSON(t, good), 200, true, "", 500, "jwks unavailable: context deadline exceeded"},
		{"empty set", []byte(`{"keys":[]}`), 200, false, "", 401, "unknown kid"},
		{"single JWK instead of a set (JWT-A14)", singleJWK, 200, false, "", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newJWKSServer(t, tc.body)
			srv.status.Store(int32(tc.status))
			if tc.hang {
				defer srv.hold()() // runs before the server's Close (t.Cleanup)
			}
			url := srv.url()
			if tc.url != "" {
				url = tc.url
			}
			ks := NewKeySet(&http.Client{}, KeySetOptions{Now: fixedNow, FetchTimeout: 200 * time.Millisecond})
			v, err := NewValidator(testConfig(), ks, ValidatorOptions{Now: fixedNow, JWKSURL: url})
			if err != nil {
				t.Fatal(err)
			}
			got := v.Check(context.Background(), bearer(sign(t, jwa.RS256(), k.primary, testKid, baseClaims())))
			if got.Status != tc.wantStatus || got.Reason != tc.wantReason {
				t.Errorf("Check = %+v, want {Status:%d Reason:%q}", got, tc.wantStatus, tc.wantReason)
			}
		})
	}
}

func TestKeySetUsableKeys(t *testing.T) {
	k := keys(t)
	tok := func(kid string) http.Header {
		return bearer(sign(t, jwa.RS256(), k.primary, kid, baseClaims()))
	}
	pub := &k.primary.PublicKey
	entries := []jwk.Key{
		jwkEntry(t, pub, map[string]any{"kid": "no-alg-no-use"}),
		jwkEntry(t, pub, map[string]any{"kid": "enc", "use": "enc"}),
		jwkEntry(t, pub, map[string]any{"kid": "rs512", "alg": "RS512"}),
		jwkEntry(t, pub, map[string]any{"kid": "ops-sign-only", "key_ops": []string{"sign"}}),
		jwkEntry(t, pub, map[string]any{"kid": "ops-verify", "key_ops": []string{"verify"}}),
		jwkEntry(t, &k.ec.PublicKey, map[string]any{"kid": "ec"}),
		jwkEntry(t, k.primary, map[string]any{"kid": "private-jwk"}), // public part used
		jwkEntry(t, &k.attacker.PublicKey, map[string]any{"kid": "dup"}),
		jwkEntry(t, pub, map[string]any{"kid": "dup"}), // first usable entry wins (JWT-A10)
	}
	body := jwksJSON(t, entries...)
	var set struct{ Keys []json.RawMessage }
	if err := json.Unmarshal(body, &set); err != nil || len(set.Keys) != len(entries) {
		t.Fatalf("test JWKS has %d keys (%v)", len(set.Keys), err)
	}
	srv := newJWKSServer(t, body)
	ks := NewKeySet(nil, KeySetOptions{Now: fixedNow})
	v := newTestValidator(t, srv, ks, testConfig())
	tests := []struct {
		kid        string
		wantReason string
	}{
		{"no-alg-no-use", ""},
		{"enc", "unknown kid"},
		{"rs512", "unknown kid"},
		{"ops-sign-only", "unknown kid"},
		{"ops-verify", ""},
		{"ec", "unknown kid"},
		{"private-jwk", ""},
		{"dup", "bad signature"},
	}
	for _, tc := range tests {
		if got := v.Check(context.Background(), tok(tc.kid)); got.Reason != tc.wantReason {
			t.Errorf("kid %s: Check = %+v, want reason %q", tc.kid, got, tc.wantReason)
		}
	}
}

// expiringContext is a context whose deadline passes when the test says so.
type expiringContext struct {
	context.Context
	done chan struct{}
	once sync.Once
}

func newExpiringContext() *expiringContext {
	return &expiringContext{Context: context.Background(), done: make(chan struct{})}
}

func (c *expiringContext) expire() { c.once.Do(func() { close(c.done) }) }

func (c *expiringContext) Done() <-chan struct{} { return c.done }

func (c *expiringContext) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}
