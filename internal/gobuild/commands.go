package gobuild

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Commands builds the main packages pkgs (import paths or ./relative paths
// of the module in moduleDir) for this machine into binDir, each named after
// its last path element. binDir is created if missing.
func Commands(ctx context.Context, moduleDir, binDir string, pkgs ...string) error {
	if len(pkgs) == 0 {
		return errors.New("gobuild: no packages to build")
	}
	binDir, err := filepath.Abs(binDir)
	if err != nil {
		return fmt.Errorf("gobuild: resolve bin dir: %w", err)
	}
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return fmt.Errorf("gobuild: create bin dir: %w", err)
	}
	args := append([]string{"build", "-trimpath", "-o", binDir + string(os.PathSeparator)}, pkgs...)
	if err := run(ctx, moduleDir, nil, args...); err != nil {
		return fmt.Errorf("gobuild: build %s: %w", strings.Join(pkgs, " "), err)
	}
	return nil
}

// Tool builds the command pkg, pinned in moduleDir's go.mod by a `tool`
// directive (or any other requirement), into the file out for this machine.
func Tool(ctx context.Context, moduleDir, pkg, out string) error {
	if pkg == "" || out == "" {
		return errors.New("gobuild: Tool needs a package and an output path")
	}
	out, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("gobuild: resolve %s: %w", out, err)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("gobuild: create %s: %w", filepath.Dir(out), err)
	}
	if err := run(ctx, moduleDir, nil, "build", "-trimpath", "-o", out, pkg); err != nil {
		return fmt.Errorf("gobuild: build tool %s: %w", pkg, err)
	}
	return nil
}

// run runs the go command in dir and returns its output in the error.
func run(ctx context.Context, dir string, env []string, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}
