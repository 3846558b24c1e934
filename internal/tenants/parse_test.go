package tenants

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseAppliesDefaultsAndKeepsFileOrder(t *testing.T) {
	doc, err := Parse("tenants.json", []byte(`{"tenants":[
		{"id":"b","priority":7,"memorySize":512,"cell":"eu-1","reservedConcurrency":3},
		{"id":"a_1","priority":3}
	]}`), Limits{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := Document{Tenants: []Tenant{
		{ID: "b", Priority: 7, MemorySize: 512, ReservedConcurrency: 3, Cell: "eu-1"},
		{ID: "a_1", Priority: 3, MemorySize: DefaultMemorySizeMB, Cell: "1"},
	}}
	if !reflect.DeepEqual(doc, want) {
		t.Fatalf("doc =\n%+v\nwant\n%+v", doc, want)
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct{ name, file string }{
		{"the repository's tenants.json", readRepoTenants(t)},
		{"same priority in two cells", `{"tenants":[{"id":"a","priority":10},{"id":"b","priority":10,"cell":"2"}]}`},
		{"explicit default cell", `{"tenants":[{"id":"a","priority":10,"cell":"1"}]}`},
		{"longest cell id", `{"tenants":[{"id":"a","priority":10,"cell":"abcdefghij-12345"}]}`},
		{"one-character cell id", `{"tenants":[{"id":"a","priority":10,"cell":"x"}]}`},
		{"bounds", `{"tenants":[{"id":"a","priority":1,"memorySize":128,"reservedConcurrency":1},{"id":"b","priority":50000,"memorySize":10240}]}`},
		{"leading byte-order mark", "\uFEFF" + `{"tenants":[{"id":"a","priority":10}]}`},
		{"longest id", `{"tenants":[{"id":"` + strings.Repeat("a", MaxIDLen) + `","priority":10}]}`},
		{"full cell", string(Format(Document{Tenants: generated(99, "1")}))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse("tenants.json", []byte(tc.file), Limits{}); err != nil {
				t.Fatalf("Parse: %v", err)
			}
		})
	}
}

// TestParseErrors has one case per validation error. Each expected fragment
// checks that the message names the file, the tenant or cell, the field and
// the fix; count is the number of problems reported.
func TestParseErrors(t *testing.T) {
	one := func(fields string) string { return `{"tenants":[{` + fields + `}]}` }
	tests := []struct {
		name   string
		limits Limits
		file   string
		count  int
		want   []string
	}{
		// the file
		{"malformed JSON", Limits{}, `{"tenants":[`, 1, []string{"tenants.json:", "not a valid tenants file", `{"tenants":[{"id":"tenant-A","priority":10}]}`}},
		{"not an object", Limits{}, `[]`, 1, []string{"found a list, not an object"}},
		{"empty input", Limits{}, ``, 1, []string{"not a valid tenants file"}},
		{"trailing data", Limits{}, `{"tenants":[{"id":"a","priority":1}]} {}`, 1, []string{"unexpected data after the object"}},
		{"unknown top-level field", Limits{}, `{"tenants":[{"id":"a","priority":1}],"cells":[]}`, 1, []string{`unknown field "cells" at the top level`, `only "tenants"`}},
		{"top-level field case", Limits{}, `{"Tenants":[{"id":"a","priority":1}]}`, 1, []string{`unknown field "Tenants"`, `did you mean "tenants"`}},
		{"tenants twice", Limits{}, `{"tenants":[],"tenants":[{"id":"a","priority":1}]}`, 1, []string{`field "tenants" appears twice`}},
		{"tenants not a list", Limits{}, `{"tenants":{"id":"a"}}`, 1, []string{`field "tenants" must be a list`}},
		{"no tenants", Limits{}, `{"tenants":[]}`, 1, []string{"no tenants", "add at least one"}},
		{"tenants null", Limits{}, `{"tenants":null}`, 1, []string{"no tenants"}},
		{"tenants absent", Limits{}, `{}`, 1, []string{"no tenants"}},
		{"entry not an object", Limits{}, `{"tenants":["a"]}`, 1, []string{"tenants[0]: not an object", "found a string"}},
		// fields
		{"unknown field", Limits{}, one(`"id":"a","priority":1,"prio":2`), 1, []string{`tenants[0] (id "a")`, `unknown field "prio"`, `"id", "priority", "cell", "memorySize", "reservedConcurrency"`}},
		{"field name case", Limits{}, one(`"id":"a","Priority":1`), 2, []string{`unknown field "Priority"`, `did you mean "priority"`, `field "priority" is missing`}},
		{"field twice", Limits{}, one(`"id":"a","priority":1,"priority":2`), 1, []string{`(id "a")`, `field "priority" appears twice`}},
		{"null field", Limits{}, one(`"id":"a","priority":1,"memorySize":null`), 1, []string{`field "memorySize" is null`, "remove it"}},
		// id
		{"missing id", Limits{}, one(`"priority":1`), 1, []string{`tenants[0] (id "")`, `field "id" is missing`}},
		{"empty id", Limits{}, one(`"id":"","priority":1`), 1, []string{`field "id" is missing or empty`}},
		{"id not a string", Limits{}, one(`"id":5,"priority":1`), 1, []string{`field "id" must be a string (got 5)`}},
		{"id with slash", Limits{}, one(`"id":"a/b","priority":1`), 1, []string{`(id "a/b")`, `field "id" must match`, "Cognito group", "path pattern", "regex"}},
		{"id with regex metachar", Limits{}, one(`"id":"a.b","priority":1`), 1, []string{`(id "a.b")`, `field "id" must match`}},
		{"id with wildcard", Limits{}, one(`"id":"a*","priority":1`), 1, []string{`field "id" must match`}},
		{"id starting with dash", Limits{}, one(`"id":"-a","priority":1`), 1, []string{"starting with a letter or digit"}},
		{"id too long for path pattern", Limits{}, one(`"id":"` + strings.Repeat("a", MaxIDLen+1) + `","priority":1`), 1, []string{"126 characters", "at most 125"}},
		{"duplicate id ignoring case", Limits{}, `{"tenants":[{"id":"Acme","priority":1},{"id":"acme","priority":2}]}`, 1, []string{`tenants[1] (id "acme")`, `duplicates tenant "Acme"`, "case-insensitively"}},
		{"duplicate id across cells", Limits{}, `{"tenants":[{"id":"a","priority":1},{"id":"a","priority":1,"cell":"2"}]}`, 1, []string{`tenants[1] (id "a")`, `duplicates tenant "a"`}},
		{"output key collision", Limits{}, `{"tenants":[{"id":"tenant-a","priority":1},{"id":"tenant_a","priority":2}]}`, 1, []string{`tenants[1] (id "tenant_a")`, `output key "TenantUrlTenanta"`, `tenant "tenant-a"`}},
		// priority
		{"missing priority", Limits{}, one(`"id":"a"`), 1, []string{`(id "a")`, `field "priority" is missing`, "1..50000"}},
		{"priority zero", Limits{}, one(`"id":"a","priority":0`), 1, []string{`(id "a")`, `"priority" = 0 is out of range`, "1..50000"}},
		{"priority too high", Limits{}, one(`"id":"a","priority":50001`), 1, []string{`"priority" = 50001 is out of range`}},
		{"priority fractional", Limits{}, one(`"id":"a","priority":10.5`), 1, []string{`field "priority" must be a whole number (got 10.5)`}},
		{"priority a string", Limits{}, one(`"id":"a","priority":"10"`), 1, []string{`field "priority" must be a whole number (got "10")`}},
		{"duplicate priority in a cell", Limits{}, `{"tenants":[{"id":"a","priority":5,"cell":"2"},{"id":"b","priority":5,"cell":"2"}]}`, 1, []string{`tenants[1] (id "b")`, `"priority" = 5 is already used by tenant "a" in cell "2"`, "unique within a cell"}},
		{"duplicate priority in the default cell", Limits{}, `{"tenants":[{"id":"a","priority":5},{"id":"b","priority":5,"cell":"1"}]}`, 1, []string{`already used by tenant "a" in cell "1"`}},
		// cell
		{"cell upper case", Limits{}, one(`"id":"a","priority":1,"cell":"EU"`), 1, []string{`(id "a")`, `field "cell" = "EU" must match`, "lower-case", `omit it for cell "1"`}},
		{"cell empty", Limits{}, one(`"id":"a","priority":1,"cell":""`), 1, []string{`field "cell" = "" must match`}},
		{"cell ends with dash", Limits{}, one(`"id":"a","priority":1,"cell":"eu-"`), 1, []string{`field "cell" = "eu-" must match`}},
		{"cell too long", Limits{}, one(`"id":"a","priority":1,"cell":"abcdefghij-123456"`), 1, []string{`"abcdefghij-123456" must match`, "1 to 16"}},
		{"cell with underscore", Limits{}, one(`"id":"a","priority":1,"cell":"eu_1"`), 1, []string{`"eu_1" must match`}},
		{"cell a number", Limits{}, one(`"id":"a","priority":1,"cell":2`), 1, []string{`field "cell" must be a string (got 2)`, `"2"`}},
		// memorySize
		{"memory too small", Limits{}, one(`"id":"a","priority":1,"memorySize":64`), 1, []string{`(id "a")`, `"memorySize" = 64`, "128..10240", "omit it for 128"}},
		{"memory zero", Limits{}, one(`"id":"a","priority":1,"memorySize":0`), 1, []string{`"memorySize" = 0`}},
		{"memory too large", Limits{}, one(`"id":"a","priority":1,"memorySize":10241`), 1, []string{`"memorySize" = 10241`}},
		// reservedConcurrency
		{"reserved zero", Limits{}, one(`"id":"a","priority":1,"reservedConcurrency":0`), 1, []string{`(id "a")`, `"reservedConcurrency" = 0`, ">= 1", "unreserved", "at least 100", "omit the field"}},
		{"reserved negative", Limits{}, one(`"id":"a","priority":1,"reservedConcurrency":-1`), 1, []string{`"reservedConcurrency" = -1`}},
		// capacity
		{"cell over capacity", Limits{}, string(Format(Document{Tenants: generated(100, "2")})), 1, []string{
			"tenants.json", `cell "2" has 100 tenants, the maximum is 99`, "100 target groups per ALB", "100 rules per ALB", "maxRulesPerAlb", "put 1 of them in another cell"}},
		{"lower rules quota binds", Limits{MaxRulesPerALB: 3}, string(Format(Document{Tenants: generated(3, "1")})), 1, []string{
			`cell "1" has 3 tenants, the maximum is 2`, "3 rules per ALB"}},
		{"every full cell named", Limits{MaxRulesPerALB: 2}, string(Format(Document{Tenants: append(generated(2, "b"), generated2(2, "10")...)})), 2, []string{
			`cell "10" has 2 tenants, the maximum is 1`, `cell "b" has 2 tenants, the maximum is 1`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("tenants.json", []byte(tc.file), tc.limits)
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("err is %T, want *Error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
			if len(e.Problems) != tc.count {
				t.Errorf("%d problems, want %d:\n%v", len(e.Problems), tc.count, err)
			}
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	_, err := Parse("t.json", []byte(`{"tenants":[
		{"id":"a.b","priority":0,"cell":"X","memorySize":1,"reservedConcurrency":0,"x":1},
		{"id":"c","priority":"p"},
		{"id":"d","priority":5},
		{"id":"D","priority":5}
	]}`), Limits{})
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("err = %v", err)
	}
	// tenant 0: unknown field, id, cell, priority, memory, reserved; tenant 1:
	// priority type; tenant 3: duplicate id, duplicate priority.
	if len(e.Problems) != 9 {
		t.Fatalf("%d problems, want 9:\n%v", len(e.Problems), err)
	}
	for _, p := range e.Problems {
		if !strings.HasPrefix(p, "t.json: tenants[") {
			t.Errorf("problem does not name the file and tenant: %s", p)
		}
	}
}

func TestCellCapacity(t *testing.T) {
	tests := []struct {
		rules, want int
	}{{0, 99}, {100, 99}, {1000, 99}, {50, 49}, {2, 1}, {1, 0}}
	for _, tc := range tests {
		if got := CellCapacity(Limits{MaxRulesPerALB: tc.rules}); got != tc.want {
			t.Errorf("CellCapacity(%d rules) = %d, want %d", tc.rules, got, tc.want)
		}
	}
}

func TestCells(t *testing.T) {
	ts := []Tenant{
		{ID: "x", Priority: 20, Cell: "b"},
		{ID: "y", Priority: 20, Cell: "10"},
		{ID: "z", Priority: 10, Cell: "10"},
		{ID: "w", Priority: 30},
		{ID: "v", Priority: 5, Cell: "2"},
		{ID: "u", Priority: 1, Cell: "a"},
		{ID: "s", Priority: 1, Cell: "01"},
	}
	var got []string
	for _, c := range Cells(ts) {
		ids := []string{}
		for _, t := range c.Tenants {
			ids = append(ids, t.ID)
		}
		got = append(got, c.ID+":"+strings.Join(ids, ","))
	}
	want := []string{"01:s", "1:w", "2:v", "10:z,y", "a:u", "b:x"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Cells = %v, want %v", got, want)
	}
}

func TestCompareCellIDs(t *testing.T) {
	ordered := []string{"1", "2", "9", "10", "11", "100", "a", "a-1", "b", "eu-1", "eu-10", "eu-2"}
	for i := range ordered {
		for j := range ordered {
			got := CompareCellIDs(ordered[i], ordered[j])
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got != want {
				t.Errorf("CompareCellIDs(%q, %q) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
}

func TestTenantDerivedNames(t *testing.T) {
	tests := []struct {
		id, outputKey, constructID, regex string
	}{
		{"tenant-A", "TenantUrlTenantA", "TenantTenantA", "^/tenant-A/?(.*)$"},
		{"acme_corp-2", "TenantUrlAcmecorp2", "TenantAcmecorp2", "^/acme_corp-2/?(.*)$"},
		{"9lives", "TenantUrl9lives", "Tenant9lives", "^/9lives/?(.*)$"},
	}
	for _, tc := range tests {
		tn := Tenant{ID: tc.id}
		if got := tn.OutputKey(); got != tc.outputKey {
			t.Errorf("%s: OutputKey = %q, want %q", tc.id, got, tc.outputKey)
		}
		if got := tn.ConstructID(); got != tc.constructID {
			t.Errorf("%s: ConstructID = %q, want %q", tc.id, got, tc.constructID)
		}
		if got := tn.RewriteRegex(); got != tc.regex {
			t.Errorf("%s: RewriteRegex = %q, want %q", tc.id, got, tc.regex)
		}
		if got := tn.PathPatterns(); !reflect.DeepEqual(got, []string{"/" + tc.id + "/*", "/" + tc.id}) {
			t.Errorf("%s: PathPatterns = %v", tc.id, got)
		}
	}
}

// generated returns n tenants "<cell>-t001".. in cell with priorities 10, 20, ...
func generated(n int, cell string) []Tenant {
	ts := make([]Tenant, n)
	for i := range ts {
		ts[i] = Tenant{ID: fmt.Sprintf("c%s-t%03d", cell, i+1), Priority: (i + 1) * 10, Cell: cell, MemorySize: DefaultMemorySizeMB}
	}
	return ts
}

// generated2 is generated with other ids, to combine with it.
func generated2(n int, cell string) []Tenant {
	ts := generated(n, cell)
	for i := range ts {
		ts[i].ID = "other-" + ts[i].ID
	}
	return ts
}

func readRepoTenants(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "tenants.json"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
