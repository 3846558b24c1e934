package localalb

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
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
//
// The JSON is written directly rather than through encoding/json, byte for
// byte what json.Marshal produces for lambdaEvent (fields in struct order,
// map keys sorted, the same string escaping, "queryStringParameters":{} /
// "multiValueQueryStringParameters":{} first when the query is empty); a
// differential test and fuzz target check that against encoding/json.
func buildEvent(tg *TargetGroup, method, path, rawQuery string, headers []headerField, body []byte, contentType string) ([]byte, error) {
	pairs := parseQuery(rawQuery)
	fields := make([]headerField, 0, len(pairs)+len(headers))
	for _, p := range pairs {
		fields = append(fields, headerField{p.key, p.value})
	}
	query := fields[:len(pairs):len(pairs)]
	hdrs := append(fields[len(pairs):], headers...)
	sortFields(query)
	sortFields(hdrs)

	bodyText, base64Body := "", false
	if len(body) > 0 {
		if isTextContentType(contentType) && utf8.Valid(body) {
			bodyText = string(body)
		} else {
			bodyText = base64.StdEncoding.EncodeToString(body)
			base64Body = true
		}
	}

	size := 160 + len(tg.ARN) + len(method) + len(path) + len(rawQuery) + 2*len(bodyText)
	for _, h := range headers {
		size += len(h.name) + len(h.value) + 8
	}
	out := make([]byte, 0, size)
	out = append(out, '{')
	if tg.MultiValueHeaders {
		if len(query) == 0 {
			out = append(out, `"multiValueQueryStringParameters":{},`...)
		}
	} else if len(query) == 0 {
		out = append(out, `"queryStringParameters":{},`...)
	}
	out = append(out, `"requestContext":{"elb":{"targetGroupArn":`...)
	out = appendJSONString(out, tg.ARN)
	out = append(out, `}},"httpMethod":`...)
	out = appendJSONString(out, method)
	out = append(out, `,"path":`...)
	out = appendJSONString(out, path)
	if tg.MultiValueHeaders {
		if len(query) > 0 {
			out = append(out, `,"multiValueQueryStringParameters":`...)
			out = appendMultiValueMap(out, query)
		}
		if len(hdrs) > 0 {
			out = append(out, `,"multiValueHeaders":`...)
			out = appendMultiValueMap(out, hdrs)
		}
	} else {
		if len(query) > 0 {
			out = append(out, `,"queryStringParameters":`...)
			out = appendSingleValueMap(out, query)
		}
		if len(hdrs) > 0 {
			out = append(out, `,"headers":`...)
			out = appendSingleValueMap(out, hdrs)
		}
	}
	if base64Body {
		out = append(out, `,"isBase64Encoded":true,"body":`...)
	} else {
		out = append(out, `,"isBase64Encoded":false,"body":`...)
	}
	out = appendJSONString(out, bodyText)
	out = append(out, '}')
	return out, nil
}

// sortFields sorts by name (byte order, as encoding/json sorts map keys),
// keeping the arrival order of equal names.
func sortFields(f []headerField) {
	slices.SortStableFunc(f, func(a, b headerField) int { return strings.Compare(a.name, b.name) })
}

// appendSingleValueMap writes sorted fields as a JSON object of strings; the
// last value of a repeated name wins.
func appendSingleValueMap(out []byte, sorted []headerField) []byte {
	out = append(out, '{')
	for i, f := range sorted {
		if i+1 < len(sorted) && sorted[i+1].name == f.name {
			continue
		}
		if out[len(out)-1] != '{' {
			out = append(out, ',')
		}
		out = appendJSONString(out, f.name)
		out = append(out, ':')
		out = appendJSONString(out, f.value)
	}
	return append(out, '}')
}

// appendMultiValueMap writes sorted fields as a JSON object of string arrays
// (values of a name in arrival order).
func appendMultiValueMap(out []byte, sorted []headerField) []byte {
	out = append(out, '{')
	for i, f := range sorted {
		if i == 0 || sorted[i-1].name != f.name {
			if i > 0 {
				out = append(out, "],"...)
			}
			out = appendJSONString(out, f.name)
			out = append(out, ":["...)
		} else {
			out = append(out, ',')
		}
		out = appendJSONString(out, f.value)
	}
	if len(sorted) > 0 {
		out = append(out, ']')
	}
	return append(out, '}')
}

const hexDigits = "0123456789abcdef"

// jsonSafe: ASCII bytes encoding/json writes unescaped with HTML escaping on.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
	}
	return t
}()

// appendJSONString appends s as a JSON string exactly as encoding/json does
// (HTML escaping on: <, > and & become \u003c, \u003e, \u0026; invalid
// UTF-8 becomes \ufffd; U+2028 and U+2029 are escaped).
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if jsonSafe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
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
	var resp struct {
		StatusCode        json.Number         `json:"statusCode"`
		StatusDescription string              `json:"statusDescription"`
		Headers           map[string]string   `json:"headers"`
		MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
		Body              string              `json:"body"`
		IsBase64Encoded   bool                `json:"isBase64Encoded"`
	}
	// payload is one valid JSON object (checked above) and resp has no
	// interface{} fields, so this is what a json.Decoder with UseNumber gives.
	if err := json.Unmarshal(payload, &resp); err != nil {
		return nil, &targetError{reasonLambdaInvalidResponse, "malformed field: " + err.Error()}
	}
	if fields["statusCode"] == '"' {
		return nil, &targetError{reasonLambdaInvalidResponse, "statusCode must be a number"}
	}
	code, err := resp.StatusCode.Int64()
	if err != nil || code < 100 || code > 599 {
		return nil, &targetError{reasonLambdaInvalidResponse, fmt.Sprintf("statusCode %s is not 100..599", resp.StatusCode)}
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
