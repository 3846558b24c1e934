package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/golang-jwt/jwt/v5"
)

const (
	testRequestID = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
	testIssuer    = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Test"
	testClientID  = "client-123"
)

// testNow is the injected clock: tokens expire an hour after it.
var testNow = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

// testHandler is a handler for tenantID with the test issuer and client and the
// fixed clock.
func testHandler(tenantID string, logger *slog.Logger) *handler {
	h := newHandler(handlerEnv{TenantID: tenantID, Issuer: testIssuer, ClientID: testClientID}, logger)
	h.now = func() time.Time { return testNow }
	return h
}

// rawToken builds an unsigned-looking compact JWT around a literal JSON payload
// (for claim names a map cannot hold twice, and exact spellings).
func rawToken(payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","kid":"k"}`)) + "." + enc([]byte(payload)) + "." + enc([]byte("sig"))
}

// token returns a signed JWT with Cognito access-token claims for groups, changed by
// changes (a nil value deletes the claim). The handler does not verify signatures (the
// ALB does), so an HMAC test secret is enough here.
func token(t *testing.T, changes map[string]any) string {
	t.Helper()
	claims := jwt.MapClaims{
		"iss":            testIssuer,
		"exp":            testNow.Add(time.Hour).Unix(),
		"iat":            testNow.Unix(),
		"sub":            "5ebd2cb4-f910-49c3-aa13-3da45157865b",
		"username":       "alice-username",
		"client_id":      testClientID,
		"token_use":      "access",
		"cognito:groups": []string{"tenant-A"},
	}
	for k, v := range changes {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("test-secret-not-a-real-key"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func albRequest(method, path string, query map[string]string, headers map[string]string) events.ALBTargetGroupRequest {
	h := map[string]string{"host": "alb.example.com", "x-forwarded-proto": "https"}
	for k, v := range headers {
		h[k] = v
	}
	return events.ALBTargetGroupRequest{
		HTTPMethod:            method,
		Path:                  path,
		QueryStringParameters: query,
		Headers:               h,
		RequestContext: events.ALBTargetGroupRequestContext{ELB: events.ELBContext{
			TargetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/tenant-A/0123456789abcdef",
		}},
	}
}

func lambdaCtx() context.Context {
	return lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: testRequestID})
}

func TestHandle(t *testing.T) {
	valid := token(t, nil)
	tests := []struct {
		name       string
		tenantID   string
		req        events.ALBTargetGroupRequest
		wantStatus int
		wantBody   map[string]any // checked field by field
		wantLog    string         // decision
	}{
		{
			name:       "tenant match",
			tenantID:   "tenant-A",
			req:        albRequest("GET", "/orders/7", map[string]string{"x": "1"}, map[string]string{"authorization": "Bearer " + valid}),
			wantStatus: 200,
			wantBody: map[string]any{"tenantId": "tenant-A", "path": "/orders/7", "method": "GET",
				"query": map[string]any{"x": "1"}, "requestId": testRequestID},
			wantLog: "allowed",
		},
		{
			name:       "any method, root path, no query",
			tenantID:   "tenant-A",
			req:        albRequest("DELETE", "/", nil, map[string]string{"authorization": "Bearer " + valid}),
			wantStatus: 200,
			wantBody:   map[string]any{"path": "/", "method": "DELETE", "query": map[string]any{}},
			wantLog:    "allowed",
		},
		{
			name:       "query passed through undecoded",
			tenantID:   "tenant-A",
			req:        albRequest("GET", "/search", map[string]string{"q": "a%20b", "x": "1"}, map[string]string{"authorization": "Bearer " + valid}),
			wantStatus: 200,
			wantBody:   map[string]any{"query": map[string]any{"q": "a%20b", "x": "1"}},
			wantLog:    "allowed",
		},
		{
			name:       "member of several groups",
			tenantID:   "tenant-A",
			req:        albRequest("GET", "/", nil, map[string]string{"authorization": "Bearer " + token(t, map[string]any{"cognito:groups": []string{"admins", "tenant-A"}})}),
			wantStatus: 200,
			wantLog:    "allowed",
		},
		{
			name:       "lower-case scheme, canonical header name",
			tenantID:   "tenant-A",
			req:        albRequest("GET", "/", nil, map[string]string{"Authorization": "bearer " + valid}),
			wantStatus: 200,
			wantLog:    "allowed",
		},
		{
			name:       "other tenant's token",
			tenantID:   "tenant-B",
			req:        albRequest("GET", "/orders/7", nil, map[string]string{"authorization": "Bearer " + valid}),
			wantStatus: 403,
			wantBody:   map[string]any{"error": "forbidden", "requestId": testRequestID},
			wantLog:    "tenant not in token groups",
		},
		{
			name:       "group differs in case",
			tenantID:   "tenant-a",
			req:        albRequest("GET", "/", nil, map[string]string{"authorization": "Bearer " + valid}),
			wantStatus: 403,
			wantLog:    "tenant not in token groups",
		},
		{
			name:       "no groups",
			tenantID:   "tenant-A",
			req:        albRequest("GET", "/", nil, map[string]string{"authorization": "Bearer " + token(t, map[string]any{"cognito:groups": nil})}),
			wantStatus: 403,
			wantLog:    "tenant not in token groups",
		},
		{
			name:       "groups not an array",
			tenantID:   "tenant-A",
			req:        albRequest("GET", "/", nil, map[string]string{"authorization": "Bearer " + token(t, map[string]any{"cognito:groups": "tenant-A"})}),
			wantStatus: 403,
			wantLog:    "malformed token",
		},
		{
			name:       "id token",
			tenantID:   "tenant-A",
			req:        albRequest("GET", "/", nil, map[string]string{"authorization": "Bearer " + token(t, map[string]any{"token_use": "id"})}),
			wantStatus: 403,
			wantLog:    "not an access token",
		},
		// Exact claim names: encoding/json matches struct fields case-insensitively,
		// so before the fix these upper-case claims were read as the real ones.
		{
			name:     "TOKEN_USE is not token_use",
			tenantID: "tenant-A",
			req: albRequest("GET", "/", nil, map[string]string{"authorization": "Bearer " +
				token(t, map[string]any{"token_use": nil, "TOKEN_USE": "access"})}),
			wantStatus: 403,
			wantLog:    "not an access token",
		},
		{
			name:     "COGNITO:GROUPS is not cognito:groups",
			tenantID: "tenant-A",
			req: albRequest("GET", "/", nil, map[string]string{"authorization": "Bearer " +
				token(t, map[string]any{"cognito:groups": nil, "COGNITO:GROUPS": []string{"tenant-A"}})}),
			wantStatus: 403,
			wantLog:    "tenant not in token groups",
		},
		{
			name:     "case variant after the real claim does not override it",
			tenantID: "tenant-A",
			req: albRequest("GET", "/", nil, map[string]string{"authorization": "Bearer " + rawToken(
				`{"iss":"`+testIssuer+`","client_id":"`+testClientID+`","exp":`+strconv.FormatInt(testNow.Add(time.Hour).Unix(), 10)+
					`,"token_use":"id","Token_Use":"access","cognito:groups":["tenant-A"]}`)}),
			wantStatus: 403,
			wantLog:    "not an access token",
		},
		{
			name:     "claim named twice",
			tenantID: "tenant-A",
			req: albRequest("GET", "/", nil, map[string]string{"authorization": "Bearer " + rawToken(
				`{"iss":"`+testIssuer+`","client_id":"`+testClientID+`","exp":`+strconv.FormatInt(testNow.Add(time.Hour).Unix(), 10)+
					`,"token_use":"access","cognito:groups":["tenant-B"],"cognito:groups":["tenant-A"]}`)}),
			wantStatus: 403,
			wantLog:    "malformed token",
		},
		{
			name:     "literal payload with exact names",
			tenantID: "tenant-A",
			req: albRequest("GET", "/", nil, map[string]string{"authorization": "Bearer " + rawToken(
				`{"iss":"`+testIssuer+`","client_id":"`+testClientID+`","exp":`+strconv.FormatInt(testNow.Add(time.Hour).Unix(), 10)+
					`,"token_use":"access","cognito:groups":["tenant-A"]}`)}),
			wantStatus: 200,
			wantLog:    "allowed",
		},
		{
			name:       "other pool's issuer",
			tenantID:   "tenant-A",
			req:        albRequest("GET", "/", nil, map[string]string{"authorization": "Bearer " + token(t, map[string]any{"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"})}),
			wantStatus: 403,
			wantLog:    "wrong issuer",
		},
		{
			name:       "no issuer",
			tenantID:   "tenant-A",
			req:        albRequest("GET", "/", nil, map[string]string{"authorization": "Bearer " + token(t, map[string]any{"iss": nil})}),
			wantStatus: 403,
			wantLog:    "wrong issuer",
		},
		{
			name:       "other app client",
			tenantID:   "tenant-A",
			req:        albRequest("GET", "/", nil, map[string]string{"authorization": "Bearer " + token(t, map[string]any{"client_id": "other-client"})}),
			wantStatus: 403,
			wantLog:    "wrong client",
		},
		{
			name:       "expired",
			tenantID:   "tenant-A",
			req:        albRequest("GET", "/", nil, map[string]string{"authorization": "Bearer " + token(t, map[string]any{"exp": testNow.Unix()})}),
			wantStatus: 403,
			wantLog:    "token expired",
		},
		{
			name:       "valid one more second",
			tenantID:   "tenant-A",
			req:        albRequest("GET", "/", nil, map[string]string{"authorization": "Bearer " + token(t, map[string]any{"exp": testNow.Unix() + 1})}),
			wantStatus: 200,
			wantLog:    "allowed",
		},
		{
			name:       "no exp",
			tenantID:   "tenant-A",
			req:        albRequest("GET", "/", nil, map[string]string{"authorization": "Bearer " + token(t, map[string]any{"exp": nil})}),
			wantStatus: 403,
			wantLog:    "malformed token",
		},
		{
			name:       "exp not a number",
			tenantID:   "tenant-A",
			req:        albRequest("GET", "/", nil, map[string]string{"authorization": "Bearer " + token(t, map[string]any{"exp": "9999999999"})}),
			wantStatus: 403,
			wantLog:    "malformed token",
		},
		{
			name:       "missing Authorization",
			tenantID:   "tenant-A",
			req:        albRequest("GET", "/orders/7", nil, nil),
			wantStatus: 403,
			wantBody:   map[string]any{"error": "forbidden"},
			wantLog:    "missing token",
		},
		{
			name:       "basic auth",
			tenantID:   "tenant-A",
			req:        albRequest("GET", "/", nil, map[string]string{"authorization": "Basic dXNlcjpwYXNz"}),
			wantStatus: 403,
			wantLog:    "missing token",
		},
		{
			name:       "malformed token",
			tenantID:   "tenant-A",
			req:        albRequest("GET", "/", nil, map[string]string{"authorization": "Bearer not.a-jwt"}),
			wantStatus: 403,
			wantLog:    "malformed token",
		},
		{
			name:       "garbage payload",
			tenantID:   "tenant-A",
			req:        albRequest("GET", "/", nil, map[string]string{"authorization": "Bearer eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln"}),
			wantStatus: 403,
			wantLog:    "malformed token",
		},
		{
			name:       "missing TENANT_ID",
			tenantID:   "",
			req:        albRequest("GET", "/orders/7", nil, map[string]string{"authorization": "Bearer " + valid}),
			wantStatus: 500,
			wantBody:   map[string]any{"error": "tenant not configured", "requestId": testRequestID},
			wantLog:    "tenant not configured",
		},
		{
			name:       "blank TENANT_ID",
			tenantID:   "  ",
			req:        albRequest("GET", "/", nil, nil),
			wantStatus: 500,
			wantLog:    "tenant not configured",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := testHandler(tc.tenantID, slog.New(slog.NewJSONHandler(&logs, nil)))
			resp, err := h.handle(lambdaCtx(), tc.req)
			if err != nil {
				t.Fatalf("handle error: %v", err)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", resp.StatusCode, tc.wantStatus, resp.Body)
			}
			if want := http.StatusText(tc.wantStatus); !strings.HasSuffix(resp.StatusDescription, want) {
				t.Errorf("statusDescription = %q", resp.StatusDescription)
			}
			if got := resp.Headers["Content-Type"]; got != "application/json" {
				t.Errorf("Content-Type = %q", got)
			}
			if resp.MultiValueHeaders != nil || resp.IsBase64Encoded {
				t.Errorf("single-value request got multiValueHeaders %v / base64 %v", resp.MultiValueHeaders, resp.IsBase64Encoded)
			}
			var body map[string]any
			if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
				t.Fatalf("body is not JSON: %q", resp.Body)
			}
			for k, want := range tc.wantBody {
				if !reflect.DeepEqual(body[k], want) {
					t.Errorf("body[%q] = %#v, want %#v", k, body[k], want)
				}
			}
			if tc.wantStatus != 200 {
				for _, k := range []string{"tenantId", "path", "query"} {
					if _, ok := body[k]; ok {
						t.Errorf("error body leaks %q: %s", k, resp.Body)
					}
				}
			}
			assertRequestLog(t, logs.String(), tc.wantStatus, tc.wantLog)
		})
	}
}

