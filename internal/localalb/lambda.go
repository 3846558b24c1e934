package localalb

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// Lambda target limits (LAMBDA-UG). "1 MB" is taken as 1 MiB (assumption ALB-A9).
const (
	maxLambdaRequestBody = 1 << 20
	maxLambdaResponse    = 1 << 20
)

// lambdaEvent is the ALB → Lambda request event (LAMBDA-UG), encoded with
// encoding/json on aws-lambda-go's type. In single-value mode only headers and
// queryStringParameters are set, in multi-value mode only multiValueHeaders
// and multiValueQueryStringParameters (the other pair is omitted); the query
// field of the mode is {} when the query is empty (assumption ALB-A10). The
// pointer fields shadow the embedded omitempty maps so that an empty query
// is still sent.
type lambdaEvent struct {
	events.ALBTargetGroupRequest
	Query      *map[string]string   `json:"queryStringParameters,omitempty"`
	MultiQuery *map[string][]string `json:"multiValueQueryStringParameters,omitempty"`
}

// isTextContentType: text/*, application/json, application/javascript and
// application/xml bodies are sent as is; everything else is base64 (LAMBDA-UG).
// A missing Content-Type is treated as binary (assumption ALB-A9).
func isTextContentType(ct string) bool {
	if ct == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]))
	}
	switch {
	case strings.HasPrefix(mt, "text/"):
		return true
	case mt == "application/json", mt == "application/javascript", mt == "application/xml":
		return true
	}
	return false
}

// headerField is one request header in arrival order (name lower-cased).
type headerField struct{ name, value string }

// buildEvent builds the invoke payload. headers are lower-cased names in
// arrival order; for single-value mode the last value of a name wins.
func buildEvent(tg *TargetGroup, method, path, rawQuery string, headers []headerField, body []byte, contentType string) ([]byte, error) {
	ev := lambdaEvent{ALBTargetGroupRequest: events.ALBTargetGroupRequest{HTTPMethod: method, Path: path}}
	ev.RequestContext.ELB.TargetGroupArn = tg.ARN
	pairs := parseQuery(rawQuery)
	if tg.MultiValueHeaders {
		query := make(map[string][]string, len(pairs))
		for _, p := range pairs {
			query[p.key] = append(query[p.key], p.value)
		}
		ev.MultiQuery = &query
		if len(headers) > 0 {
			ev.MultiValueHeaders = make(map[string][]string, len(headers))
			for _, h := range headers {
				ev.MultiValueHeaders[h.name] = append(ev.MultiValueHeaders[h.name], h.value)
			}
		}
	} else {
		query := make(map[string]string, len(pairs))
		for _, p := range pairs {
			query[p.key] = p.value
		}
		ev.Query = &query
		if len(headers) > 0 {
			ev.Headers = make(map[string]string, len(headers))
			for _, h := range headers {
				ev.Headers[h.name] = h.value
			}
		}
	}
	if len(body) > 0 {
		if isTextContentType(contentType) && utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
	}
	out, err := json.Marshal(&ev)
	if err != nil {
		return nil, fmt.Errorf("encode lambda event: %w", err)
	}
	return out, nil
}

// Access-log style reasons for a 502 from a Lambda target.
const (
	reasonLambdaUnhandled        = "LambdaUnhandled"
	reasonLambdaInvalidResponse  = "LambdaInvalidResponse"
	reasonLambdaResponseTooLarge = "LambdaResponseTooLarge"
	reasonLambdaInvokeError      = "LambdaInvokeError"
	reasonLambdaTimeout          = "LambdaTimeout"
)

// targetError is a failure of the target, answered with 502.
type targetError struct {
	reason string
	detail string
}

func (e *targetError) Error() string { return e.reason + ": " + e.detail }

// lambdaResult is the HTTP response mapped from a Lambda response.
type lambdaResult struct {
	status int
	header http.Header
	body   []byte
}

