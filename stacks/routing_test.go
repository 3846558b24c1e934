package stacks

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"
)

func TestJwtValidationLimits(t *testing.T) {
	values := func(n int) []*string {
		out := make([]*string, n)
		for i := range out {
			out[i] = jsii.String(fmt.Sprint(i))
		}
		return out
	}
	claims := func(n int) []jwtClaim {
		out := make([]jwtClaim, n)
		for i := range out {
			out[i] = jwtClaim{Name: fmt.Sprintf("c%d", i), Format: "single-string", Values: values(1)}
		}
		return out
	}
	ok := tenantJwtValidation(Tenant{ID: "t"}, jsii.String("i"), jsii.String("j"), jsii.String("c"))
	tests := []struct {
		name    string
		change  func(*jwtValidation)
		wantErr string
	}{
		{"the tenant rule", func(*jwtValidation) {}, ""},
		{"issuer 256", func(v *jwtValidation) { v.LongestIssuer = strings.Repeat("i", 256) }, ""},
		{"issuer 257", func(v *jwtValidation) { v.LongestIssuer = strings.Repeat("i", 257) }, "issuer can be 257"},
		{"jwks 257", func(v *jwtValidation) { v.LongestJWKSEndpoint = strings.Repeat("j", 257) }, "JWKS endpoint can be 257"},
		{"10 claims", func(v *jwtValidation) { v.Claims = claims(10) }, ""},
		{"11 claims", func(v *jwtValidation) { v.Claims = claims(11) }, "11 additional claims"},
		{"10 values", func(v *jwtValidation) { v.Claims[0].Values = values(10) }, ""},
		{"11 values", func(v *jwtValidation) { v.Claims[0].Values = values(11) }, "has 11 values"},
		{"no values", func(v *jwtValidation) { v.Claims[0].Values = nil }, "has 0 values"},
		{"exp", func(v *jwtValidation) { v.Claims[0].Name = "exp" }, `claim "exp" cannot`},
		{"iss", func(v *jwtValidation) { v.Claims[1].Name = "iss" }, `claim "iss" cannot`},
		{"nbf", func(v *jwtValidation) { v.Claims[2].Name = "nbf" }, `claim "nbf" cannot`},
		{"iat", func(v *jwtValidation) { v.Claims[0].Name = "iat" }, `claim "iat" cannot`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := ok
			v.Claims = append([]jwtClaim(nil), ok.Claims...)
			tc.change(&v)
			err := v.validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestLongestIssuer: the bound the synth-time check uses is the fixed parts
// of contract.IssuerURL plus the longest region and pool id.
func TestLongestIssuer(t *testing.T) {
	fixed := len(contract.IssuerURL("", ""))
	if got, want := len(longestIssuer()), fixed+maxRegionLen+maxUserPoolIDLen; got != want {
		t.Errorf("longest issuer %d characters, want %d", got, want)
	}
	if got := len(contract.JWKSURL(longestIssuer())); got > maxJwtURLLen {
		t.Errorf("the longest JWKS URL (%d) exceeds the ALB's %d", got, maxJwtURLLen)
	}
}

// TestRuleRejectsInvalidValidation: the rule construct returns the error
// instead of synthesizing a rule the ALB would reject at deploy time.
func TestRuleRejectsInvalidValidation(t *testing.T) {
	v := tenantJwtValidation(Tenant{ID: "t"}, jsii.String("i"), jsii.String("j"), jsii.String("c"))
	v.Claims[0].Name = "exp"
	if _, err := newTenantRule(nil, "Rule", Tenant{ID: "t", Priority: 1}, nil, nil, v); err == nil || !strings.Contains(err.Error(), "tenant t") {
		t.Fatalf("error %v, want the tenant named", err)
	}
}
