// Command echo is a test Lambda bootstrap for package rie. It echoes the
// payload and an environment variable, logs, fails, sleeps or blocks on
// command.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type request struct {
	Sleep string `json:"sleep"`
	Fail  bool   `json:"fail"`
	Echo  string `json:"echo"`
	// Log is printed to stdout and, prefixed with "stderr:", to stderr.
	Log string `json:"log"`
	// Wait is a URL the handler GETs before it answers: the test's server
	// learns that the invoke is running and answers when the test releases it.
	Wait string `json:"wait"`
}

func handle(_ context.Context, req request) (map[string]string, error) {
	if req.Log != "" {
		fmt.Println(req.Log)
		log.New(os.Stderr, "", 0).Println("stderr: " + req.Log)
	}
	if req.Fail {
		return nil, errors.New("failed on request")
	}
	if req.Wait != "" {
		resp, err := http.Get(req.Wait)
		if err != nil {
			return nil, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
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
