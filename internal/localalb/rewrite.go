package localalb

import (
	"errors"
	"fmt"
	"strings"
)

// replPart is a piece of a parsed Replace string: a literal or a capture group.
type replPart struct {
	lit   string
	group int // -1 for a literal
}

// parseReplace implements assumption ALB-A6 (replacement syntax):
//   - $0 … $9: capture group 0 (whole match) to 9; a single digit, so "$10"
//     is group 1 followed by "0";
//   - ${n}: capture group n (any number of digits);
//   - $$: a literal '$';
//   - any other '$' is a literal '$'.
//
// A reference to a group the regex does not have is a load-time error.
func parseReplace(repl string, numGroups int) ([]replPart, error) {
	var parts []replPart
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, replPart{lit: lit.String(), group: -1})
			lit.Reset()
		}
	}
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		if c != '$' || i+1 >= len(repl) {
			lit.WriteByte(c)
			continue
		}
		next := repl[i+1]
		switch {
		case next == '$':
			lit.WriteByte('$')
			i++
		case '0' <= next && next <= '9':
			n := int(next - '0')
			if n > numGroups {
				return nil, fmt.Errorf("$%d refers to a capture group the regex does not have (it has %d)", n, numGroups)
			}
			flush()
			parts = append(parts, replPart{group: n})
			i++
		case next == '{':
			end := strings.IndexByte(repl[i:], '}')
			if end < 0 {
				lit.WriteByte(c)
				continue
			}
			digits := repl[i+2 : i+end]
			n, ok := atoiDigits(digits)
			if !ok {
				lit.WriteByte(c)
				continue
			}
			if n > numGroups {
				return nil, fmt.Errorf("${%s} refers to a capture group the regex does not have (it has %d)", digits, numGroups)
			}
			flush()
			parts = append(parts, replPart{group: n})
			i += end
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return parts, nil
}

func atoiDigits(s string) (int, bool) {
	if s == "" || len(s) > 4 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// apply replaces the FIRST (leftmost) match of the regex in subject with the
// expanded replacement and keeps the rest of the subject (assumption ALB-A5).
// matched is false when the regex does not match (subject returned as is).
func (t *Transform) apply(subject string) (result string, matched bool) {
	loc := t.re.FindStringSubmatchIndex(subject)
	if loc == nil {
		return subject, false
	}
	var b strings.Builder
	b.WriteString(subject[:loc[0]])
	for _, p := range t.repl {
		if p.group < 0 {
			b.WriteString(p.lit)
			continue
		}
		if s, e := loc[2*p.group], loc[2*p.group+1]; s >= 0 {
			b.WriteString(subject[s:e])
		}
	}
	b.WriteString(subject[loc[1]:])
	return b.String(), true
}

// errTransformFailed maps to HTTP 500 ("If there is a pattern match but the
// transform fails, we return an HTTP 500 error", XFORM-UG).
var errTransformFailed = errors.New("transform failed")

// rewriteURL applies a url-rewrite transform (assumption ALB-A5): the regex
// subject is the normalized path only. If the result contains '?', the part
// after it becomes the query string and the original query (if any) is
// appended after an '&'. Otherwise the original query is kept. A result
// that is not a valid origin-form path is a failed transform.
func rewriteURL(t *Transform, path, rawQuery string) (newPath, newQuery string, matched bool, err error) {
	out, matched := t.apply(path)
	if !matched {
		return path, rawQuery, false, nil
	}
	newPath, newQuery = out, rawQuery
	if p, q, ok := strings.Cut(out, "?"); ok {
		newPath = p
		switch {
		case q == "":
			newQuery = rawQuery
		case rawQuery == "":
			newQuery = q
		default:
			newQuery = q + "&" + rawQuery
		}
	}
	if !validRewrittenPath(newPath) || !validQuery(newQuery) {
		return path, rawQuery, true, fmt.Errorf("%w: rewritten URL %q is not a valid path", errTransformFailed, out)
	}
	return newPath, newQuery, true, nil
}

func validRewrittenPath(p string) bool {
	if p == "" || p[0] != '/' || len(p) > 8192 {
		return false
	}
	return validQuery(p)
}

// validQuery: visible ASCII without '#' (a fragment cannot reach a target).
func validQuery(q string) bool {
	for i := 0; i < len(q); i++ {
		if c := q[i]; c <= 0x20 || c >= 0x7f || c == '#' {
			return false
		}
	}
	return true
}

// rewriteHost applies a host-header-rewrite transform (assumption ALB-A7): the
// subject is the Host header without its port; the port, if any, is put back
// after the rewrite. A result that is not a valid host name is a failed transform.
func rewriteHost(t *Transform, hostHeader string) (string, bool, error) {
	host, port := splitHostPort(hostHeader)
	out, matched := t.apply(host)
	if !matched {
		return hostHeader, false, nil
	}
	if !validHostName(out) {
		return hostHeader, true, fmt.Errorf("%w: rewritten host %q is not a valid host name", errTransformFailed, out)
	}
	if port != "" {
		out += ":" + port
	}
	return out, true, nil
}

func validHostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// splitHostPort splits "host:port" / "[v6]:port"; a bare host has no port.
func splitHostPort(hp string) (host, port string) {
	if strings.HasPrefix(hp, "[") {
		if end := strings.IndexByte(hp, ']'); end > 0 {
			host = hp[:end+1]
			if rest := hp[end+1:]; strings.HasPrefix(rest, ":") {
				port = rest[1:]
			}
			return host, port
		}
		return hp, ""
	}
	if i := strings.LastIndexByte(hp, ':'); i >= 0 && !strings.Contains(hp[:i], ":") {
		return hp[:i], hp[i+1:]
	}
	return hp, ""
}
