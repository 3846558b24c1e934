package localalb

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const assemblyDir = "testdata/assembly"

const (
	nestedA = "TenantANestedStackTenantANestedStackResourceA1B2C3D4"
	nestedB = "TenantBNestedStackTenantBNestedStackResourceA1B2C3D4"
)

func TestLoadAssembly(t *testing.T) {
	asm, err := LoadAssembly(assemblyDir, testResolver())
	if err != nil {
		t.Fatal(err)
	}
	if asm.SharedStack != "TenantRouting" || len(asm.Cells) != 2 || asm.Cells[0].ID != "1" || asm.Cells[1].ID != "2" ||
		asm.Cells[0].StackName != "TenantRouting-Cell-1" {
		t.Fatalf("cells: %+v", asm.Cells)
	}
	wantID := Identity{PoolLogicalID: "UserPool6BA7E5F2", ClientLogicalID: "UserPoolClient2F5918F7",
		Groups: []string{"tenant-A", "tenant-B", "tenant-C"}}
	if !reflect.DeepEqual(identityFacts(t, asm.Identity), wantID) {
		t.Errorf("Identity = %+v, want %+v", asm.Identity, wantID)
	}
	m := asm.Cells[0].Model
	if m.StackName != "TenantRouting-Cell-1" || len(m.Listeners) != 2 || m.Listeners[1].Port != 443 {
		t.Fatalf("cell 1 listeners: %+v", m.Listeners)
	}
	rules := m.Listeners[1].Rules
	if len(rules) != 2 {
		t.Fatalf("cell 1: %d rules on 443, want 2", len(rules))
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"rule A logical id qualified by its nested stack", rules[0].LogicalID, nestedA + "/TenantRule2B3C4D5E"},
		{"rule A priority", rules[0].Priority, 10},
		{"rule A tenant", rules[0].Tenant, "tenant-A"},
		{"rule B tenant", rules[1].Tenant, "tenant-B"},
		{"issuer: Fn::ImportValue of a GetAtt output through a nested parameter", rules[0].Actions[0].JWT.Issuer, testIssuer},
		{"jwks endpoint: Fn::Join over the nested parameter", rules[0].Actions[0].JWT.JWKSEndpoint, testIssuer + "/.well-known/jwks.json"},
		{"client claim: Fn::ImportValue of a Ref output", rules[0].Actions[0].JWT.AdditionalClaims[2].Values, []string{testClientID}},
		{"function env TOKEN_ISSUER", m.Functions[nestedA+"/TenantFunction9A8B7C6D"].Env["TOKEN_ISSUER"], testIssuer},
		{"function env APP_CLIENT_ID", m.Functions[nestedA+"/TenantFunction9A8B7C6D"].Env["APP_CLIENT_ID"], testClientID},
		{"forward target is the nested function", rules[0].Actions[1].TargetGroup.Function, m.Functions[nestedA+"/TenantFunction9A8B7C6D"]},
		{"functions of two nested stacks have distinct names",
			m.Functions[nestedA+"/TenantFunction9A8B7C6D"].Name != m.Functions[nestedB+"/TenantFunction9A8B7C6D"].Name, true},
		{"cell 2 has its own tenant", asm.Cells[1].Model.Listeners[1].Rules[0].Tenant, "tenant-C"},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestAssemblyResolvesAcrossStacks(t *testing.T) {
	a, err := readAssembly(assemblyDir, testResolver())
	if err != nil {
		t.Fatal(err)
	}
	cell1 := a.stacks["TenantRouting-Cell-1"]
	tgA := cell1.children[nestedA].rv
	tgARN, err := tgA.ref("TenantTargetGroup7C8D9E0F")
	if err != nil {
		t.Fatal(err)
	}
	listenerARN, err := cell1.rv.ref("AlbHttpsListener1A2B3C4D")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		stack *asmStack
		expr  string
		want  any
	}{
		{"Fn::ImportValue of a Ref output", cell1, `{"Fn::ImportValue":"TenantRouting:ExportsOutputRefUserPool6BA7E5F2B4EB3F15"}`, testPoolID},
		{"Fn::ImportValue of a GetAtt output", cell1, `{"Fn::ImportValue":"TenantRouting:ExportsOutputFnGetAttUserPool6BA7E5F2ProviderURL9B1D2F3A"}`, testIssuer},
		{"Ref to a nested parameter: the parent's Ref", cell1.children[nestedA], `{"Ref":"referencetoTenantRoutingCell1AlbHttpsListener1A2B3C4DRef"}`, listenerARN},
		{"Ref to a nested parameter: the parent's import", cell1.children[nestedA], `{"Ref":"referencetoTenantRoutingUserPool6BA7E5F2Ref"}`, testPoolID},
		{"Fn::GetAtt Nested.Outputs.X in the parent", cell1, `{"Fn::GetAtt":["` + nestedA + `","Outputs.TenantRoutingCell1TenantANestedTenantTargetGroup7C8D9E0FRef"]}`, tgARN},
		{"pseudo parameter of a cell stack", cell1, `{"Ref":"AWS::StackName"}`, "TenantRouting-Cell-1"},
	}
	for _, tt := range tests {
		var expr any
		if err := decodeJSON([]byte(tt.expr), &expr); err != nil {
			t.Fatal(err)
		}
		got, err := tt.stack.rv.resolve(expr)
		if err != nil || got != tt.want {
			t.Errorf("%s: got %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}

// mutatedAssembly copies the fixture assembly and applies edit to one file.
func mutatedAssembly(t *testing.T, file string, edit func(map[string]any)) string {
	t.Helper()
	return mutatedAssemblyOf(t, assemblyDir, file, edit)
}

// mutatedAssemblyOf copies the assembly in src and applies edit to one file.
func mutatedAssemblyOf(t *testing.T, src, file string, edit func(map[string]any)) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == file {
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			edit(m)
			if b, err = json.Marshal(m); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func resource(m map[string]any, id string) map[string]any {
	return m["Resources"].(map[string]any)[id].(map[string]any)
}

func props(m map[string]any, id string) map[string]any {
	return resource(m, id)["Properties"].(map[string]any)
}

func TestLoadAssemblyErrorsNameStackResourceField(t *testing.T) {
	const cell1 = "TenantRouting-Cell-1.template.json"
	const nestedFileA = "TenantRoutingCell1TenantANested0F1E2D3C.nested.template.json"
	tests := []struct {
		name string
		file string
		edit func(map[string]any)
		want []string
	}{
		{"nested stack without its template file", cell1, func(m map[string]any) {
			delete(resource(m, nestedA)["Metadata"].(map[string]any), "aws:asset:path")
		}, []string{"stack TenantRouting-Cell-1: " + nestedA + " (AWS::CloudFormation::Stack): Metadata.aws:asset:path: required"}},
		{"import nobody exports", cell1, func(m map[string]any) {
			props(m, nestedA)["Parameters"].(map[string]any)["referencetoTenantRoutingUserPool6BA7E5F2ProviderURL"] =
				map[string]any{"Fn::ImportValue": "TenantRouting:NoSuchExport"}
		}, []string{"stack TenantRouting-Cell-1/" + nestedA + ": " + nestedA + "/TenantRule2B3C4D5E (AWS::ElasticLoadBalancingV2::ListenerRule): Actions",
			`Fn::ImportValue "TenantRouting:NoSuchExport": no stack of the cloud assembly exports it`}},
		{"unsupported property in a nested rule", nestedFileA, func(m map[string]any) {
			props(m, "TenantRule2B3C4D5E")["Tags"] = []any{}
		}, []string{"stack TenantRouting-Cell-1/" + nestedA + ": " + nestedA + "/TenantRule2B3C4D5E (AWS::ElasticLoadBalancingV2::ListenerRule): Tags: unsupported property"}},
		{"unsupported intrinsic in a nested function's environment", nestedFileA, func(m map[string]any) {
			props(m, "TenantFunction9A8B7C6D")["Environment"].(map[string]any)["Variables"].(map[string]any)["X"] =
				map[string]any{"Fn::Transform": map[string]any{}}
		}, []string{"stack TenantRouting-Cell-1/" + nestedA + ": " + nestedA + "/TenantFunction9A8B7C6D (AWS::Lambda::Function): Environment: Variables: X: unsupported intrinsic function Fn::Transform"}},
		{"group without a name", nestedFileA, func(m map[string]any) {
			delete(props(m, "TenantGroup5D6E7F80"), "GroupName")
		}, []string{"stack TenantRouting-Cell-1/" + nestedA + ": TenantGroup5D6E7F80 (AWS::Cognito::UserPoolGroup): GroupName"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadAssembly(mutatedAssembly(t, tt.file, tt.edit), testResolver())
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestAssemblyCellServesItsTenants(t *testing.T) {
	checkCellServesItsTenants(t, assemblyDir, testResolver(), nestedB+"/TenantRule2B3C4D5E")
}

// checkCellServesItsTenants serves the first cell of the assembly in dir:
// tenant A's token reaches A with the prefix stripped and is refused on B,
// and the request line names B's tenant and priority (ruleB is B's rule's
// logical id in the structured attributes).
func checkCellServesItsTenants(t *testing.T, dir string, r Resolver, ruleB string) {
	t.Helper()
	asm, err := LoadAssembly(dir, r)
	if err != nil {
		t.Fatal(err)
	}
	env := newModelEnv(t, asm.Cells[0].Model, nil)
	tokA := env.idp.token(t, "tenant-A", nil)
	if resp := env.do(t, 443, "GET", "/tenant-A/orders", bearer(tokA), ""); resp.StatusCode != 200 {
		t.Fatalf("tenant A: status %d", resp.StatusCode)
	}
	if ev := env.fnA.last(t); ev["path"] != "/orders" {
		t.Errorf("path %v", ev["path"])
	}
	if resp := env.do(t, 443, "GET", "/tenant-B/orders", bearer(tokA), ""); resp.StatusCode != 401 {
		t.Fatalf("tenant A's token on tenant B: status %d", resp.StatusCode)
	}
	if line := lastLogLine(t, env.logs.String()); line["msg"] != "GET /tenant-B/orders 401 tenant=tenant-B rule=prio-20" ||
		line["rule"] != ruleB {
		t.Errorf("log line %v", line)
	}
}

func TestReadAssemblyIdentity(t *testing.T) {
	id, err := ReadAssemblyIdentity(assemblyDir, Resolver{})
	if err != nil {
		t.Fatal(err)
	}
	want := Identity{PoolLogicalID: "UserPool6BA7E5F2", ClientLogicalID: "UserPoolClient2F5918F7",
		Groups: []string{"tenant-A", "tenant-B", "tenant-C"}}
	if !reflect.DeepEqual(identityFacts(t, id), want) {
		t.Errorf("got %+v, want %+v", id, want)
	}
}

func TestReadTemplate(t *testing.T) {
	tp, err := ReadTemplate(readTemplate(t))
	if err != nil {
		t.Fatal(err)
	}
	pools := tp.Resources("AWS::Cognito::UserPool")
	if len(pools) != 1 || pools[0].LogicalID != "UserPool6BA7E5F2" {
		t.Fatalf("pools %+v", pools)
	}
	var fn struct {
		MemorySize  int
		Environment struct{ Variables map[string]any }
	}
	fns := tp.Resources("AWS::Lambda::Function")
	if len(fns) != 2 {
		t.Fatalf("functions %+v", fns)
	}
	if err := fns[0].DecodeProperties(&fn); err != nil {
		t.Fatal(err)
	}
	if fn.MemorySize != 256 || fn.Environment.Variables["TENANT_ID"] != "tenant-A" {
		t.Errorf("decoded %+v", fn)
	}
	if _, ok := fn.Environment.Variables["POOL"].(map[string]any); !ok {
		t.Errorf("an intrinsic is not decoded as written: %#v", fn.Environment.Variables["POOL"])
	}
}

// identityFacts returns the ids and groups of id, after checking that its
// Pool and Client resources are the ones the ids name.
func identityFacts(t *testing.T, id Identity) Identity {
	t.Helper()
	if id.Pool.LogicalID != id.PoolLogicalID || id.Pool.Type != "AWS::Cognito::UserPool" ||
		id.Client.LogicalID != id.ClientLogicalID || id.Client.Type != "AWS::Cognito::UserPoolClient" {
		t.Errorf("identity resources: pool %s %s, client %s %s", id.Pool.LogicalID, id.Pool.Type, id.Client.LogicalID, id.Client.Type)
	}
	return Identity{PoolLogicalID: id.PoolLogicalID, ClientLogicalID: id.ClientLogicalID, Groups: id.Groups}
}
