package jwtvalidate

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
)

// Implementation note JWT-N1: the verified-signature cache skips only the signature
// verification and the payload parsing of a token that verified before.

func TestVerifiedCacheStillChecksTime(t *testing.T) {
	k := keys(t)
	srv := newJWKSServer(t, jwksJSON(t, rsaEntry(t, k.primary, testKid)))
	clk := newClock()
	ks := NewKeySet(nil, KeySetOptions{Now: fixedNow})
	v, err := NewValidator(testConfig(), ks, ValidatorOptions{Now: clk.Now, JWKSURL: srv.url()})
	if err != nil {
		t.Fatal(err)
	}
	claims := baseClaims()
	claims["nbf"] = testNow.Add(time.Minute).Unix()
	claims["exp"] = testNow.Add(2 * time.Minute).Unix()
	tok := bearer(sign(t, jwa.RS256(), k.primary, testKid, claims))
	c := &v.entry.verified

	if got := v.Check(context.Background(), tok); got.Reason != "not yet valid" {
		t.Fatalf("before nbf: %+v", got)
	}
	if c.len() != 1 || c.hits.Load() != 0 {
		t.Fatalf("after the first check: %d entries, %d hits; want the verified token cached", c.len(), c.hits.Load())
	}
	clk.Advance(time.Minute)
	if got := v.Check(context.Background(), tok); !got.Passed() {
		t.Fatalf("at nbf: %+v", got)
	}
	clk.Advance(time.Minute - time.Millisecond)
	if got := v.Check(context.Background(), tok); !got.Passed() {
		t.Fatalf("just before exp: %+v", got)
	}
	clk.Advance(time.Millisecond)
	if got := v.Check(context.Background(), tok); got.Reason != "expired" {
		t.Fatalf("cached token at exp: %+v, want expired", got)
	}
	if got := c.hits.Load(); got != 3 {
		t.Fatalf("%d cache hits, want 3 (the later checks must have used the cache)", got)
	}

	// Claims are checked per validator: another rule sharing the URL (and the cache)
	// still applies its own additional claims.
	cfgB := testConfig()
	cfgB.AdditionalClaims[0].Values = []string{"tenant-B"}
	midway := func() time.Time { return testNow.Add(90 * time.Second) }
	vb, err := NewValidator(cfgB, ks, ValidatorOptions{Now: midway, JWKSURL: srv.url()})
	if err != nil {
		t.Fatal(err)
	}
	if got := vb.Check(context.Background(), tok); got.Reason != "claim cognito:groups mismatch" {
		t.Fatalf("other rule, cached token: %+v", got)
	}
	if got := c.hits.Load(); got != 4 {
		t.Fatalf("%d cache hits, want 4 (shared per URL)", got)
	}

	// A cancelled request is answered as without the cache.
	if got := checkCancelled(vb, tok); got.Status != 500 || got.Reason != "request cancelled" {
		t.Fatalf("cancelled, cached token: %+v", got)
	}
}

func TestVerifiedCacheInvalidatedByKeyRotation(t *testing.T) {
	k := keys(t)
	for _, tc := range []struct {
		name       string
		rotated    []byte // JWKS after rotation
		wantReason string
	}{
		{"key removed", jwksJSON(t, rsaEntry(t, k.rotated, "key-2")), "unknown kid"},
		{"same kid, other key", jwksJSON(t, rsaEntry(t, k.rotated, testKid)), "bad signature"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			v, ks, tok := f.v, f.ks, f.validToken(t)
			c := &v.entry.verified
			for range 2 {
				if got := v.Check(context.Background(), tok); !got.Passed() {
					t.Fatalf("before rotation: %+v", got)
				}
			}
			if c.hits.Load() != 1 {
				t.Fatalf("%d hits before rotation, want 1", c.hits.Load())
			}
			f.srv.setBody(tc.rotated)
			f.clk.Advance(DefaultTTL) // the next use refreshes the set
			if got := v.Check(context.Background(), tok); got.Status != 401 || got.Reason != tc.wantReason {
				t.Fatalf("after rotation: %+v, want 401 %q", got, tc.wantReason)
			}
			if got := v.Check(context.Background(), tok); got.Status != 401 || got.Reason != tc.wantReason {
				t.Fatalf("after rotation, again: %+v, want 401 %q", got, tc.wantReason)
			}
			if ks.Fetches() != 2 || c.hits.Load() != 1 || c.len() != 0 {
				t.Fatalf("after rotation: %d fetches, %d hits, %d entries; want 2, 1, 0", ks.Fetches(), c.hits.Load(), c.len())
			}
		})
	}
}

func TestVerifiedCacheRefreshWithSameKeysReverifies(t *testing.T) {
	f := newFixture(t)
	v, ks, tok := f.v, f.ks, f.validToken(t)
	c := &v.entry.verified
	if got := v.Check(context.Background(), tok); !got.Passed() {
		t.Fatal(got)
	}
	f.clk.Advance(DefaultTTL) // refresh: a new generation even though the keys are the same
	if got := v.Check(context.Background(), tok); !got.Passed() {
		t.Fatal(got)
	}
	if ks.Fetches() != 2 || c.hits.Load() != 0 || c.len() != 1 {
		t.Fatalf("%d fetches, %d hits, %d entries; want 2, 0 (re-verified), 1", ks.Fetches(), c.hits.Load(), c.len())
	}
	if got := v.Check(context.Background(), tok); !got.Passed() || c.hits.Load() != 1 {
		t.Fatalf("%+v, %d hits; want a hit in the new generation", got, c.hits.Load())
	}
}

