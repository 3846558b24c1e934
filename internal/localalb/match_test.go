package localalb

import (
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"testing"
)

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, subject string
		fold, escapes    bool
		want             bool
	}{
		{"/tenant-A/*", "/tenant-A/", false, false, true},
		{"/tenant-A/*", "/tenant-A/orders/7", false, false, true}, // * crosses '/'
		{"/tenant-A/*", "/tenant-A", false, false, false},         // anchored: bare prefix needs its own value
		{"/tenant-A", "/tenant-A", false, false, true},
		{"/tenant-A", "/tenant-A/", false, false, false},
		{"/tenant-A/*", "/tenant-a/x", false, false, false}, // path is case-sensitive
		{"/tenant-A/*", "/tenant-AB/x", false, false, false},
		{"/tenant-A/*", "/x/tenant-A/y", false, false, false}, // anchored at the start
		{"/img/*/pics", "/img/a/b/pics", false, false, true},
		{"/img/*/pics", "/img/a/b/pics/x", false, false, false},
		{"/a?c", "/abc", false, false, true},
		{"/a?c", "/ac", false, false, false},
		{"/a?c", "/abbc", false, false, false},
		{"*", "", false, false, true},
		{"**", "/x", false, false, true},
		{"*.example.com", "API.Example.COM", true, false, true}, // host: case-insensitive
		{"*.example.com", "example.com", true, false, false},
		{"a*b*c", "aXbYbZc", false, false, true},
		{"a*b*c", "aXbYbZ", false, false, false},
		{`v\*`, "v*", true, true, true}, // query: escaped wildcard
		{`v\*`, "vx", true, true, false},
		{`v\?`, "v?", true, true, true},
	}
	for _, tt := range tests {
		if got := compileGlob(tt.pattern, tt.fold, tt.escapes).match(tt.subject); got != tt.want {
			t.Errorf("glob %q match %q (fold=%v) = %v, want %v", tt.pattern, tt.subject, tt.fold, got, tt.want)
		}
	}
}

