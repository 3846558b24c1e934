package jwtvalidate

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
)

func TestCheck(t *testing.T) {
	k := keys(t)
	srv := newJWKSServer(t, jwksJSON(t, rsaEntry(t, k.primary, testKid), rsaEntry(t, k.rotated, "key-2")))

	pubDER, err := x509.MarshalPKIXPublicKey(&k.primary.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	pubJWK, err := json.Marshal(rsaEntry(t, k.primary, testKid))
	if err != nil {
		t.Fatal(err)
	}

	// with returns the base claims with changes applied; a nil value deletes the claim.
	with := func(changes map[string]any) map[string]any {
		c := baseClaims()
		for name, v := range changes {
			if v == nil {
				delete(c, name)
			} else {
				c[name] = v
			}
		}
		return c
	}
	valid := func(changes map[string]any) func(t *testing.T) string {
		return func(t *testing.T) string { return sign(t, jwa.RS256(), k.primary, testKid, with(changes)) }
	}
	rawClaims := func(payload string) func(t *testing.T) string {
		return func(t *testing.T) string {
			return signPayload(t, jwa.RS256(), k.primary, map[string]any{"kid": testKid}, []byte(payload))
		}
	}
	now := testNow.Unix()

	tests := []struct {
		name       string
		token      func(t *testing.T) string
		wantStatus int
		wantReason string
	}{
		{"valid cognito access token", valid(nil), 0, ""},
		{"valid token signed with second key", func(t *testing.T) string {
			return sign(t, jwa.RS256(), k.rotated, "key-2", baseClaims())
		}, 0, ""},
		{"valid with several groups", valid(map[string]any{"cognito:groups": []string{"other", "tenant-A"}}), 0, ""},
		{"string-array claim given as plain string (JWT-A9)", valid(map[string]any{"cognito:groups": "tenant-A"}), 401, "claim cognito:groups wrong type"},
		{"fractional exp in the future", valid(map[string]any{"exp": float64(now) + 0.5}), 0, ""},
		{"without iat and nbf", valid(map[string]any{"iat": nil}), 0, ""},

		// algorithms (JWT-A6)
		{"alg none", func(t *testing.T) string { return unsigned(t, baseClaims()) }, 401, "alg not allowed"},
		{"HS256 with RSA public key PEM as secret", func(t *testing.T) string {
			return sign(t, jwa.HS256(), pubPEM, testKid, baseClaims())
		}, 401, "alg not allowed"},
		{"HS256 with RSA JWK as secret", func(t *testing.T) string {
			return sign(t, jwa.HS256(), pubJWK, testKid, baseClaims())
		}, 401, "alg not allowed"},
		{"PS256 with the right RSA key", func(t *testing.T) string {
			return sign(t, jwa.PS256(), k.primary, testKid, baseClaims())
		}, 401, "alg not allowed"},
		{"RS512 with the right RSA key", func(t *testing.T) string {
			return sign(t, jwa.RS512(), k.primary, testKid, baseClaims())
		}, 401, "alg not allowed"},
		{"ES256", func(t *testing.T) string { return sign(t, jwa.ES256(), k.ec, testKid, baseClaims()) }, 401, "alg not allowed"},

		// key selection and signature
		{"missing kid", func(t *testing.T) string { return sign(t, jwa.RS256(), k.primary, "", baseClaims()) }, 401, "missing kid"},
		{"unknown kid", func(t *testing.T) string {
			return sign(t, jwa.RS256(), k.primary, "no-such-key", baseClaims())
		}, 401, "unknown kid"},
		{"signed by another key under a known kid", func(t *testing.T) string {
			return sign(t, jwa.RS256(), k.attacker, testKid, baseClaims())
		}, 401, "bad signature"},
		{"signed by key-2 but names key-1", func(t *testing.T) string {
			return sign(t, jwa.RS256(), k.rotated, testKid, baseClaims())
		}, 401, "bad signature"},
		{"payload swapped for another tenant", func(t *testing.T) string {
			good := strings.Split(sign(t, jwa.RS256(), k.primary, testKid, baseClaims()), ".")
			other := strings.Split(sign(t, jwa.RS256(), k.primary, testKid,
				with(map[string]any{"cognito:groups": []string{"tenant-B"}})), ".")
			return good[0] + "." + other[1] + "." + good[2]
		}, 401, "bad signature"},
		{"signature truncated", func(t *testing.T) string {
			tok := sign(t, jwa.RS256(), k.primary, testKid, baseClaims())
			return tok[:len(tok)-8]
		}, 401, "bad signature"},
		{"empty signature", func(t *testing.T) string {
			tok := sign(t, jwa.RS256(), k.primary, testKid, baseClaims())
			return tok[:strings.LastIndex(tok, ".")+1]
		}, 401, "malformed token"},
		{"crit header", func(t *testing.T) string {
			payload, _ := json.Marshal(baseClaims())
			return signPayload(t, jwa.RS256(), k.primary,
				map[string]any{"kid": testKid, "crit": []string{"x-ext"}, "x-ext": "1"}, payload)
		}, 401, "unsupported header"},
		{"header not JSON", func(t *testing.T) string {
			tok := sign(t, jwa.RS256(), k.primary, testKid, baseClaims())
			return base64.RawURLEncoding.EncodeToString([]byte("not json")) + tok[strings.Index(tok, "."):]
		}, 401, "malformed token"},

		// claims payload (JWT-A7)
		{"payload is a JSON array", rawClaims(`[1,2]`), 401, "malformed claims"},
		{"payload is not JSON", rawClaims(`hello`), 401, "malformed claims"},
		{"payload is null", rawClaims(`null`), 401, "malformed claims"},
		{"missing iss", valid(map[string]any{"iss": nil}), 401, "missing iss"},
		{"iss not a string", valid(map[string]any{"iss": 42}), 401, "invalid iss"},
		{"iss with trailing slash (JWT-A13)", valid(map[string]any{"iss": testIssuer + "/"}), 401, "issuer mismatch"},
		{"iss in other case (JWT-A13)", valid(map[string]any{"iss": strings.ToUpper(testIssuer)}), 401, "issuer mismatch"},
		{"iss of another pool", valid(map[string]any{"iss": testIssuer + "x"}), 401, "issuer mismatch"},
		{"missing exp", valid(map[string]any{"exp": nil}), 401, "missing exp"},
		{"exp as numeric string", valid(map[string]any{"exp": "1800003600"}), 401, "invalid exp"},
		{"exp as RFC 3339 string", valid(map[string]any{"exp": "2030-01-01T00:00:00Z"}), 401, "invalid exp"},
		{"exp null", rawClaims(`{"iss":"` + testIssuer + `","exp":null}`), 401, "invalid exp"},
		{"exp bool", valid(map[string]any{"exp": true}), 401, "invalid exp"},
		{"expired", valid(map[string]any{"exp": now - 1}), 401, "expired"},
		{"exp equals now", valid(map[string]any{"exp": now}), 401, "expired"},
		{"nbf in the future", valid(map[string]any{"nbf": now + 1}), 401, "not yet valid"},
		{"nbf as string", valid(map[string]any{"nbf": "1"}), 401, "invalid nbf"},
		{"iat in the future", valid(map[string]any{"iat": now + 1}), 401, "issued in the future"},
		{"iat as string", valid(map[string]any{"iat": "1"}), 401, "invalid iat"},

		// additional claims (JWT-A9)
		{"other tenant's group", valid(map[string]any{"cognito:groups": []string{"tenant-B"}}), 401, "claim cognito:groups mismatch"},
		{"no groups claim", valid(map[string]any{"cognito:groups": nil}), 401, "claim cognito:groups missing"},
		{"empty groups", valid(map[string]any{"cognito:groups": []string{}}), 401, "claim cognito:groups mismatch"},
		{"group differs in case", valid(map[string]any{"cognito:groups": []string{"tenant-a"}}), 401, "claim cognito:groups mismatch"},
		{"group prefix only", valid(map[string]any{"cognito:groups": []string{"tenant-AB"}}), 401, "claim cognito:groups mismatch"},
		{"groups with a number", valid(map[string]any{"cognito:groups": []any{"tenant-A", 1}}), 401, "claim cognito:groups wrong type"},
		{"groups as object", valid(map[string]any{"cognito:groups": map[string]any{"tenant-A": true}}), 401, "claim cognito:groups wrong type"},
		{"id token", valid(map[string]any{"token_use": "id"}), 401, "claim token_use mismatch"},
		{"token_use as array", valid(map[string]any{"token_use": []string{"access"}}), 401, "claim token_use wrong type"},
		{"token_use missing", valid(map[string]any{"token_use": nil}), 401, "claim token_use missing"},
		{"other client", valid(map[string]any{"client_id": "client-999"}), 401, "claim client_id mismatch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ks := NewKeySet(nil, KeySetOptions{Now: fixedNow})
			v := newTestValidator(t, srv, ks, testConfig())
			got := v.Check(context.Background(), bearer(tc.token(t)))
			if got.Status != tc.wantStatus || got.Reason != tc.wantReason {
				t.Errorf("Check = %+v, want {Status:%d Reason:%q}", got, tc.wantStatus, tc.wantReason)
			}
		})
	}
}

