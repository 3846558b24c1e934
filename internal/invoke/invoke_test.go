package invoke

import (
	"context"
	"testing"
	"time"
)

func TestReportColdStart(t *testing.T) {
	ctx, info := WithInfo(context.Background())
	ReportColdStart(ctx, 250*time.Millisecond)
	if info.ColdStart != 250*time.Millisecond {
		t.Fatalf("ColdStart = %v, want 250ms", info.ColdStart)
	}
	// Without an Info in the context, reporting is a no-op.
	ReportColdStart(context.Background(), time.Second)
}
