package localalb

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
)

// glob is a compiled ALB wildcard pattern: '*' matches zero or more
// characters (including '/'), '?' exactly one byte, anchored to the whole
// subject. With fold, ASCII letters compare case-insensitively. With escapes,
// '\*', '\?' and '\\' are literals (query-string conditions, API_QueryStringConditionConfig).
type glob struct {
	toks []globTok
	fold bool
}

type globKind uint8

const (
	globLit globKind = iota
	globAny1
	globStar
)

type globTok struct {
	kind globKind
	c    byte
}

func compileGlob(pattern string, fold, escapes bool) glob {
	g := glob{fold: fold}
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case escapes && c == '\\' && i+1 < len(pattern):
			i++
			g.toks = append(g.toks, globTok{globLit, lowerIf(pattern[i], fold)})
		case c == '*':
			if n := len(g.toks); n > 0 && g.toks[n-1].kind == globStar {
				continue // "**" == "*"
			}
			g.toks = append(g.toks, globTok{kind: globStar})
		case c == '?':
			g.toks = append(g.toks, globTok{kind: globAny1})
		default:
			g.toks = append(g.toks, globTok{globLit, lowerIf(c, fold)})
		}
	}
	return g
}

func lowerIf(c byte, fold bool) byte {
	if fold && 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// match runs the classic single-backtrack wildcard algorithm: O(len(s)·len(p))
// worst case, no allocation, no recursion.
func (g glob) match(s string) bool {
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(s) {
		if p < len(g.toks) {
			t := g.toks[p]
			switch {
			case t.kind == globStar:
				starP, starI = p, i
				p++
				continue
			case t.kind == globAny1 || t.c == lowerIf(s[i], g.fold):
				p++
				i++
				continue
			}
		}
		if starP < 0 {
			return false
		}
		p = starP + 1
		starI++
		i = starI
	}
	for p < len(g.toks) && g.toks[p].kind == globStar {
		p++
	}
	return p == len(g.toks)
}

// wildcards counts the unescaped '*' and '?' of a pattern (quota: 5 per rule).
func wildcards(pattern string, escapes bool) int {
	n := 0
	for i := 0; i < len(pattern); i++ {
		switch {
		case escapes && pattern[i] == '\\':
			i++
		case pattern[i] == '*' || pattern[i] == '?':
			n++
		}
	}
	return n
}

// compileALBRegex compiles an ALB regex with Go's RE2 engine. RE2 already
// rejects lookarounds, backreferences, atomic groups and possessive
// quantifiers; Unicode classes (\p, \P) are rejected explicitly because the
// ALB does not support them (RULES-UG) while RE2 would.
func compileALBRegex(expr string) (*regexp.Regexp, error) {
	for i := 0; i < len(expr); i++ {
		if expr[i] == '\\' && i+1 < len(expr) {
			if expr[i+1] == 'p' || expr[i+1] == 'P' {
				return nil, errors.New("Unicode character classes (\\p, \\P) are not supported by the ALB")
			}
			i++
		}
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("invalid regular expression: %w", err)
	}
	return re, nil
}

// request is the view of an HTTP request the rule engine evaluates.
type request struct {
	method   string
	path     string // normalized, still percent-encoded (assumption ALB-A1)
	rawQuery string // as received, without '?'
	query    []queryPair
	host     string // Host header without port
	header   http.Header
	sourceIP netip.Addr
}

type queryPair struct{ key, value string }

// parseQuery splits a raw query on '&' and the first '='; nothing is decoded
// (the ALB passes query parameters to Lambda undecoded, LAMBDA-UG).
func parseQuery(raw string) []queryPair {
	if raw == "" {
		return nil
	}
	var out []queryPair
	for _, piece := range strings.Split(raw, "&") {
		if piece == "" {
			continue
		}
		k, v, _ := strings.Cut(piece, "=")
		out = append(out, queryPair{k, v})
	}
	return out
}

type queryMatcher struct {
	key    *glob // nil: any key
	value  glob
	hasKey bool
}

// matches reports whether the request satisfies the condition.
func (c *Condition) matches(r *request) bool {
	switch c.Field {
	case FieldPathPattern:
		return c.matchAny(r.path)
	case FieldHostHeader:
		return c.matchAny(r.host)
	case FieldHTTPHeader:
		for _, v := range r.header.Values(c.HeaderName) {
			if c.matchAny(v) {
				return true
			}
		}
		return false
	case FieldHTTPMethod:
		for _, v := range c.Values {
			if r.method == v {
				return true
			}
		}
		return false
	case FieldQueryString:
		for _, m := range c.kvs {
			for _, p := range r.query {
				k, v := percentDecode(p.key), percentDecode(p.value)
				if m.key != nil && !m.key.match(k) {
					continue
				}
				if m.value.match(v) {
					return true
				}
			}
		}
		return false
	case FieldSourceIP:
		for _, p := range c.SourceIPs {
			if p.Contains(r.sourceIP) {
				return true
			}
		}
		return false
	}
	return false
}

func (c *Condition) matchAny(s string) bool {
	for _, g := range c.globs {
		if g.match(s) {
			return true
		}
	}
	for _, re := range c.regexes {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// ruleMatches: conditions are AND-ed.
func (ru *Rule) matches(r *request) bool {
	for _, c := range ru.Conditions {
		if !c.matches(r) {
			return false
		}
	}
	return true
}

// percentDecode decodes %XX escapes; an invalid escape is kept literally.
// '+' is not treated as a space.
func percentDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// errBadTarget is returned for request targets the local ALB answers with 400.
var errBadTarget = errors.New("invalid request target")

// normalizePath implements assumption ALB-A1 (URI normalization before rule
// evaluation, RFC 3986 §6.2.2 syntax-based normalization):
//  1. the path must start with '/' and contain only visible ASCII (no
//     control characters 0x00–0x1f/0x7f, no space, no bytes ≥ 0x80);
//  2. every '%' must start a valid %XX escape;
//  3. escapes of unreserved characters are decoded (%41 → A, %2E → .),
//     other escapes get upper-case hex digits (%2f → %2F);
//  4. dot segments are removed (RFC 3986 §5.2.4), so /a/%2E%2E/b → /b;
//  5. '//' is NOT merged.
//
// The result is what the conditions see and what the target receives.
func normalizePath(raw string) (string, error) {
	if raw == "" || raw[0] != '/' {
		return "", errBadTarget
	}
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c <= 0x20 || c >= 0x7f {
			return "", errBadTarget
		}
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(raw) || !isHex(raw[i+1]) || !isHex(raw[i+2]) {
			return "", errBadTarget
		}
		d := unhex(raw[i+1])<<4 | unhex(raw[i+2])
		if isUnreserved(d) {
			b.WriteByte(d)
		} else {
			b.WriteByte('%')
			b.WriteByte(upperHex(raw[i+1]))
			b.WriteByte(upperHex(raw[i+2]))
		}
		i += 2
	}
	return removeDotSegments(b.String()), nil
}

func upperHex(c byte) byte {
	if 'a' <= c && c <= 'f' {
		return c - ('a' - 'A')
	}
	return c
}

// removeDotSegments is RFC 3986 §5.2.4 for an absolute path.
func removeDotSegments(in string) string {
	if !strings.Contains(in, ".") {
		return in
	}
	var out []string // output segments, each starting with '/'
	for in != "" {
		switch {
		case strings.HasPrefix(in, "/./"):
			in = in[2:]
		case in == "/.":
			in = "/"
		case strings.HasPrefix(in, "/../"):
			in = in[3:]
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		case in == "/..":
			in = "/"
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			// move the first segment ("/seg") to the output
			j := strings.IndexByte(in[1:], '/')
			if j < 0 {
				out = append(out, in)
				in = ""
			} else {
				out = append(out, in[:j+1])
				in = in[j+1:]
			}
		}
	}
	s := strings.Join(out, "")
	if s == "" {
		return "/"
	}
	return s
}
