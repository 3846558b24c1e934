package jwtvalidate

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	claim := func(name, format string, values ...string) Claim {
		return Claim{Name: name, Format: format, Values: values}
	}
	withClaims := func(claims ...Claim) Config {
		return Config{Issuer: testIssuer, JWKSEndpoint: testJWKSURL, AdditionalClaims: claims}
	}
	tenClaims := make([]Claim, 10)
	for i := range tenClaims {
		tenClaims[i] = claim(fmt.Sprintf("c%d", i), FormatSingleString, "v")
	}
	tenValues := strings.Split("a b c d e f g h i j", " ")

	tests := []struct {
		name    string
		cfg     Config
		wantErr string // substring; "" = valid
	}{
		{"minimal", Config{Issuer: testIssuer, JWKSEndpoint: testJWKSURL}, ""},
		{"project rule", testConfig(), ""},
		{"issuer of 256 characters", Config{Issuer: strings.Repeat("i", 256), JWKSEndpoint: testJWKSURL}, ""},
		{"issuer need not be a URL (JWT-A1)", Config{Issuer: "my-issuer", JWKSEndpoint: testJWKSURL}, ""},
		{"ten claims of ten values", withClaims(append(tenClaims[:9:9], claim("c9", FormatStringArray, tenValues...))...), ""},
		{"value of 256 characters", withClaims(claim("c", FormatSingleString, strings.Repeat("v", 256))), ""},
		{"single-string value may contain spaces", withClaims(claim("c", FormatSingleString, "a b")), ""},
		{"aud is configurable", withClaims(claim("aud", FormatStringArray, "api")), ""},

		{"missing issuer", Config{JWKSEndpoint: testJWKSURL}, "issuer: required"},
		{"issuer of 257 characters", Config{Issuer: strings.Repeat("i", 257), JWKSEndpoint: testJWKSURL}, "issuer: 257 characters"},
		{"missing JWKS endpoint", Config{Issuer: testIssuer}, "jwksEndpoint: required"},
		{"JWKS endpoint over http", Config{Issuer: testIssuer, JWKSEndpoint: "http://idp.example.com/jwks.json"}, "scheme must be https"},
		{"JWKS endpoint on loopback http", Config{Issuer: testIssuer, JWKSEndpoint: "http://127.0.0.1:9229/jwks.json"}, "scheme must be https"},
		{"JWKS endpoint without path", Config{Issuer: testIssuer, JWKSEndpoint: "https://idp.example.com"}, "including the path"},
		{"JWKS endpoint with root path", Config{Issuer: testIssuer, JWKSEndpoint: "https://idp.example.com/"}, "including the path"},
		{"JWKS endpoint relative", Config{Issuer: testIssuer, JWKSEndpoint: "/.well-known/jwks.json"}, "including the domain"},
		{"JWKS endpoint with user info", Config{Issuer: testIssuer, JWKSEndpoint: "https://u:p@idp.example.com/jwks.json"}, "user information"},
		{"JWKS endpoint not a URL", Config{Issuer: testIssuer, JWKSEndpoint: "https://idp example.com/%zz"}, "not a URL"},
		{"JWKS endpoint of 257 characters", Config{Issuer: testIssuer, JWKSEndpoint: "https://idp.example.com/" + strings.Repeat("p", 233)}, "jwksEndpoint: 257 characters"},
		{"eleven claims", withClaims(append(tenClaims[:10:10], claim("c10", FormatSingleString, "v"))...), "11 claims, maximum is 10"},
		{"claim exp", withClaims(claim("exp", FormatSingleString, "1")), `"exp" is validated by default`},
		{"claim iss", withClaims(claim("iss", FormatSingleString, "1")), `"iss" is validated by default`},
		{"claim nbf", withClaims(claim("nbf", FormatSingleString, "1")), `"nbf" is validated by default`},
		{"claim iat", withClaims(claim("iat", FormatSingleString, "1")), `"iat" is validated by default`},
		{"claim without name", withClaims(claim("", FormatSingleString, "v")), "name: required"},
		{"claim without format", withClaims(claim("c", "", "v")), "format: required"},
		{"unknown format", withClaims(claim("c", "String-Array", "v")), `format: "String-Array" is not one of`},
		{"claim without values", withClaims(claim("c", FormatSingleString)), "at least one value"},
		{"eleven values", withClaims(claim("c", FormatStringArray, append(tenValues, "k")...)), "11 values, maximum is 10"},
		{"value of 257 characters", withClaims(claim("c", FormatSingleString, strings.Repeat("v", 257))), "values[0]: 257 characters"},
		{"empty value (JWT-A3)", withClaims(claim("c", FormatSingleString, "a", "")), "values[1]: empty"},
		{"space in space-separated value", withClaims(claim("scope", FormatSpaceSeparatedValues, "a", "b c")), "values[1]: space-separated-values values cannot include spaces"},
		{"duplicate claim name (JWT-A2)", withClaims(claim("c", FormatSingleString, "v"), claim("c", FormatStringArray, "w")), `additionalClaims[1]: duplicate claim name "c"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tc.wantErr != "" && err == nil:
				t.Errorf("Validate() = nil, want error containing %q", tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Errorf("Validate() = %v, want error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestConfigValidateReportsEveryProblem(t *testing.T) {
	err := Config{AdditionalClaims: []Claim{{Name: "exp"}}}.Validate()
	if err == nil {
		t.Fatal("Validate() = nil")
	}
	for _, want := range []string{"issuer: required", "jwksEndpoint: required", "additionalClaims[0]: name", "format: required", "at least one value"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v; missing %q", err, want)
		}
	}
}

func TestNewValidatorOptions(t *testing.T) {
	ks := NewKeySet(nil, KeySetOptions{})
	tests := []struct {
		name    string
		cfg     Config
		keys    *KeySet
		opts    ValidatorOptions
		wantErr string
	}{
		{"no override", testConfig(), ks, ValidatorOptions{}, ""},
		{"override to 127.0.0.1 over http", testConfig(), ks, ValidatorOptions{JWKSURL: "http://127.0.0.1:9229/pool/.well-known/jwks.json"}, ""},
		{"override to localhost over http", testConfig(), ks, ValidatorOptions{JWKSURL: "http://localhost:9229/pool/.well-known/jwks.json"}, ""},
		{"override to ::1 over http", testConfig(), ks, ValidatorOptions{JWKSURL: "http://[::1]:9229/pool/.well-known/jwks.json"}, ""},
		{"override to https", testConfig(), ks, ValidatorOptions{JWKSURL: "https://idp.example.com/jwks.json"}, ""},
		{"override to remote http", testConfig(), ks, ValidatorOptions{JWKSURL: "http://idp.example.com/jwks.json"}, "http is allowed only for loopback hosts"},
		{"override to 127.0.0.1.example.com over http", testConfig(), ks, ValidatorOptions{JWKSURL: "http://127.0.0.1.example.com/jwks.json"}, "loopback"},
		{"override with other scheme", testConfig(), ks, ValidatorOptions{JWKSURL: "file:///etc/jwks.json"}, "including the domain"},
		{"negative clock skew", testConfig(), ks, ValidatorOptions{ClockSkew: -time.Second}, "negative clock skew"},
		{"nil key set", testConfig(), nil, ValidatorOptions{}, "nil KeySet"},
		{"invalid config", Config{}, ks, ValidatorOptions{}, "invalid jwt-validation config"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewValidator(tc.cfg, tc.keys, tc.opts)
			switch {
			case tc.wantErr == "" && (err != nil || v == nil):
				t.Errorf("NewValidator() = %v, %v; want a validator", v, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("NewValidator() error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestNewValidatorCopiesConfig(t *testing.T) {
	cfg := testConfig()
	v, err := NewValidator(cfg, NewKeySet(nil, KeySetOptions{}), ValidatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.AdditionalClaims[0].Values[0] = "tenant-B"
	if got := v.claims[0].Values[0]; got != "tenant-A" {
		t.Errorf("validator claim value changed with the caller's config: %q", got)
	}
}
