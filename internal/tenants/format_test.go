package tenants

import (
	"reflect"
	"strings"
	"testing"
)

func TestFormatLayout(t *testing.T) {
	doc := Document{Tenants: []Tenant{
		{ID: "tenant-A", Priority: 10, MemorySize: 128, Cell: "1"},
		{ID: "tenant-B", Priority: 10, MemorySize: 256, ReservedConcurrency: 5, Cell: "eu-2"},
		{ID: "tenant-C", Priority: 20},
	}}
	want := `{
  "tenants": [
    { "id": "tenant-A", "priority": 10 },
    { "id": "tenant-B", "priority": 10, "cell": "eu-2", "memorySize": 256, "reservedConcurrency": 5 },
    { "id": "tenant-C", "priority": 20 }
  ]
}
`
	if got := string(Format(doc)); got != want {
		t.Fatalf("Format =\n%s\nwant\n%s", got, want)
	}
	if got := string(Format(Document{})); got != "{\n  \"tenants\": []\n}\n" {
		t.Fatalf("Format(empty) = %q", got)
	}
}

// TestFormatKeepsRepositoryFile: the repository's tenants.json is already in
// the canonical layout, so the placement tool's first write changes nothing
// but the tenants it adds or removes.
func TestFormatKeepsRepositoryFile(t *testing.T) {
	src := readRepoTenants(t)
	doc, err := Parse("tenants.json", []byte(src), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(Format(doc)); got != src {
		t.Fatalf("Format(tenants.json) =\n%s\nwant the file unchanged:\n%s", got, src)
	}
}

// TestFormatDiffIsOneLine: changing one tenant changes one line.
func TestFormatDiffIsOneLine(t *testing.T) {
	doc := Document{Tenants: generated(5, "1")}
	before := strings.Split(string(Format(doc)), "\n")
	doc.Tenants[2].MemorySize = 1024
	after := strings.Split(string(Format(doc)), "\n")
	if len(before) != len(after) {
		t.Fatalf("line count changed: %d -> %d", len(before), len(after))
	}
	changed := 0
	for i := range before {
		if before[i] != after[i] {
			changed++
		}
	}
	if changed != 1 {
		t.Fatalf("%d lines changed, want 1", changed)
	}
}

func TestFormatRoundTrip(t *testing.T) {
	docs := []Document{
		{Tenants: generated(99, "1")},
		{Tenants: append(generated(3, "b"), append(generated2(2, "10"), Tenant{ID: "z", Priority: 50000, MemorySize: 10240, ReservedConcurrency: 900, Cell: "1"})...)},
	}
	for _, doc := range docs {
		got, err := Parse("x.json", Format(doc), Limits{})
		if err != nil {
			t.Fatalf("Parse(Format): %v", err)
		}
		if !reflect.DeepEqual(got, doc) {
			t.Fatalf("Parse(Format(doc)) =\n%+v\nwant\n%+v", got, doc)
		}
	}
}

// FuzzParse: any input either fails with an *Error or yields tenants that
// satisfy every invariant the stacks rely on, and Format/Parse round-trip it.
func FuzzParse(f *testing.F) {
	f.Add(`{"tenants":[{"id":"tenant-A","priority":10},{"id":"tenant-B","priority":20}]}`)
	f.Add(`{"tenants":[{"id":"a","priority":1},{"id":"A","priority":2}]}`)
	f.Add(`{"tenants":[{"id":"a-b","priority":1},{"id":"a_b","priority":2}]}`)
	f.Add(`{"tenants":[{"id":"x","priority":50000,"memorySize":10240,"reservedConcurrency":1}]}`)
	f.Add(`{"tenants":[{"id":"x","priority":5,"cell":"2"},{"id":"y","priority":5,"cell":"eu-1"},{"id":"z","priority":5}]}`)
	f.Add(`{"tenants":[{"id":"x","priority":5,"cell":"01"},{"id":"y","priority":5,"cell":"1"}]}`)
	f.Add("\uFEFF{\"tenants\":[{\"id\":\"x\",\"priority\":1,\"cell\":\"1\",\"memorySize\":128}]}")
	f.Fuzz(func(t *testing.T, in string) {
		limits := Limits{MaxRulesPerALB: 4} // capacity 3, so fuzzing reaches the capacity check
		doc, err := Parse("tenants.json", []byte(in), limits)
		if err != nil {
			e, ok := err.(*Error)
			if !ok || len(e.Problems) == 0 {
				t.Fatalf("error %T is not an *Error with problems: %v", err, err)
			}
			return
		}
		checkInvariants(t, doc, CellCapacity(limits))
		out := Format(doc)
		again, err := Parse("tenants.json", out, limits)
		if err != nil {
			t.Fatalf("Parse(Format(doc)) failed: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(again, doc) {
			t.Fatalf("Parse(Format(doc)) =\n%+v\nwant\n%+v", again, doc)
		}
		if string(Format(again)) != string(out) {
			t.Fatalf("Format is not stable:\n%s\n%s", out, Format(again))
		}
	})
}

func checkInvariants(t *testing.T, doc Document, capacity int) {
	t.Helper()
	if len(doc.Tenants) == 0 {
		t.Fatal("accepted a file without tenants")
	}
	ids, keys, prios, perCell := map[string]bool{}, map[string]bool{}, map[[2]any]bool{}, map[string]int{}
	for _, tn := range doc.Tenants {
		if !validID(tn.ID) {
			t.Fatalf("accepted bad id %q", tn.ID)
		}
		if !ValidCellID(tn.Cell) {
			t.Fatalf("accepted bad cell %q", tn.Cell)
		}
		lk := strings.ToLower(tn.OutputKey())
		pk := [2]any{tn.Cell, tn.Priority}
		if ids[strings.ToLower(tn.ID)] || keys[lk] || prios[pk] {
			t.Fatalf("accepted a duplicate: %+v", tn)
		}
		ids[strings.ToLower(tn.ID)], keys[lk], prios[pk] = true, true, true
		if tn.Priority < MinPriority || tn.Priority > MaxPriority || tn.MemorySize < MinMemorySizeMB ||
			tn.MemorySize > MaxMemorySizeMB || tn.ReservedConcurrency < 0 {
			t.Fatalf("accepted bad numbers %+v", tn)
		}
		perCell[tn.Cell]++
		if perCell[tn.Cell] > capacity {
			t.Fatalf("accepted %d tenants in cell %q, capacity %d", perCell[tn.Cell], tn.Cell, capacity)
		}
	}
}

func validID(id string) bool {
	if id == "" || len(id) > MaxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '-') {
			return false
		}
	}
	return true
}
