package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// handlerEnv is the function's configuration, read from its environment by main.
type handlerEnv struct {
	// TenantID (TENANT_ID) is the tenant this function serves: its Cognito group name.
	TenantID string
	// Issuer (TOKEN_ISSUER) is the user pool's issuer, the exact iss of its tokens.
	Issuer string
	// ClientID (APP_CLIENT_ID) is the app client whose tokens are accepted.
	ClientID string
}

// missing names the environment variables that are empty.
func (e handlerEnv) missing() []string {
	var out []string
	for _, v := range []struct{ name, value string }{
		{"TENANT_ID", e.TenantID}, {"TOKEN_ISSUER", e.Issuer}, {"APP_CLIENT_ID", e.ClientID},
	} {
		if v.value == "" {
			out = append(out, v.name)
		}
	}
	return out
}

// handler serves one tenant.
type handler struct {
	env    handlerEnv
	logger *slog.Logger
	// now is the clock the exp check reads (tests inject one).
	now func() time.Time
}

// newHandler validates its environment once, at init. A missing variable is logged as
// an error and every request is then answered with 500; there is no placeholder
// tenant, issuer or client (fail closed).
func newHandler(env handlerEnv, logger *slog.Logger) *handler {
	env.TenantID = strings.TrimSpace(env.TenantID)
	env.Issuer = strings.TrimSpace(env.Issuer)
	env.ClientID = strings.TrimSpace(env.ClientID)
	if missing := env.missing(); len(missing) > 0 {
		logger.Error(strings.Join(missing, ", ") + " not set; every request will be answered with 500")
	}
	return &handler{env: env, logger: logger, now: time.Now}
}

// Decisions logged per request (never any token content).
const (
	decisionAllowed       = "allowed"
	decisionNoTenant      = "tenant not configured"
	decisionNotConfigured = "issuer or client not configured"
	decisionMissingToken  = "missing token"
	decisionMultipleAuth  = "multiple authorization headers"
	decisionMalformed     = "malformed token"
	decisionNotAccess     = "not an access token"
	decisionWrongIssuer   = "wrong issuer"
	decisionWrongClient   = "wrong client"
	decisionExpired       = "token expired"
	decisionWrongTenant   = "tenant not in token groups"
	decisionResponseError = "response encoding failed"
)

// requestInfo is the 200 response body.
type requestInfo struct {
	TenantID  string `json:"tenantId"`
	Path      string `json:"path"`
	Method    string `json:"method"`
	Query     any    `json:"query"` // map[string]string, or map[string][]string in multi-value mode
	RequestID string `json:"requestId"`
}

type errorBody struct {
	Error     string `json:"error"`
	RequestID string `json:"requestId"`
}

func (h *handler) handle(ctx context.Context, req events.ALBTargetGroupRequest) (events.ALBTargetGroupResponse, error) {
	requestID := ""
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		requestID = lc.AwsRequestID
	}
	// The target group's lambda.multi_value_headers.enabled decides the event shape,
	// and the response must use the same shape (ALB Lambda target docs).
	multiValue := req.MultiValueHeaders != nil || req.MultiValueQueryStringParameters != nil

	status, decision := http.StatusOK, decisionAllowed
	switch {
	case h.env.TenantID == "":
		status, decision = http.StatusInternalServerError, decisionNoTenant
	case h.env.Issuer == "" || h.env.ClientID == "":
		status, decision = http.StatusInternalServerError, decisionNotConfigured
	default:
		decision = h.authorize(req, multiValue)
		if decision != decisionAllowed {
			status = http.StatusForbidden
		}
	}

	var body any
	switch status {
	case http.StatusOK:
		// Query values are passed on as the ALB delivered them: the ALB does not
		// percent-decode query parameters, and neither does this handler, so the
		// body shows exactly what the target received (x=1 -> "1", a%20b stays "a%20b").
		var query any = nonNilMap(req.QueryStringParameters)
		if multiValue {
			query = nonNilMap(req.MultiValueQueryStringParameters)
		}
		body = requestInfo{TenantID: h.env.TenantID, Path: req.Path, Method: req.HTTPMethod, Query: query, RequestID: requestID}
	case http.StatusForbidden:
		body = errorBody{Error: "forbidden", RequestID: requestID}
	default:
		msg := "tenant not configured"
		if decision == decisionNotConfigured {
			msg = "handler not configured"
		}
		body = errorBody{Error: msg, RequestID: requestID}
	}
	encoded, err := json.Marshal(body)
	if err != nil {
		status, decision = http.StatusInternalServerError, decisionResponseError
		encoded = []byte(`{"error":"internal error"}`)
	}

	level := slog.LevelInfo
	switch {
	case status >= 500:
		level = slog.LevelError
	case status >= 400:
		level = slog.LevelWarn
	}
	h.logger.LogAttrs(ctx, level, "request",
		slog.String("tenant", h.env.TenantID),
		slog.String("requestId", requestID),
		slog.String("method", req.HTTPMethod),
		slog.String("path", req.Path),
		slog.Int("status", status),
		slog.String("decision", decision),
	)
	return response(status, string(encoded), multiValue), nil
}

