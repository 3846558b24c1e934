package rie

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/localproc"
)

// loopbackAddrs validates 127.0.0.1 addresses, checks that they are free and
// resolves port 0 to free ports (see localproc.FreeAddrs).
func loopbackAddrs(invoke, api string) ([]string, error) {
	for _, addr := range []string{invoke, api} {
		if addr == "" {
			continue
		}
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("address %q: %w", addr, err)
		}
		if host != "127.0.0.1" {
			return nil, fmt.Errorf("address %q: host must be 127.0.0.1", addr)
		}
	}
	if invoke != "" && invoke == api && !strings.HasSuffix(invoke, ":0") {
		return nil, fmt.Errorf("invoke and runtime API address are both %s", invoke)
	}
	return localproc.FreeAddrs(invoke, api)
}

// buildEnv returns a minimal base environment plus the function environment,
// sorted for reproducibility.
func buildEnv(fn map[string]string) []string {
	env := map[string]string{
		"PATH": "/usr/local/bin:/usr/bin:/bin",
		"TZ":   ":UTC",
	}
	if home, err := os.UserHomeDir(); err == nil {
		env["HOME"] = home
	}
	for k, v := range fn {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// lastLines returns the last n lines of s, joined with " | ".
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// logFileName is a file name for a function's log under a log directory.
func logFileName(dir, name string) string {
	safe := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, name)
	if safe == "" || safe == "." || safe == ".." {
		safe = "_"
	}
	return filepath.Join(dir, safe+".log")
}
