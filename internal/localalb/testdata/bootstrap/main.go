// Command bootstrap is the test Lambda of package localalb. It echoes the
// ALB event it received and misbehaves on command, chosen by the (rewritten)
// path:
//
//	/error    function error (errorType/errorMessage, no statusCode)
//	/badjson  a response without statusCode
//	/big      a response larger than 1 MB
//	/b64      a base64-encoded binary body
//	/multi    multiValueHeaders with two Set-Cookie values
//	anything  200 with the event as JSON body and X-Tenant: $TENANT_ID
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, req events.ALBTargetGroupRequest) (any, error) {
	switch req.Path {
	case "/error":
		return nil, errors.New("boom on request")
	case "/badjson":
		return map[string]string{"hello": "no status code"}, nil
	case "/big":
		return events.ALBTargetGroupResponse{StatusCode: 200, Body: strings.Repeat("x", 1100*1024)}, nil
	case "/b64":
		return events.ALBTargetGroupResponse{
			StatusCode:      200,
			Headers:         map[string]string{"Content-Type": "application/octet-stream"},
			Body:            base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 0xff}),
			IsBase64Encoded: true,
		}, nil
	case "/multi":
		return events.ALBTargetGroupResponse{
			StatusCode:        201,
			StatusDescription: "201 Created",
			MultiValueHeaders: map[string][]string{"Set-Cookie": {"a=1", "b=2"}, "Content-Type": {"text/plain"}},
			Body:              "multi",
		}, nil
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	return events.ALBTargetGroupResponse{
		StatusCode:        200,
		StatusDescription: "200 OK",
		Headers:           map[string]string{"Content-Type": "application/json", "X-Tenant": os.Getenv("TENANT_ID"), "Connection": "close-me"},
		MultiValueHeaders: map[string][]string{"X-Tenant": {os.Getenv("TENANT_ID")}, "Content-Type": {"application/json"}},
		Body:              string(body),
	}, nil
}

func main() { lambda.Start(handle) }