// authorize is defence in depth behind the ALB's jwt-validation action. It checks,
// with no network call, that the request carries exactly one bearer token whose
// payload, read with EXACT claim names (a "TOKEN_USE" or "Cognito:Groups" claim is
// not "token_use" / "cognito:groups"; a payload naming a claim twice is rejected), has
//   - iss equal to TOKEN_ISSUER (the shared user pool's issuer),
//   - client_id equal to APP_CLIENT_ID (the app client),
//   - exp (a number, required) later than now,
//   - token_use equal to "access" (an id token carries the same groups), and
//   - cognito:groups, an array of strings, containing this function's TENANT_ID.
//
// It does NOT verify the signature (the ALB did, against the pool's JWKS; this
// function has no key and makes no network call), so on its own it proves nothing
// about who made the token: it only stops a misconfigured or misrouted listener rule
// from serving one tenant's data to another tenant's, another client's, another
// pool's or an expired token. It does not check nbf or iat (Cognito access tokens
// have no nbf; the ALB checks the time claims too) nor whether the token was revoked.
func (h *handler) authorize(req events.ALBTargetGroupRequest, multiValue bool) string {
	values := headerValues(req, multiValue, "authorization")
	switch len(values) {
	case 0:
		return decisionMissingToken
	case 1:
	default:
		return decisionMultipleAuth
	}
	scheme, token, found := strings.Cut(values[0], " ")
	token = strings.TrimSpace(token)
	if !found || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return decisionMissingToken
	}
	claims, err := decodeClaims(token)
	if err != nil {
		return decisionMalformed
	}
	var c struct {
		iss, clientID, tokenUse string
		exp                     float64 // a JSON number only (json.Number would accept "123")
		groups                  []string
	}
	for name, dst := range map[string]any{
		"iss": &c.iss, "client_id": &c.clientID, "token_use": &c.tokenUse, "exp": &c.exp, "cognito:groups": &c.groups,
	} {
		raw, ok := claims[name]
		if !ok {
			continue
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return decisionMalformed // wrong type, e.g. a groups string instead of an array
		}
	}
	if c.iss != h.env.Issuer {
		return decisionWrongIssuer
	}
	if c.clientID != h.env.ClientID {
		return decisionWrongClient
	}
	if c.exp <= 0 {
		return decisionMalformed // exp is required
	}
	if !h.now().Before(time.Unix(int64(c.exp), 0)) {
		return decisionExpired
	}
	if c.tokenUse != "access" {
		return decisionNotAccess
	}
	if !slices.Contains(c.groups, h.env.TenantID) {
		return decisionWrongTenant
	}
	return decisionAllowed
}

// decodeClaims returns the JWT's payload claims by their exact names. The header and
// signature are only checked to be present: the signature was verified by the ALB.
// A claim name that occurs twice makes the payload malformed: parsers disagree on
// which value wins, and the ALB must not see a different claim than this function.
func decodeClaims(token string) (map[string]json.RawMessage, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] == "" || parts[2] == "" {
		return nil, errors.New("not a compact JWS")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("payload is not a JSON object")
	}
	claims := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name := tok.(string) // object keys are always strings
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, err
		}
		if _, dup := claims[name]; dup {
			return nil, fmt.Errorf("claim %q appears twice", name)
		}
		claims[name] = value
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the payload object")
	}
	return claims, nil
}

// headerValues returns the values of a header, matching its name case-insensitively
// (the ALB sends lower-case names; the local emulator or tests may not).
func headerValues(req events.ALBTargetGroupRequest, multiValue bool, name string) []string {
	var values []string
	if multiValue {
		for k, v := range req.MultiValueHeaders {
			if strings.EqualFold(k, name) {
				values = append(values, v...)
			}
		}
		return values
	}
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			values = append(values, v)
		}
	}
	return values
}

func response(status int, body string, multiValue bool) events.ALBTargetGroupResponse {
	resp := events.ALBTargetGroupResponse{
		StatusCode:        status,
		StatusDescription: strconv.Itoa(status) + " " + http.StatusText(status), // e.g. "200 OK"
		Body:              body,
	}
	if multiValue {
		resp.MultiValueHeaders = map[string][]string{
			"Content-Type":  {"application/json"},
			"Cache-Control": {"no-store"},
		}
	} else {
		resp.Headers = map[string]string{
			"Content-Type":  "application/json",
			"Cache-Control": "no-store",
		}
	}
	return resp
}

func nonNilMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return map[string]V{}
	}
	return m
}
