package checktools

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakePath makes a directory with the named tools (symlinks to the real ones,
// or stubs for those this machine lacks) plus what the script itself runs.
func fakePath(t *testing.T, tools ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range append([]string{"bash", "sed", "dirname", "id"}, tools...) {
		real, err := exec.LookPath(name)
		if err != nil {
			if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\necho v20.0.0\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.Symlink(real, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func run(t *testing.T, path string, ci bool) (int, string, string) {
	t.Helper()
	script, err := filepath.Abs("../../check-tools.sh")
	if err != nil {
		t.Fatal(err)
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	cmd := exec.Command(bash, script)
	cmd.Env = []string{"PATH=" + path, "HOME=" + t.TempDir()}
	if ci {
		cmd.Env = append(cmd.Env, "CI=true")
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

func TestCheckToolsNamesWhatIsMissing(t *testing.T) {
	all := []string{"make", "git", "curl", "shellcheck", "go", "node", "npm", "cfn-lint"}
	code, out, errb := run(t, fakePath(t, all...), true)
	if code != 0 || !strings.Contains(out, "check-tools: ok") {
		t.Fatalf("all tools: exit %d\n%s\n%s", code, out, errb)
	}

	// A fresh machine of the issue: no shellcheck, no cfn-lint.
	some := []string{"make", "git", "curl", "go", "node", "npm"}
	code, _, errb = run(t, fakePath(t, some...), true)
	if code != 1 {
		t.Fatalf("CI without shellcheck and cfn-lint: exit %d\n%s", code, errb)
	}
	for _, want := range []string{"shellcheck", "apt-get install -y shellcheck", "cfn-lint", "pip install cfn-lint", "--install"} {
		if !strings.Contains(errb, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errb)
		}
	}
	// Outside CI a missing cfn-lint is a warning (its tests skip); shellcheck is still needed.
	code, _, errb = run(t, fakePath(t, append(some, "shellcheck")...), false)
	if code != 0 || !strings.Contains(errb, "WARNING cfn-lint not found") {
		t.Errorf("outside CI without cfn-lint: exit %d\n%s", code, errb)
	}
	code, _, errb = run(t, fakePath(t, "make", "git", "curl", "shellcheck"), false)
	if code != 1 || !strings.Contains(errb, "https://go.dev/doc/install") || !strings.Contains(errb, "Node.js") {
		t.Errorf("without go and node: exit %d\n%s", code, errb)
	}
}
