package localalb

import (
	"reflect"
	"strings"
	"testing"
)

// cdkAssemblyDir is a real `cdk synth` of the default tenants file (two
// tenants in cell 1): manifest.json and the templates, copied as CDK wrote
// them (no asset directories: the local runtime runs the local build). Its
// cross-stack values are CDK's weak references (Fn::GetStackOutput).
const cdkAssemblyDir = "testdata/cdk-assembly"

const (
	cdkPool     = "IdentityUserPool96FE3B9B"
	cdkClient   = "IdentityUserPoolSpaClient33F8E0A2"
	cdkNestedA  = "TenantTenantANestedStackTenantTenantANestedStackResource2B5A1A93"
	cdkNestedB  = "TenantTenantBNestedStackTenantTenantBNestedStackResource70352056"
	cdkCell1    = "TenantRouting-Cell-1.template.json"
	cdkNestedAF = "TenantRoutingCell1TenantTenantA2F8FF734.nested.template.json"
)

func cdkResolver() Resolver {
	return Resolver{Region: testRegion, Refs: map[string]string{cdkPool: testPoolID, cdkClient: testClientID}}
}

func TestLoadCDKAssembly(t *testing.T) {
	asm, err := LoadAssembly(cdkAssemblyDir, cdkResolver())
	if err != nil {
		t.Fatal(err)
	}
	if len(asm.Cells) != 1 || asm.Cells[0].ID != "1" || asm.Cells[0].StackName != "TenantRouting-Cell-1" {
		t.Fatalf("cells: %+v", asm.Cells)
	}
	wantID := Identity{PoolLogicalID: cdkPool, ClientLogicalID: cdkClient, Groups: []string{"tenant-A", "tenant-B"}}
	if !reflect.DeepEqual(identityFacts(t, asm.Identity), wantID) {
		t.Errorf("Identity = %+v, want %+v", asm.Identity, wantID)
	}
	m := asm.Cells[0].Model
	if len(m.Listeners) != 2 || m.Listeners[0].Port != 80 || m.Listeners[1].Port != 443 {
		t.Fatalf("listeners: %+v", m.Listeners)
	}
	rules := m.Listeners[1].Rules
	if len(rules) != 2 {
		t.Fatalf("%d rules on 443, want 2", len(rules))
	}
	var tenants []string
	var prios []int
	for _, r := range rules {
		tenants, prios = append(tenants, r.Tenant), append(prios, r.Priority)
	}
	if !reflect.DeepEqual(tenants, []string{"tenant-A", "tenant-B"}) || !reflect.DeepEqual(prios, []int{10, 20}) {
		t.Errorf("rules by priority: tenants %v, priorities %v", tenants, prios)
	}
	jwt := rules[0].Actions[0].JWT
	if jwt == nil || jwt.Issuer != testIssuer || jwt.JWKSEndpoint != testIssuer+"/.well-known/jwks.json" {
		t.Errorf("jwt-validation: %+v", jwt)
	}
	if len(m.Functions) != 2 {
		t.Fatalf("functions: %v", m.Functions)
	}
	names := map[string]bool{}
	for key, fn := range m.Functions {
		want := map[string]string{"TENANT_ID": fn.Env["TENANT_ID"], "TOKEN_ISSUER": testIssuer, "APP_CLIENT_ID": testClientID}
		if !reflect.DeepEqual(fn.Env, want) || !strings.HasPrefix(fn.Env["TENANT_ID"], "tenant-") {
			t.Errorf("%s: env %v", key, fn.Env)
		}
		if len(fn.Name) > 64 || names[fn.Name] {
			t.Errorf("%s: function name %q (too long or not unique)", key, fn.Name)
		}
		names[fn.Name] = true
	}
	if fn := rules[1].Actions[1].TargetGroup.Function; fn != m.Functions[cdkNestedB+"/Function"] || fn.Env["TENANT_ID"] != "tenant-B" {
		t.Errorf("tenant-B's rule forwards to %+v", fn)
	}
}

func TestReadCDKAssemblyIdentity(t *testing.T) {
	id, err := ReadAssemblyIdentity(cdkAssemblyDir, Resolver{})
	if err != nil {
		t.Fatal(err)
	}
	if id.PoolLogicalID != cdkPool || id.ClientLogicalID != cdkClient || !reflect.DeepEqual(id.Groups, []string{"tenant-A", "tenant-B"}) {
		t.Errorf("identity %+v", id)
	}
	var client struct {
		AccessTokenValidity int
		ExplicitAuthFlows   []string
	}
	if err := id.Client.DecodeProperties(&client); err != nil || client.AccessTokenValidity != 60 || len(client.ExplicitAuthFlows) != 3 {
		t.Errorf("client properties %+v, %v", client, err)
	}
}

