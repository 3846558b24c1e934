// Package gobuild is the project's one home for `go build`: nobody else runs
// the go command by hand.
//
//   - Build compiles a main package into an AWS Lambda custom-runtime
//     bootstrap binary (no Docker, no bundling image). The build is
//     reproducible: CGO is off, paths are trimmed, the build id and the VCS
//     stamp are cleared and the symbol table is stripped, so the same sources
//     and toolchain give byte-identical output and therefore a stable CDK
//     asset hash.
//   - Commands builds main packages of the module for this machine into a
//     bin directory (local mode's operator tools).
//   - Tool builds a command pinned with a `tool` directive in go.mod (the
//     Lambda runtime interface emulator) at exactly that version.
package gobuild

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// BinaryName is the file name the Lambda provided.* runtimes execute.
const BinaryName = "bootstrap"

// Options describes one build.
type Options struct {
	// PackageDir is the directory of the main package to build (absolute, or
	// relative to the current working directory).
	PackageDir string
	// OutDir receives the `bootstrap` binary; it is created if missing.
	OutDir string
	// GOOS and GOARCH select the target platform; empty means linux/arm64
	// (the deployed architecture). Local mode and tests run the bootstrap on
	// this machine: GOOS "linux", GOARCH runtime.GOARCH.
	GOOS, GOARCH string
}

// Build runs `go build` for o and returns the path of the produced binary.
func Build(ctx context.Context, o Options) (string, error) {
	if o.PackageDir == "" {
		return "", errors.New("gobuild: PackageDir is required")
	}
	if o.OutDir == "" {
		return "", errors.New("gobuild: OutDir is required")
	}
	goos, goarch := o.GOOS, o.GOARCH
	if goos == "" {
		goos = "linux"
	}
	if goarch == "" {
		goarch = "arm64"
	}
	pkgDir, err := filepath.Abs(o.PackageDir)
	if err != nil {
		return "", fmt.Errorf("gobuild: resolve package dir %q: %w", o.PackageDir, err)
	}
	if st, err := os.Stat(pkgDir); err != nil {
		return "", fmt.Errorf("gobuild: package dir: %w", err)
	} else if !st.IsDir() {
		return "", fmt.Errorf("gobuild: package dir %q is not a directory", pkgDir)
	}
	outDir, err := filepath.Abs(o.OutDir)
	if err != nil {
		return "", fmt.Errorf("gobuild: resolve out dir %q: %w", o.OutDir, err)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", fmt.Errorf("gobuild: create out dir: %w", err)
	}
	out := filepath.Join(outDir, BinaryName)

	if err := run(ctx, pkgDir, Env(os.Environ(), goos, goarch), Args(out)...); err != nil {
		return "", fmt.Errorf("gobuild: build %s for %s/%s: %w", pkgDir, goos, goarch, err)
	}
	return out, nil
}

// Args returns the `go` arguments used to build the package in the current
// directory into out. Exposed so tests and docs show the exact flags.
func Args(out string) []string {
	return []string{
		"build",
		"-tags", "lambda.norpc", // aws-lambda-go: drop the legacy net/rpc path (go1.x runtime only)
		"-trimpath",
		"-buildvcs=false",
		"-ldflags", "-s -w -buildid=",
		"-o", out,
		".",
	}
}

// Env returns base with CGO_ENABLED=0 and the target GOOS/GOARCH, replacing
// any values base already has.
func Env(base []string, goos, goarch string) []string {
	override := map[string]string{
		"CGO_ENABLED": "0",
		"GOOS":        goos,
		"GOARCH":      goarch,
	}
	env := make([]string, 0, len(base)+len(override))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := override[k]; ok {
			continue
		}
		env = append(env, kv)
	}
	for _, k := range []string{"CGO_ENABLED", "GOOS", "GOARCH"} {
		env = append(env, k+"="+override[k])
	}
	return env
}
