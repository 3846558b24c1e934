package stacks

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/gobuild"
)

// BenchmarkSynth measures one full synthesis (app, stack, cdk-nag, template)
// for 2, 25 and the maximum number of tenants, as `cdk synth` does it, and
// reports the CloudFormation resource count and the size of the real tenant
// handler's bootstrap (../lambda, linux/arm64).
//
//	go test ./stacks -run '^$' -bench BenchmarkSynth -benchtime 3x
func BenchmarkSynth(b *testing.B) {
	assetDir, size := benchHandler(b)
	// Warm up the jsii kernel (Node start, aws-cdk-lib load, JIT) outside the
	// measurements, so the first case does not pay for it.
	synthOnce(b, mustConfig(b, map[string]any{}, tenantsJSON(generatedTenants(2)...)), assetDir)
	for _, n := range []int{2, 25, maxTenants(CertificateImported)} {
		cfg := mustConfig(b, map[string]any{}, tenantsJSON(generatedTenants(n)...))
		b.Run(fmt.Sprintf("tenants=%d", n), func(b *testing.B) {
			var resources int
			for b.Loop() {
				resources = synthOnce(b, cfg, assetDir)
			}
			b.ReportMetric(float64(resources), "resources")
			b.ReportMetric(float64(size)/(1<<20), "bootstrap-MB")
		})
	}
}

// synthOnce does what main does (stack, nag, synth) and returns the resource count.
func synthOnce(b *testing.B, cfg Config, assetDir string) int {
	app := awscdk.NewApp(&awscdk.AppProps{Context: ptrMap(cdkJSONContext(b))})
	st, err := NewTenantRoutingStack(app, TenantRoutingStackProps{Config: cfg, HandlerAssetDir: assetDir})
	if err != nil {
		b.Fatal(err)
	}
	ApplyNag(app)
	tpl := assertions.Template_FromStack(st.Stack, nil).ToJSON()
	return len((*tpl)["Resources"].(map[string]any))
}

// benchHandler builds the real handler once (falling back to the stand-in if
// ./lambda does not build yet) and returns its asset dir and binary size.
func benchHandler(b *testing.B) (string, int64) {
	b.Helper()
	out := b.TempDir()
	pkg := filepath.Join("..", "lambda")
	path, err := gobuild.Build(context.Background(), gobuild.Options{PackageDir: pkg, OutDir: out})
	if err != nil {
		b.Logf("real handler does not build (%v); measuring the stand-in", err)
		if path, err = gobuild.Build(context.Background(), gobuild.Options{PackageDir: "testdata/handler", OutDir: out}); err != nil {
			b.Fatal(err)
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return out, st.Size()
}
