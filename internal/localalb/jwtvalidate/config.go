package jwtvalidate

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Claim formats accepted by the ALB for JwtValidationActionAdditionalClaim.Format
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_JwtValidationActionAdditionalClaim.html).
const (
	FormatSingleString         = "single-string"
	FormatStringArray          = "string-array"
	FormatSpaceSeparatedValues = "space-separated-values"
)

// Create-time limits of the jwt-validation action (API_JwtValidationActionConfig and
// API_JwtValidationActionAdditionalClaim).
const (
	maxIssuerLen        = 256
	maxJWKSEndpointLen  = 256
	maxAdditionalClaims = 10
	maxClaimValues      = 10
	maxClaimValueLen    = 256
)

// reservedClaims are validated by the ALB itself and cannot be configured as additional claims.
var reservedClaims = map[string]bool{"exp": true, "iss": true, "nbf": true, "iat": true}

// Claim is one JwtValidationConfig.AdditionalClaims entry.
type Claim struct {
	Name   string
	Format string // FormatSingleString, FormatStringArray or FormatSpaceSeparatedValues
	Values []string
}

// Config mirrors the CloudFormation JwtValidationConfig of a listener rule action.
type Config struct {
	Issuer           string
	JWKSEndpoint     string
	AdditionalClaims []Claim
}

// Validate applies the rules the ALB API enforces when the action is created
// (alb-behaviour.md §1.1). It returns every problem found, joined, each naming the field.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	switch n := utf8.RuneCountInString(c.Issuer); {
	case n == 0:
		add("issuer: required")
	case n > maxIssuerLen:
		add("issuer: %d characters, maximum is %d", n, maxIssuerLen)
	}

	switch n := utf8.RuneCountInString(c.JWKSEndpoint); {
	case n == 0:
		add("jwksEndpoint: required")
	case n > maxJWKSEndpointLen:
		add("jwksEndpoint: %d characters, maximum is %d", n, maxJWKSEndpointLen)
	default:
		if err := checkJWKSURL(c.JWKSEndpoint, false); err != nil {
			add("jwksEndpoint: %w", err)
		}
	}

	if n := len(c.AdditionalClaims); n > maxAdditionalClaims {
		add("additionalClaims: %d claims, maximum is %d", n, maxAdditionalClaims)
	}
	seen := make(map[string]bool, len(c.AdditionalClaims))
	for i, claim := range c.AdditionalClaims {
		if err := claim.validate(); err != nil {
			add("additionalClaims[%d]: %w", i, err)
		}
		if claim.Name != "" && seen[claim.Name] {
			// Assumption JWT-A2: a claim name may appear only once.
			add("additionalClaims[%d]: duplicate claim name %q", i, claim.Name)
		}
		seen[claim.Name] = true
	}
	return errors.Join(errs...)
}

func (c Claim) validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	switch {
	case c.Name == "":
		add("name: required")
	case reservedClaims[c.Name]:
		add("name: %q is validated by default and cannot be an additional claim", c.Name)
	}
	switch c.Format {
	case FormatSingleString, FormatStringArray, FormatSpaceSeparatedValues:
	case "":
		add("format: required")
	default:
		add("format: %q is not one of %s, %s, %s", c.Format,
			FormatSingleString, FormatStringArray, FormatSpaceSeparatedValues)
	}
	switch n := len(c.Values); {
	case n == 0:
		add("values: at least one value is required")
	case n > maxClaimValues:
		add("values: %d values, maximum is %d", n, maxClaimValues)
	}
	for i, v := range c.Values {
		switch n := utf8.RuneCountInString(v); {
		case n == 0:
			// Assumption JWT-A3: empty values are rejected.
			add("values[%d]: empty", i)
		case n > maxClaimValueLen:
			add("values[%d]: %d characters, maximum is %d", i, n, maxClaimValueLen)
		}
		if c.Format == FormatSpaceSeparatedValues && strings.Contains(v, " ") {
			add("values[%d]: space-separated-values values cannot include spaces", i)
		}
	}
	return errors.Join(errs...)
}

// checkJWKSURL requires a full URL with scheme, host and path. The scheme must be
// https; when allowLoopbackHTTP is set, http is accepted for loopback hosts only
// (the local rewrite of the template's JWKS endpoint to the local IdP).
func checkJWKSURL(raw string, allowLoopbackHTTP bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL: %w", err)
	}
	if u.Host == "" || u.Hostname() == "" {
		return errors.New("must be a full URL including the domain")
	}
	if u.User != nil {
		return errors.New("must not contain user information")
	}
	if u.Path == "" || u.Path == "/" {
		return errors.New("must be a full URL including the path")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if allowLoopbackHTTP && isLoopbackHost(u.Hostname()) {
			return nil
		}
		if allowLoopbackHTTP {
			return fmt.Errorf("http is allowed only for loopback hosts, not %q", u.Hostname())
		}
	}
	return fmt.Errorf("scheme must be https, got %q", u.Scheme)
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
