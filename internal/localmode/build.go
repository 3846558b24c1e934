package localmode

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/gobuild"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/rie"
)

// binaries are what local mode builds: the operator tools, the handler for
// this machine's architecture (the deployed arm64 binary cannot run here) and
// the pinned runtime emulator.
type binaries struct {
	bootstrap, emulator string
	err                 error
}

// tools are the operator commands local mode runs (seed-users) or tells the
// user to run (get-token, and smoke.sh uses both from --bin-dir).
var tools = []string{"seed-users", "get-token"}

func buildBinaries(ctx context.Context, repoRoot, work, binDir string) binaries {
	for _, name := range tools {
		if err := buildTool(ctx, repoRoot, work, binDir, name); err != nil {
			return binaries{err: err}
		}
	}
	bootstrap, err := gobuild.Build(ctx, gobuild.Options{
		PackageDir: filepath.Join(repoRoot, "lambda"), OutDir: filepath.Join(work, "build", "lambda"),
		GOOS: "linux", GOARCH: runtime.GOARCH,
	})
	if err != nil {
		return binaries{err: fmt.Errorf("build tenant handler: %w", err)}
	}
	emulator := filepath.Join(binDir, "aws-lambda-rie")
	if err := rie.BuildEmulator(ctx, emulator); err != nil {
		return binaries{err: fmt.Errorf("build Lambda runtime interface emulator: %w", err)}
	}
	return binaries{bootstrap: bootstrap, emulator: emulator}
}

// buildTool builds scripts/<name> for this machine into binDir/<name>.
// gobuild names every binary `bootstrap`, so it builds into a directory of
// its own and the binary is moved to its name.
func buildTool(ctx context.Context, repoRoot, work, binDir, name string) error {
	out, err := gobuild.Build(ctx, gobuild.Options{
		PackageDir: filepath.Join(repoRoot, "scripts", name), OutDir: filepath.Join(work, "build", name),
		GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
	})
	if err != nil {
		return fmt.Errorf("build %s: %w", name, err)
	}
	if err := os.Rename(out, filepath.Join(binDir, name)); err != nil {
		return fmt.Errorf("install %s: %w", name, err)
	}
	return nil
}
