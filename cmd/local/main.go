// Command local runs the whole tenant-routing system on this machine, with no
// AWS account: it synthesizes the CDK app, starts cognito-local with the
// template's user pool, seeds the tenant users with scripts/seed-users, runs
// each tenant Lambda under the Lambda Runtime Interface Emulator with the
// template's environment, and serves each cell's listener rules through its
// own local ALB. The console shows progress, the cells, one line per request
// and each function's log lines; every child process logs to its own file in
// <work-dir>/logs. Ctrl-C (or SIGTERM) stops everything it started.
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
	flag.StringVar(&o.WorkDir, "work-dir", d.WorkDir, "directory for the cloud assembly, binaries, certificate, users, passwords, the tenant directory and logs/")
	flag.StringVar(&o.Region, "region", d.Region, "region that the template's intrinsics and the issuer resolve to")
	flag.StringVar(&o.StackName, "stack", "", "stack to run from the cloud assembly (default: the only one)")
	flag.IntVar(&o.HTTPSPort, "https-port", d.HTTPSPort, "local port of the first cell's HTTPS (443) listener; cell i (in cell order) gets this + i")
	flag.IntVar(&o.HTTPPort, "http-port", d.HTTPPort, "local port of the first cell's HTTP (80) listener; cell i gets this + i")
	flag.IntVar(&o.CognitoPort, "cognito-port", d.CognitoPort, "local port for cognito-local")
	flag.StringVar(&o.Template, "template", "", "run this synthesized template instead of running `cdk synth`")
	flag.StringVar(&o.UsersFile, "users", "", "users CSV to seed (default: demo users, see --demo-users)")
	flag.IntVar(&o.DemoUsers, "demo-users", 0, "seed demo users for a deterministic sample of N tenants with every cell represented (0 = one per tenant)")
	flag.DurationVar(&o.IdleTimeout, "idle-timeout", d.IdleTimeout, "stop a tenant's Lambda runtime after it served no request for this long")
	flag.IntVar(&o.MaxWarm, "max-warm", d.MaxWarm, "most Lambda runtimes kept running at once (least recently used stopped first)")
	flag.Var(&ctxFlags, "context", "extra CDK context key=value for synthesis (repeatable)")
	flag.Parse()
	o.Context = ctxFlags
	if o.DemoUsers < 0 || o.IdleTimeout <= 0 || o.MaxWarm < 1 {
		fmt.Fprintln(os.Stderr, "local: --demo-users must be >= 0, --idle-timeout > 0 and --max-warm >= 1")
		os.Exit(2)
	}

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
