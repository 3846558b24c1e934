// Package localproc runs the child processes of local mode (the Lambda
// runtime emulators, cognito-local): each in its own process group, killed by
// the kernel if this process dies (Linux), stopped with SIGTERM then SIGKILL
// after a grace period, its output appended to a log file chosen by the caller
// with a bounded tail kept for error messages. It also holds the free-port
// checks that every listener of local mode shares.
package localproc

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Defaults used by Start.
const (
	DefaultGrace    = 3 * time.Second
	DefaultTailSize = 4 << 10
)

// Options describe one child process.
type Options struct {
	// Name names the process in errors, e.g. "cognito-local".
	Name string
	// Path is the executable, Args its arguments (without argv[0]).
	Path string
	Args []string
	// Dir is the working directory (default: the current one).
	Dir string
	// Env is the complete environment (nil: this process's environment).
	Env []string
	// LogFile, when set, receives stdout and stderr (appended; the file and
	// its directory are created with modes 0600/0700). The child writes to it
	// directly when no Output is given.
	LogFile string
	// Output, when set, receives a copy of stdout and stderr as well.
	Output io.Writer
	// Grace is how long Stop waits after SIGTERM before SIGKILL (default 3 s).
	Grace time.Duration
	// TailSize is how many bytes of the latest output Tail returns (default 4 KiB).
	TailSize int
}

// OutputOf returns one writer for Options.Output from the separate stdout and
// stderr writers of a caller's options: the one that is set, or both; nil if
// neither is.
func OutputOf(stdout, stderr io.Writer) io.Writer {
	switch {
	case stdout == nil:
		return stderr
	case stderr == nil || stderr == stdout:
		return stdout
	default:
		return io.MultiWriter(stdout, stderr)
	}
}

// Process is one running child.
type Process struct {
	name  string
	cmd   *exec.Cmd
	grace time.Duration

	log       *os.File // nil without LogFile
	logOffset int64    // size of LogFile when the child started
	tailSize  int
	tail      *tailBuffer // nil with LogFile: the tail is read from the file

	exited  chan struct{} // closed when the process has been reaped
	waitErr error         // valid after exited is closed

	stopOnce sync.Once
	stopErr  error
}

// Start starts the child in its own process group. The caller must call Stop.
func Start(o Options) (*Process, error) {
	if o.Path == "" {
		return nil, errors.New("localproc: Path is required")
	}
	name := o.Name
	if name == "" {
		name = filepath.Base(o.Path)
	}
	p := &Process{name: name, grace: o.Grace, tailSize: o.TailSize, exited: make(chan struct{})}
	if p.grace <= 0 {
		p.grace = DefaultGrace
	}
	if p.tailSize <= 0 {
		p.tailSize = DefaultTailSize
	}
	cmd := exec.Command(o.Path, o.Args...)
	cmd.Dir = o.Dir
	cmd.Env = o.Env
	var out io.Writer
	if o.LogFile != "" {
		f, off, err := openLog(o.LogFile)
		if err != nil {
			return nil, fmt.Errorf("localproc: %s: %w", name, err)
		}
		p.log, p.logOffset = f, off
		out = f
	} else {
		p.tail = &tailBuffer{max: p.tailSize}
		out = p.tail
	}
	if o.Output != nil {
		out = io.MultiWriter(out, o.Output)
	}
	cmd.Stdout, cmd.Stderr = out, out
	// A grandchild that keeps the output pipe open must not keep Wait (and
	// so Exited) blocked once the child itself has exited.
	cmd.WaitDelay = time.Second
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setParentDeathSignal(cmd.SysProcAttr)
	if err := cmd.Start(); err != nil {
		p.closeLog()
		return nil, fmt.Errorf("localproc: start %s (%s): %w", name, o.Path, err)
	}
	p.cmd = cmd
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

func openLog(path string) (*os.File, int64, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, 0, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

// Pid is the child's process id, also its process group id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Name is the name given in Options (or the executable's base name).
func (p *Process) Name() string { return p.name }

// Exited is closed when the child has exited and been reaped.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Alive reports whether the child is still running.
func (p *Process) Alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// ExitError is how the child ended (nil for exit status 0); valid once
// Exited is closed, nil before.
func (p *Process) ExitError() error {
	select {
	case <-p.exited:
		return p.waitErr
	default:
		return nil
	}
}

// LogFile is the path of the log file, "" without one.
func (p *Process) LogFile() string {
	if p.log == nil {
		return ""
	}
	return p.log.Name()
}

// Tail returns at most TailSize bytes of the child's latest output.
func (p *Process) Tail() string {
	if p.tail != nil {
		return p.tail.String()
	}
	f, err := os.Open(p.log.Name())
	if err != nil {
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	from := max(p.logOffset, fi.Size()-int64(p.tailSize))
	if from >= fi.Size() {
		return ""
	}
	b := make([]byte, fi.Size()-from)
	n, _ := f.ReadAt(b, from)
	return string(b[:n])
}

// Kill sends SIGKILL to the child's whole process group at once.
func (p *Process) Kill() { signalGroup(p.Pid(), syscall.SIGKILL) }

// Stop sends SIGTERM to the process group, waits up to the grace period,
// then sends SIGKILL, and finally SIGKILL again to whatever is left in the
// group (grandchildren) and waits until the group is empty. It is idempotent and safe to call concurrently; it
// returns nil when the child ended, whatever its exit status.
func (p *Process) Stop() error {
	p.stopOnce.Do(func() {
		p.stopErr = p.stop()
		p.closeLog()
	})
	return p.stopErr
}

func (p *Process) stop() error {
	pgid := p.Pid()
	defer reapGroup(pgid) // leftovers in the group, if any
	if !p.Alive() {
		return nil
	}
	signalGroup(pgid, syscall.SIGTERM)
	timer := time.NewTimer(p.grace)
	defer timer.Stop()
	select {
	case <-p.exited:
		return nil
	case <-timer.C:
	}
	signalGroup(pgid, syscall.SIGKILL)
	select {
	case <-p.exited:
		return nil
	case <-time.After(5 * time.Second):
		return fmt.Errorf("localproc: %s (pid %d) did not exit after SIGKILL", p.name, pgid)
	}
}

func (p *Process) closeLog() {
	if p.log != nil {
		_ = p.log.Close()
	}
}

// reapGroup SIGKILLs what is left in the process group and waits (up to 2 s)
// until the kernel reports the group empty, so that a caller that stopped a
// child can rely on none of its processes being left.
func reapGroup(pgid int) {
	signalGroup(pgid, syscall.SIGKILL)
	for wait := time.Millisecond; wait < 2*time.Second; wait *= 2 {
		if !GroupAlive(pgid) {
			return
		}
		time.Sleep(wait)
	}
}

// GroupAlive reports whether process group pgid has a member that is not a
// zombie. (A zombie has exited; it only waits to be reaped by its parent, or
// by init, which in some containers does so late.)
func GroupAlive(pgid int) bool {
	if syscall.Kill(-pgid, 0) != nil {
		return false
	}
	return groupHasLiveMember(pgid)
}

func signalGroup(pgid int, sig syscall.Signal) {
	if pgid > 0 {
		_ = syscall.Kill(-pgid, sig)
	}
}
