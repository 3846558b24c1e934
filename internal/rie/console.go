package rie

import (
	"bytes"
	"io"
	"regexp"
	"sync"
)

// functionLines is the writer a Pool gives each emulator's output: it copies
// the function's own log lines to the console, prefixed with "[<name>] ", as
// `sam local` shows them, and drops the emulator's "(rapid)" lines and the
// START/END/REPORT frame around each invoke (all of which stay in the
// function's log file).
type functionLines struct {
	prefix  []byte
	console io.Writer
	mu      *sync.Mutex // shared by every function writing to console
	partial []byte
}

// maxLine bounds a line kept while waiting for its end.
const maxLine = 64 << 10

var emulatorLine = regexp.MustCompile(`^(\d{2} \w{3} \d{4} [\d:,]+ \[\w+\] \(rapid\) |(START|END|REPORT|INIT_START|INIT_REPORT) RequestId: |(START|END|REPORT|INIT_START|INIT_REPORT) )`)

func (f *functionLines) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			f.partial = append(f.partial, p...)
			if len(f.partial) > maxLine {
				f.emit(f.partial)
				f.partial = f.partial[:0]
			}
			break
		}
		line := p[:i]
		if len(f.partial) > 0 {
			f.partial = append(f.partial, line...)
			line = f.partial
		}
		f.emit(line)
		f.partial = f.partial[:0]
		p = p[i+1:]
	}
	return n, nil
}

func (f *functionLines) emit(line []byte) {
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) == 0 || emulatorLine.Match(line) {
		return
	}
	out := make([]byte, 0, len(f.prefix)+len(line)+1)
	out = append(append(append(out, f.prefix...), line...), '\n')
	f.mu.Lock()
	defer f.mu.Unlock()
	_, _ = f.console.Write(out)
}
