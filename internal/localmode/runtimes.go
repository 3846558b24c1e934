package localmode

import (
	"context"
	"fmt"
	"time"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/localalb"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/rie"
)

// RuntimeOptions say how the Lambda runtimes of the tenants are run.
type RuntimeOptions struct {
	Emulator  string // aws-lambda-rie binary
	Bootstrap string // the tenant handler built for this machine
	Region    string
	// IdleTimeout stops a runtime that has served no request for this long;
	// MaxWarm caps the runtimes kept running (least recently used first
	// out). Both are for runtimes started on demand; the eager start below
	// runs every runtime for the whole session and does not use them yet.
	IdleTimeout time.Duration
	MaxWarm     int
}

// startRuntimes gives every function a target group of the cell targets an
// invoker, and returns the stops of what it started. Each function's output
// goes to its log file and, for the function's own lines, to the console
// (functionOutput).
//
// Today one runtime emulator per function is started here, eagerly. This is
// the one place that changes when runtimes start on demand: a pool built
// from o (IdleTimeout, MaxWarm) returns the invokers instead.
func startRuntimes(ctx context.Context, o RuntimeOptions, c *Cell, logs *logFiles, con *console, repoRoot string) (map[string]localalb.Invoker, []func() error, error) {
	invokers := map[string]localalb.Invoker{}
	var stops []func() error
	for _, fnID := range targetFunctions(c.Model) {
		fn := c.Model.Functions[fnID]
		tenant := firstNonEmpty(fn.Env["TENANT_ID"], fnID)
		name := "fn-" + tenant + ".log"
		file, err := logs.open(name)
		if err != nil {
			return nil, stops, err
		}
		w := functionOutput(file, con, tenant)
		inst, err := rie.Start(ctx, rie.Options{
			Emulator: o.Emulator, Bootstrap: o.Bootstrap, Env: fn.RuntimeEnv(o.Region),
			Stdout: w, Stderr: w,
		})
		if err != nil {
			return nil, stops, childFailed(fmt.Errorf("start the runtime emulator of %s (cell %s): %w", tenant, c.ID, err), logs.path(name), repoRoot)
		}
		stops = append(stops, inst.Stop)
		invokers[fnID] = inst
	}
	return invokers, stops, nil
}
