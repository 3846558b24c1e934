// Package fakeaws is test support for the scripts/ tools: one 127.0.0.1 HTTP
// server that records every AWS API call it receives, answers CloudFormation
// DescribeStacks from canned outputs (one stack by name, or every stack,
// paginated, when no name is given), optionally proxies Cognito calls to a
// real cognito-local (so tests can count them), and delegates ACM calls to a
// handler. Point the SDK at it with --endpoint or AWS_ENDPOINT_URL_<SERVICE>.
//
// cognito-local (the version pinned in tools/node) does not implement AdminUserGlobalSignOut; the server
// answers it itself (recorded, empty success) so that tests against the real
// cognito-local can check that the call is made.
package fakeaws

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Server is a recording fake AWS endpoint.
type Server struct {
	URL string

	mu       sync.Mutex
	calls    []string
	stacks   map[string]map[string]string
	status   map[string]string
	parent   map[string]string
	pageSize int
	cognito  http.Handler // a reverse proxy to Options.CognitoUpstream
	acm      http.Handler
	httpTest *httptest.Server
}

// Options configures New.
type Options struct {
	// Stacks maps stack name -> outputs for DescribeStacks.
	Stacks map[string]map[string]string
	// StackStatus maps stack name -> StackStatus (default CREATE_COMPLETE).
	StackStatus map[string]string
	// StackParent maps a nested stack's name -> its parent's stack id.
	StackParent map[string]string
	// PageSize is the number of stacks per DescribeStacks page when no
	// StackName is given (default 2, so tests exercise NextToken).
	PageSize int
	// CognitoUpstream, when set, receives every Cognito request (proxied).
	CognitoUpstream string
	// ACM handles CertificateManager.* requests.
	ACM http.Handler
}

// New starts the server and closes it in t.Cleanup.
func New(t testing.TB, o Options) *Server {
	t.Helper()
	s := &Server{stacks: o.Stacks, status: o.StackStatus, parent: o.StackParent, pageSize: o.PageSize, acm: o.ACM}
	if s.pageSize < 1 {
		s.pageSize = 2
	}
	if o.CognitoUpstream != "" {
		u, err := url.Parse(o.CognitoUpstream)
		if err != nil {
			t.Fatalf("fakeaws: %v", err)
		}
		s.cognito = httputil.NewSingleHostReverseProxy(u)
	}
	s.httpTest = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.httpTest.URL
	t.Cleanup(s.httpTest.Close)
	return s
}

// Calls returns the recorded calls as "Service.Operation" strings, e.g.
// "cognito.AdminCreateUser", "cloudformation.DescribeStacks", "acm.ImportCertificate".
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

// Count returns how many recorded calls start with prefix.
func (s *Server) Count(prefix string) int {
	n := 0
	for _, c := range s.Calls() {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

// Reset forgets the recorded calls.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

func (s *Server) record(c string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}

// forward records call and hands the request to h, or answers 400 with
// missing when there is no h.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, call string, h http.Handler, missing string) {
	s.record(call)
	if h == nil {
		jsonError(w, http.StatusBadRequest, "InvalidParameterException", missing)
		return
	}
	h.ServeHTTP(w, r)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	switch {
	case target == "AWSCognitoIdentityProviderService.AdminUserGlobalSignOut":
		s.record("cognito.AdminUserGlobalSignOut")
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = io.WriteString(w, "{}")
	case strings.HasPrefix(target, "AWSCognitoIdentityProviderService."):
		s.forward(w, r, "cognito."+strings.TrimPrefix(target, "AWSCognitoIdentityProviderService."), s.cognito, "fakeaws: no Cognito upstream")
	case strings.HasPrefix(target, "CertificateManager."):
		s.forward(w, r, "acm."+strings.TrimPrefix(target, "CertificateManager."), s.acm, "fakeaws: no ACM handler")
	case strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		s.record("cloudformation." + form.Get("Action"))
		if form.Get("Action") != "DescribeStacks" {
			queryError(w, "InvalidAction", "fakeaws: unsupported action")
			return
		}
		s.describeStacks(w, form.Get("StackName"), form.Get("NextToken"))
	default:
		s.record("unknown " + r.Method + " " + r.URL.Path)
		jsonError(w, http.StatusBadRequest, "UnknownOperationException", "fakeaws: unknown request")
	}
}

func (s *Server) describeStacks(w http.ResponseWriter, name, next string) {
	var names []string
	nextToken := ""
	if name != "" {
		if _, ok := s.stacks[name]; !ok {
			queryError(w, "ValidationError", fmt.Sprintf("Stack with id %s does not exist", name))
			return
		}
		names = []string{name}
	} else {
		for n := range s.stacks {
			names = append(names, n)
		}
		sort.Strings(names)
		start := 0
		if next != "" {
			var err error
			if start, err = strconv.Atoi(next); err != nil || start < 0 || start > len(names) {
				queryError(w, "ValidationError", "fakeaws: bad NextToken")
				return
			}
		}
		end := min(start+s.pageSize, len(names))
		if end < len(names) {
			nextToken = strconv.Itoa(end)
		}
		names = names[start:end]
	}
	var b bytes.Buffer
	b.WriteString(`<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks>`)
	for _, n := range names {
		status := s.status[n]
		if status == "" {
			status = "CREATE_COMPLETE"
		}
		b.WriteString(`<member><StackName>`)
		_ = xml.EscapeText(&b, []byte(n))
		b.WriteString(`</StackName><StackStatus>`)
		_ = xml.EscapeText(&b, []byte(status))
		b.WriteString(`</StackStatus>`)
		if p := s.parent[n]; p != "" {
			b.WriteString(`<ParentId>`)
			_ = xml.EscapeText(&b, []byte(p))
			b.WriteString(`</ParentId>`)
		}
		b.WriteString(`<Outputs>`)
		keys := make([]string, 0, len(s.stacks[n]))
		for k := range s.stacks[n] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b.WriteString(`<member><OutputKey>`)
			_ = xml.EscapeText(&b, []byte(k))
			b.WriteString(`</OutputKey><OutputValue>`)
			_ = xml.EscapeText(&b, []byte(s.stacks[n][k]))
			b.WriteString(`</OutputValue></member>`)
		}
		b.WriteString(`</Outputs></member>`)
	}
	b.WriteString(`</Stacks>`)
	if nextToken != "" {
		b.WriteString(`<NextToken>` + nextToken + `</NextToken>`)
	}
	b.WriteString(`</DescribeStacksResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></DescribeStacksResponse>`)
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write(b.Bytes())
}

func queryError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusBadRequest)
	var m bytes.Buffer
	_ = xml.EscapeText(&m, []byte(msg))
	fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>fake</RequestId></ErrorResponse>`, code, m.String())
}

func jsonError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"__type":%q,"message":%q}`, code, msg)
}

// JSONError writes an AWS JSON-protocol error (for ACM handlers in tests).
func JSONError(w http.ResponseWriter, status int, code, msg string) { jsonError(w, status, code, msg) }
