package jwtvalidate

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// JWKS limits documented for jwt-validation ("Maximum response size: 150 KB",
// "Maximum number of keys: 10 keys",
// https://docs.amazonaws.cn/en_us/elasticloadbalancing/latest/application/listener-verify-jwt.md).
const (
	MaxJWKSBytes = 150 * 1024 // assumption JWT-A12: KB = 1024 bytes
	MaxJWKSKeys  = 10
)

// Defaults for KeySetOptions.
const (
	DefaultFetchTimeout       = 5 * time.Second
	DefaultMinRefetchInterval = 10 * time.Second
	DefaultRetryInterval      = 1 * time.Second
	DefaultTTL                = time.Hour
)

// KeySetOptions tunes the JWKS cache. Zero values select the defaults.
type KeySetOptions struct {
	// FetchTimeout bounds one JWKS HTTP request (default 5 s).
	FetchTimeout time.Duration
	// MinRefetchInterval is the minimum time between two fetches of the same URL
	// caused by a token whose kid is not in the cached set (default 10 s).
	MinRefetchInterval time.Duration
	// RetryInterval is the minimum time between fetches after a failed fetch (default 1 s).
	RetryInterval time.Duration
	// TTL is the age after which a cached set is refreshed on the next use (default 1 h).
	// If the refresh fails, the stale set stays in use.
	TTL time.Duration
	// Now replaces time.Now (tests).
	Now func() time.Time
}

// KeySet is a JWKS cache shared by every validator of a load balancer. Each URL is
// fetched and parsed once; requests read an immutable snapshot without locking.
// It is safe for concurrent use.
type KeySet struct {
	client  *http.Client
	opts    KeySetOptions
	entries sync.Map // URL -> *jwksEntry
	fetches atomic.Int64
	// waitHook, when set (tests), runs when a request starts waiting for
	// another request's fetch.
	waitHook func()
}

// jwksEntry is the cache state of one JWKS URL.
type jwksEntry struct {
	current atomic.Pointer[jwksSnapshot] // last successfully fetched set, nil before the first success

	mu          sync.Mutex
	lastAttempt time.Time
	lastErr     *fetchError   // result of the last fetch; nil if it succeeded
	inflight    chan struct{} // closed when the running fetch ends; nil when none runs

	verified verifiedCache // tokens verified with the current set (implementation note JWT-N1)
}

// jwksSnapshot is an immutable parsed key set.
type jwksSnapshot struct {
	keys      map[string]*rsa.PublicKey // usable RS256 verification keys by kid
	fetchedAt time.Time
	gen       uint64 // 1 for the first successful fetch of the URL, +1 for each later one
}

// fetchError is a failed JWKS fetch; reason becomes the Verdict.Reason of a 500.
type fetchError struct {
	reason string
}

func (e *fetchError) Error() string { return e.reason }

// NewKeySet returns an empty JWKS cache that fetches with client (nil: a client
// whose timeout is FetchTimeout).
func NewKeySet(client *http.Client, opts KeySetOptions) *KeySet {
	if opts.FetchTimeout <= 0 {
		opts.FetchTimeout = DefaultFetchTimeout
	}
	if opts.MinRefetchInterval <= 0 {
		opts.MinRefetchInterval = DefaultMinRefetchInterval
	}
	if opts.RetryInterval <= 0 {
		opts.RetryInterval = DefaultRetryInterval
	}
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if client == nil {
		client = &http.Client{Timeout: opts.FetchTimeout}
	}
	return &KeySet{client: client, opts: opts}
}

// Fetches returns the number of JWKS HTTP requests made so far (all URLs).
func (ks *KeySet) Fetches() int64 { return ks.fetches.Load() }

func (ks *KeySet) entry(jwksURL string) *jwksEntry {
	if e, ok := ks.entries.Load(jwksURL); ok {
		return e.(*jwksEntry)
	}
	e, _ := ks.entries.LoadOrStore(jwksURL, &jwksEntry{})
	return e.(*jwksEntry)
}

// key returns the verification key for kid from the JWKS at jwksURL, fetching the
// set when it is not cached, stale, or lacks kid (rate limited, one fetch at a time
// per URL), and the generation of the set it comes from. e is ks.entry(jwksURL). On
// failure it returns the verdict to answer with.
func (ks *KeySet) key(ctx context.Context, e *jwksEntry, jwksURL, kid string) (*rsa.PublicKey, uint64, Verdict) {
	fetched := false // this call has already fetched or waited for a fetch
	for {
		now := ks.opts.Now()
		snap := e.current.Load()
		if snap != nil && now.Sub(snap.fetchedAt) < ks.opts.TTL {
			if k := snap.keys[kid]; k != nil {
				return k, snap.gen, Verdict{}
			}
		}

		e.mu.Lock()
		if e.inflight != nil {
			wait := e.inflight
			e.mu.Unlock()
			if ks.waitHook != nil {
				ks.waitHook()
			}
			select {
			case <-wait:
			case <-ctx.Done():
				return nil, 0, Verdict{Status: http.StatusInternalServerError, Reason: "jwks unavailable: " + ctx.Err().Error()}
			}
			fetched = true
			continue
		}
		snap = e.current.Load() // may have changed while unlocked
		if !fetched && ks.fetchAllowed(e, snap, now) {
			done := make(chan struct{})
			e.inflight = done
			e.lastAttempt = now
			e.mu.Unlock()

			keys, ferr := ks.fetch(ctx, jwksURL)

			e.mu.Lock()
			if ferr == nil {
				gen := uint64(1)
				if old := e.current.Load(); old != nil {
					gen = old.gen + 1
				}
				e.verified.reset(gen) // before the new set is visible
				e.current.Store(&jwksSnapshot{keys: keys, fetchedAt: ks.opts.Now(), gen: gen})
			}
			e.lastErr = ferr
			e.inflight = nil
			close(done)
			e.mu.Unlock()
			fetched = true
			continue
		}
		lastErr := e.lastErr
		e.mu.Unlock()

		// No fetch now: answer from what is cached, even if stale (assumption JWT-A11).
		if snap != nil {
			if k := snap.keys[kid]; k != nil {
				return k, snap.gen, Verdict{}
			}
		}
		if lastErr != nil {
			return nil, 0, Verdict{Status: http.StatusInternalServerError, Reason: lastErr.reason}
		}
		return nil, 0, Verdict{Status: http.StatusUnauthorized, Reason: "unknown kid"}
	}
}

