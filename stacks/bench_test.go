package stacks

import (
	"fmt"
	"os"
	"testing"
)

// BenchmarkSynth measures one full in-process synthesis as main does it
// (shared stack, one stack per cell with one nested stack per tenant,
// cdk-nag, templates written to a directory) for 2, 100 and 1,000 tenants
// (cells filled to capacity: 1,000 tenants = 11 cells), and reports the
// per-tenant cost and the template count.
//
//	go test ./stacks -run '^$' -bench BenchmarkSynth -benchtime 1x -timeout 60m
//
// STACKS_BENCH_NO_NAG=1 leaves cdk-nag out, to see its share.
func BenchmarkSynth(b *testing.B) {
	ctx := cdkJSONContext(b)
	perCell := mustConfig(b, map[string]any{}, tenantsJSON(generatedTenants(1)...)).CellCapacity()
	// Warm up the jsii kernel (Node start, aws-cdk-lib load, JIT) outside the
	// measurements, so the first case does not pay for it.
	if s, err := synthApp(mustConfig(b, map[string]any{}, tenantsJSON(generatedTenants(2)...)), ctx); err != nil {
		b.Fatal(err)
	} else {
		os.RemoveAll(s.dir)
	}
	for _, n := range []int{2, 100, 1000} {
		cfg := mustConfig(b, map[string]any{}, tenantsJSON(cellTenants(n, perCell)...))
		b.Run(fmt.Sprintf("tenants=%d", n), func(b *testing.B) {
			var templates int
			for b.Loop() {
				s, err := synthApp(cfg, ctx)
				if err != nil {
					b.Fatal(err)
				}
				templates = len(s.files)
				os.RemoveAll(s.dir)
			}
			b.ReportMetric(float64(len(cfg.Cells)), "cells")
			b.ReportMetric(float64(templates), "templates")
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/float64(n), "ms/tenant")
		})
	}
}
