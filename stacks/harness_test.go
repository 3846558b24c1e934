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
	"github.com/aws/jsii-runtime-go"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/gobuild"
)

// testCertArn is the placeholder certificate the local mode also uses.
const testCertArn = contract.PlaceholderCertificateARN

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
	for _, a := range synthCache {
		os.RemoveAll(a.dir)
	}
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

// generatedTenants returns n tenants "tenant-001".. with priorities 10, 20, ...
// in cell "1".
func generatedTenants(n int) []Tenant {
	ts := make([]Tenant, n)
	for i := range ts {
		ts[i] = Tenant{ID: fmt.Sprintf("tenant-%03d", i+1), Priority: (i + 1) * 10}
	}
	return ts
}

// cellTenants spreads n tenants over cells of at most perCell tenants
// ("1", "2", ...), priorities 10, 20, ... within each cell.
func cellTenants(n, perCell int) []Tenant {
	ts := make([]Tenant, n)
	for i := range ts {
		ts[i] = Tenant{ID: fmt.Sprintf("tenant-%04d", i+1), Priority: (i%perCell + 1) * 10, Cell: fmt.Sprint(i/perCell + 1)}
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

// cdkJSONContext returns the "context" of ../cdk.json and the version
// reporting key the CLI adds, so tests synthesize with the same feature flags
// as `cdk synth`.
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
	// As `cdk synth` and `cdk deploy` run the app (the CLI adds this key unless
	// --no-version-reporting): TestNoCDKMetadataResource must see what a
	// deployment gets.
	doc.Context[versionReportingContext] = true
	return doc.Context
}

// template is one synthesized template file as plain Go values.
type template struct {
	file string
	raw  []byte
	tpl  map[string]any
}

// synthesized is one synthesized app (shared stack, cell stacks, nested
// stacks) in its output directory, shared by the tests that inspect it.
type synthesized struct {
	cfg    Config
	dir    string
	shared *template
	// cells: cell id -> cell stack template; nested: cell id -> tenant id -> template.
	cells  map[string]*template
	nested map[string]map[string]*template
	// files: every *.template.json file name -> template.
	files map[string]*template
}

var (
	synthMu    sync.Mutex
	synthCache = map[string]*synthesized{}
)

// synth builds (once per key) the app main builds for cfg (shared stack, one
// stack per cell, cdk-nag) with the cdk.json context and synthesizes it into
// a temporary directory.
func synth(t testing.TB, key string, cfg Config) *synthesized {
	t.Helper()
	synthMu.Lock()
	defer synthMu.Unlock()
	if s, ok := synthCache[key]; ok {
		return s
	}
	s, err := synthApp(cfg, cdkJSONContext(t))
	if err != nil {
		t.Fatalf("synthesize %s: %v", key, err)
	}
	synthCache[key] = s
	return s
}

// synthApp does what main does and reads the output back.
func synthApp(cfg Config, ctx map[string]any) (s *synthesized, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("jsii: %s", shorten(fmt.Sprint(r), 40))
		}
	}()
	dir, err := os.MkdirTemp("", "stacks-synth-")
	if err != nil {
		return nil, err
	}
	handler, err := NewHandlerAsset(handlerAssetDir)
	if err != nil {
		return nil, err
	}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(dir)})
	shared, err := NewSharedStack(app, SharedStackProps{Config: cfg})
	if err != nil {
		return nil, err
	}
	s = &synthesized{cfg: cfg, dir: dir, cells: map[string]*template{}, nested: map[string]map[string]*template{}, files: map[string]*template{}}
	nestedFiles := map[string]map[string]string{}
	for _, cell := range cfg.Cells {
		cs, err := NewCellStack(app, CellStackProps{Config: cfg, Cell: cell, Shared: shared, Handler: handler})
		if err != nil {
			return nil, err
		}
		nestedFiles[cell.ID] = map[string]string{}
		for _, ts := range cs.tenants {
			nestedFiles[cell.ID][ts.Tenant.ID] = *ts.Stack.TemplateFile()
		}
	}
	// STACKS_BENCH_NO_NAG=1 measures synthesis without cdk-nag (BenchmarkSynth
	// breakdown only; the tests always run it).
	if os.Getenv("STACKS_BENCH_NO_NAG") == "" {
		ApplyNag(app)
	}
	app.Synth(nil)

	names, err := filepath.Glob(filepath.Join(dir, "*.template.json"))
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		raw, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		tp := &template{file: filepath.Base(name), raw: raw}
		if err := json.Unmarshal(raw, &tp.tpl); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		s.files[tp.file] = tp
	}
	var ok bool
	if s.shared, ok = s.files[cfg.StackName+".template.json"]; !ok {
		return nil, fmt.Errorf("no template for the shared stack %s", cfg.StackName)
	}
	for _, cell := range cfg.Cells {
		if s.cells[cell.ID], ok = s.files[cell.StackName+".template.json"]; !ok {
			return nil, fmt.Errorf("no template for the cell stack %s", cell.StackName)
		}
		s.nested[cell.ID] = map[string]*template{}
		for tenant, file := range nestedFiles[cell.ID] {
			if s.nested[cell.ID][tenant], ok = s.files[file]; !ok {
				return nil, fmt.Errorf("no nested template %s for tenant %s", file, tenant)
			}
		}
	}
	return s, nil
}

