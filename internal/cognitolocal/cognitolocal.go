// Package cognitolocal starts and stops cognito-local (the npm package
// jagregory/cognito-local, a local Cognito user pool emulator) as a child
// process for local mode and tests (through internal/localproc).
//
// cognito-local always keeps its data in ./.cognito under its working
// directory and reads HOST and PORT from the environment
// (tools/node/node_modules/cognito-local/lib/server/config.js). Start writes
// .cognito/config.json and any pre-seeded pools (Options.Pools), binds only
// the requested host (127.0.0.1 by default), waits for GET /health to answer
// {"ok":true}, and Stop terminates the whole process group so nothing is left
// running. Its output goes to Options.LogFile, never to the console.
package cognitolocal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/localproc"
)

// BinaryEnv names an environment variable that, when set, overrides the
// cognito-local executable FindBinary returns.
const BinaryEnv = "COGNITO_LOCAL_BIN"

// relBinary is where `npm ci --prefix tools/node` installs the executable,
// relative to the repository root.
var relBinary = filepath.Join("tools", "node", "node_modules", ".bin", "cognito-local")

// Defaults used by Start.
const (
	DefaultHost         = "127.0.0.1"
	DefaultStartTimeout = 20 * time.Second
	DefaultStopGrace    = 5 * time.Second
)

// Options configures Start.
type Options struct {
	// Dir is the working directory; cognito-local keeps its data in Dir/.cognito.
	// It is created (0700) if missing. Required.
	Dir string
	// Host is the address to bind (default 127.0.0.1).
	Host string
	// Port is the TCP port; 0 picks a free one.
	Port int
	// Config is written to Dir/.cognito/config.json. When nil, an existing
	// config.json is kept (or {} is used). In both cases ServerConfig.hostname
	// and ServerConfig.port are forced to Host and Port, because a ServerConfig
	// in the file would otherwise override the HOST/PORT environment.
	Config map[string]any
	// PortFlag names the option that chose Port in errors (default "Port"),
	// e.g. "--cognito-port".
	PortFlag string
	// Binary is the cognito-local executable (default: FindBinary()).
	Binary string
	// LogFile receives the process output (appended; created 0600 with its
	// directory), e.g. .local/logs/cognito-local.log. That output includes
	// an expected WARN with a stack trace for every "user does not exist
	// (yet)" answer: it belongs in this file, never on a console. Without
	// LogFile the output is discarded; the last few KiB are kept either way
	// and quoted when cognito-local fails to start.
	//
	// cognito-local logs request targets and error messages at its default
	// level, not request bodies; Start removes DEBUG and COGNITO_LOCAL_DEVMODE
	// from the child environment because those make it log bodies
	// (passwords), and sets AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE so
	// that the AWS SDK v2 end-of-support notice is not printed at all.
	LogFile string
	// Stdout and Stderr, when set, each receive a copy of the whole output
	// (both streams).
	//
	// Deprecated: use LogFile; the console belongs to local mode.
	Stdout, Stderr io.Writer
	// Pools are written to cognito-local's data directory before it starts,
	// each with its groups: one file write instead of one API call (and one
	// rewrite of the pool's file) per group. See Pool.
	Pools []Pool
	// StartTimeout bounds the wait for /health (default 20s).
	StartTimeout time.Duration
	// StopGrace is how long Stop waits after SIGTERM before SIGKILL (default 5s).
	StopGrace time.Duration
}

// Server is a running cognito-local process.
type Server struct {
	url  string
	port int
	proc *localproc.Process
}

// FindBinary returns the cognito-local executable: $COGNITO_LOCAL_BIN if set,
// else tools/node/node_modules/.bin/cognito-local found by walking up from the
// current directory. It also checks that `node` is on PATH.
func FindBinary() (string, error) {
	if p := os.Getenv(BinaryEnv); p != "" {
		if err := checkExecutable(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", BinaryEnv, p, err)
		}
		return p, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find cognito-local: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		candidate := filepath.Join(dir, relBinary)
		if checkExecutable(candidate) == nil {
			if _, err := exec.LookPath("node"); err != nil {
				return "", fmt.Errorf("found %s but `node` is not on PATH (install Node.js >= 20): %w", candidate, err)
			}
			return candidate, nil
		}
		if parent := filepath.Dir(dir); parent == dir {
			break
		}
	}
	return "", fmt.Errorf("cognito-local not found: no %s in %s or any parent directory; "+
		"run `npm ci --prefix tools/node` in the repository root (or set %s)", relBinary, wd, BinaryEnv)
}

func checkExecutable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", p)
	}
	return nil
}

