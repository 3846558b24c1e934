package localmode

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/localalb"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/rie"
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

func TestCellsOfTheAssemblyServeEveryCellStack(t *testing.T) {
	r := localalb.Resolver{Region: "us-east-1", Refs: map[string]string{poolLogicalID: "us-east-1_abcdefghi", clientLogicalID: "client1"}}
	asm, err := localalb.LoadAssembly(assemblyDir, r)
	if err != nil {
		t.Fatal(err)
	}
	cells := cellsOf(asm)
	placeCells(cells, 8443, 8080)
	var ids []string
	for _, c := range cells {
		ids = append(ids, c.ID)
	}
	if !reflect.DeepEqual(ids, []string{"1", "2", "eu-1"}) || cells[2].HTTPSPort != 8445 || cells[2].HTTPPort != 8082 {
		t.Fatalf("cells %v, eu-1 ports %d %d", ids, cells[2].HTTPSPort, cells[2].HTTPPort)
	}
	if got := strings.Join(cells[0].Tenants, ","); got != "tenant-A,tenant-B" || cells[0].StackName != "TenantRouting-Cell-1" {
		t.Errorf("cell 1 tenants %s, stack %s", got, cells[0].StackName)
	}
	if got := allTenants(cells); !reflect.DeepEqual(got, []string{"tenant-A", "tenant-B", "tenant-C", "tenant-D"}) {
		t.Errorf("all tenants %v", got)
	}
	r.Region = "eu-west-1"
	again, err := localalb.LoadAssembly(assemblyDir, r)
	if err != nil {
		t.Fatal(err)
	}
	if err := reloadModels(cells, again); err != nil || cells[2].Model.Region != "eu-west-1" || cells[2].Model != again.Cells[2].Model {
		t.Errorf("reload: %v, region %s", err, cells[2].Model.Region)
	}
	if err := reloadModels([]*Cell{{ID: "9", StackName: "TenantRouting-Cell-9"}}, again); err == nil {
		t.Error("reload of a cell the assembly lacks succeeded")
	}
}

func TestCellInvokersOneRuntimePerTenant(t *testing.T) {
	const issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abcdefghi"
	asm, err := localalb.LoadAssembly(assemblyDir, localalb.Resolver{Region: "us-east-1",
		Refs: map[string]string{poolLogicalID: "us-east-1_abcdefghi", clientLogicalID: "client1"}})
	if err != nil {
		t.Fatal(err)
	}
	// Nothing starts before a first invoke: the binaries need not exist.
	pool, err := rie.NewPool(rie.PoolOptions{Emulator: "/nonexistent/rie", Bootstrap: "/nonexistent/bootstrap", LogDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pool.Close() })
	names := map[string]string{}
	for _, c := range cellsOf(asm) {
		invokers, err := cellInvokers(pool, c, "us-east-1", names)
		if err != nil {
			t.Fatal(err)
		}
		if len(invokers) != len(c.Tenants) {
			t.Errorf("cell %s: %d invokers for tenants %v", c.ID, len(invokers), c.Tenants)
		}
		for key, inv := range invokers {
			fn := c.Model.Functions[key]
			if fn == nil {
				t.Fatalf("cell %s: invoker key %s is not a function key of the model", c.ID, key)
			}
			if got := inv.(*rie.Function).Name(); got != "fn-"+fn.Env["TENANT_ID"] {
				t.Errorf("cell %s: %s runs as %s", c.ID, key, got)
			}
			if fn.Env["TOKEN_ISSUER"] != issuer || fn.Env["APP_CLIENT_ID"] != "client1" {
				t.Errorf("cell %s: %s env %v", c.ID, key, fn.Env)
			}
		}
	}
	if len(names) != 4 {
		t.Errorf("runtimes %v, want one per tenant", names)
	}
	if _, err := cellInvokers(pool, cellsOf(asm)[0], "us-east-1", names); err == nil || !strings.Contains(err.Error(), "both serve tenant tenant-A") {
		t.Errorf("a tenant served twice: err = %v", err)
	}
}
