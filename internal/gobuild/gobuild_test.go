package gobuild

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuildProducesLinuxArm64Bootstrap(t *testing.T) {
	out := t.TempDir()
	path, err := Build(context.Background(), Options{PackageDir: "testdata/hello", OutDir: out})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if want := filepath.Join(out, BinaryName); path != want {
		t.Fatalf("path = %q, want %q", path, want)
	}
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("bootstrap is not an ELF binary: %v", err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 {
		t.Errorf("machine = %v, want EM_AARCH64", f.Machine)
	}
	if f.Section(".symtab") != nil {
		t.Errorf("binary has a symbol table; want it stripped by -s")
	}
	if interp := f.Section(".interp"); interp != nil {
		t.Errorf("binary is dynamically linked (has .interp); want static (CGO_ENABLED=0)")
	}
}

func TestBuildIsReproducible(t *testing.T) {
	ctx := context.Background()
	a, err := Build(ctx, Options{PackageDir: "testdata/hello", OutDir: t.TempDir(), GOOS: "linux", GOARCH: "amd64"})
	if err != nil {
		t.Fatalf("first build: %v", err)
	}
	b, err := Build(ctx, Options{PackageDir: "testdata/hello", OutDir: t.TempDir(), GOOS: "linux", GOARCH: "amd64"})
	if err != nil {
		t.Fatalf("second build: %v", err)
	}
	ba, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if len(ba) == 0 || !bytes.Equal(ba, bb) {
		t.Fatalf("two builds differ (%d vs %d bytes); the asset hash would not be stable", len(ba), len(bb))
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"no package dir", Options{OutDir: t.TempDir()}, "PackageDir is required"},
		{"no out dir", Options{PackageDir: "testdata/hello"}, "OutDir is required"},
		{"missing package dir", Options{PackageDir: "testdata/nope", OutDir: t.TempDir()}, "package dir"},
		{"compile error", Options{PackageDir: "testdata/broken", OutDir: t.TempDir()}, "undefinedFunction"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(context.Background(), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestArgsAndEnv(t *testing.T) {
	args := strings.Join(Args("/x/bootstrap"), " ")
	for _, want := range []string{"-tags lambda.norpc", "-trimpath", "-ldflags -s -w -buildid=", "-o /x/bootstrap"} {
		if !strings.Contains(args, want) {
			t.Errorf("args %q lack %q", args, want)
		}
	}
	env := Env([]string{"CGO_ENABLED=1", "GOOS=darwin", "HOME=/h"}, "linux", "arm64")
	got := strings.Join(env, " ")
	for _, want := range []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64", "HOME=/h"} {
		if !strings.Contains(got, want) {
			t.Errorf("env %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "CGO_ENABLED=1") || strings.Contains(got, "GOOS=darwin") {
		t.Errorf("env %q keeps an overridden variable", got)
	}
}

func TestCommandsBuildsIntoBinDir(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "bin")
	if err := Commands(context.Background(), ".", bin, "./testdata/hello"); err != nil {
		t.Fatalf("Commands: %v", err)
	}
	out, err := exec.Command(filepath.Join(bin, "hello")).CombinedOutput()
	if err != nil {
		t.Fatalf("run hello: %v\n%s", err, out)
	}
	err = Commands(context.Background(), ".", bin, "./testdata/broken")
	if err == nil || !strings.Contains(err.Error(), "undefinedFunction") {
		t.Fatalf("broken package: %v", err)
	}
	if err := Commands(context.Background(), ".", bin); err == nil {
		t.Fatal("Commands without packages succeeded")
	}
}

// Tool builds the runtime emulator at the version go.mod pins.
func TestToolBuildsPinnedTool(t *testing.T) {
	out := filepath.Join(t.TempDir(), "tools", "aws-lambda-rie")
	const pkg = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"
	if err := Tool(context.Background(), ".", pkg, out); err != nil {
		t.Fatalf("Tool: %v", err)
	}
	info, err := buildinfo.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if info.Path != pkg || info.Main.Version == "" || info.Main.Version == "(devel)" {
		t.Fatalf("built %s %s, want the pinned version of %s", info.Path, info.Main.Version, pkg)
	}
	if err := Tool(context.Background(), ".", "example.com/not/required", out); err == nil {
		t.Fatal("Tool of a package outside go.mod succeeded")
	}
}