// nagFindings returns every unsuppressed cdk-nag finding of the app.
func (s *synthesized) nagFindings(t *testing.T) []string {
	t.Helper()
	findings, err := assemblyNagFindings(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	return findings
}

// assemblyNagFindings reads the cloud assembly in dir (manifest.json and the
// stacks' metadata files) and returns every cdk-nag error or warning
// annotation as "path: message". ApplyNag writes no report files: an
// unsuppressed finding is an annotation on the resource, recorded in the
// metadata of the stack artifact that holds it (a nested stack's resources
// in its parent's).
func assemblyNagFindings(dir string) ([]string, error) {
	type entry struct {
		Type string `json:"type"`
		Data any    `json:"data"`
	}
	var manifest struct {
		Artifacts map[string]struct {
			Type                   string             `json:"type"`
			Metadata               map[string][]entry `json:"metadata"`
			AdditionalMetadataFile string             `json:"additionalMetadataFile"`
		} `json:"artifacts"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	var findings []string
	stacks := 0
	for name, a := range manifest.Artifacts {
		if a.Type != "aws:cloudformation:stack" {
			continue
		}
		stacks++
		metadata := map[string][]entry{}
		for path, es := range a.Metadata {
			metadata[path] = append(metadata[path], es...)
		}
		if a.AdditionalMetadataFile != "" {
			raw, err := os.ReadFile(filepath.Join(dir, a.AdditionalMetadataFile))
			if err != nil {
				return nil, fmt.Errorf("artifact %s: %w", name, err)
			}
			var more map[string][]entry
			if err := json.Unmarshal(raw, &more); err != nil {
				return nil, fmt.Errorf("%s: %w", a.AdditionalMetadataFile, err)
			}
			for path, es := range more {
				metadata[path] = append(metadata[path], es...)
			}
		}
		for path, es := range metadata {
			for _, e := range es {
				msg, _ := e.Data.(string)
				if (e.Type == "aws:cdk:error" || e.Type == "aws:cdk:warning") &&
					(strings.HasPrefix(msg, "AwsSolutions-") || strings.HasPrefix(msg, "CdkNagValidationFailure")) {
					findings = append(findings, path+": "+strings.TrimSpace(msg))
				}
			}
		}
	}
	if stacks == 0 {
		return nil, fmt.Errorf("%s: the assembly has no stack artifact", dir)
	}
	sort.Strings(findings)
	return findings, nil
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
func (tp *template) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range tp.tpl["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

// only returns the single resource of type typ.
func (tp *template) only(t *testing.T, typ string) (string, map[string]any) {
	t.Helper()
	rs := tp.resources(typ)
	if len(rs) != 1 {
		t.Fatalf("%s: want exactly one %s, got %d", tp.file, typ, len(rs))
	}
	for id, r := range rs {
		return id, r
	}
	return "", nil
}

func (tp *template) resourceCount() int { return len(tp.tpl["Resources"].(map[string]any)) }

// outputs returns the output keys, without the ones CDK adds for references
// (they carry no description and are read by Fn::GetStackOutput or exports).
func (tp *template) outputs() map[string]map[string]any {
	out := map[string]map[string]any{}
	outs, _ := tp.tpl["Outputs"].(map[string]any)
	for k, v := range outs {
		if strings.HasPrefix(k, "PublishOutput") || strings.HasPrefix(k, "ExportsOutput") {
			continue
		}
		out[k] = v.(map[string]any)
	}
	return out
}

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

// ref builds the intrinsic shape as it appears in the template.
func ref(id string) map[string]any { return map[string]any{"Ref": id} }

// sharedRef is how a cell or nested template reads Ref logicalID of the
// shared stack: cdk.json's "weak" cross-stack references make CDK publish
// an output in the shared stack and read it with Fn::GetStackOutput.
func (s *synthesized) sharedRef(t *testing.T, logicalID string) map[string]any {
	t.Helper()
	outs, _ := s.shared.tpl["Outputs"].(map[string]any)
	for name, o := range outs {
		if strings.HasPrefix(name, "PublishOutput") && asJSON(o.(map[string]any)["Value"]) == asJSON(ref(logicalID)) {
			return map[string]any{"Fn::GetStackOutput": map[string]any{
				"StackName": s.cfg.StackName, "Region": ref("AWS::Region"), "OutputName": name,
			}}
		}
	}
	t.Fatalf("the shared stack publishes no output for %s", logicalID)
	return nil
}
