// Package rie builds and runs the AWS Lambda Runtime Interface Emulator
// (github.com/aws/aws-lambda-runtime-interface-emulator, pinned in go.mod as a
// go tool) for one Lambda function, natively and without Docker.
//
// Facts this package is built on (measured, see
// /work/shared/reference/local-components.md §2):
//   - One RIE process serves ONE invoke at a time; an overlapping invoke makes
//     the emulator panic and exit. Instance.Invoke therefore serializes calls
//     with a mutex.
//   - The invoke listener defaults to 0.0.0.0:8080 and the Runtime API to
//     127.0.0.1:9001; two instances on the same Runtime API port kill each
//     other. Start always binds both to explicit 127.0.0.1 ports.
//   - A function error comes back as HTTP 200 with an errorType/errorMessage
//     body; Invoke returns such payloads unchanged (the caller, e.g. the local
//     ALB, maps them to 502). Non-200 statuses and transport errors (dead
//     process) are returned as errors.
//   - AWS_LAMBDA_FUNCTION_TIMEOUT must be an integer number of seconds (RIE
//     panics otherwise); the environment of RIE is passed to the bootstrap.
//   - RIE takes its own log level from LOG_LEVEL unless --log-level is given
//     and exits on an unknown level, so Start always passes --log-level.
package rie

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// EmulatorPackage is the import path of the pinned emulator command.
const EmulatorPackage = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"

// InvokePath is the only invocation path the emulator serves.
const InvokePath = "/2015-03-31/functions/function/invocations"

// maxInvokeResponse bounds how much of a response Invoke reads. Lambda caps
// synchronous responses at 6 MB; the ALB caps them at 1 MB and must be able
// to see that a response is too large, so read a little more than 6 MB.
const maxInvokeResponse = 6<<20 + 1

// BuildEmulator builds the pinned RIE command into outPath with `go build`.
// It must run inside this module (the version comes from go.mod).
func BuildEmulator(ctx context.Context, outPath string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", outPath, EmulatorPackage)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build %s: %w: %s", EmulatorPackage, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// Options configure one emulator instance.
type Options struct {
	// Emulator is the path of the aws-lambda-rie binary (see BuildEmulator).
	Emulator string
	// Bootstrap is the path of the function's executable (provided.al2023 style).
	Bootstrap string
	// InvokeAddr is the emulator's invoke listener, RuntimeAPIAddr the Runtime
	// API the bootstrap talks to. Both must be 127.0.0.1 addresses; empty or
	// port 0 picks a free port.
	InvokeAddr, RuntimeAPIAddr string
	// Env is the function environment (from the template) plus the
	// AWS_LAMBDA_* variables. It is added to a minimal base environment
	// (PATH, HOME, TZ=:UTC); the caller's environment is NOT inherited, so
	// credentials of the developer never leak into a function.
	Env map[string]string
	// Stdout and Stderr receive the emulator's and the function's output
	// (default: discarded).
	Stdout, Stderr io.Writer
	// StartTimeout bounds the wait for the invoke port (default 10 s).
	StartTimeout time.Duration
	// LogLevel is the emulator's own log level (default "info"). It is
	// always passed as --log-level: otherwise RIE reads the function's
	// LOG_LEVEL variable and exits on a value logrus does not know.
	LogLevel string
}

// Instance is one running emulator process.
type Instance struct {
	invokeAddr, runtimeAPIAddr string
	url                        string
	cmd                        *exec.Cmd

	invokeMu sync.Mutex // one invoke at a time: RIE crashes on overlap

	connMu  sync.Mutex  // guards idle and closed
	idle    *invokeConn // kept-alive connection to the invoke listener, nil if none
	closed  bool        // Stop was called: no connection is kept
	reqHead []byte      // request line and fixed headers; guarded by invokeMu

	exited   chan struct{} // closed when the process has exited
	exitErr  error         // valid after exited is closed
	stopOnce sync.Once
	stopErr  error
}

// Start launches the emulator and waits until its invoke port accepts
// connections. The process runs in its own process group so Stop also reaches
// the bootstrap child.
func Start(ctx context.Context, o Options) (*Instance, error) {
	if o.Emulator == "" || o.Bootstrap == "" {
		return nil, errors.New("rie: Emulator and Bootstrap are required")
	}
	addrs, err := loopbackAddrs(o.InvokeAddr, o.RuntimeAPIAddr)
	if err != nil {
		return nil, fmt.Errorf("rie: %w", err)
	}
	invokeAddr, runtimeAddr := addrs[0], addrs[1]
	if invokeAddr == runtimeAddr {
		return nil, fmt.Errorf("rie: invoke and runtime API address are both %s", invokeAddr)
	}
	logLevel := o.LogLevel
	if logLevel == "" {
		logLevel = "info"
	}
	cmd := exec.Command(o.Emulator,
		"--runtime-interface-emulator-address", invokeAddr,
		"--runtime-api-address", runtimeAddr,
		"--log-level", logLevel,
		o.Bootstrap)
	cmd.Env = buildEnv(o.Env)
	cmd.Stdout = o.Stdout
	cmd.Stderr = o.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("rie: start %s: %w", o.Emulator, err)
	}
	inst := &Instance{
		invokeAddr:     invokeAddr,
		runtimeAPIAddr: runtimeAddr,
		url:            "http://" + invokeAddr + InvokePath,
		cmd:            cmd,
		exited:         make(chan struct{}),
		reqHead: []byte("POST " + InvokePath + " HTTP/1.1\r\nHost: " + invokeAddr +
			"\r\nUser-Agent: Go-http-client/1.1\r\nContent-Type: application/json\r\nContent-Length: "),
	}
	go func() {
		inst.exitErr = cmd.Wait()
		close(inst.exited)
	}()
	timeout := o.StartTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	if err := inst.waitReady(ctx, timeout); err != nil {
		_ = inst.Stop()
		return nil, err
	}
	return inst, nil
}

