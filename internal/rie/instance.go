package rie

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/localproc"
)

// Options configure one emulator instance.
type Options struct {
	// Name names the function in logs and errors (default: the invoke address).
	Name string
	// Emulator is the path of the aws-lambda-rie binary (see BuildEmulator).
	Emulator string
	// Bootstrap is the path of the function's executable (provided.al2023 style).
	Bootstrap string
	// InvokeAddr is the emulator's invoke listener, RuntimeAPIAddr the Runtime
	// API the bootstrap talks to. Both must be 127.0.0.1 addresses; empty or
	// port 0 picks a free port (again at every restart).
	InvokeAddr, RuntimeAPIAddr string
	// Env is the function environment (from the template) plus the
	// AWS_LAMBDA_* variables. It is added to a minimal base environment
	// (PATH, HOME, TZ=:UTC); the caller's environment is NOT inherited, so
	// credentials of the developer never leak into a function.
	Env map[string]string
	// LogFile receives the emulator's and the function's output (appended),
	// e.g. .local/logs/<function>.log. Without it the output is discarded
	// (its last few KiB are kept for error messages).
	LogFile string
	// Stdout and Stderr, when set, each receive a copy of the whole output
	// (both streams).
	Stdout, Stderr io.Writer
	// StartTimeout bounds the wait for the invoke port (default 10 s).
	StartTimeout time.Duration
	// LogLevel is the emulator's own log level (default "info"). It is
	// always passed as --log-level: otherwise RIE reads the function's
	// LOG_LEVEL variable and exits on a value logrus does not know.
	LogLevel string
	// Logger receives a warning for every restart of a dead emulator
	// (default: discarded).
	Logger *slog.Logger
}

// Instance is one emulator process, restarted when it has died.
type Instance struct {
	o       Options
	name    string
	timeout time.Duration
	logger  *slog.Logger
	output  io.Writer

	// sem holds one token while an invoke is outstanding: from the moment
	// the request may reach the emulator until it has answered, failed, or
	// the instance was stopped. It is NOT released when only the caller's
	// context ends (RIE would crash on the overlap).
	sem    chan struct{}
	onIdle func() // called after sem is released; set before the first invoke

	// life ends when Stop is called; invokes are bound to it, not to callers.
	life      context.Context
	endOfLife context.CancelFunc

	mu        sync.Mutex // guards the fields below
	proc      *localproc.Process
	addr      string // invoke address of proc
	apiAddr   string // runtime API address of proc
	url       string
	transport *http.Transport
	closed    bool

	invokes, restarts atomic.Int64

	stopOnce sync.Once
	stopErr  error
}

// Stats are an instance's counters.
type Stats struct {
	// Invokes counts invokes sent to the emulator.
	Invokes int64
	// Restarts counts emulators found dead and started again.
	Restarts int64
}

// Start launches the emulator and waits until its invoke port accepts
// connections. The process runs in its own process group so Stop also reaches
// the bootstrap child.
func Start(ctx context.Context, o Options) (*Instance, error) {
	if o.Emulator == "" || o.Bootstrap == "" {
		return nil, errors.New("rie: Emulator and Bootstrap are required")
	}
	if o.LogLevel == "" {
		o.LogLevel = "info"
	}
	i := &Instance{
		o:       o,
		timeout: o.StartTimeout,
		logger:  o.Logger,
		sem:     make(chan struct{}, 1),
		output:  localproc.OutputOf(o.Stdout, o.Stderr),
	}
	i.life, i.endOfLife = context.WithCancel(context.Background())
	if i.timeout <= 0 {
		i.timeout = 10 * time.Second
	}
	if i.logger == nil {
		i.logger = slog.New(slog.DiscardHandler)
	}
	if err := i.spawn(ctx); err != nil {
		i.endOfLife()
		return nil, err
	}
	i.name = o.Name
	if i.name == "" {
		i.name = i.addr
	}
	return i, nil
}

// spawn starts a new emulator process and installs it once it listens.
func (i *Instance) spawn(ctx context.Context) error {
	addrs, err := loopbackAddrs(i.o.InvokeAddr, i.o.RuntimeAPIAddr)
	if err != nil {
		return fmt.Errorf("rie: %w", err)
	}
	invokeAddr, apiAddr := addrs[0], addrs[1]
	proc, err := localproc.Start(localproc.Options{
		Name: "aws-lambda-rie",
		Path: i.o.Emulator,
		Args: []string{
			"--runtime-interface-emulator-address", invokeAddr,
			"--runtime-api-address", apiAddr,
			"--log-level", i.o.LogLevel,
			i.o.Bootstrap,
		},
		Env:     buildEnv(i.o.Env),
		LogFile: i.o.LogFile,
		Output:  i.output,
	})
	if err != nil {
		return fmt.Errorf("rie: %w", err)
	}
	if err := i.waitReady(ctx, proc, invokeAddr); err != nil {
		_ = proc.Stop()
		if tail := strings.TrimSpace(proc.Tail()); tail != "" {
			err = fmt.Errorf("%w (output tail: %s)", err, lastLines(tail, 5))
		}
		return err
	}
	tr := &http.Transport{
		Proxy:               nil, // loopback only
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        1,
		MaxIdleConnsPerHost: 1, // invokes are serialized: one connection is enough
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.closed {
		_ = proc.Stop()
		return fmt.Errorf("rie %s: stopped", invokeAddr)
	}
	if i.transport != nil {
		i.transport.CloseIdleConnections()
	}
	i.proc, i.addr, i.apiAddr, i.url, i.transport = proc, invokeAddr, apiAddr, "http://"+invokeAddr+InvokePath, tr
	return nil
}

// waitReady polls the invoke port until it accepts a TCP connection.
func (i *Instance) waitReady(ctx context.Context, proc *localproc.Process, addr string) error {
	deadline := time.NewTimer(i.timeout)
	defer deadline.Stop()
	for {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			_ = conn.Close()
			return nil
		}
		select {
		case <-proc.Exited():
			return fmt.Errorf("rie: emulator exited before listening on %s: %v", addr, proc.ExitError())
		case <-ctx.Done():
			return fmt.Errorf("rie: waiting for %s: %w", addr, ctx.Err())
		case <-i.life.Done():
			return fmt.Errorf("rie: waiting for %s: stopped", addr)
		case <-deadline.C:
			return fmt.Errorf("rie: emulator did not listen on %s within %s", addr, i.timeout)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// InvokeAddr is the current emulator's invoke listener (127.0.0.1:port).
func (i *Instance) InvokeAddr() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.addr
}

// RuntimeAPIAddr is the Runtime API address given to the current bootstrap.
func (i *Instance) RuntimeAPIAddr() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.apiAddr
}

// Pid is the current emulator's process id (also its process group id,
// which the bootstrap shares).
func (i *Instance) Pid() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.proc.Pid()
}

