package jwtvalidate

import (
	"context"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwa"
)

// BenchmarkCheckValid measures the per-request cost of the local ALB's JWT check for a
// valid Cognito-shaped token with a warm JWKS cache (RSA-2048, three additional claims).
func BenchmarkCheckValid(b *testing.B) {
	f := newFixture(b)
	v, h := f.v, f.validToken(b)
	ctx := context.Background()
	if got := v.Check(ctx, h); !got.Passed() {
		b.Fatalf("Check = %+v", got)
	}
	b.ReportAllocs()
	for b.Loop() {
		if got := v.Check(ctx, h); !got.Passed() {
			b.Fatalf("Check = %+v", got)
		}
	}
	if got := f.ks.Fetches(); got != 1 {
		b.Fatalf("Fetches() = %d while warm, want 1", got)
	}
}

// BenchmarkCheckValidParallel is BenchmarkCheckValid under concurrent requests.
func BenchmarkCheckValidParallel(b *testing.B) {
	f := newFixture(b)
	v, h := f.v, f.validToken(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if got := v.Check(context.Background(), h); !got.Passed() {
				b.Errorf("Check = %+v", got)
				return
			}
		}
	})
	if got := f.ks.Fetches(); got != 1 {
		b.Fatalf("Fetches() = %d while warm, want 1", got)
	}
}

// BenchmarkCheckRejectBadSignature measures the cost of rejecting a forged token.
func BenchmarkCheckRejectBadSignature(b *testing.B) {
	f := newFixture(b)
	v := f.v
	h := bearer(sign(b, jwa.RS256(), f.k.attacker, testKid, baseClaims()))
	b.ReportAllocs()
	for b.Loop() {
		if got := v.Check(context.Background(), h); got.Reason != "bad signature" {
			b.Fatalf("Check = %+v", got)
		}
	}
}
