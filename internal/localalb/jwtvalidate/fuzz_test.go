package jwtvalidate

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwa"
)

// FuzzCheck feeds arbitrary Authorization header values to Check: it must never
// panic, and it may pass only when the header carries exactly the one valid token.
func FuzzCheck(f *testing.F) {
	fx := newFixture(f)
	k, v := fx.k, fx.v

	validToken := sign(f, jwa.RS256(), k.primary, testKid, baseClaims())
	otherTenant := baseClaims()
	otherTenant["cognito:groups"] = []string{"tenant-B"}
	parts := strings.Split(validToken, ".")

	f.Add("Bearer " + validToken[:len(validToken)-1] + "A")
	f.Add("bearer  " + parts[0] + "." + parts[1] + ".")
	f.Add("Bearer " + sign(f, jwa.RS256(), k.primary, testKid, otherTenant))
	f.Add("Bearer " + sign(f, jwa.HS256(), []byte("secret"), testKid, baseClaims()))
	f.Add("Bearer " + unsigned(f, baseClaims()))
	f.Add("Bearer " + parts[0] + "." + parts[0] + "." + parts[2])
	f.Add("Bearer a.b.c")
	f.Add("Bearer ..")
	f.Add("Basic dXNlcjpwYXNz")
	f.Add("")
	f.Add("Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6ImtleS0xIn0.e30.AAAA")
	f.Add("Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6WzFdfQ.e30.AAAA")

	f.Fuzz(func(t *testing.T, value string) {
		got := v.Check(context.Background(), http.Header{"Authorization": {value}})
		if got.Status != 0 && got.Status != http.StatusUnauthorized && got.Status != http.StatusInternalServerError {
			t.Fatalf("unexpected status %d", got.Status)
		}
		if got.Passed() != (got.Reason == "") {
			t.Fatalf("verdict %+v: a reason is required exactly when rejecting", got)
		}
		if !got.Passed() {
			return
		}
		scheme, rest, _ := strings.Cut(value, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimLeft(rest, " ") != validToken {
			t.Fatalf("passed a header that does not carry the valid token: %q", value)
		}
	})
}
