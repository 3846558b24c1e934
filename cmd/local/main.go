// Command local runs the whole tenant-routing system on this machine, with no
// AWS account: it synthesizes the CDK app, starts cognito-local with the
// template's user pool, seeds the tenant users with scripts/seed-users, runs
// each tenant Lambda under the Lambda Runtime Interface Emulator with the
// template's environment, and serves the template's listener rules through
// the local ALB. Ctrl-C (or SIGTERM) stops everything it started.
//
// Usage:
//
//	go run ./cmd/local [flags]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/localmode"
)

type contextFlags []string

func (c *contextFlags) String() string     { return strings.Join(*c, ",") }
func (c *contextFlags) Set(v string) error { *c = append(*c, v); return nil }

func main() {
	d := localmode.Defaults()
	o := localmode.Options{}
	var ctxFlags contextFlags
	flag.StringVar(&o.WorkDir, "work-dir", d.WorkDir, "directory for the cloud assembly, binaries, certificate, users and passwords")
	flag.StringVar(&o.Region, "region", d.Region, "region that the template's intrinsics and the issuer resolve to")
	flag.StringVar(&o.StackName, "stack", "", "stack to run from the cloud assembly (default: the only one)")
	flag.IntVar(&o.HTTPSPort, "https-port", d.HTTPSPort, "local port for the template's HTTPS (443) listener")
	flag.IntVar(&o.HTTPPort, "http-port", d.HTTPPort, "local port for the template's HTTP (80) listener")
	flag.IntVar(&o.CognitoPort, "cognito-port", d.CognitoPort, "local port for cognito-local")
	flag.StringVar(&o.Template, "template", "", "run this synthesized template instead of running `cdk synth`")
	flag.StringVar(&o.UsersFile, "users", "", "users CSV to seed (default: one demo user per tenant)")
	flag.Var(&ctxFlags, "context", "extra CDK context key=value for synthesis (repeatable)")
	flag.Parse()
	o.Context = ctxFlags

	root, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
	if _, err := os.Stat("cdk.json"); err != nil {
		fmt.Fprintln(os.Stderr, "local: run this from the repository root (where cdk.json is)")
		os.Exit(2)
	}
	o.RepoRoot = root

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := localmode.Run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
}
