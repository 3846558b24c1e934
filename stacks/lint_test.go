package stacks

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// cfnLintIgnored lists cfn-lint rules this project ignores, each with its
// reason. Empty: every warning of the synthesized templates is fixed (W3005,
// a DependsOn the L2 Function adds next to its Fn::GetAtt of the role, is
// removed in tenant.go).
var cfnLintIgnored = map[string]string{}

// TestCfnLint runs AWS's CloudFormation linter on every template of each
// synthesized app (default, multi-cell, a full cell, the domain certificate
// option): shared, cell and nested templates. Zero errors, and every warning
// fixed or listed in cfnLintIgnored. Under CI (CI=true) a missing cfn-lint
// fails the test; elsewhere the test is skipped with the install command.
func TestCfnLint(t *testing.T) {
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("cfn-lint is not installed (CI=true): pip install cfn-lint")
		}
		t.Skip("cfn-lint is not installed; install it with: pip install cfn-lint")
	}
	apps := map[string]*synthesized{"default": defaultApp(t), "multi": multiCellApp(t), "full": fullCellApp(t), "domain": domainApp(t)}
	args := []string{"--format", "parseable"}
	for rule := range cfnLintIgnored {
		args = append(args, "--ignore-checks", rule)
	}
	var files []string
	for _, s := range apps {
		for name := range s.files {
			files = append(files, filepath.Join(s.dir, name))
		}
	}
	// One process for all templates: cfn-lint's start-up (schemas) dominates.
	out, err := exec.Command(bin, append(args, files...)...).CombinedOutput()
	// Exit codes are a bit mask: 2 errors, 4 warnings, 8 informational; 1 a crash.
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	finding := regexp.MustCompile(`^(.+?):\d+:\d+:\d+:\d+:([EWI]\d+):`)
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if m := finding.FindStringSubmatch(line); m != nil {
			t.Errorf("cfn-lint %s", line)
		} else if line != "" {
			t.Logf("cfn-lint: %s", line)
		}
	}
	if code&1 != 0 {
		t.Errorf("cfn-lint failed (exit %d): %s", code, out)
	}
	t.Logf("cfn-lint checked %d templates", len(files))
}
