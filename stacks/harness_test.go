package stacks

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/gobuild"
)

// testCertArn is the placeholder certificate the local mode also uses.
const testCertArn = "arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-0000-0000-000000000000"

// handlerAssetDir holds the stand-in bootstrap, built once per test binary.
var handlerAssetDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "stacks-test-handler-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if _, err := gobuild.Build(context.Background(), gobuild.Options{
		PackageDir: "testdata/handler", OutDir: dir, GOOS: "linux", GOARCH: "arm64",
	}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	handlerAssetDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	jsii.Close()
	os.Exit(code)
}

// ctxMap builds a context getter from a map (absent keys give nil).
func ctxMap(m map[string]any) func(string) any {
	return func(k string) any { return m[k] }
}

// tenantsJSON renders a tenants file.
func tenantsJSON(ts ...Tenant) []byte {
	b, _ := json.Marshal(tenantsDocument{Tenants: ts})
	return b
}

// generatedTenants returns n tenants "t001".. with priorities 10, 20, ...
func generatedTenants(n int) []Tenant {
	ts := make([]Tenant, n)
	for i := range ts {
		ts[i] = Tenant{ID: fmt.Sprintf("tenant-%03d", i+1), Priority: (i + 1) * 10}
	}
	return ts
}

func mustConfig(t testing.TB, ctx map[string]any, tenants []byte) Config {
	t.Helper()
	if _, ok := ctx[CtxCertificateArn]; !ok && ctx[CtxDomainName] == nil {
		ctx[CtxCertificateArn] = testCertArn
	}
	cfg, err := ParseConfig(ctxMap(ctx), "tenants.json", tenants)
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	return cfg
}

// cdkJSONContext returns the "context" of ../cdk.json, so tests synthesize
// with the same feature flags as `cdk synth`.
func cdkJSONContext(t testing.TB) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "cdk.json"))
	if err != nil {
		t.Fatalf("read cdk.json: %v", err)
	}
	var doc struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("parse cdk.json: %v", err)
	}
	return doc.Context
}

// synthesized is one synthesized stack, shared by the subtests that inspect it.
type synthesized struct {
	cfg      Config
	stack    *TenantRoutingStack
	template assertions.Template
	// tpl is the template as plain Go values for cheap inspection.
	tpl map[string]any
}

var (
	synthMu    sync.Mutex
	synthCache = map[string]*synthesized{}
)

// synth builds (once per key) an app with the cdk.json context, the stack for
// cfg and the nag aspect, and synthesizes it.
func synth(t testing.TB, key string, cfg Config) *synthesized {
	t.Helper()
	synthMu.Lock()
	defer synthMu.Unlock()
	if s, ok := synthCache[key]; ok {
		return s
	}
	var s *synthesized
	guard(t, "synthesize "+key, func() {
		app := awscdk.NewApp(&awscdk.AppProps{Context: ptrMap(cdkJSONContext(t))})
		st, err := NewTenantRoutingStack(app, TenantRoutingStackProps{Config: cfg, HandlerAssetDir: handlerAssetDir})
		if err != nil {
			t.Fatalf("NewTenantRoutingStack: %v", err)
		}
		ApplyNag(app)
		tmpl := assertions.Template_FromStack(st.Stack, nil)
		raw, err := json.Marshal(tmpl.ToJSON())
		if err != nil {
			t.Fatalf("marshal template: %v", err)
		}
		var tpl map[string]any
		if err := json.Unmarshal(raw, &tpl); err != nil {
			t.Fatalf("unmarshal template: %v", err)
		}
		s = &synthesized{cfg: cfg, stack: st, template: tmpl, tpl: tpl}
	})
	synthCache[key] = s
	return s
}

func ptrMap(m map[string]any) *map[string]any { return &m }

// guard runs f and turns a jsii panic (failed assertion) into a readable t.Fatal.
func guard(t testing.TB, what string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s: %s", what, shorten(fmt.Sprint(r), 40))
		}
	}()
	f()
}

func shorten(s string, lines int) string {
	parts := strings.Split(s, "\n")
	kept := parts[:0]
	for _, p := range parts {
		// Drop jsii/Node stack frames: they never explain the failure.
		if strings.HasPrefix(strings.TrimSpace(p), "at ") {
			continue
		}
		kept = append(kept, p)
	}
	if len(kept) > lines {
		kept = append(kept[:lines], "...")
	}
	return strings.Join(kept, "\n")
}

// resources returns logical id -> resource for every resource of type typ.
func (s *synthesized) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.tpl["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

// only returns the single resource of type typ.
func (s *synthesized) only(t *testing.T, typ string) (string, map[string]any) {
	t.Helper()
	rs := s.resources(typ)
	if len(rs) != 1 {
		t.Fatalf("want exactly one %s, got %d", typ, len(rs))
	}
	for id, r := range rs {
		return id, r
	}
	return "", nil
}

func (s *synthesized) resourceCount() int { return len(s.tpl["Resources"].(map[string]any)) }

func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

func dependsOn(r map[string]any) []string {
	var out []string
	switch d := r["DependsOn"].(type) {
	case string:
		out = append(out, d)
	case []any:
		for _, e := range d {
			out = append(out, e.(string))
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// asJSON renders v compactly for comparisons and messages.
func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// getAtt / ref build the intrinsic shapes as they appear in the template.
func getAtt(id, attr string) map[string]any { return map[string]any{"Fn::GetAtt": []any{id, attr}} }
func ref(id string) map[string]any          { return map[string]any{"Ref": id} }
