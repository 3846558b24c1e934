// Command stack-outputs prints a CloudFormation stack's outputs as KEY=VALUE
// lines sorted by key, or only the value of one output with --key (the shared
// stack by default: UserPoolId, UserPoolClientId, Issuer, JwksEndpoint, Region).
//
// With --directory it prints the tenant directory of the deployment instead:
// every cell stack <stack>-Cell-<cell> is found by listing the stacks, and each
// tenant's cell and URL come from its cell's outputs. --format tsv is what
// scripts/smoke.sh --directory reads (tenant, cell, base URL, HTTP URL per
// line), json is for programs, table (the default) for people.
//
// Usage: go run ./scripts/stack-outputs [--stack TenantRouting] [--key UserPoolId]
//
//	go run ./scripts/stack-outputs --stack TenantRouting --directory [--format table|json|tsv]
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"
	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/awsenv"
	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/cli"
	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/directory"
)

func main() {
	cli.Main(func(ctx context.Context) int {
		return run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	})
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var (
		flags    awsenv.Flags
		stack    string
		key      string
		endpoint string
		dirMode  bool
		format   string
	)
	fs := cli.NewFlagSet("stack-outputs", stderr)
	flags.Register(fs)
	fs.StringVar(&stack, "stack", contract.DefaultStackName, "shared stack of the deployment")
	fs.StringVar(&key, "key", "", "print only this output's value")
	fs.BoolVar(&dirMode, "directory", false, "print the tenant directory (tenant -> cell -> URL) of the deployment")
	fs.StringVar(&format, "format", "table", "with --directory: table, json or tsv")
	fs.StringVar(&endpoint, "endpoint", "", "CloudFormation endpoint URL (default: SDK resolution incl. AWS_ENDPOINT_URL_CLOUDFORMATION)")
	if code, ok := cli.Parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 || stack == "" {
		fmt.Fprintln(stderr, "usage: stack-outputs [--stack NAME] [--key OUTPUT | --directory [--format table|json|tsv]] [--region R] [--profile P]")
		return 2
	}
	if dirMode && key != "" {
		fmt.Fprintln(stderr, "stack-outputs: use either --key or --directory, not both")
		return 2
	}
	if format != "table" && format != "json" && format != "tsv" {
		fmt.Fprintf(stderr, "stack-outputs: --format must be table, json or tsv, not %q\n", format)
		return 2
	}
	cfg, err := awsenv.Load(ctx, flags)
	if err != nil {
		fmt.Fprintln(stderr, "stack-outputs:", err)
		return 1
	}
	client := cloudformation.NewFromConfig(cfg, func(o *cloudformation.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
	if dirMode {
		return printDirectory(ctx, client, stack, format, stdout, stderr)
	}
	outputs, err := awsenv.StackOutputs(ctx, client, stack)
	if err != nil {
		fmt.Fprintln(stderr, "stack-outputs:", err)
		return 1
	}
	if key != "" {
		v, err := awsenv.Require(outputs, stack, key)
		if err != nil {
			fmt.Fprintln(stderr, "stack-outputs:", err)
			return 1
		}
		if strings.ContainsAny(v, "\r\n") {
			fmt.Fprintf(stderr, "stack-outputs: output %s contains a line break\n", key)
			return 1
		}
		fmt.Fprintln(stdout, v)
		return 0
	}
	keys := make([]string, 0, len(outputs))
	for k, v := range outputs {
		if strings.ContainsAny(k+v, "\r\n") || strings.Contains(k, "=") {
			fmt.Fprintf(stderr, "stack-outputs: output %q cannot be printed as one KEY=VALUE line\n", k)
			return 1
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(stdout, "%s=%s\n", k, outputs[k])
	}
	return 0
}

func printDirectory(ctx context.Context, api directory.DescribeStacksAPI, stack, format string, stdout, stderr io.Writer) int {
	d, err := directory.Find(ctx, api, stack)
	if err != nil {
		fmt.Fprintln(stderr, "stack-outputs:", err)
		return 1
	}
	if len(d.Cells) == 0 {
		fmt.Fprintf(stderr, "stack-outputs: no cell stacks %s* found (deploy the cells, or check --stack and --region)\n", contract.CellStackPrefix(stack))
		return 1
	}
	dir, err := d.Build()
	if err != nil {
		fmt.Fprintln(stderr, "stack-outputs:", err)
		return 1
	}
	var b bytes.Buffer
	switch format {
	case "tsv":
		err = dir.WriteTSV(&b)
	case "json":
		err = dir.WriteJSON(&b)
	default:
		err = dir.WriteTable(&b)
	}
	if err != nil {
		fmt.Fprintln(stderr, "stack-outputs:", err)
		return 1
	}
	_, _ = stdout.Write(b.Bytes())
	return 0
}
