// Command stack-outputs prints a CloudFormation stack's outputs as KEY=VALUE
// lines sorted by key, or only the value of one output with --key. It is
// what scripts/smoke.sh uses to find BaseUrl and friends on AWS.
//
// Usage: go run ./scripts/stack-outputs [--stack TenantRouting] [--key BaseUrl]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/awsenv"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var (
		flags    awsenv.Flags
		stack    string
		key      string
		endpoint string
	)
	fs := flag.NewFlagSet("stack-outputs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	flags.Register(fs)
	fs.StringVar(&stack, "stack", awsenv.DefaultStack, "CloudFormation stack name")
	fs.StringVar(&key, "key", "", "print only this output's value")
	fs.StringVar(&endpoint, "endpoint", "", "CloudFormation endpoint URL (default: SDK resolution incl. AWS_ENDPOINT_URL_CLOUDFORMATION)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 || stack == "" {
		fmt.Fprintln(stderr, "usage: stack-outputs [--stack NAME] [--key OUTPUT] [--region R] [--profile P]")
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