func TestBearerToken(t *testing.T) {
	const tok = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln"
	tests := []struct {
		name       string
		header     http.Header
		wantToken  string
		wantReason string
	}{
		{"canonical", http.Header{"Authorization": {"Bearer " + tok}}, tok, ""},
		{"lower-case scheme", http.Header{"Authorization": {"bearer " + tok}}, tok, ""},
		{"upper-case scheme", http.Header{"Authorization": {"BEARER " + tok}}, tok, ""},
		{"several spaces", http.Header{"Authorization": {"Bearer   " + tok}}, tok, ""},
		{"no header", http.Header{}, "", "missing token"},
		{"nil header", nil, "", "missing token"},
		{"empty value", http.Header{"Authorization": {""}}, "", "missing token"},
		{"scheme only", http.Header{"Authorization": {"Bearer"}}, "", "missing token"},
		{"scheme and space", http.Header{"Authorization": {"Bearer "}}, "", "missing token"},
		{"two headers", http.Header{"Authorization": {"Bearer " + tok, "Bearer " + tok}}, "", "multiple authorization headers"},
		{"basic auth", http.Header{"Authorization": {"Basic dXNlcjpwYXNz"}}, "", "not a bearer token"},
		{"token without scheme", http.Header{"Authorization": {tok}}, "", "not a bearer token"},
		{"tab after scheme", http.Header{"Authorization": {"Bearer\t" + tok}}, "", "not a bearer token"},
		{"Bearer: with colon", http.Header{"Authorization": {"Bearer: " + tok}}, "", "not a bearer token"},
		{"trailing space", http.Header{"Authorization": {"Bearer " + tok + " "}}, "", "malformed token"},
		{"two tokens in one value", http.Header{"Authorization": {"Bearer " + tok + ", Bearer " + tok}}, "", "malformed token"},
		{"two segments", http.Header{"Authorization": {"Bearer a.b"}}, "", "malformed token"},
		{"JWE five segments", http.Header{"Authorization": {"Bearer a.b.c.d.e"}}, "", "malformed token"},
		{"empty header segment", http.Header{"Authorization": {"Bearer .b.c"}}, "", "malformed token"},
		{"empty payload segment", http.Header{"Authorization": {"Bearer a..c"}}, "", "malformed token"},
		{"padded base64", http.Header{"Authorization": {"Bearer YQ==.b.c"}}, "", "malformed token"},
		{"standard base64 alphabet", http.Header{"Authorization": {"Bearer a+/.b.c"}}, "", "malformed token"},
		{"JSON serialization", http.Header{"Authorization": {`Bearer {"payload":"x","signatures":[]}`}}, "", "malformed token"},
		{"too large", http.Header{"Authorization": {"Bearer " + strings.Repeat("a", MaxTokenBytes) + ".b.c"}}, "", "token too large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			token, verdict := bearerToken(tc.header)
			if token != tc.wantToken || verdict.Reason != tc.wantReason {
				t.Errorf("bearerToken = %q, %+v; want %q, reason %q", token, verdict, tc.wantToken, tc.wantReason)
			}
			if tc.wantReason != "" && verdict.Status != http.StatusUnauthorized {
				t.Errorf("status = %d, want 401", verdict.Status)
			}
		})
	}
}

