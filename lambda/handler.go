package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/golang-jwt/jwt/v5"
)

// handler serves one tenant.
type handler struct {
	tenantID string
	logger   *slog.Logger
}

// newHandler validates the tenant id once, at init. An empty id is logged as an error
// and every request is then answered with 500; there is no placeholder tenant.
func newHandler(tenantID string, logger *slog.Logger) *handler {
	tenantID = strings.TrimSpace(tenantID)
	if tenantID == "" {
		logger.Error("TENANT_ID is not set; every request will be answered with 500")
	}
	return &handler{tenantID: tenantID, logger: logger}
}

// tokenClaims are the claims the handler reads from the (already verified) token.
type tokenClaims struct {
	Groups   []string `json:"cognito:groups"`
	TokenUse string   `json:"token_use"`
	jwt.RegisteredClaims
}

// Decisions logged per request (never any token content).
const (
	decisionAllowed       = "allowed"
	decisionNoTenant      = "tenant not configured"
	decisionMissingToken  = "missing token"
	decisionMultipleAuth  = "multiple authorization headers"
	decisionMalformed     = "malformed token"
	decisionNotAccess     = "not an access token"
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
	if h.tenantID == "" {
		status, decision = http.StatusInternalServerError, decisionNoTenant
	} else {
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
		body = requestInfo{TenantID: h.tenantID, Path: req.Path, Method: req.HTTPMethod, Query: query, RequestID: requestID}
	case http.StatusForbidden:
		body = errorBody{Error: "forbidden", RequestID: requestID}
	default:
		body = errorBody{Error: "tenant not configured", RequestID: requestID}
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
		slog.String("tenant", h.tenantID),
		slog.String("requestId", requestID),
		slog.String("method", req.HTTPMethod),
		slog.String("path", req.Path),
		slog.Int("status", status),
		slog.String("decision", decision),
	)
	return response(status, string(encoded), multiValue), nil
}

// authorize re-checks, without verifying the signature (the ALB's jwt-validation
// action already did, and this function makes no network call), that the bearer token
// is an access token whose cognito:groups contains this function's tenant. A
// misconfigured listener rule can then never serve one tenant's data to another.
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
	var claims tokenClaims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &claims); err != nil {
		return decisionMalformed
	}
	// Defence in depth: the ALB rule also requires token_use=access; an id token
	// (which carries the same groups) must not be usable as an API credential.
	if claims.TokenUse != "access" {
		return decisionNotAccess
	}
	if !slices.Contains(claims.Groups, h.tenantID) {
		return decisionWrongTenant
	}
	return decisionAllowed
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