// waitReady polls the invoke port until it accepts a TCP connection.
func (i *Instance) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		conn, err := net.DialTimeout("tcp", i.invokeAddr, 200*time.Millisecond)
		if err == nil {
			_ = conn.Close()
			return nil
		}
		select {
		case <-i.exited:
			return fmt.Errorf("rie: emulator exited before listening on %s: %v", i.invokeAddr, i.exitErr)
		case <-ctx.Done():
			return fmt.Errorf("rie: waiting for %s: %w", i.invokeAddr, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("rie: emulator did not listen on %s within %s", i.invokeAddr, timeout)
		}
	}
}

// InvokeAddr is the emulator's invoke listener (127.0.0.1:port).
func (i *Instance) InvokeAddr() string { return i.invokeAddr }

// RuntimeAPIAddr is the Runtime API address given to the bootstrap.
func (i *Instance) RuntimeAPIAddr() string { return i.runtimeAPIAddr }

// Alive reports whether the emulator process is still running.
func (i *Instance) Alive() bool {
	select {
	case <-i.exited:
		return false
	default:
		return true
	}
}

// Invoke sends one payload and returns the function's response payload.
// Calls are serialized. A function error is NOT an error here: RIE answers
// HTTP 200 with {"errorType":..,"errorMessage":..} and that body is returned.
// Errors are: the process is gone, a transport failure, a non-200 status, ctx
// ending before the response was read.
//
// The request is a plain HTTP/1.1 POST over one kept-alive loopback
// connection that the calling goroutine writes and reads itself (invokes are
// serialized anyway): unlike net/http's Transport, no writer and reader
// goroutines hand each invoke over, which matters for latency (see
// invokeConn). The connection is checked for a close by RIE before reuse and
// is dropped after any error, a "Connection: close" or an unread body.
func (i *Instance) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	i.invokeMu.Lock()
	defer i.invokeMu.Unlock()
	if !i.Alive() {
		return nil, fmt.Errorf("rie %s: emulator process has exited: %v", i.invokeAddr, i.exitErr)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("rie %s: invoke: %w", i.invokeAddr, err)
	}
	ic, err := i.conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("rie %s: invoke: %w", i.invokeAddr, err)
	}
	status, body, reusable, err := i.roundTrip(ctx, ic, payload)
	if reusable && err == nil {
		i.putIdle(ic)
	} else {
		_ = ic.c.Close()
	}
	if err != nil {
		if _, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) {
			// The connection deadline is ctx's: ctx ends now too. Wait for it so
			// that callers see ctx.Err() (the ALB maps it to a timeout).
			<-ctx.Done()
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		return nil, fmt.Errorf("rie %s: invoke: %w", i.invokeAddr, err)
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("rie %s: invoke returned HTTP %d: %.200s", i.invokeAddr, status, body)
	}
	return body, nil
}

// invokeConn is a connection to the emulator's invoke listener.
type invokeConn struct {
	c  *net.TCPConn
	br *bufio.Reader
}

// conn returns the kept-alive connection if RIE has not closed it, else a new one.
func (i *Instance) conn(ctx context.Context) (*invokeConn, error) {
	i.connMu.Lock()
	ic := i.idle
	i.idle = nil
	i.connMu.Unlock()
	if ic != nil {
		if peerOpen(ic.c) {
			return ic, nil
		}
		_ = ic.c.Close()
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", i.invokeAddr)
	if err != nil {
		return nil, err
	}
	tc, ok := c.(*net.TCPConn)
	if !ok { // cannot happen for "tcp"
		_ = c.Close()
		return nil, fmt.Errorf("unexpected connection type %T", c)
	}
	return &invokeConn{c: tc, br: bufio.NewReaderSize(tc, 16<<10)}, nil
}

// putIdle keeps ic for the next invoke unless the instance is stopping.
func (i *Instance) putIdle(ic *invokeConn) {
	i.connMu.Lock()
	defer i.connMu.Unlock()
	if i.closed {
		_ = ic.c.Close()
		return
	}
	i.idle = ic
}

// peerOpen reports whether an idle connection is still usable: the peer has not
// closed it and sent nothing unsolicited (what net/http's Transport watches for
// with a reader goroutine, done here with one non-blocking peek).
func peerOpen(c *net.TCPConn) bool {
	rc, err := c.SyscallConn()
	if err != nil {
		return false
	}
	open := false
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		_, _, rerr := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		open = rerr == syscall.EAGAIN || rerr == syscall.EWOULDBLOCK
		return true // never wait
	})
	return err == nil && open
}