// tamper returns tok with one character of the given segment changed.
func tamper(tok string, segment int) string {
	parts := strings.Split(tok, ".")
	p := []byte(parts[segment])
	i := len(p) / 2
	if p[i] == 'A' {
		p[i] = 'B'
	} else {
		p[i] = 'A'
	}
	parts[segment] = string(p)
	return strings.Join(parts, ".")
}

func TestVerifiedCacheNeverServesTamperedTokens(t *testing.T) {
	f := newFixture(t)
	k, v := f.k, f.v
	tok := sign(t, jwa.RS256(), k.primary, testKid, baseClaims())
	c := &v.entry.verified
	if got := v.Check(context.Background(), bearer(tok)); !got.Passed() {
		t.Fatal(got)
	}
	forged := sign(t, jwa.RS256(), k.attacker, testKid, baseClaims())
	for i, bad := range []string{tamper(tok, 0), tamper(tok, 1), tamper(tok, 2), forged, tok + "A", tok[:len(tok)-1]} {
		for range 2 {
			got := v.Check(context.Background(), bearer(bad))
			if got.Status != 401 {
				t.Fatalf("tampered token %d: %+v, want 401", i, got)
			}
		}
	}
	if c.hits.Load() != 0 || c.len() != 1 {
		t.Fatalf("%d hits, %d entries; tampered tokens must neither hit nor fill the cache", c.hits.Load(), c.len())
	}
	// Bearer scheme variations reach the same exact token bytes and may hit.
	if got := v.Check(context.Background(), map[string][]string{"Authorization": {"bearer   " + tok}}); !got.Passed() || c.hits.Load() != 1 {
		t.Fatalf("%+v, %d hits", got, c.hits.Load())
	}
}

func TestVerifiedCacheBounded(t *testing.T) {
	f := newFixture(t)
	v := f.v
	if got := v.Check(context.Background(), f.validToken(t)); !got.Passed() {
		t.Fatal(got)
	}
	// Fill the cache directly (signing 4096 tokens would be slow); the entry key is
	// all that matters for the bound.
	c := &v.entry.verified
	c.mu.RLock()
	gen := c.gen
	c.mu.RUnlock()
	for i := range maxVerifiedEntries + 100 {
		c.put(fmt.Sprintf("token-%d", i), gen, &verifiedToken{kid: testKid, size: 10})
	}
	if got := c.len(); got != maxVerifiedEntries {
		t.Fatalf("%d entries, want %d", got, maxVerifiedEntries)
	}
	big := strings.Repeat("x", 1<<20)
	for i := range 20 {
		c.put(fmt.Sprint(i, big), gen, &verifiedToken{kid: testKid, size: 1})
	}
	if c.bytes > maxVerifiedBytes {
		t.Fatalf("%d bytes cached, bound is %d", c.bytes, maxVerifiedBytes)
	}
	// A put for an older generation is dropped.
	c.put("stale", gen-1, &verifiedToken{kid: testKid})
	if c.get("stale") != nil {
		t.Fatal("entry of an old key-set generation was cached")
	}
}

func TestVerifiedCacheConcurrent(t *testing.T) {
	f := newFixture(t)
	k, v, clk := f.k, f.v, f.clk
	good := make([]string, 4)
	for i := range good {
		c := baseClaims()
		c["username"] = fmt.Sprint("user-", i)
		good[i] = sign(t, jwa.RS256(), k.primary, testKid, c)
	}
	forged := sign(t, jwa.RS256(), k.attacker, testKid, baseClaims())
	tampered := tamper(good[0], 1)

	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 8 {
		wg.Go(func() {
			for i := range 40 {
				if got := v.Check(context.Background(), bearer(good[(g+i)%len(good)])); !got.Passed() {
					errs <- fmt.Sprintf("valid token: %+v", got)
					return
				}
				bad := forged
				if i%2 == 0 {
					bad = tampered
				}
				if got := v.Check(context.Background(), bearer(bad)); got.Status != 401 {
					errs <- fmt.Sprintf("bad token: %+v", got)
					return
				}
			}
		})
	}
	// Meanwhile the set is refreshed (same key) several times: new generations.
	wg.Go(func() {
		for range 5 {
			clk.Advance(DefaultTTL)
			runtime.Gosched()
		}
	})
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if v.entry.verified.hits.Load() == 0 {
		t.Error("no cache hits")
	}
}

// FuzzJSONScalars: the fast paths of jsonString and jsonNumber agree with
// json.Unmarshal.
func FuzzJSONScalars(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\"b"`, `"\u00e9"`, "\"\xff\"", `"é"`, `""`, `"`, `1`, `-1.5e3`, `1e400`, `01`, `1.`, `"1"`, `null`, `"a"b"`, "\"\x01\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return // claims values always come from a successful decode
		}
		var s string
		sErr := json.Unmarshal(raw, &s)
		gotS, okS := jsonString(raw)
		if wantOK := len(raw) > 0 && raw[0] == '"' && sErr == nil; okS != wantOK || (okS && gotS != s) {
			t.Fatalf("jsonString(%q) = %q, %v; json.Unmarshal: %q, %v", raw, gotS, okS, s, sErr)
		}
		var n float64
		nErr := json.Unmarshal(raw, &n)
		gotN, okN := jsonNumber(raw)
		if wantOK := len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') && nErr == nil; okN != wantOK || (okN && gotN != n) {
			t.Fatalf("jsonNumber(%q) = %v, %v; json.Unmarshal: %v, %v", raw, gotN, okN, n, nErr)
		}
	})
}