func TestCheckTimeClaimsWithClockSkew(t *testing.T) {
	k := keys(t)
	srv := newJWKSServer(t, jwksJSON(t, rsaEntry(t, k.primary, testKid)))
	now := testNow.Unix()
	tests := []struct {
		name       string
		skew       time.Duration
		changes    map[string]any
		wantReason string
	}{
		{"no skew: exp one second ahead", 0, map[string]any{"exp": now + 1}, ""},
		{"no skew: exp half a second ago", 0, map[string]any{"exp": float64(now) - 0.5}, "expired"},
		{"no skew: nbf now", 0, map[string]any{"nbf": now}, ""},
		{"no skew: iat now", 0, map[string]any{"iat": now}, ""},
		{"60s skew: exp 59s ago", time.Minute, map[string]any{"exp": now - 59}, ""},
		{"60s skew: exp 60s ago", time.Minute, map[string]any{"exp": now - 60}, "expired"},
		{"60s skew: nbf 60s ahead", time.Minute, map[string]any{"nbf": now + 60}, ""},
		{"60s skew: nbf 61s ahead", time.Minute, map[string]any{"nbf": now + 61}, "not yet valid"},
		{"60s skew: iat 60s ahead", time.Minute, map[string]any{"iat": now + 60}, ""},
		{"60s skew: iat 61s ahead", time.Minute, map[string]any{"iat": now + 61}, "issued in the future"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ks := NewKeySet(nil, KeySetOptions{Now: fixedNow})
			v, err := NewValidator(testConfig(), ks, ValidatorOptions{Now: fixedNow, JWKSURL: srv.url(), ClockSkew: tc.skew})
			if err != nil {
				t.Fatal(err)
			}
			claims := baseClaims()
			for name, val := range tc.changes {
				claims[name] = val
			}
			got := v.Check(context.Background(), bearer(sign(t, jwa.RS256(), k.primary, testKid, claims)))
			if got.Reason != tc.wantReason || (tc.wantReason == "") != got.Passed() {
				t.Errorf("Check = %+v, want reason %q", got, tc.wantReason)
			}
		})
	}
}

