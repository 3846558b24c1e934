// Command echo is a test Lambda bootstrap for package rie. It echoes the
// payload and an environment variable, sleeps or fails on command.
package main

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type request struct {
	Sleep string `json:"sleep"`
	Fail  bool   `json:"fail"`
	Echo  string `json:"echo"`
}

func handle(_ context.Context, req request) (map[string]string, error) {
	if req.Fail {
		return nil, errors.New("failed on request")
	}
	if req.Sleep != "" {
		d, err := time.ParseDuration(req.Sleep)
		if err != nil {
			return nil, err
		}
		time.Sleep(d)
	}
	return map[string]string{
		"echo":     req.Echo,
		"tenant":   os.Getenv("TENANT_ID"),
		"function": os.Getenv("AWS_LAMBDA_FUNCTION_NAME"),
		"leak":     os.Getenv("RIE_TEST_PARENT_SECRET"),
		"logLevel": os.Getenv("LOG_LEVEL"),
	}, nil
}

func main() { lambda.Start(handle) }
