package localmode

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// The console belongs to local mode: progress (one line per step), the ready
// table, one short line per request and each function's own log lines
// prefixed with its tenant (poolConsole). Everything a child process prints
// goes to its own file under <WorkDir>/logs and reaches the console only as
// the tail shown when that child fails.

// tailLines is how many lines of a failed child's log the console shows.
const tailLines = 40

// console serialises writes to the terminal: steps, request lines and
// function lines come from different goroutines.
type console struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

func newConsole(w io.Writer) *console { return &console{w: w, start: time.Now()} }

// step prints one progress line.
func (c *console) step(format string, args ...any) {
	c.printf("[%5.1fs] %s\n", time.Since(c.start).Seconds(), fmt.Sprintf(format, args...))
}

func (c *console) printf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.w, format, args...)
}

// Write lets the console be an io.Writer (the banner).
func (c *console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.w.Write(p)
}

// logFiles creates the per-child log files of one run in dir.
type logFiles struct {
	dir string
	mu  sync.Mutex
	all []*os.File
}

func newLogFiles(dir string) (*logFiles, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("clean %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	return &logFiles{dir: dir}, nil
}

// open creates (or truncates) <dir>/<name>. Files stay open until close.
func (l *logFiles) open(name string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(l.dir, name), os.O_CREATE|os.O_TRUNC|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create log file: %w", err)
	}
	l.mu.Lock()
	l.all = append(l.all, f)
	l.mu.Unlock()
	return f, nil
}

func (l *logFiles) path(name string) string { return filepath.Join(l.dir, name) }

func (l *logFiles) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var first error
	for _, f := range l.all {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	l.all = nil
	return first
}

// childFailed wraps err with the last lines of the child's log file, so that
// the console shows why the child failed without ever showing its output
// while it works.
func childFailed(err error, logPath, repoRoot string) error {
	return fmt.Errorf("%w\n%s", err, logTail(logPath, repoRoot, tailLines))
}

var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;?]*[A-Za-z]")

// logTail formats the last n lines of a log file, colour codes removed.
func logTail(path, repoRoot string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(ansiEscape.ReplaceAllString(string(b), ""), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return fmt.Sprintf("(%s is empty)", rel(repoRoot, path))
	}
	head := fmt.Sprintf("--- last %d lines of %s ---", min(n, len(lines)), rel(repoRoot, path))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return head + "\n" + strings.Join(lines, "\n") + "\n--- end of " + rel(repoRoot, path) + " ---"
}

// lineWriter splits what is written into lines and hands each complete line
// to fn (without its newline). It is safe for concurrent use: a process's
// stdout and stderr may share one.
type lineWriter struct {
	mu      sync.Mutex
	partial []byte
	fn      func(line []byte)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	for {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.partial = append(w.partial, p...)
			return n, nil
		}
		line := p[:i]
		if len(w.partial) > 0 {
			line = append(w.partial, line...)
			w.partial = w.partial[:0]
		}
		w.fn(bytes.TrimSuffix(line, []byte("\r")))
		p = p[i+1:]
	}
}