func TestCDKAssemblyCellServesItsTenants(t *testing.T) {
	checkCellServesItsTenants(t, cdkAssemblyDir, cdkResolver(), cdkNestedB+"/Rule")
}

// getStackOutputOf returns the Fn::GetStackOutput argument of tenant A's
// APP_CLIENT_ID.
func getStackOutputOf(m map[string]any) map[string]any {
	vars := props(m, "Function")["Environment"].(map[string]any)["Variables"].(map[string]any)
	return vars["APP_CLIENT_ID"].(map[string]any)["Fn::GetStackOutput"].(map[string]any)
}

func TestGetStackOutputErrors(t *testing.T) {
	const where = "stack TenantRouting-Cell-1/" + cdkNestedA + ": " + cdkNestedA + "/Function (AWS::Lambda::Function): Environment: Variables: APP_CLIENT_ID: "
	tests := []struct {
		name string
		edit func(arg map[string]any)
		want string
	}{
		{"RoleArn: cross-account", func(a map[string]any) { a["RoleArn"] = "arn:aws:iam::210987654321:role/reader" },
			"Fn::GetStackOutput: RoleArn: a cross-account reference is not emulated"},
		{"a stack the assembly lacks", func(a map[string]any) { a["StackName"] = "Other" },
			`Fn::GetStackOutput: StackName "Other" is not a stack of the cloud assembly (TenantRouting, TenantRouting-Cell-1)`},
		{"an output the stack lacks", func(a map[string]any) { a["OutputName"] = "Nope" },
			`Fn::GetStackOutput: OutputName "Nope": stack TenantRouting has no such output`},
		{"another region", func(a map[string]any) { a["Region"] = "eu-west-1" },
			`Fn::GetStackOutput: Region "eu-west-1": a cross-region reference is not emulated (the local region is us-east-1)`},
		{"no StackName", func(a map[string]any) { delete(a, "StackName") }, "Fn::GetStackOutput: StackName: required"},
		{"no OutputName", func(a map[string]any) { delete(a, "OutputName") }, "Fn::GetStackOutput: OutputName: required"},
		{"unknown key", func(a map[string]any) { a["Account"] = "1" }, "Fn::GetStackOutput: unknown key Account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := mutatedAssemblyOf(t, cdkAssemblyDir, cdkNestedAF, func(m map[string]any) { tt.edit(getStackOutputOf(m)) })
			_, err := LoadAssembly(dir, cdkResolver())
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), where+tt.want) {
				t.Errorf("error lacks %q:\n%v", where+tt.want, err)
			}
		})
	}
}

func TestGetStackOutputResolves(t *testing.T) {
	a, err := readAssembly(cdkAssemblyDir, cdkResolver())
	if err != nil {
		t.Fatal(err)
	}
	cell1 := a.stacks["TenantRouting-Cell-1"]
	tests := []struct {
		name  string
		stack *asmStack
		expr  string
		want  any
	}{
		{"in a cell stack", cell1,
			`{"Fn::GetStackOutput":{"StackName":"TenantRouting","Region":{"Ref":"AWS::Region"},"OutputName":"PublishOutputRefIdentityUserPool96FE3B9BDA071580"}}`, testPoolID},
		{"in a nested stack, without Region", cell1.children[cdkNestedA],
			`{"Fn::GetStackOutput":{"StackName":"TenantRouting","OutputName":"PublishOutputRefIdentityUserPoolSpaClient33F8E0A2D73398BA"}}`, testClientID},
		{"an output that is itself an expression", cell1,
			`{"Fn::GetStackOutput":{"StackName":"TenantRouting","Region":"us-east-1","OutputName":"Issuer"}}`, testIssuer},
		{"StackName through an intrinsic", cell1,
			`{"Fn::GetStackOutput":{"StackName":{"Fn::Join":["",["Tenant","Routing"]]},"OutputName":"Region"}}`, testRegion},
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

func TestGetStackOutputNeedsAnAssembly(t *testing.T) {
	rv := newResolver(Resolver{}, &cfnTemplate{})
	_, err := rv.resolve(map[string]any{"Fn::GetStackOutput": map[string]any{"StackName": "TenantRouting", "OutputName": "Region"}})
	if err == nil || !strings.Contains(err.Error(), "LoadAssembly") {
		t.Errorf("err = %v", err)
	}
}
