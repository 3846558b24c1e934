// Package jwtvalidate emulates the Application Load Balancer `jwt-validation` listener
// rule action for the local ALB: the create-time config rules (Config.Validate), a
// JWKS cache shared by all rules (KeySet), and the per-request check (Validator.Check)
// that decides whether a request is forwarded (Verdict.Status 0), rejected (401) or
// fails because the JWKS is unavailable or invalid (500).
//
// JOSE parsing and RS256 signature verification use github.com/lestrrat-go/jwx/v3
// (jws.Verify, jwk.Parse); nothing cryptographic is hand-written.
//
// Sources: docs/alb-behaviour.md §1 (in this repository) and the AWS docs it cites:
// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-verify-jwt.html,
// https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_JwtValidationActionConfig.html,
// https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_JwtValidationActionAdditionalClaim.html.
//
// AWS leaves much undocumented. Every choice made here is a named assumption, each
// covered by a test:
//
//   - JWT-A1 Config: issuer and JWKS endpoint required, at most 256 characters; the issuer
//     format is not checked (the API states none); the JWKS endpoint must be an https
//     URL with a host and a path other than "/", without user info.
//   - JWT-A2 Config: a claim name may appear only once among the additional claims.
//   - JWT-A3 Config: claim values must be non-empty.
//   - JWT-A4 Token location: exactly one Authorization header (several → 401); scheme
//     "Bearer" matched case-insensitively (RFC 7235 §2.1), then one or more spaces
//     (RFC 6750 §2.1 `1*SP`), then a compact JWS of unpadded base64url segments. Any
//     other scheme, the JSON serialization, JWE or padding → 401.
//   - JWT-A5 Tokens longer than MaxTokenBytes (16 KiB, the ALB single-header limit) → 401.
//   - JWT-A6 Header: alg must be exactly RS256 (none, HS256, PS256, ES256… → 401 "alg not
//     allowed"); kid is required ("missing kid"); the key comes only from the configured
//     JWKS (jku, x5u, jwk, x5c headers are ignored); a `crit` or `b64` header → 401.
//   - JWT-A7 Claims are decoded strictly: iss must be a JSON string, exp/nbf/iat JSON numbers
//     (fractions allowed); strings such as "1700000000" → 401 "invalid exp".
//   - JWT-A8 Time: clock skew 0 by default (ValidatorOptions.ClockSkew). Rejected when
//     now ≥ exp+skew ("expired"), now+skew < nbf ("not yet valid"), iat > now+skew
//     ("issued in the future").
//   - JWT-A9 Additional claims, all must pass, exact and case-sensitive; a missing claim →
//     "claim X missing", a wrong JSON type → "claim X wrong type":
//     single-string: a JSON string equal to one of the values;
//     string-array: a JSON array of strings with at least one element equal to one of
//     the values (a non-string element is a wrong type); a plain JSON string is a
//     wrong type too. AWS's wording ("the claim must match one of the values in an
//     array") does not say whether a bare string counts; the stricter reading is
//     chosen so that the emulator can only be stricter than AWS, never more
//     permissive (deny by default), and agrees with the tenant handler's check;
//     space-separated-values: a JSON string whose tokens split on " " include ALL values.
//   - JWT-A10 JWKS keys: only entries with kty RSA, a kid, use absent or "sig", alg absent
//     or RS256 and key_ops absent or containing "verify" are used; with repeated kids
//     the first usable entry wins. Entries jwx cannot parse are ignored but count
//     towards the 10-key limit.
//   - JWT-A11 JWKS caching: one cache per URL shared by all validators; a set is refreshed
//     after TTL (1 h), on an unknown kid at most once per MinRefetchInterval (10 s), and
//     after a failed fetch at most once per RetryInterval (1 s); one fetch at a time
//     per URL (concurrent requests wait for it); a stale set stays in use when a
//     refresh fails; fetches are detached from request cancellation and bounded by
//     FetchTimeout (5 s).
//   - JWT-A12 JWKS limits: more than 150 KB (153,600 bytes) or more than 10 keys → 500
//     ("jwks invalid: …"); AWS only says it "will not forward the request".
//   - JWT-A13 iss is compared byte for byte with Config.Issuer (no trailing-slash or case
//     normalisation).
//   - JWT-A14 Unreachable JWKS, timeout, non-200 status or a body that is not a JWK set →
//     500 ("jwks unavailable: …" / "jwks invalid: …"), by analogy with the
//     authenticate-oidc action; an unknown kid while the last fetch failed → 500 too
//     (the key might exist). Redirects follow the http.Client's policy; a body that
//     is a single JWK rather than a set is accepted as a one-key set (jwx behaviour).
//   - JWT-A15 Rejections are 401; the response body is the caller's business.
//
// Verdict.Reason is a short machine-readable string and never contains token content.
//
// # Implementation notes (no observable behaviour; each has a test)
//
//   - JWT-N1 Verified-signature cache: RS256 verification is a pure function of the token
//     bytes and the key, so each JWKS URL remembers the exact bytes of tokens whose
//     signature verified, with the kid, the key and the parsed claims (at most 4096
//     tokens and 16 MiB of token+payload bytes; arbitrary entries are evicted). A
//     repeated token skips only the signature verification and the payload parsing:
//     the kid is still looked up in the key set on every request (so TTL refreshes,
//     unknown-kid refetches and fetch failures happen exactly as without the cache)
//     and must still select the very key that verified the token, and iss, exp, nbf,
//     iat and the additional claims of the validating rule are still evaluated against
//     the current time. Every successful fetch of the URL starts a new generation and
//     empties its cache, so after a key rotation each token is verified again against
//     the new set. Only tokens whose signature verified are cached (a forged or
//     tampered token differs in its bytes and never hits), so the cache cannot be
//     filled without valid signatures.
package jwtvalidate
