package jwtvalidate

import (
	"crypto/rsa"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
)

// Bounds of the verified-signature cache of one JWKS URL (implementation note JWT-N1 in
// doc.go). Whichever is reached first makes room by evicting arbitrary entries.
const (
	maxVerifiedEntries = 4096
	maxVerifiedBytes   = 16 << 20 // token + payload bytes
)

// verifiedToken is a token whose RS256 signature verified against key, taken from the
// key set of generation gen of its URL.
type verifiedToken struct {
	kid    string
	key    *rsa.PublicKey
	claims map[string]json.RawMessage // parsed payload; read-only once cached
	size   int
}

// verifiedCache maps the exact bytes of compact tokens whose signature verified to
// their parsed claims. Only the signature verification and the payload parsing are
// skipped on a hit; the key is still looked up (so TTL refreshes, rotation and fetch
// failures behave as without the cache) and must be the very key that verified the
// token, and every claim is still checked against the current time. It is cleared
// whenever a fetch of its URL succeeds (a new generation). Safe for concurrent use.
type verifiedCache struct {
	mu      sync.RWMutex
	gen     uint64 // generation of the key set the entries were verified with
	entries map[string]*verifiedToken
	bytes   int

	hits atomic.Int64 // cache hits, for tests
}

// get returns the entry for token, nil if there is none.
func (c *verifiedCache) get(token string) *verifiedToken {
	c.mu.RLock()
	vt := c.entries[token]
	c.mu.RUnlock()
	return vt
}

// put remembers a verified token unless the key set changed (gen is no longer the
// current generation) since its key was looked up.
func (c *verifiedCache) put(token string, gen uint64, vt *verifiedToken) {
	vt.size = len(token) + vt.size
	if vt.size > maxVerifiedBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if old, ok := c.entries[token]; ok {
		c.bytes -= old.size
		delete(c.entries, token)
	}
	for k, e := range c.entries { // arbitrary eviction until the new entry fits
		if len(c.entries) < maxVerifiedEntries && c.bytes+vt.size <= maxVerifiedBytes {
			break
		}
		c.bytes -= e.size
		delete(c.entries, k)
	}
	if c.entries == nil {
		c.entries = make(map[string]*verifiedToken)
	}
	c.entries[strings.Clone(token)] = vt
	c.bytes += vt.size
}

// reset drops every entry and starts generation gen. The caller holds the URL's
// fetch lock, so generations only grow.
func (c *verifiedCache) reset(gen uint64) {
	c.mu.Lock()
	c.gen = gen
	c.entries = nil
	c.bytes = 0
	c.mu.Unlock()
}

// len returns the number of cached tokens (tests).
func (c *verifiedCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}