// hopByHop are response headers the ALB does not pass through; Content-Length
// is computed by the ALB (LAMBDA-UG).
var hopByHop = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Transfer-Encoding": true,
	"Upgrade": true, "Te": true, "Trailer": true, "Content-Length": true,
}

// parseLambdaResponse maps a Lambda response payload to an HTTP response.
// Any problem is a *targetError (→ 502).
func parseLambdaResponse(payload []byte, multiValue bool) (*lambdaResult, error) {
	if len(payload) > maxLambdaResponse {
		return nil, &targetError{reasonLambdaResponseTooLarge, fmt.Sprintf("%d bytes exceeds %d", len(payload), maxLambdaResponse)}
	}
	var fields map[string]jsonKind
	if err := json.Unmarshal(payload, &fields); err != nil || fields == nil {
		return nil, &targetError{reasonLambdaInvalidResponse, "not a JSON object"}
	}
	if _, ok := fields["statusCode"]; !ok {
		_, et := fields["errorType"]
		_, em := fields["errorMessage"]
		if et || em {
			var fe struct {
				ErrorType string `json:"errorType"`
			}
			_ = json.Unmarshal(payload, &fe)
			return nil, &targetError{reasonLambdaUnhandled, "function error " + fe.ErrorType}
		}
		return nil, &targetError{reasonLambdaInvalidResponse, "statusCode missing"}
	}
	var resp events.ALBTargetGroupResponse
	// payload is one valid JSON object (checked above); a statusCode that is
	// not a JSON integer fails here.
	if err := json.Unmarshal(payload, &resp); err != nil {
		if fields["statusCode"] == '"' {
			return nil, &targetError{reasonLambdaInvalidResponse, "statusCode must be a number"}
		}
		return nil, &targetError{reasonLambdaInvalidResponse, "malformed field: " + err.Error()}
	}
	code := resp.StatusCode
	if code < 100 || code > 599 {
		return nil, &targetError{reasonLambdaInvalidResponse, fmt.Sprintf("statusCode %d is not 100..599", code)}
	}
	n := len(resp.Headers)
	if multiValue {
		n = len(resp.MultiValueHeaders)
	}
	res := &lambdaResult{status: int(code), header: make(http.Header, n)}
	add := func(name, value string) error {
		if !validHeaderName(name) || !validHeaderValue(value) {
			return &targetError{reasonLambdaInvalidResponse, fmt.Sprintf("invalid header %q", name)}
		}
		canon := http.CanonicalHeaderKey(name)
		if hopByHop[canon] {
			return nil
		}
		res.header.Add(canon, value)
		return nil
	}
	if multiValue {
		for name, values := range resp.MultiValueHeaders {
			for _, v := range values {
				if err := add(name, v); err != nil {
					return nil, err
				}
			}
		}
	} else {
		for name, v := range resp.Headers {
			if err := add(name, v); err != nil {
				return nil, err
			}
		}
	}
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			return nil, &targetError{reasonLambdaInvalidResponse, "body is not valid base64"}
		}
		res.body = b
	} else {
		res.body = []byte(resp.Body)
	}
	return res, nil
}

// jsonKind records only the first byte of a JSON value: the top-level
// members of a Lambda response are checked for presence (and statusCode for
// being a string) without copying their values.
type jsonKind byte

func (k *jsonKind) UnmarshalJSON(b []byte) error {
	if len(b) > 0 {
		*k = jsonKind(b[0])
	}
	return nil
}

// validHeaderName: RFC 7230 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if !isHeaderNameChar(r) {
			return false
		}
	}
	return true
}

func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// validALBHeaderName is the stricter rule of drop_invalid_header_fields:
// "Elastic Load Balancing requires that message header names conform to the
// regular expression [-A-Za-z0-9]+" (ALB attributes documentation). So a
// name with '_' is dropped when the attribute is enabled (assumption ALB-A8).
func validALBHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
