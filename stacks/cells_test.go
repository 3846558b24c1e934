package stacks

import (
	"bytes"
	"slices"
	"testing"
)

// TestTenantChangeTouchesOnlyItsCell: adding a tenant to cell N, or removing
// one from it, changes only cell N's stack template and its nested
// templates; every other template file is byte for byte the same.
func TestTenantChangeTouchesOnlyItsCell(t *testing.T) {
	base := multiCellApp(t)
	added := append(multiCellTenants(), Tenant{ID: "foxtrot", Priority: 20, Cell: "2"})
	var removed []Tenant
	for _, tn := range multiCellTenants() {
		if tn.ID != "bravo" { // cell 1
			removed = append(removed, tn)
		}
	}
	for _, tc := range []struct {
		name    string
		tenants []Tenant
		cell    string
	}{
		{"add foxtrot to cell 2", added, "2"},
		{"remove bravo from cell 1", removed, "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			after := synth(t, tc.name, mustConfig(t, multiCellContext(), tenantsJSON(tc.tenants...)))
			mayChange := func(s *synthesized, file string) bool {
				if s.cells[tc.cell] != nil && s.cells[tc.cell].file == file {
					return true
				}
				for _, ns := range s.nested[tc.cell] {
					if ns.file == file {
						return true
					}
				}
				return false
			}
			changed := 0
			for file, before := range base.files {
				a, ok := after.files[file]
				switch {
				case mayChange(base, file):
					if !ok || !bytes.Equal(a.raw, before.raw) {
						changed++
					}
				case !ok:
					t.Errorf("%s disappeared", file)
				case !bytes.Equal(a.raw, before.raw):
					t.Errorf("%s changed, but it is not cell %s's", file, tc.cell)
				}
			}
			for file := range after.files {
				if _, ok := base.files[file]; !ok && !mayChange(after, file) {
					t.Errorf("new file %s is not cell %s's", file, tc.cell)
				}
			}
			if changed == 0 {
				t.Errorf("cell %s's templates did not change", tc.cell)
			}
			// The cell's own template changed (a nested stack and an output more or less).
			if a, b := after.cells[tc.cell], base.cells[tc.cell]; bytes.Equal(a.raw, b.raw) {
				t.Errorf("cell %s stack template unchanged", tc.cell)
			}
			// The other tenants of the cell keep their nested templates byte for byte.
			for id, ns := range base.nested[tc.cell] {
				if a, ok := after.nested[tc.cell][id]; ok && !bytes.Equal(a.raw, ns.raw) {
					t.Errorf("tenant %s's nested template changed", id)
				}
			}
			if got, want := len(after.files)-len(base.files), len(tc.tenants)-len(multiCellTenants()); got != want {
				t.Errorf("%d template files more, want %d (one nested template per tenant)", got, want)
			}
			ids := func(s *synthesized) []string {
				var out []string
				for id := range s.nested[tc.cell] {
					out = append(out, id)
				}
				slices.Sort(out)
				return out
			}
			t.Logf("cell %s tenants %v -> %v", tc.cell, ids(base), ids(after))
		})
	}
}
