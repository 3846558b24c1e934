package localmode

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/gobuild"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/rie"
)

// binaries are what local mode builds (all through internal/gobuild): the
// operator tools, the handler for this machine's architecture (the deployed
// arm64 binary cannot run here) and the pinned runtime emulator.
type binaries struct {
	bootstrap, emulator string
	err                 error
}

// tools are the operator commands local mode runs (seed-users) or tells the
// user to run (get-token, and smoke.sh uses both from --bin-dir).
var tools = []string{"./scripts/seed-users", "./scripts/get-token"}

func buildBinaries(ctx context.Context, repoRoot, work, binDir string) binaries {
	if err := gobuild.Commands(ctx, repoRoot, binDir, tools...); err != nil {
		return binaries{err: fmt.Errorf("build the operator tools: %w", err)}
	}
	bootstrap, err := gobuild.Build(ctx, gobuild.Options{
		PackageDir: filepath.Join(repoRoot, "lambda"), OutDir: filepath.Join(work, "build", "lambda"),
		GOOS: "linux", GOARCH: runtime.GOARCH,
	})
	if err != nil {
		return binaries{err: fmt.Errorf("build tenant handler: %w", err)}
	}
	emulator := filepath.Join(binDir, "aws-lambda-rie")
	if err := gobuild.Tool(ctx, repoRoot, rie.EmulatorPackage, emulator); err != nil {
		return binaries{err: fmt.Errorf("build Lambda runtime interface emulator: %w", err)}
	}
	return binaries{bootstrap: bootstrap, emulator: emulator}
}
