package localmode

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/localalb"
)

func TestPlaceCellsOrdersNumericIdsFirstAndAssignsPorts(t *testing.T) {
	var cells []*Cell
	for _, id := range []string{"eu-1", "10", "2", "a", "1"} {
		cells = append(cells, &Cell{ID: id})
	}
	placeCells(cells, 8443, 9080)
	var got []string
	for i, c := range cells {
		got = append(got, c.ID)
		if c.HTTPSPort != 8443+i || c.HTTPPort != 9080+i {
			t.Errorf("cell %s at index %d: ports %d/%d", c.ID, i, c.HTTPSPort, c.HTTPPort)
		}
	}
	if want := []string{"1", "2", "10", "a", "eu-1"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
}

func TestSampleTenantsRepresentsEveryCellDeterministically(t *testing.T) {
	cells := []*Cell{
		{ID: "1", Tenants: []string{"a1", "a2", "a3", "a4"}},
		{ID: "2", Tenants: []string{"b1"}},
		{ID: "3", Tenants: []string{"c1", "c2"}},
	}
	tests := []struct {
		n    int
		want []string
	}{
		{0, []string{"a1", "b1", "c1", "a2", "c2", "a3", "a4"}},
		{1, []string{"a1", "b1", "c1"}}, // fewer than cells: still one per cell
		{4, []string{"a1", "b1", "c1", "a2"}},
		{5, []string{"a1", "b1", "c1", "a2", "c2"}},
		{99, []string{"a1", "b1", "c1", "a2", "c2", "a3", "a4"}},
	}
	for _, tc := range tests {
		if got := sampleTenants(cells, tc.n); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("sampleTenants(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
}

func TestAbbreviate(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"a", "b", "c"}, "a, b, c"},
		{[]string{"a", "b", "c", "d", "e"}, "a, b, c, d, e"}, // "(+1 more)" would save nothing
		{[]string{"a", "b", "c", "d", "e", "f"}, "a, b, c, d (+2 more)"},
	} {
		if got := abbreviate(tc.in, 4); got != tc.want {
			t.Errorf("abbreviate(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCellOfTheSingleStackIsTheDefaultCell(t *testing.T) {
	if got := cellOf("TenantRouting", "TenantRouting"); got != "1" {
		t.Errorf("single stack: cell %q, want 1", got)
	}
	if got := cellOf("TenantRouting", "TenantRouting-Cell-eu-2"); got != "eu-2" {
		t.Errorf("cell stack: cell %q, want eu-2", got)
	}
}

func TestDirectoryFiles(t *testing.T) {
	cells := []CellState{
		{Cell: "1", Stack: "TR-Cell-1", BaseURL: "https://127.0.0.1:8443", HTTPURL: "http://127.0.0.1:8080", Tenants: []string{"tenant-A", "tenant-B"}},
		{Cell: "2", Stack: "TR-Cell-2", BaseURL: "https://127.0.0.1:8444", HTTPURL: "http://127.0.0.1:8081", Tenants: []string{"tenant-C"}},
	}
	dir := t.TempDir()
	tsvPath, jsonPath, err := writeDirectory(dir, cells)
	if err != nil {
		t.Fatal(err)
	}
	tsv, _ := os.ReadFile(tsvPath)
	want := "tenant-A\t1\thttps://127.0.0.1:8443\thttp://127.0.0.1:8080\n" +
		"tenant-B\t1\thttps://127.0.0.1:8443\thttp://127.0.0.1:8080\n" +
		"tenant-C\t2\thttps://127.0.0.1:8444\thttp://127.0.0.1:8081\n"
	if string(tsv) != want {
		t.Errorf("directory.tsv:\n%s\nwant:\n%s", tsv, want)
	}
	if filepath.Base(tsvPath) != "directory.tsv" || filepath.Base(jsonPath) != "directory.json" {
		t.Errorf("paths %s %s", tsvPath, jsonPath)
	}
	raw, _ := os.ReadFile(jsonPath)
	var doc map[string][]map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc["cells"]) != 2 || doc["cells"][1]["cell"] != "2" || doc["cells"][1]["stack"] != "TR-Cell-2" ||
		doc["cells"][1]["baseUrl"] != "https://127.0.0.1:8444" || doc["cells"][1]["httpUrl"] != "http://127.0.0.1:8081" {
		t.Errorf("directory.json cells: %v", doc["cells"])
	}
	if got := doc["tenants"][2]; got["id"] != "tenant-C" || got["cell"] != "2" || got["url"] != "https://127.0.0.1:8444/tenant-C/" {
		t.Errorf("directory.json tenant: %v", got)
	}
	if strings.Count(string(raw), `"id"`) != 3 {
		t.Errorf("directory.json has not one entry per tenant:\n%s", raw)
	}
}

// cellTemplate is a minimal cell stack: an ALB with an HTTPS listener and,
// per tenant, a function with TENANT_ID, its target group and a rule.
func cellTemplate(t *testing.T, tenants ...string) []byte {
	t.Helper()
	res := map[string]any{
		"LB": map[string]any{"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": map[string]any{"Type": "application"}},
		"L443": map[string]any{"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": map[string]any{
			"LoadBalancerArn": map[string]any{"Ref": "LB"}, "Port": 443, "Protocol": "HTTPS",
			"Certificates":   []any{map[string]any{"CertificateArn": "arn:aws:acm:us-east-1:000000000000:certificate/x"}},
			"DefaultActions": []any{map[string]any{"Type": "fixed-response", "FixedResponseConfig": map[string]any{"StatusCode": "404"}}},
		}},
	}
	for i, tenant := range tenants {
		n := string(rune('A' + i))
		res["Fn"+n] = map[string]any{"Type": "AWS::Lambda::Function", "Properties": map[string]any{
			"Runtime": "provided.al2023", "Handler": "bootstrap", "Environment": map[string]any{"Variables": map[string]any{"TENANT_ID": tenant}},
		}}
		res["TG"+n] = map[string]any{"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": map[string]any{
			"TargetType": "lambda", "Targets": []any{map[string]any{"Id": map[string]any{"Fn::GetAtt": []any{"Fn" + n, "Arn"}}}},
		}}
		res["Rule"+n] = map[string]any{"Type": "AWS::ElasticLoadBalancingV2::ListenerRule", "Properties": map[string]any{
			"ListenerArn": map[string]any{"Ref": "L443"}, "Priority": 10 * (i + 1),
			"Conditions": []any{map[string]any{"Field": "path-pattern", "Values": []any{"/" + tenant + "/*"}}},
			"Actions":    []any{map[string]any{"Type": "forward", "TargetGroupArn": map[string]any{"Ref": "TG" + n}}},
		}}
	}
	b, err := json.Marshal(map[string]any{"Resources": res})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLoadCellsServesEveryCellStack(t *testing.T) {
	stacks := []stackTemplate{
		{StackName: "TR-Cell-2", JSON: cellTemplate(t, "tenant-C")},
		{StackName: "TR-Cell-1", JSON: cellTemplate(t, "tenant-B", "tenant-A")},
	}
	cells, err := loadCells(stacks, "TR", localalb.Resolver{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	placeCells(cells, 8443, 8080)
	if len(cells) != 2 || cells[0].ID != "1" || cells[1].ID != "2" || cells[1].HTTPSPort != 8444 || cells[1].HTTPPort != 8081 {
		t.Fatalf("cells: %+v %+v", cells[0], cells[1])
	}
	if got := strings.Join(cells[0].Tenants, ","); got != "tenant-A,tenant-B" || cells[0].StackName != "TR-Cell-1" {
		t.Errorf("cell 1 tenants %s, stack %s", got, cells[0].StackName)
	}
	if got := allTenants(cells); !reflect.DeepEqual(got, []string{"tenant-A", "tenant-B", "tenant-C"}) {
		t.Errorf("all tenants %v", got)
	}
	names := namesOf(cells[0].Model)
	if names.rules["RuleA"] != "tenant-B" || names.functions["FnB"] != "tenant-A" {
		t.Errorf("names %+v", names)
	}
	if err := reloadModels(cells, stacks, localalb.Resolver{Region: "eu-west-1"}); err != nil || cells[1].Model.Region != "eu-west-1" {
		t.Errorf("reload: %v, region %s", err, cells[1].Model.Region)
	}
	stacks = append(stacks, stackTemplate{StackName: "TR", JSON: cellTemplate(t, "x")})
	if _, err := loadCells(stacks, "TR", localalb.Resolver{}); err == nil || !strings.Contains(err.Error(), "both cell 1") {
		t.Errorf("two stacks for cell 1: err = %v", err)
	}
}