// fetchAllowed reports whether a new fetch may start. e.mu must be held.
func (ks *KeySet) fetchAllowed(e *jwksEntry, snap *jwksSnapshot, now time.Time) bool {
	switch {
	case e.lastAttempt.IsZero():
		return true
	case e.lastErr != nil:
		return now.Sub(e.lastAttempt) >= ks.opts.RetryInterval
	case snap != nil && now.Sub(snap.fetchedAt) >= ks.opts.TTL:
		return true
	default: // unknown kid in a fresh set
		return now.Sub(e.lastAttempt) >= ks.opts.MinRefetchInterval
	}
}

// fetch downloads and parses the JWKS. The fetch is detached from the caller's
// cancellation (other requests may be waiting for it) but bounded by FetchTimeout.
func (ks *KeySet) fetch(ctx context.Context, jwksURL string) (map[string]*rsa.PublicKey, *fetchError) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ks.opts.FetchTimeout)
	defer cancel()

	unavailable := func(format string, args ...any) *fetchError {
		return &fetchError{reason: "jwks unavailable: " + fmt.Sprintf(format, args...)}
	}
	invalid := func(format string, args ...any) *fetchError {
		return &fetchError{reason: "jwks invalid: " + fmt.Sprintf(format, args...)}
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, jwksURL, nil)
	if err != nil {
		return nil, unavailable("bad request: %v", err)
	}
	req.Header.Set("Accept", "application/json")
	ks.fetches.Add(1)
	resp, err := ks.client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL is configuration; keep the reason short
		}
		return nil, unavailable("%v", err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxJWKSBytes))
		_ = resp.Body.Close()
	}()
	if resp.StatusCode != http.StatusOK {
		return nil, unavailable("status %d", resp.StatusCode)
	}
	if resp.ContentLength > MaxJWKSBytes {
		return nil, invalid("response larger than %d bytes", MaxJWKSBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxJWKSBytes+1))
	if err != nil {
		return nil, unavailable("reading response: %v", err)
	}
	if len(body) > MaxJWKSBytes {
		return nil, invalid("response larger than %d bytes", MaxJWKSBytes)
	}
	return parseJWKS(body)
}

// parseJWKS parses a JWK Set with jwx and keeps the keys usable for RS256
// verification (assumption JWT-A10): kty RSA, a non-empty kid, use absent or "sig",
// alg absent or RS256, key_ops absent or containing "verify". The first usable key
// wins when kids repeat. Entries jwx cannot parse are kept as unusable placeholders
// (jwk.WithStrictKeySetParsing(false)) so one exotic key does not break the set, but
// they count towards the 10-key limit.
func parseJWKS(body []byte) (map[string]*rsa.PublicKey, *fetchError) {
	set, err := jwk.Parse(body, jwk.WithStrictKeySetParsing(false))
	if err != nil {
		return nil, &fetchError{reason: "jwks invalid: not a JWK set"}
	}
	if n := set.Len(); n > MaxJWKSKeys {
		return nil, &fetchError{reason: fmt.Sprintf("jwks invalid: %d keys, maximum is %d", n, MaxJWKSKeys)}
	}
	keys := make(map[string]*rsa.PublicKey, set.Len())
	for i := range set.Len() {
		k, ok := set.Key(i)
		if !ok {
			continue
		}
		kid, pub := usableRS256Key(k)
		if pub == nil {
			continue
		}
		if _, dup := keys[kid]; !dup {
			keys[kid] = pub
		}
	}
	return keys, nil
}

func usableRS256Key(k jwk.Key) (string, *rsa.PublicKey) {
	if jwk.IsUnsupportedKey(k) || k.KeyType() != jwa.RSA() {
		return "", nil
	}
	kid, ok := k.KeyID()
	if !ok || kid == "" {
		return "", nil
	}
	if use, ok := k.KeyUsage(); ok && use != string(jwk.ForSignature) {
		return "", nil
	}
	if alg, ok := k.Algorithm(); ok && alg.String() != jwa.RS256().String() {
		return "", nil
	}
	if ops, ok := k.KeyOps(); ok && !slices.Contains(ops, jwk.KeyOpVerify) {
		return "", nil
	}
	pk, err := jwk.PublicKeyOf(k)
	if err != nil {
		return "", nil
	}
	var pub rsa.PublicKey
	if err := jwk.Export(pk, &pub); err != nil {
		return "", nil
	}
	return kid, &pub
}
