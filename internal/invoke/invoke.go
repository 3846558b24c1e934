// Package invoke carries what an invoker learned about one Lambda invocation
// back to the caller that logs the request, without the two packages
// importing each other: the local ALB (internal/localalb) attaches an Info to
// the request's context, the runtime pool (internal/rie) fills it in.
package invoke

import (
	"context"
	"time"
)

// Info describes one invocation.
type Info struct {
	// ColdStart is how long starting the function's runtime took before this
	// invocation could run; zero when a warm runtime served it.
	ColdStart time.Duration
}

type infoKey struct{}

// WithInfo returns a context carrying a fresh Info, and that Info.
func WithInfo(ctx context.Context) (context.Context, *Info) {
	info := &Info{}
	return context.WithValue(ctx, infoKey{}, info), info
}

// ReportColdStart records a cold start of duration d on the Info in ctx, if any.
func ReportColdStart(ctx context.Context, d time.Duration) {
	if info, ok := ctx.Value(infoKey{}).(*Info); ok {
		info.ColdStart = d
	}
}
