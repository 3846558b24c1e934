package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/cognitolocal/cltest"
	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/fakeaws"
)

func TestStackOutputs(t *testing.T) {
	cltest.Env(t)
	fake := fakeaws.New(t, fakeaws.Options{Stacks: map[string]map[string]string{
		"TenantRouting": {"BaseUrl": "https://alb.example.com", "UserPoolId": "us-east-1_abc", "TenantIds": "tenant-A,tenant-B"},
		"Other":         {"X": "1"},
		"Broken":        {"Multi": "a\nb"},
	}})
	tests := []struct {
		name     string
		args     []string
		envURL   bool
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{name: "all outputs sorted", args: []string{"--endpoint", fake.URL},
			wantOut: "BaseUrl=https://alb.example.com\nTenantIds=tenant-A,tenant-B\nUserPoolId=us-east-1_abc\n"},
		{name: "one key", args: []string{"--endpoint", fake.URL, "--key", "BaseUrl"}, wantOut: "https://alb.example.com\n"},
		{name: "endpoint from AWS_ENDPOINT_URL_CLOUDFORMATION", args: []string{"--stack", "Other"}, envURL: true, wantOut: "X=1\n"},
		{name: "missing key", args: []string{"--endpoint", fake.URL, "--key", "Nope"}, wantCode: 1, wantErr: `has no output "Nope" (outputs: BaseUrl, TenantIds, UserPoolId)`},
		{name: "missing stack", args: []string{"--endpoint", fake.URL, "--stack", "Gone"}, wantCode: 1, wantErr: "describe stack Gone"},
		{name: "value with a line break", args: []string{"--endpoint", fake.URL, "--stack", "Broken"}, wantCode: 1, wantErr: "cannot be printed"},
		{name: "stray argument", args: []string{"extra"}, wantCode: 2, wantErr: "usage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.envURL {
				t.Setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", fake.URL)
			}
			var out, errb bytes.Buffer
			code := run(context.Background(), tt.args, &out, &errb)
			if code != tt.wantCode || out.String() != tt.wantOut || !strings.Contains(errb.String(), tt.wantErr) {
				t.Fatalf("exit %d (want %d)\nstdout %q (want %q)\nstderr %q (want %q)", code, tt.wantCode, out.String(), tt.wantOut, errb.String(), tt.wantErr)
			}
		})
	}
}