// assertRequestLog checks the structured request log line and that no token content
// was logged.
func assertRequestLog(t *testing.T, logs string, wantStatus int, wantDecision string) {
	t.Helper()
	for _, secret := range []string{"eyJ", "Bearer", "bearer", "Basic", "alice-username", "5ebd2cb4", "client-123", "dXNlcjpwYXNz"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs)
		}
	}
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	var entry map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &entry); err != nil {
		t.Fatalf("last log line is not JSON: %q", lines[len(lines)-1])
	}
	wantLevel := map[int]string{200: "INFO", 403: "WARN", 500: "ERROR"}[wantStatus]
	if entry["msg"] != "request" || entry["level"] != wantLevel || entry["status"] != float64(wantStatus) ||
		entry["decision"] != wantDecision || entry["requestId"] != testRequestID {
		t.Errorf("log entry = %v, want level %s status %d decision %q", entry, wantLevel, wantStatus, wantDecision)
	}
	for _, k := range []string{"tenant", "method", "path"} {
		if _, ok := entry[k]; !ok {
			t.Errorf("log entry has no %q: %v", k, entry)
		}
	}
}

func TestHandleMultiValue(t *testing.T) {
	valid := token(t, nil)
	tests := []struct {
		name       string
		headers    map[string][]string
		query      map[string][]string
		wantStatus int
		wantQuery  any
		wantLog    string
	}{
		{"match", map[string][]string{"authorization": {"Bearer " + valid}}, map[string][]string{"x": {"1", "2"}},
			200, map[string]any{"x": []any{"1", "2"}}, "allowed"},
		{"no query", map[string][]string{"authorization": {"Bearer " + valid}}, nil, 200, map[string]any{}, "allowed"},
		{"two Authorization headers", map[string][]string{"authorization": {"Bearer " + valid, "Bearer " + valid}}, nil, 403, nil, "multiple authorization headers"},
		{"Authorization under two spellings", map[string][]string{"authorization": {"Bearer " + valid}, "Authorization": {"Bearer " + valid}}, nil, 403, nil, "multiple authorization headers"},
		{"missing token", map[string][]string{"host": {"alb.example.com"}}, nil, 403, nil, "missing token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := testHandler("tenant-A", slog.New(slog.NewJSONHandler(&logs, nil)))
			req := events.ALBTargetGroupRequest{HTTPMethod: "POST", Path: "/orders", MultiValueHeaders: tc.headers,
				MultiValueQueryStringParameters: tc.query, Body: "{}"}
			resp, err := h.handle(lambdaCtx(), req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if resp.Headers != nil {
				t.Errorf("multi-value request got single-value headers %v", resp.Headers)
			}
			if got := resp.MultiValueHeaders["Content-Type"]; !reflect.DeepEqual(got, []string{"application/json"}) {
				t.Errorf("Content-Type = %v", got)
			}
			if tc.wantQuery != nil {
				var body map[string]any
				if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(body["query"], tc.wantQuery) || body["method"] != "POST" || body["path"] != "/orders" {
					t.Errorf("body = %s", resp.Body)
				}
			}
			assertRequestLog(t, logs.String(), tc.wantStatus, tc.wantLog)
		})
	}
}

