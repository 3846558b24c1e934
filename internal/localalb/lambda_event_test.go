package localalb

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// buildEventReference is the event written out field by field (the
// documented shape, LAMBDA-UG) that buildEvent must equal as a JSON value.
func buildEventReference(tg *TargetGroup, method, path, rawQuery string, headers []headerField, body []byte, contentType string) ([]byte, error) {
	var ev struct {
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
	insert := func(js []byte, name string) []byte {
		var b bytes.Buffer
		b.WriteString(`{"` + name + `":{},`)
		b.Write(js[1:])
		return b.Bytes()
	}
	if len(ev.QueryStringParameters) == 0 && !tg.MultiValueHeaders {
		out = insert(out, "queryStringParameters")
	}
	if len(ev.MultiValueQueryStringParameters) == 0 && tg.MultiValueHeaders {
		out = insert(out, "multiValueQueryStringParameters")
	}
	return out, nil
}

// headerList parses "name: value" lines.
func headerList(s string) []headerField {
	var out []headerField
	for _, line := range strings.Split(s, "\n") {
		if line == "" {
			continue
		}
		k, v, _ := strings.Cut(line, ":")
		out = append(out, headerField{k, v})
	}
	return out
}

func checkBuildEventMatches(t *testing.T, multi bool, arn, method, path, query, headers string, body []byte, ct string) {
	t.Helper()
	tg := &TargetGroup{ARN: arn, MultiValueHeaders: multi}
	h := headerList(headers)
	got, err := buildEvent(tg, method, path, query, h, body, ct)
	if err != nil {
		t.Fatal(err)
	}
	want, err := buildEventReference(tg, method, path, query, h, body, ct)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"queryStringParameters":`, `"multiValueQueryStringParameters":`, `"headers":`, `"multiValueHeaders":`} {
		if n := bytes.Count(got, []byte(k)); n > 1 {
			t.Fatalf("%s appears %d times: %s", k, n, got)
		}
	}
	// The same JSON value (member order is not part of it).
	var gotV, wantV any
	if err := json.Unmarshal(got, &gotV); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &wantV); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotV, wantV) {
		t.Fatalf("buildEvent differs from the reference event (multi=%v)\n got: %s\nwant: %s", multi, got, want)
	}
}

func TestBuildEventMatchesEncodingJSON(t *testing.T) {
	arn := "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/0123456789abcdef"
	cases := []struct {
		path, query, headers string
		body                 []byte
		ct                   string
	}{
		{"/orders/7", "x=1", "host:127.0.0.1\nauthorization:Bearer a.b.c\nx-forwarded-for:127.0.0.1", nil, ""},
		{"/", "", "host:h", nil, ""},
		{"/a%20b", "x=1&x=2&y&=z&&k=v=w", "host:h\naccept:a\naccept:b\nb:1\na:2\nA:3", []byte(`{"json":true}`), "application/json; charset=utf-8"},
		{"/x", "q=%3C%3E", "host:h\nx-odd:<script>&\"\\\u2028\u2029\x7f\x01\t\b\f\n\r", []byte{0, 1, 2, 0xff}, "application/octet-stream"},
		{"/é/€", "é=€", "host:h\nx-bad:\xff\xfe ok \xc3", []byte("text \xff not utf8"), "text/plain"},
		{"/t", "a=1", "", []byte("plain text body <b>&amp;</b>"), "text/html"},
		{"/t", "a=1", "host:h", []byte("no content type"), ""},
	}
	for _, c := range cases {
		for _, multi := range []bool{false, true} {
			checkBuildEventMatches(t, multi, arn, "GET", c.path, c.query, c.headers, c.body, c.ct)
		}
	}
}

// FuzzBuildEvent: the event equals the reference event.
func FuzzBuildEvent(f *testing.F) {
	f.Add(false, "arn:x", "GET", "/a", "x=1&x=2", "host:h\na:1\na:2", []byte("body"), "text/plain")
	f.Add(true, "arn:<&>", "POST", "/\u2028", "", "b:\xff\na:\x00", []byte{0xff}, "")
	f.Fuzz(func(t *testing.T, multi bool, arn, method, path, query, headers string, body []byte, ct string) {
		checkBuildEventMatches(t, multi, arn, method, path, query, headers, body, ct)
	})
}

// parseLambdaResponseReference is the two-pass implementation (map of raw
// members, then a json.Decoder with UseNumber) parseLambdaResponse must match.
func parseLambdaResponseReference(payload []byte, multiValue bool) (*lambdaResult, error) {
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

func checkParseLambdaResponseMatches(t *testing.T, payload []byte, multi bool) {
	t.Helper()
	got, gotErr := parseLambdaResponse(payload, multi)
	want, wantErr := parseLambdaResponseReference(payload, multi)
	reason := func(err error) string {
		if te, ok := err.(*targetError); ok {
			return te.reason
		}
		return fmt.Sprint(err)
	}
	if (gotErr == nil) != (wantErr == nil) || reason(gotErr) != reason(wantErr) {
		t.Fatalf("%q: error %v, want %v", payload, gotErr, wantErr)
	}
	if gotErr != nil {
		return
	}
	// Values of names that canonicalize alike arrive in map order in both.
	sortedHeader := func(h http.Header) string {
		c := h.Clone()
		for _, v := range c {
			slices.Sort(v)
		}
		return fmt.Sprint(c)
	}
	if got.status != want.status || !bytes.Equal(got.body, want.body) || sortedHeader(got.header) != sortedHeader(want.header) {
		t.Fatalf("%q: got %d %v %q, want %d %v %q", payload, got.status, got.header, got.body, want.status, want.header, want.body)
	}
}

var lambdaResponseSeeds = []string{
	`{"statusCode":200,"headers":{"Content-Type":"text/plain","x-a":"1"},"body":"ok","isBase64Encoded":false}`,
	`{"statusCode":201,"multiValueHeaders":{"Set-Cookie":["a=1","b=2"]},"body":"AAEC/w==","isBase64Encoded":true}`,
	`{"statusCode":"200"}`, `{"statusCode":"abc"}`, `{"statusCode":99}`, `{"statusCode":200.0}`, `{"statusCode":null}`,
	`{"StatusCode":200}`, `{"statusCode":200,"Headers":{"a":"1"},"headers":{"b":"2"}}`,
	`{"statusCode":200,"headers":{"a":"1"},"headers":{"b":"2"}}`, `{"statusCode":200,"statusCode":"x"}`,
	`{"errorType":"E","errorMessage":"m"}`, `{"errorMessage":1}`, `null`, `[]`, `{}`, `{"statusCode":200} x`,
	`{"statusCode":200,"headers":{"bad name":"v"}}`, `{"statusCode":200,"headers":{"Connection":"x","Content-Length":"9"}}`,
	`{"statusCode":200,"headers":{"a":1}}`, `{"statusCode":200,"body":"x","isBase64Encoded":true}`,
}

func TestParseLambdaResponseMatchesReference(t *testing.T) {
	for _, s := range lambdaResponseSeeds {
		for _, multi := range []bool{false, true} {
			checkParseLambdaResponseMatches(t, []byte(s), multi)
		}
	}
}

// FuzzParseLambdaResponse: the single-decode mapping equals the reference.
func FuzzParseLambdaResponse(f *testing.F) {
	for _, s := range lambdaResponseSeeds {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, payload []byte, multi bool) {
		checkParseLambdaResponseMatches(t, payload, multi)
	})
}

func TestNewTraceIDFormat(t *testing.T) {
	for _, sec := range []int64{0, 1, -1, -300, 1_700_000_000, 0xfffffff, 0x1_0000_0000, 1 << 40} {
		id := newTraceID(time.Unix(sec, 0))
		want := fmt.Sprintf("Root=1-%08x-", sec)
		if !strings.HasPrefix(id, want) || len(id) != len(want)+24 || strings.Trim(id[len(want):], "0123456789abcdef") != "" {
			t.Errorf("newTraceID(%d) = %q, want %s<24 hex>", sec, id, want)
		}
	}
}
