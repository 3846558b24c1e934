package main

import (
	"bytes"
	"context"
	"encoding/json"
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
		"Cells":         {"UserPoolId": "p"},
		"Cells-Cell-1":  {"Cell": "1", "BaseUrl": "https://one.example.com", "TenantIds": "tenant-A,tenant-B", "TenantUrlTenantA": "https://one.example.com/tenant-A/", "TenantUrlTenantB": "https://one.example.com/tenant-B/"},
		"Cells-Cell-2":  {"Cell": "2", "BaseUrl": "https://two.example.com", "TenantIds": "tenant-C", "TenantUrlTenantC": "https://two.example.com/tenant-C/"},
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
		{name: "directory tsv", args: []string{"--endpoint", fake.URL, "--stack", "Cells", "--directory", "--format", "tsv"},
			wantOut: "tenant-A\t1\thttps://one.example.com\thttp://one.example.com\ntenant-B\t1\thttps://one.example.com\thttp://one.example.com\ntenant-C\t2\thttps://two.example.com\thttp://two.example.com\n"},
		{name: "directory table", args: []string{"--endpoint", fake.URL, "--stack", "Cells", "--directory"},
			wantOut: "TENANT    CELL  URL\ntenant-A  1     https://one.example.com/tenant-A/\ntenant-B  1     https://one.example.com/tenant-B/\ntenant-C  2     https://two.example.com/tenant-C/\n\n" +
				"CELL  TENANTS  STACK         BASE URL\n1     2        Cells-Cell-1  https://one.example.com\n2     1        Cells-Cell-2  https://two.example.com\n3 tenant(s) in 2 cell(s)\n"},
		{name: "directory without cells", args: []string{"--endpoint", fake.URL, "--stack", "Other", "--directory"}, wantCode: 1, wantErr: "no cell stacks Other-Cell-* found"},
		{name: "directory and key", args: []string{"--directory", "--key", "X"}, wantCode: 2, wantErr: "not both"},
		{name: "bad format", args: []string{"--directory", "--format", "xml"}, wantCode: 2, wantErr: "--format must be"},
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

func TestStackOutputsDirectoryJSON(t *testing.T) {
	cltest.Env(t)
	fake := fakeaws.New(t, fakeaws.Options{Stacks: map[string]map[string]string{
		"S":        {},
		"S-Cell-1": {"Cell": "1", "BaseUrl": "https://one.example.com", "TenantIds": "tenant-A", "TenantUrlTenantA": "https://one.example.com/tenant-A/"},
	}})
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"--endpoint", fake.URL, "--stack", "S", "--directory", "--format", "json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var d struct {
		Cells []struct {
			Cell    string   `json:"cell"`
			Stack   string   `json:"stack"`
			BaseURL string   `json:"baseUrl"`
			HTTPURL string   `json:"httpUrl"`
			Tenants []string `json:"tenants"`
		} `json:"cells"`
		Tenants []struct {
			ID   string `json:"id"`
			Cell string `json:"cell"`
			URL  string `json:"url"`
		} `json:"tenants"`
	}
	if err := json.Unmarshal(out.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Cells) != 1 || d.Cells[0].Stack != "S-Cell-1" || d.Cells[0].HTTPURL != "http://one.example.com" ||
		len(d.Tenants) != 1 || d.Tenants[0].URL != "https://one.example.com/tenant-A/" || d.Tenants[0].Cell != "1" {
		t.Errorf("JSON:\n%s", out.String())
	}
}