func TestCheckSpaceSeparatedScopes(t *testing.T) {
	k := keys(t)
	srv := newJWKSServer(t, jwksJSON(t, rsaEntry(t, k.primary, testKid)))
	cfg := testConfig()
	cfg.AdditionalClaims = []Claim{{Name: "scope", Format: FormatSpaceSeparatedValues, Values: []string{"orders/read", "openid"}}}
	tests := []struct {
		scope      any
		wantReason string
	}{
		{"openid orders/read", ""},
		{"profile orders/read  openid", ""},
		{"orders/read", "claim scope mismatch"},
		{"orders/read openid-x", "claim scope mismatch"},
		{[]string{"openid", "orders/read"}, "claim scope wrong type"},
	}
	for _, tc := range tests {
		ks := NewKeySet(nil, KeySetOptions{Now: fixedNow})
		v := newTestValidator(t, srv, ks, cfg)
		claims := baseClaims()
		claims["scope"] = tc.scope
		got := v.Check(context.Background(), bearer(sign(t, jwa.RS256(), k.primary, testKid, claims)))
		if got.Reason != tc.wantReason {
			t.Errorf("scope %v: Check = %+v, want reason %q", tc.scope, got, tc.wantReason)
		}
	}
}

func TestReasonNeverContainsTokenContent(t *testing.T) {
	f := newFixture(t)
	k, v := f.k, f.v
	const secretish = "SECRETVALUE"
	claims := baseClaims()
	claims["cognito:groups"] = []string{secretish}
	claims["iss"] = secretish
	for _, tok := range []string{
		sign(t, jwa.RS256(), k.primary, testKid, claims),
		sign(t, jwa.RS256(), k.primary, secretish, claims),
		sign(t, jwa.HS256(), []byte(secretish), secretish, claims),
		secretish,
	} {
		got := v.Check(context.Background(), bearer(tok))
		if got.Passed() || strings.Contains(got.Reason, secretish) || strings.Contains(got.Reason, tok) {
			t.Errorf("Check = %+v: must reject without echoing token content", got)
		}
	}
}
