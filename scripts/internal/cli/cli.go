// Package cli is what the mains of the scripts/ tools share: a context that
// ends on Ctrl-C or SIGTERM, and a flag set whose parse errors give the
// tools' exit statuses (0 after --help, 2 for a usage error).
package cli

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Main runs run with a context that is cancelled on SIGINT or SIGTERM, and
// exits the process with the status run returns.
func Main(run func(ctx context.Context) int) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx)
	stop()
	os.Exit(code)
}

// NewFlagSet returns a flag set for the tool name that reports errors and
// usage to stderr and returns them from Parse.
func NewFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// Parse parses args with fs. When ok is false the tool stops with code: 0
// after -h or --help, 2 for any other error (fs has reported it already).
func Parse(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	return 0, true
}
