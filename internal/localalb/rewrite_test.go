package localalb

import (
	"errors"
	"strings"
	"testing"
)

func TestURLRewrite(t *testing.T) {
	tests := []struct {
		name, regex, replace string
		path, query          string
		wantPath, wantQuery  string
		wantMatch, wantFail  bool
	}{
		// The project's tenant rule: ^/<t>/?(.*)$ → /$1
		{"tenant root with slash", `^/tenant-A/?(.*)$`, "/$1", "/tenant-A/", "", "/", "", true, false},
		{"tenant path and query", `^/tenant-A/?(.*)$`, "/$1", "/tenant-A/orders/7", "x=1", "/orders/7", "x=1", true, false},
		{"tenant bare prefix", `^/tenant-A/?(.*)$`, "/$1", "/tenant-A", "", "/", "", true, false},
		{"tenant encoded rest preserved", `^/tenant-A/?(.*)$`, "/$1", "/tenant-A/a%3Ab", "", "/a%3Ab", "", true, false},
		// AWS example (XFORM-UG): the replacement introduces a query string.
		{"aws example", `^/dp/([A-Za-z0-9]+)/?$`, "/product.php?id=$1", "/dp/B09G3HRMW", "", "/product.php", "id=B09G3HRMW", true, false},
		{"aws example merges query", `^/dp/([A-Za-z0-9]+)/?$`, "/product.php?id=$1", "/dp/B09G3HRMW", "ref=x", "/product.php", "id=B09G3HRMW&ref=x", true, false},
		{"replacement with empty query keeps original", `^/a$`, "/b?", "/a", "k=v", "/b", "k=v", true, false},
		{"no match leaves request unchanged", `^/dp/(.+)$`, "/x/$1", "/other", "q=1", "/other", "q=1", false, false},
		{"first match only, rest kept", `o`, "0", "/foo/boo", "", "/f0o/boo", "", true, false},
		{"$0 is the whole match", `^/v1/.*$`, "/legacy$0", "/v1/x", "", "/legacy/v1/x", "", true, false},
		{"${1} braces", `^/(a)(b)$`, "/${2}${1}", "/ab", "", "/ba", "", true, false},
		{"$10 is $1 then 0", `^/(a)$`, "/$10", "/a", "", "/a0", "", true, false},
		{"$$ is a literal dollar", `^/(a)$`, "/$$1", "/a", "", "/$1", "", true, false},
		{"lone $ is literal", `^/(a)$`, "/x$", "/a", "", "/x$", "", true, false},
		{"unmatched optional group is empty", `^/(a)?b$`, "/[$1]", "/b", "", "/[]", "", true, false},
		{"result not a path → 500", `^/(.*)$`, "$1", "/abc", "", "/abc", "", true, true},
		{"result with space → 500", `^/(.*)$`, "/a b", "/abc", "", "/abc", "", true, true},
		{"result with fragment → 500", `^/(.*)$`, "/a#b", "/abc", "", "/abc", "", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := compileTransform(TransformURLRewrite, tt.regex, tt.replace)
			if err != nil {
				t.Fatal(err)
			}
			p, q, matched, err := rewriteURL(tr, tt.path, tt.query)
			if matched != tt.wantMatch {
				t.Errorf("matched = %v, want %v", matched, tt.wantMatch)
			}
			if tt.wantFail {
				if !errors.Is(err, errTransformFailed) {
					t.Fatalf("err = %v, want errTransformFailed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p != tt.wantPath || q != tt.wantQuery {
				t.Fatalf("got %q ? %q, want %q ? %q", p, q, tt.wantPath, tt.wantQuery)
			}
		})
	}
}

func TestHostRewrite(t *testing.T) {
	tests := []struct {
		name, regex, replace, host, want string
		fail                             bool
	}{
		{"aws example", `^mywebsite-(.+).com$`, "internal.dev.$1.myweb.com", "mywebsite-eu.com", "internal.dev.eu.myweb.com", false},
		{"port kept", `^mywebsite-(.+).com$`, "internal.dev.$1.myweb.com", "mywebsite-eu.com:8443", "internal.dev.eu.myweb.com:8443", false},
		{"no match", `^other$`, "x.com", "a.com", "a.com", false},
		{"invalid host → 500", `^(.*)$`, "bad host/$1", "a.com", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := compileTransform(TransformHostHeaderRewrite, tt.regex, tt.replace)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := rewriteHost(tr, tt.host)
			if tt.fail {
				if !errors.Is(err, errTransformFailed) {
					t.Fatalf("err = %v, want errTransformFailed", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestParseReplaceErrors(t *testing.T) {
	for _, tc := range []struct{ regex, replace string }{{`^/(a)$`, "/$2"}, {`^/a$`, "/${1}"}, {`(a)`, "${99}"}} {
		if _, err := compileTransform(TransformURLRewrite, tc.regex, tc.replace); err == nil {
			t.Errorf("%q with %q: want a missing-group error", tc.regex, tc.replace)
		}
	}
}

func FuzzRewrite(f *testing.F) {
	f.Add(`^/tenant-A/?(.*)$`, "/$1", "/tenant-A/orders/7", "x=1")
	f.Add(`^/dp/([A-Za-z0-9]+)/?$`, "/product.php?id=$1", "/dp/B09", "")
	f.Add(`(a)(b)?`, "${2}$$$1$0$", "/ab", "q")
	f.Fuzz(func(t *testing.T, regex, replace, path, query string) {
		tr, err := compileTransform(TransformURLRewrite, regex, replace)
		if err != nil {
			return
		}
		p, q, matched, err := rewriteURL(tr, path, query)
		if !matched {
			if p != path || q != query || err != nil {
				t.Fatalf("no match must leave the request unchanged: %q?%q → %q?%q %v", path, query, p, q, err)
			}
			return
		}
		if err == nil {
			if !strings.HasPrefix(p, "/") || !validQuery(p) || !validQuery(q) {
				t.Fatalf("accepted an invalid rewrite result %q ? %q", p, q)
			}
		}
		if _, _, err := rewriteHost(tr, path); err != nil && !errors.Is(err, errTransformFailed) {
			t.Fatalf("host rewrite: unexpected error %v", err)
		}
	})
}
