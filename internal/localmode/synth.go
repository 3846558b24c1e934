package localmode

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// SynthOptions says how to synthesize the app.
type SynthOptions struct {
	RepoRoot string   // directory holding cdk.json
	OutDir   string   // cloud assembly output directory
	Context  []string // extra `-c key=value` pairs
	Log      io.Writer
}

// Synthesize runs the pinned CDK CLI (`cdk synth`) exactly as a user would
// before `cdk deploy`, and returns the cloud assembly directory (o.OutDir:
// manifest.json, the shared and cell stacks' templates and their nested
// templates), which localalb reads.
func Synthesize(ctx context.Context, o SynthOptions) (string, error) {
	cdk := filepath.Join(o.RepoRoot, "tools", "node", "node_modules", ".bin", "cdk")
	if _, err := os.Stat(cdk); err != nil {
		return "", fmt.Errorf("the pinned CDK CLI is not installed (%s): run `npm ci --prefix tools/node`", cdk)
	}
	args := []string{"synth", "--quiet", "--no-notices", "--no-version-reporting", "--output", o.OutDir}
	for _, kv := range o.Context {
		args = append(args, "--context", kv)
	}
	cmd := exec.CommandContext(ctx, cdk, args...)
	cmd.Dir = o.RepoRoot
	cmd.Env = synthEnv(os.Environ())
	cmd.Stdout, cmd.Stderr = o.Log, o.Log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("cdk synth: %w", err)
	}
	return o.OutDir, nil
}

// synthEnv is the environment for a local synthesis: without AWS credentials,
// profiles or a default account/region, the CLI leaves the stack
// environment-agnostic, so every region and account in the template is an
// intrinsic that local mode resolves, never a value from this machine.
func synthEnv(base []string) []string {
	return append(withoutEnv(base, "AWS_", "CDK_DEFAULT_"), "CDK_DISABLE_CLI_TELEMETRY=true")
}

// withoutEnv returns base without the variables whose names start with one
// of the prefixes: local mode never lets a real AWS profile, credential,
// endpoint or default environment leak into what it runs.
func withoutEnv(base []string, prefixes ...string) []string {
	env := make([]string, 0, len(base))
next:
	for _, kv := range base {
		for _, p := range prefixes {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		env = append(env, kv)
	}
	return env
}
