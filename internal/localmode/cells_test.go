package localmode

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
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