// Start launches cognito-local and waits until GET /health answers {"ok":true}.
// The returned Server must be stopped with Stop. Cancelling ctx while Start
// waits aborts the start (and kills the process); after Start returns, ctx no
// longer controls the process.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.Dir == "" {
		return nil, errors.New("cognitolocal: Options.Dir is required")
	}
	if o.Host == "" {
		o.Host = DefaultHost
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	if o.StopGrace <= 0 {
		o.StopGrace = DefaultStopGrace
	}
	if o.Binary == "" {
		b, err := FindBinary()
		if err != nil {
			return nil, err
		}
		o.Binary = b
	}
	if o.PortFlag == "" {
		o.PortFlag = "Port"
	}
	if err := os.MkdirAll(filepath.Join(o.Dir, ".cognito"), 0o700); err != nil {
		return nil, fmt.Errorf("cognitolocal: create data dir: %w", err)
	}
	if err := writePools(o.Dir, o.Pools); err != nil {
		return nil, err
	}

	// With Port == 0 the free port is found by binding :0 and closing it; a
	// race with another process is possible, so retry a few times.
	attempts := 1
	if o.Port == 0 {
		attempts = 3
	}
	var lastErr error
	for range attempts {
		port := o.Port
		if port == 0 {
			p, err := localproc.FreePort(o.Host)
			if err != nil {
				return nil, fmt.Errorf("cognitolocal: pick a free port on %s: %w", o.Host, err)
			}
			port = p
		} else if err := localproc.CheckPortFree(o.Host, port, o.PortFlag); err != nil {
			return nil, fmt.Errorf("cognitolocal: %w", err)
		}
		s, err := start(ctx, o, port)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if ctx.Err() != nil || !errors.Is(err, errExitedEarly) {
			break
		}
	}
	return nil, lastErr
}

var errExitedEarly = errors.New("cognito-local exited before it became healthy")

func start(ctx context.Context, o Options, port int) (*Server, error) {
	if err := writeConfig(o, port); err != nil {
		return nil, err
	}
	proc, err := localproc.Start(localproc.Options{
		Name: "cognito-local", Path: o.Binary, Dir: o.Dir,
		Env:     childEnv(os.Environ(), o.Host, port),
		LogFile: o.LogFile, Output: localproc.OutputOf(o.Stdout, o.Stderr), Grace: o.StopGrace,
	})
	if err != nil {
		return nil, fmt.Errorf("cognitolocal: %w", err)
	}
	s := &Server{url: "http://" + net.JoinHostPort(o.Host, strconv.Itoa(port)), port: port, proc: proc}
	if err := s.waitHealthy(ctx, o.StartTimeout); err != nil {
		_ = s.Stop()
		if msg := strings.TrimSpace(proc.Tail()); msg != "" {
			return nil, fmt.Errorf("%w (output tail: %s)", err, msg)
		}
		return nil, err
	}
	return s, nil
}

func (s *Server) waitHealthy(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if !s.proc.Alive() {
			return fmt.Errorf("cognitolocal: %w on %s (%v)", errExitedEarly, s.url, s.proc.ExitError())
		}
		if healthy(ctx, client, s.url) {
			// Make sure it is our process answering, not another server that
			// grabbed the port in between.
			if !s.proc.Alive() {
				return fmt.Errorf("cognitolocal: %w on %s (%v)", errExitedEarly, s.url, s.proc.ExitError())
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cognitolocal: %s not healthy after %v: %w", s.url, timeout, ctx.Err())
		case <-s.proc.Exited():
		case <-tick.C:
		}
	}
}

func healthy(ctx context.Context, client *http.Client, base string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/health", nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var body struct {
		OK bool `json:"ok"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&body) != nil {
		return false
	}
	return body.OK
}

// URL returns the base URL, e.g. http://127.0.0.1:PORT.
func (s *Server) URL() string { return s.url }

// Port returns the TCP port the server listens on.
func (s *Server) Port() int { return s.port }

// Stop sends SIGTERM to the process group, waits up to the grace period,
// then sends SIGKILL. It is idempotent and safe to call concurrently; it
// returns nil when the process ended because of the signals it sent.
func (s *Server) Stop() error {
	if s == nil {
		return nil
	}
	if err := s.proc.Stop(); err != nil {
		return fmt.Errorf("cognitolocal: %w", err)
	}
	return nil
}

// Exited returns a channel closed when the process has exited.
func (s *Server) Exited() <-chan struct{} { return s.proc.Exited() }

// Tail returns the last few KiB of cognito-local's output, to show when it failed.
func (s *Server) Tail() string { return s.proc.Tail() }

func writeConfig(o Options, port int) error {
	path := filepath.Join(o.Dir, ".cognito", "config.json")
	cfg := map[string]any{}
	if o.Config != nil {
		// Deep copy through JSON so the caller's map is never modified.
		b, err := json.Marshal(o.Config)
		if err != nil {
			return fmt.Errorf("cognitolocal: encode config: %w", err)
		}
		if err := json.Unmarshal(b, &cfg); err != nil {
			return fmt.Errorf("cognitolocal: copy config: %w", err)
		}
	} else if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &cfg); err != nil {
			return fmt.Errorf("cognitolocal: existing %s: %w", path, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("cognitolocal: read %s: %w", path, err)
	}
	server, _ := cfg["ServerConfig"].(map[string]any)
	if server == nil {
		server = map[string]any{}
	}
	server["hostname"] = o.Host
	server["port"] = port
	cfg["ServerConfig"] = server
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("cognitolocal: encode config: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("cognitolocal: write %s: %w", path, err)
	}
	return nil
}

// childEnv returns env with HOST and PORT set and the variables that make
// cognito-local log request bodies removed.
func childEnv(env []string, host string, port int) []string {
	out := make([]string, 0, len(env)+2)
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "HOST", "PORT", "DEBUG", "COGNITO_LOCAL_DEVMODE", "AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE":
			continue
		}
		out = append(out, kv)
	}
	return append(out, "HOST="+host, "PORT="+strconv.Itoa(port), "AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE=1")
}

// ErrPortInUse is returned (wrapped) by Start when Options.Port is taken.
var ErrPortInUse = localproc.ErrPortInUse

// Process returns the pid of the cognito-local process (also its process group id).
func (s *Server) Process() int { return s.proc.Pid() }