func TestNormalizePath(t *testing.T) {
	tests := []struct {
		in, want string
		bad      bool
	}{
		{in: "/", want: "/"},
		{in: "/tenant-A/orders", want: "/tenant-A/orders"},
		{in: "/tenant-A/./orders", want: "/tenant-A/orders"},
		{in: "/tenant-A/../tenant-B/x", want: "/tenant-B/x"},
		{in: "/tenant-A/%2E%2E/tenant-B", want: "/tenant-B"}, // encoded dots decoded, then removed
		{in: "/tenant-A/%2e%2e/tenant-B", want: "/tenant-B"},
		{in: "/../../etc", want: "/etc"},
		{in: "/a/b/..", want: "/a/"},
		{in: "/a/.", want: "/a/"},
		{in: "/a//b", want: "/a//b"}, // no slash merging
		{in: "/%74enant-A/x", want: "/tenant-A/x"},
		{in: "/a%2fb", want: "/a%2Fb"}, // reserved stays encoded, hex upper-cased
		{in: "/a%20b", want: "/a%20b"},
		{in: "/.hidden/..x", want: "/.hidden/..x"},
		{in: "/a%", bad: true},
		{in: "/a%zz", bad: true},
		{in: "/a\x01b", bad: true},
		{in: "/a\x7fb", bad: true},
		{in: "/a b", bad: true},
		{in: "/caf\xc3\xa9", bad: true},
		{in: "relative", bad: true},
		{in: "", bad: true},
	}
	for _, tt := range tests {
		got, err := normalizePath(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("normalizePath(%q) = %q, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("normalizePath(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// conditionsTemplate loads one rule with the given conditions and returns it.
func loadRule(t *testing.T, conditions string) *Rule {
	t.Helper()
	m, err := LoadTemplate(tpl(t, map[string]string{"R": rule("1", conditions, forwardTG, "")}), Resolver{})
	if err != nil {
		t.Fatalf("LoadTemplate: %v", err)
	}
	return m.Listeners[0].Rules[0]
}

func TestConditions(t *testing.T) {
	type req struct {
		method, path, query, host, ip string
		header                        http.Header
	}
	mk := func(r req) *request {
		if r.method == "" {
			r.method = "GET"
		}
		if r.path == "" {
			r.path = "/"
		}
		if r.ip == "" {
			r.ip = "192.0.2.10"
		}
		if r.header == nil {
			r.header = http.Header{}
		}
		return &request{method: r.method, path: r.path, rawQuery: r.query, query: parseQuery(r.query), host: r.host,
			header: r.header, sourceIP: netip.MustParseAddr(r.ip)}
	}
	tests := []struct {
		name       string
		conditions string
		req        req
		want       bool
	}{
		{"path values OR", `[{"Field":"path-pattern","PathPatternConfig":{"Values":["/t/*","/t"]}}]`, req{path: "/t"}, true},
		{"path ignores query", `[{"Field":"path-pattern","Values":["/t"]}]`, req{path: "/t", query: "a=/x"}, true},
		{"path case-sensitive", `[{"Field":"path-pattern","Values":["/T"]}]`, req{path: "/t"}, false},
		{"path regex unanchored search", `[{"Field":"path-pattern","PathPatternConfig":{"RegexValues":["orders/[0-9]+"]}}]`, req{path: "/t/orders/7"}, true},
		{"path regex anchored", `[{"Field":"path-pattern","PathPatternConfig":{"RegexValues":["^/api/(.*)$"]}}]`, req{path: "/x/api/y"}, false},
		{"path regex never sees the query", `[{"Field":"path-pattern","PathPatternConfig":{"RegexValues":["x=1"]}}]`, req{path: "/t", query: "x=1"}, false},
		{"top-level RegexValues", `[{"Field":"path-pattern","RegexValues":["^/r$"]}]`, req{path: "/r"}, true},
		{"host glob case-insensitive", `[{"Field":"host-header","HostHeaderConfig":{"Values":["*.example.com"]}}]`, req{host: "API.example.com"}, true},
		{"host wildcard needs subdomain", `[{"Field":"host-header","HostHeaderConfig":{"Values":["*.example.com"]}}]`, req{host: "example.com"}, false},
		{"host legacy values", `[{"Field":"host-header","Values":["a.example.com"]}]`, req{host: "a.example.com"}, true},
		{"host regex", `[{"Field":"host-header","HostHeaderConfig":{"RegexValues":["^tenant-[a-z]+\\.example\\.com$"]}}]`, req{host: "tenant-a.example.com"}, true},
		{"header glob case-insensitive", `[{"Field":"http-header","HttpHeaderConfig":{"HttpHeaderName":"User-Agent","Values":["*mobile*"]}}]`,
			req{header: http.Header{"User-Agent": {"Foo Mobile/1"}}}, true},
		{"header any of repeated values", `[{"Field":"http-header","HttpHeaderConfig":{"HttpHeaderName":"x-env","Values":["blue"]}}]`,
			req{header: http.Header{"X-Env": {"green", "BLUE"}}}, true},
		{"header absent", `[{"Field":"http-header","HttpHeaderConfig":{"HttpHeaderName":"X-Env","Values":["*"]}}]`, req{}, false},
		{"header regex", `[{"Field":"http-header","HttpHeaderConfig":{"HttpHeaderName":"Authorization","RegexValues":["^Bearer "]}}]`,
			req{header: http.Header{"Authorization": {"Bearer x"}}}, true},
		{"method exact", `[{"Field":"http-request-method","HttpRequestMethodConfig":{"Values":["POST","PUT"]}}]`, req{method: "PUT"}, true},
		{"method case-sensitive", `[{"Field":"http-request-method","HttpRequestMethodConfig":{"Values":["POST"]}}]`, req{method: "post"}, false},
		{"query key and value", `[{"Field":"query-string","QueryStringConfig":{"Values":[{"Key":"version","Value":"v1*"}]}}]`, req{query: "a=1&VERSION=V1.2"}, true},
		{"query value only", `[{"Field":"query-string","QueryStringConfig":{"Values":[{"Value":"blue"}]}}]`, req{query: "color=blue"}, true},
		{"query no match", `[{"Field":"query-string","QueryStringConfig":{"Values":[{"Key":"version","Value":"v1"}]}}]`, req{query: "version=v2"}, false},
		{"query percent-decoded", `[{"Field":"query-string","QueryStringConfig":{"Values":[{"Key":"q","Value":"a b"}]}}]`, req{query: "q=a%20b"}, true},
		{"query escaped wildcard", `[{"Field":"query-string","QueryStringConfig":{"Values":[{"Key":"q","Value":"\\*"}]}}]`, req{query: "q=x"}, false},
		{"source ip v4", `[{"Field":"source-ip","SourceIpConfig":{"Values":["192.0.2.0/24"]}}]`, req{ip: "192.0.2.99"}, true},
		{"source ip outside", `[{"Field":"source-ip","SourceIpConfig":{"Values":["10.0.0.0/8"]}}]`, req{ip: "192.0.2.99"}, false},
		{"source ip v6", `[{"Field":"source-ip","SourceIpConfig":{"Values":["::1/128"]}}]`, req{ip: "::1"}, true},
		{"conditions AND: both", `[{"Field":"path-pattern","Values":["/t/*"]},{"Field":"http-request-method","HttpRequestMethodConfig":{"Values":["GET"]}}]`,
			req{path: "/t/x"}, true},
		{"conditions AND: one fails", `[{"Field":"path-pattern","Values":["/t/*"]},{"Field":"http-request-method","HttpRequestMethodConfig":{"Values":["POST"]}}]`,
			req{path: "/t/x"}, false},
		{"two header conditions AND", `[{"Field":"http-header","HttpHeaderConfig":{"HttpHeaderName":"A","Values":["1"]}},{"Field":"http-header","HttpHeaderConfig":{"HttpHeaderName":"B","Values":["2"]}}]`,
			req{header: http.Header{"A": {"1"}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ru := loadRule(t, tt.conditions)
			if got := ru.matches(mk(tt.req)); got != tt.want {
				t.Fatalf("match = %v, want %v", got, tt.want)
			}
		})
	}
}

// The glob must agree with an equivalent regular expression (oracle).
func globOracle(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`^`)
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(`(?s:.*)`)
		case '?':
			b.WriteString(`(?s:.)`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

func FuzzPathPattern(f *testing.F) {
	for _, s := range [][2]string{{"/tenant-A/*", "/tenant-A/x"}, {"/a?c", "/abc"}, {"*b*", "abba"}, {"/img/*/pics", "/img/a/pics"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, subject string) {
		// Restrict to ASCII so that '?' (one byte) and '.' (one rune) agree.
		for i := 0; i < len(pattern); i++ {
			if pattern[i] >= 0x80 {
				return
			}
		}
		for i := 0; i < len(subject); i++ {
			if subject[i] >= 0x80 {
				return
			}
		}
		got := compileGlob(pattern, false, false).match(subject)
		if want := globOracle(pattern).MatchString(subject); got != want {
			t.Fatalf("glob %q on %q = %v, oracle %v", pattern, subject, got, want)
		}
		if n, err := normalizePath(subject); err == nil {
			if !strings.HasPrefix(n, "/") || strings.Contains(n, "/../") || strings.HasSuffix(n, "/..") {
				t.Fatalf("normalizePath(%q) = %q still has dot segments", subject, n)
			}
			if again, err := normalizePath(n); err != nil || again != n {
				t.Fatalf("normalizePath is not idempotent: %q → %q → %q (%v)", subject, n, again, err)
			}
		}
	})
}