// aLongTimeAgo is a deadline in the past: it interrupts blocked I/O.
var aLongTimeAgo = time.Unix(1, 0)

// roundTrip writes one invoke request on ic and reads the response. reusable
// reports whether ic may carry the next invoke.
func (i *Instance) roundTrip(ctx context.Context, ic *invokeConn, payload []byte) (status int, body []byte, reusable bool, err error) {
	deadline, _ := ctx.Deadline() // zero: none
	if err := ic.c.SetDeadline(deadline); err != nil {
		return 0, nil, false, err
	}
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { _ = ic.c.SetDeadline(aLongTimeAgo) })
		defer stop()
	}

	head := strconv.AppendInt(i.reqHead, int64(len(payload)), 10)
	head = append(head, "\r\n\r\n"...)
	i.reqHead = head[:len(i.reqHead)] // keep a grown buffer for the next invoke
	bufs := net.Buffers{head, payload}
	if _, err := bufs.WriteTo(ic.c); err != nil {
		return 0, nil, false, err
	}

	resp, err := http.ReadResponse(ic.br, nil)
	if err != nil {
		return 0, nil, false, err
	}
	defer resp.Body.Close()
	body, complete, err := readBody(resp)
	if err != nil {
		return 0, nil, false, fmt.Errorf("read response: %w", err)
	}
	return resp.StatusCode, body, complete && !resp.Close && ic.br.Buffered() == 0, nil
}

// readBody reads at most maxInvokeResponse bytes of the body; complete reports
// whether the whole body was read (the connection is then at a message boundary).
func readBody(resp *http.Response) (body []byte, complete bool, err error) {
	if n := resp.ContentLength; n >= 0 && n <= maxInvokeResponse {
		body = make([]byte, n)
		if _, err := io.ReadFull(resp.Body, body); err != nil {
			return nil, false, err
		}
		// Reading to EOF lets the body reader consume its framing.
		var one [1]byte
		if k, err := resp.Body.Read(one[:]); k != 0 || err != io.EOF {
			return body, false, nil
		}
		return body, true, nil
	}
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxInvokeResponse))
	if err != nil {
		return nil, false, err
	}
	if len(body) < maxInvokeResponse {
		return body, true, nil
	}
	return body, false, nil // possibly more: never reuse the connection
}

// Stop terminates the emulator and its bootstrap: SIGTERM to the process
// group, then SIGKILL after a grace period. It is idempotent and safe to call
// concurrently.
func (i *Instance) Stop() error {
	i.stopOnce.Do(func() {
		i.connMu.Lock()
		i.closed = true
		if i.idle != nil {
			_ = i.idle.c.Close()
			i.idle = nil
		}
		i.connMu.Unlock()
		pgid := i.cmd.Process.Pid
		if !i.Alive() {
			// The leader is gone; its group may still hold the bootstrap.
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			return
		}
		if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
			i.stopErr = fmt.Errorf("rie: SIGTERM %d: %w", pgid, err)
		}
		select {
		case <-i.exited:
		case <-time.After(3 * time.Second):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-i.exited
		}
		// Reap anything left in the group (the bootstrap normally exits with RIE).
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	})
	return i.stopErr
}

// loopbackAddrs validates 127.0.0.1 addresses, checks that they are free and
// resolves port 0 to free ports. Ports are probed by binding them (all at
// once, so picked ports differ) and releasing them; the small race with other processes is accepted (the
// emulator then exits and Start reports it).
func loopbackAddrs(addrs ...string) ([]string, error) {
	out := make([]string, len(addrs))
	var probes []net.Listener
	defer func() {
		for _, l := range probes {
			_ = l.Close()
		}
	}()
	for n, addr := range addrs {
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("address %q: %w", addr, err)
		}
		if host != "127.0.0.1" {
			return nil, fmt.Errorf("address %q: host must be 127.0.0.1", addr)
		}
		l, err := net.Listen("tcp", net.JoinHostPort(host, port))
		if err != nil {
			return nil, fmt.Errorf("address %s is not available: %w", addr, err)
		}
		probes = append(probes, l)
		out[n] = l.Addr().String()
	}
	return out, nil
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
