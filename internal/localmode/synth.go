package localmode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// SynthOptions says how to synthesize the app.
type SynthOptions struct {
	RepoRoot  string   // directory holding cdk.json
	OutDir    string   // cloud assembly output directory
	Context   []string // extra `-c key=value` pairs
	StackName string   // stack to pick from the assembly; empty = the only one
	Log       io.Writer
}

// Synthesize runs the pinned CDK CLI (`cdk synth`) exactly as a user would
// before `cdk deploy`, and returns the path of the stack's template.
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
	return templateFromAssembly(o.OutDir, o.StackName)
}

// templateFromAssembly reads the cloud assembly manifest and returns the
// template file of the requested stack (or of the only stack).
func templateFromAssembly(outDir, stackName string) (string, error) {
	raw, err := os.ReadFile(filepath.Join(outDir, "manifest.json"))
	if err != nil {
		return "", fmt.Errorf("read cloud assembly manifest: %w", err)
	}
	var m struct {
		Artifacts map[string]struct {
			Type       string `json:"type"`
			Properties struct {
				TemplateFile string `json:"templateFile"`
				StackName    string `json:"stackName"`
			} `json:"properties"`
		} `json:"artifacts"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", fmt.Errorf("parse cloud assembly manifest: %w", err)
	}
	var names []string
	templates := map[string]string{}
	for id, a := range m.Artifacts {
		if a.Type != "aws:cloudformation:stack" {
			continue
		}
		name := a.Properties.StackName
		if name == "" {
			name = id
		}
		names = append(names, name)
		templates[name] = filepath.Join(outDir, a.Properties.TemplateFile)
	}
	sort.Strings(names)
	switch {
	case len(names) == 0:
		return "", errors.New("the cloud assembly has no CloudFormation stack")
	case stackName != "":
		t, ok := templates[stackName]
		if !ok {
			return "", fmt.Errorf("stack %q is not in the cloud assembly (it has %v)", stackName, names)
		}
		return t, nil
	case len(names) > 1:
		return "", fmt.Errorf("the cloud assembly has several stacks %v: choose one with --stack", names)
	}
	return templates[names[0]], nil
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