// Alive reports whether the current emulator process is running.
func (i *Instance) Alive() bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	return !i.closed && i.proc.Alive()
}

// Busy reports whether an invoke is outstanding (possibly one whose caller
// has already gone).
func (i *Instance) Busy() bool { return len(i.sem) > 0 }

// Stats returns the instance's counters.
func (i *Instance) Stats() Stats {
	return Stats{Invokes: i.invokes.Load(), Restarts: i.restarts.Load()}
}

// Invoke sends one payload and returns the function's response payload.
// A function error is NOT an error here: RIE answers HTTP 200 with
// {"errorType":..,"errorMessage":..} and that body is returned. Errors are:
// a transport failure (the emulator died: the next Invoke restarts it), a
// non-200 status, ctx ending first, the instance stopped.
//
// Invokes never overlap. When ctx ends while the emulator runs the invoke,
// Invoke returns ctx's error at once, but the invoke is left to finish in
// the background and the next one waits for it (RIE bounds it with the
// function timeout). This keeps the warm runtime, as Lambda does, instead of
// killing and restarting it; a restart would also cost the next caller a
// cold start.
func (i *Instance) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	select {
	case i.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("rie %s: invoke: %w", i.name, ctx.Err())
	case <-i.life.Done():
		return nil, fmt.Errorf("rie %s: invoke: emulator stopped", i.name)
	}
	url, tr, err := i.ensureRunning(ctx)
	if err != nil {
		i.release()
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		i.release()
		return nil, fmt.Errorf("rie %s: invoke: %w", i.name, err)
	}
	type result struct {
		body []byte
		err  error
	}
	done := make(chan result, 1)
	i.invokes.Add(1)
	go func() {
		defer i.release()
		body, err := i.post(url, tr, payload)
		done <- result{body, err}
	}()
	select {
	case r := <-done:
		return r.body, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("rie %s: invoke: %w", i.name, ctx.Err())
	}
}

func (i *Instance) release() {
	<-i.sem
	if i.onIdle != nil {
		i.onIdle()
	}
}

// ensureRunning restarts a dead emulator (the caller holds sem) and returns
// where to send the invoke.
func (i *Instance) ensureRunning(ctx context.Context) (string, *http.Transport, error) {
	i.mu.Lock()
	if i.closed {
		i.mu.Unlock()
		return "", nil, fmt.Errorf("rie %s: invoke: emulator stopped", i.name)
	}
	proc, url, tr := i.proc, i.url, i.transport
	i.mu.Unlock()
	if proc.Alive() {
		return url, tr, nil
	}
	reason := proc.ExitError()
	_ = proc.Stop() // reap what is left of its process group, close its log
	i.restarts.Add(1)
	i.logger.Warn("runtime emulator exited; restarting it", "function", i.name, "reason", fmt.Sprint(reason),
		"lastOutput", lastLines(proc.Tail(), 3), "restarts", i.restarts.Load())
	if err := i.spawn(ctx); err != nil {
		return "", nil, fmt.Errorf("rie %s: restart after the emulator exited (%v): %w", i.name, reason, err)
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.url, i.transport, nil
}

// post sends the invoke and reads the answer. It is bound by the instance's
// life, not by the caller: see Invoke.
func (i *Instance) post(url string, tr *http.Transport, payload []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(i.life, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("rie %s: invoke: %w", i.name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return nil, fmt.Errorf("rie %s (%s): invoke: %w", i.name, req.URL.Host, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxInvokeResponse))
	if err != nil {
		return nil, fmt.Errorf("rie %s (%s): read response: %w", i.name, req.URL.Host, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("rie %s (%s): invoke returned HTTP %d: %.200s", i.name, req.URL.Host, resp.StatusCode, body)
	}
	return body, nil
}

// Stop terminates the emulator and its bootstrap: SIGTERM to the process
// group, then SIGKILL after a grace period. An invoke still running fails.
// It is idempotent and safe to call concurrently.
func (i *Instance) Stop() error {
	i.stopOnce.Do(func() {
		i.mu.Lock()
		i.closed = true
		proc, tr := i.proc, i.transport
		i.mu.Unlock()
		i.endOfLife()
		tr.CloseIdleConnections()
		if err := proc.Stop(); err != nil {
			i.stopErr = fmt.Errorf("rie %s: %w", i.name, err)
		}
	})
	return i.stopErr
}
