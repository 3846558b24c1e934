package jwtvalidate

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// MaxTokenBytes bounds the bearer token accepted for validation (assumption JWT-A5; the
// ALB's own single-header limit is 16K, alb-behaviour.md §5).
const MaxTokenBytes = 16 * 1024

// Verdict is the outcome of Validator.Check.
type Verdict struct {
	// Status is 0 when the request may be forwarded, 401 when the token is rejected and
	// 500 when the JWKS is unavailable or invalid.
	Status int
	// Reason is a short machine-readable reason; it never contains token content.
	Reason string
}

// Passed reports whether the request may be forwarded.
func (v Verdict) Passed() bool { return v.Status == 0 }

// ValidatorOptions tunes a Validator.
type ValidatorOptions struct {
	// Now replaces time.Now (tests).
	Now func() time.Time
	// JWKSURL replaces Config.JWKSEndpoint for fetching (the local rewrite to the local
	// IdP). It must be https, or http with a loopback host. Empty: Config.JWKSEndpoint.
	JWKSURL string
	// ClockSkew is the leeway applied to exp, nbf and iat (default 0, assumption JWT-A8).
	ClockSkew time.Duration
}

// Validator emulates one jwt-validation action. It is safe for concurrent use.
type Validator struct {
	issuer    string
	jwksURL   string
	claims    []Claim
	keys      *KeySet
	entry     *jwksEntry // keys.entry(jwksURL)
	now       func() time.Time
	clockSkew float64 // seconds
}

// NewValidator checks cfg with Config.Validate and returns a validator that takes its
// keys from keys.
func NewValidator(cfg Config, keys *KeySet, opts ValidatorOptions) (*Validator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid jwt-validation config: %w", err)
	}
	if keys == nil {
		return nil, errors.New("jwt validator: nil KeySet")
	}
	if opts.ClockSkew < 0 {
		return nil, fmt.Errorf("jwt validator: negative clock skew %s", opts.ClockSkew)
	}
	jwksURL := cfg.JWKSEndpoint
	if opts.JWKSURL != "" {
		if err := checkJWKSURL(opts.JWKSURL, true); err != nil {
			return nil, fmt.Errorf("jwt validator: JWKS URL override: %w", err)
		}
		jwksURL = opts.JWKSURL
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	claims := make([]Claim, len(cfg.AdditionalClaims))
	for i, c := range cfg.AdditionalClaims {
		claims[i] = Claim{Name: c.Name, Format: c.Format, Values: append([]string(nil), c.Values...)}
	}
	return &Validator{
		issuer:    cfg.Issuer,
		jwksURL:   jwksURL,
		claims:    claims,
		keys:      keys,
		entry:     keys.entry(jwksURL),
		now:       now,
		clockSkew: opts.ClockSkew.Seconds(),
	}, nil
}

func reject(reason string) Verdict { return Verdict{Status: http.StatusUnauthorized, Reason: reason} }

// Check validates the bearer token of a request the way the ALB jwt-validation action
// does: signature (RS256, key by kid from the JWKS), iss, exp, nbf, iat and the
// additional claims. h must have canonical keys, as net/http produces them.
func (v *Validator) Check(ctx context.Context, h http.Header) Verdict {
	token, verdict := bearerToken(h)
	if !verdict.Passed() {
		return verdict
	}
	claims, verdict := v.verifiedClaims(ctx, token)
	if !verdict.Passed() {
		return verdict
	}
	return v.checkClaims(claims)
}

var verdictCancelled = Verdict{Status: http.StatusInternalServerError, Reason: "request cancelled"}

// verifiedClaims verifies the token's signature and returns its parsed claims. A token
// whose exact bytes verified before against the key its kid still selects in the
// current key set of the URL is not verified or parsed again (implementation note JWT-N1);
// everything else that depends on time or on the key set is evaluated as for a new
// token, in the same order as jws.Verify and the key provider do.
func (v *Validator) verifiedClaims(ctx context.Context, token string) (map[string]json.RawMessage, Verdict) {
	if vt := v.entry.verified.get(token); vt != nil {
		// The header checks and the parse are pure functions of the token: they passed.
		if ctx.Err() != nil {
			return nil, verdictCancelled
		}
		key, _, verdict := v.keys.key(ctx, v.entry, v.jwksURL, vt.kid)
		if !verdict.Passed() {
			return nil, verdict
		}
		if ctx.Err() != nil {
			return nil, verdictCancelled
		}
		if key == vt.key {
			v.entry.verified.hits.Add(1)
			return vt.claims, Verdict{}
		}
		// The key set changed since: verify from scratch.
	}
	payload, kp, verdict := v.verifySignature(ctx, token)
	if !verdict.Passed() {
		return nil, verdict
	}
	claims, ok := parseClaims(payload)
	if !ok {
		return nil, reject("malformed claims")
	}
	v.entry.verified.put(token, kp.gen, &verifiedToken{kid: kp.kid, key: kp.key, claims: claims, size: len(payload)})
	return claims, Verdict{}
}

