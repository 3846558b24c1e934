package localalb

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Lambda target limits (LAMBDA-UG). "1 MB" is taken as 1 MiB (assumption A9).
const (
	maxLambdaRequestBody = 1 << 20
	maxLambdaResponse    = 1 << 20
)

// lambdaEvent is the ALB → Lambda request event (LAMBDA-UG). In single-value
// mode only headers/queryStringParameters are set, in multi-value mode only
// multiValueHeaders/multiValueQueryStringParameters (the unset pair is
// omitted, assumption A10).
type lambdaEvent struct {
	RequestContext struct {
		ELB struct {
			TargetGroupArn string `json:"targetGroupArn"`
		} `json:"elb"`
	} `json:"requestContext"`
	HTTPMethod                      string              `json:"httpMethod"`
	Path                            string              `json:"path"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters,omitempty"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters,omitempty"`
	Headers                         map[string]string   `json:"headers,omitempty"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders,omitempty"`
	IsBase64Encoded                 bool                `json:"isBase64Encoded"`
	Body                            string              `json:"body"`
}

// isTextContentType: text/*, application/json, application/javascript and
// application/xml bodies are sent as is; everything else is base64 (LAMBDA-UG).
// A missing Content-Type is treated as binary (assumption A9).
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
	var ev lambdaEvent
	ev.RequestContext.ELB.TargetGroupArn = tg.ARN
	ev.HTTPMethod = method
	ev.Path = path
	pairs := parseQuery(rawQuery)
	if tg.MultiValueHeaders {
		ev.MultiValueQueryStringParameters = map[string][]string{}
		for _, p := range pairs {
			ev.MultiValueQueryStringParameters[p.key] = append(ev.MultiValueQueryStringParameters[p.key], p.value)
		}
		ev.MultiValueHeaders = map[string][]string{}
		for _, h := range headers {
			ev.MultiValueHeaders[h.name] = append(ev.MultiValueHeaders[h.name], h.value)
		}
	} else {
		ev.QueryStringParameters = map[string]string{}
		for _, p := range pairs {
			ev.QueryStringParameters[p.key] = p.value
		}
		ev.Headers = map[string]string{}
		for _, h := range headers {
			ev.Headers[h.name] = h.value
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
	// Empty maps must still be present ({}), which omitempty would drop.
	if len(ev.QueryStringParameters) == 0 && !tg.MultiValueHeaders {
		out = insertEmptyField(out, "queryStringParameters")
	}
	if len(ev.MultiValueQueryStringParameters) == 0 && tg.MultiValueHeaders {
		out = insertEmptyField(out, "multiValueQueryStringParameters")
	}
	return out, nil
}

// insertEmptyField adds "name":{} right after the opening brace.
func insertEmptyField(js []byte, name string) []byte {
	var b bytes.Buffer
	b.Grow(len(js) + len(name) + 6)
	b.WriteString(`{"` + name + `":{},`)
	b.Write(js[1:])
	return b.Bytes()
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
	var fields map[string]json.RawMessage
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
	var resp struct {
		StatusCode        json.Number         `json:"statusCode"`
		StatusDescription string              `json:"statusDescription"`
		Headers           map[string]string   `json:"headers"`
		MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
		Body              string              `json:"body"`
		IsBase64Encoded   bool                `json:"isBase64Encoded"`
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&resp); err != nil {
		return nil, &targetError{reasonLambdaInvalidResponse, "malformed field: " + err.Error()}
	}
	if raw := fields["statusCode"]; len(raw) == 0 || raw[0] == '"' {
		return nil, &targetError{reasonLambdaInvalidResponse, "statusCode must be a number"}
	}
	code, err := resp.StatusCode.Int64()
	if err != nil || code < 100 || code > 599 {
		return nil, &targetError{reasonLambdaInvalidResponse, fmt.Sprintf("statusCode %s is not 100..599", resp.StatusCode)}
	}
	res := &lambdaResult{status: int(code), header: http.Header{}}
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
// name with '_' is dropped when the attribute is enabled (assumption A8).
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

var errWebSocket = errors.New("websocket upgrade to a lambda target")