func TestResponseWireFormat(t *testing.T) {
	h := testHandler("tenant-A", slog.New(slog.DiscardHandler))
	resp, err := h.handle(lambdaCtx(), albRequest("GET", "/", nil, map[string]string{"authorization": "Bearer " + token(t, nil)}))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	var wire map[string]any
	if err := json.Unmarshal(raw, &wire); err != nil {
		t.Fatal(err)
	}
	if wire["statusCode"] != float64(200) || wire["statusDescription"] != "200 OK" || wire["isBase64Encoded"] != false {
		t.Errorf("wire response = %s", raw)
	}
}

func TestNewHandlerLogsMissingEnv(t *testing.T) {
	full := handlerEnv{TenantID: "tenant-A", Issuer: testIssuer, ClientID: testClientID}
	for _, tc := range []struct {
		name        string
		change      func(*handlerEnv)
		wantMissing string // "" = no error logged
	}{
		{"complete", func(*handlerEnv) {}, ""},
		{"no tenant", func(e *handlerEnv) { e.TenantID = "" }, "TENANT_ID"},
		{"blank tenant", func(e *handlerEnv) { e.TenantID = " " }, "TENANT_ID"},
		{"no issuer", func(e *handlerEnv) { e.Issuer = "" }, "TOKEN_ISSUER"},
		{"no client", func(e *handlerEnv) { e.ClientID = " " }, "APP_CLIENT_ID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := full
			tc.change(&env)
			var logs bytes.Buffer
			newHandler(env, slog.New(slog.NewJSONHandler(&logs, nil)))
			gotError := strings.Contains(logs.String(), `"level":"ERROR"`)
			if gotError != (tc.wantMissing != "") || !strings.Contains(logs.String(), tc.wantMissing) {
				t.Errorf("init log %q, want error naming %q", logs.String(), tc.wantMissing)
			}
		})
	}
}

