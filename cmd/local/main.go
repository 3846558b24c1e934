// Command local runs the whole tenant-routing system on this machine, with no
// AWS account: it synthesizes the CDK app (the shared stack and one stack per
// cell), starts cognito-local with the shared stack's user pool and every
// tenant group, seeds the tenant users with scripts/seed-users, serves each
// cell's listener rules through its own local ALB, and runs a tenant's
// Lambda under the Lambda Runtime Interface Emulator, with the template's
// environment, from that tenant's first request (stopped after
// --idle-timeout; at most --max-warm at once). The console shows progress, the cells, one line per request
// and each function's log lines; every child process logs to its own file in
// <work-dir>/logs. Ctrl-C (or SIGTERM) stops everything it started.
//
// Usage:
//
//	go run ./cmd/local [flags]
//	go run ./cmd/local --context tenantsFile=e2e/testdata/tenants-3cells.json
//	go run ./cmd/local --assembly .local/cdk.out   # again, without synthesis
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
	flag.StringVar(&o.StackName, "stack", "", "the shared stack's name in the cloud assembly; the cell stacks are <name>-Cell-<cell> (default: the stackName context value, else TenantRouting)")
	flag.IntVar(&o.HTTPSPort, "https-port", d.HTTPSPort, "local port of the first cell's HTTPS (443) listener; cell i (in cell order) gets this + i")
	flag.IntVar(&o.HTTPPort, "http-port", d.HTTPPort, "local port of the first cell's HTTP (80) listener; cell i gets this + i")
	flag.IntVar(&o.CognitoPort, "cognito-port", d.CognitoPort, "local port for cognito-local")
	flag.StringVar(&o.Assembly, "assembly", "", "serve the cloud assembly in `DIR` (a cdk.out with manifest.json: the shared stack, the cell stacks and their nested templates; e.g. .local/cdk.out of an earlier run) instead of running cdk synth; --context is then not used")
	flag.StringVar(&o.UsersFile, "users", "", "users CSV to seed (default: demo users, see --demo-users)")
	flag.IntVar(&o.DemoUsers, "demo-users", 0, "seed demo users for a deterministic sample of N tenants with every cell represented (0 = one per tenant)")
	flag.DurationVar(&o.IdleTimeout, "idle-timeout", d.IdleTimeout, "stop a tenant's Lambda runtime after it served no request for this long")
	flag.IntVar(&o.MaxWarm, "max-warm", d.MaxWarm, "most Lambda runtimes kept running at once (least recently used stopped first)")
	flag.Var(&ctxFlags, "context", "extra CDK context key=value for synthesis (repeatable)")
	flag.Usage = func() {
		fmt.Fprint(flag.CommandLine.Output(), `usage: go run ./cmd/local [flags]   (from the repository root; make local)

Synthesizes the CDK app (or serves --assembly DIR) and runs every cell of it
locally: one local ALB per cell at --https-port+i / --http-port+i, one
cognito-local, a tenant's Lambda runtime from its first request. Writes the
tenant directory to <work-dir>/directory.tsv (scripts/smoke.sh --directory)
and each child's log to <work-dir>/logs/. Ctrl-C stops everything.

Examples:
  go run ./cmd/local
  go run ./cmd/local --context tenantsFile=e2e/testdata/tenants-3cells.json
  go run ./cmd/local --assembly .local/cdk.out

Flags:
`)
		flag.PrintDefaults()
	}
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