// bearerToken extracts the token of the single Authorization header: scheme "Bearer"
// (case-insensitive), one or more spaces, then a compact JWS (assumption JWT-A4).
func bearerToken(h http.Header) (string, Verdict) {
	values := h.Values("Authorization")
	switch len(values) {
	case 0:
		return "", reject("missing token")
	case 1:
	default:
		return "", reject("multiple authorization headers")
	}
	value := values[0]
	if strings.TrimSpace(value) == "" {
		return "", reject("missing token")
	}
	scheme, rest, found := strings.Cut(value, " ")
	if !found && strings.EqualFold(scheme, "Bearer") {
		return "", reject("missing token")
	}
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", reject("not a bearer token")
	}
	token := strings.TrimLeft(rest, " ")
	switch {
	case token == "":
		return "", reject("missing token")
	case len(token) > MaxTokenBytes:
		return "", reject("token too large")
	case !isCompactJWS(token):
		return "", reject("malformed token")
	}
	return token, Verdict{}
}

// isCompactJWS reports whether s is three dot-separated unpadded base64url segments,
// header and payload non-empty. Anything else (JWS JSON serialization, JWE,
// unencoded payloads) is rejected before it reaches the JOSE library.
func isCompactJWS(s string) bool {
	dots := 0
	segmentLen := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if segmentLen == 0 { // empty header or payload
				return false
			}
			dots++
			segmentLen = 0
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
			segmentLen++
		default:
			return false
		}
	}
	return dots == 2 // an empty signature is left to the alg check ("none")
}

// keyProvider selects the verification key for the token's single signature and
// records why it could not.
type keyProvider struct {
	v        *Validator
	verdict  Verdict
	supplied bool
	// The key supplied for the signature: its kid and the generation of its set.
	kid string
	key *rsa.PublicKey
	gen uint64
}

var errNoKey = errors.New("no key")

func (p *keyProvider) FetchKeys(ctx context.Context, sink jws.KeySink, sig *jws.Signature, _ *jws.Message) error {
	h := sig.ProtectedHeaders()
	if h == nil {
		p.verdict = reject("malformed token")
		return errNoKey
	}
	alg, ok := h.Algorithm()
	if !ok || alg.String() != jwa.RS256().String() {
		p.verdict = reject("alg not allowed")
		return errNoKey
	}
	if h.Has(jws.CriticalKey) || h.Has("b64") {
		p.verdict = reject("unsupported header")
		return errNoKey
	}
	kid, ok := h.KeyID()
	if !ok || kid == "" {
		p.verdict = reject("missing kid")
		return errNoKey
	}
	key, gen, verdict := p.v.keys.key(ctx, p.v.entry, p.v.jwksURL, kid)
	p.verdict = verdict
	if !p.verdict.Passed() {
		return errNoKey
	}
	sink.Key(jwa.RS256(), key)
	p.supplied = true
	p.kid, p.key, p.gen = kid, key, gen
	return nil
}

// verifySignature verifies the compact JWS with jwx and returns its payload and the
// key provider that supplied the key.
func (v *Validator) verifySignature(ctx context.Context, token string) ([]byte, *keyProvider, Verdict) {
	kp := &keyProvider{v: v}
	payload, err := jws.Verify([]byte(token),
		jws.WithCompact(),
		jws.WithContext(ctx),
		jws.WithKeyProvider(kp),
		jws.WithAlgorithmMatch(true),
	)
	switch {
	case err == nil:
		return payload, kp, Verdict{}
	case !kp.verdict.Passed():
		return nil, nil, kp.verdict
	case ctx.Err() != nil:
		return nil, nil, verdictCancelled
	case kp.supplied:
		return nil, nil, reject("bad signature")
	default:
		return nil, nil, reject("malformed token")
	}
}

// parseClaims decodes a verified payload into its top-level claims; false when it is
// not a JSON object. Claims are decoded with encoding/json rather than jwx's jwt
// package because RFC 7519 NumericDate is a JSON number and jwt.Parse also accepts
// strings (even RFC 3339 dates) unless a process-wide "pedantic" setting is changed
// (assumption JWT-A7).
func parseClaims(payload []byte) (map[string]json.RawMessage, bool) {
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(payload, &claims); err != nil || claims == nil {
		return nil, false
	}
	return claims, true
}

// checkClaims validates the registered claims and the additional claims of a verified
// payload against the current time. It only reads claims (which may be shared).
func (v *Validator) checkClaims(claims map[string]json.RawMessage) Verdict {
	iss, present := claims["iss"]
	if !present {
		return reject("missing iss")
	}
	issuer, ok := jsonString(iss)
	if !ok {
		return reject("invalid iss")
	}
	if issuer != v.issuer {
		return reject("issuer mismatch")
	}

	now := v.now()
	nowSec := float64(now.Unix()) + float64(now.Nanosecond())/1e9

	raw, present := claims["exp"]
	if !present {
		return reject("missing exp")
	}
	exp, ok := jsonNumber(raw)
	if !ok {
		return reject("invalid exp")
	}
	if nowSec >= exp+v.clockSkew {
		return reject("expired")
	}
	if raw, present := claims["nbf"]; present {
		nbf, ok := jsonNumber(raw)
		if !ok {
			return reject("invalid nbf")
		}
		if nowSec+v.clockSkew < nbf {
			return reject("not yet valid")
		}
	}
	if raw, present := claims["iat"]; present {
		iat, ok := jsonNumber(raw)
		if !ok {
			return reject("invalid iat")
		}
		if iat > nowSec+v.clockSkew {
			return reject("issued in the future")
		}
	}

	for _, c := range v.claims {
		raw, present := claims[c.Name]
		if !present {
			return reject("claim " + c.Name + " missing")
		}
		switch matchClaim(c, raw) {
		case claimWrongType:
			return reject("claim " + c.Name + " wrong type")
		case claimMismatch:
			return reject("claim " + c.Name + " mismatch")
		}
	}
	return Verdict{}
}