// TestMissingIssuerOrClientFailsClosed: a function without TOKEN_ISSUER or
// APP_CLIENT_ID answers 500 even to a token that would otherwise pass.
func TestMissingIssuerOrClientFailsClosed(t *testing.T) {
	for _, env := range []handlerEnv{
		{TenantID: "tenant-A", ClientID: testClientID},
		{TenantID: "tenant-A", Issuer: testIssuer},
	} {
		var logs bytes.Buffer
		h := newHandler(env, slog.New(slog.NewJSONHandler(&logs, nil)))
		h.now = func() time.Time { return testNow }
		resp, err := h.handle(lambdaCtx(), albRequest("GET", "/", nil, map[string]string{"authorization": "Bearer " + token(t, nil)}))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 500 || !strings.Contains(resp.Body, "handler not configured") {
			t.Errorf("env %+v: status %d body %s, want 500 handler not configured", env, resp.StatusCode, resp.Body)
		}
		assertRequestLog(t, logs.String(), 500, "issuer or client not configured")
	}
}

func TestLogLevel(t *testing.T) {
	tests := map[string]slog.Level{"": slog.LevelInfo, "debug": slog.LevelDebug, "WARN": slog.LevelWarn,
		"warning": slog.LevelWarn, " error ": slog.LevelError, "verbose": slog.LevelInfo}
	for in, want := range tests {
		if got := logLevel(in); got != want {
			t.Errorf("logLevel(%q) = %v, want %v", in, got, want)
		}
	}
}
