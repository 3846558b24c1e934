package tenants

import (
	"regexp"
	"sort"
	"strings"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"
)

// CellIDRule is the rule for cell ids, for messages: a cell id goes into a
// stack name (<stackName>-Cell-<cell>) and a DNS label (cell-<cell>.<domain>).
const CellIDRule = `^[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?$ (1 to 16 lower-case letters, digits and '-', not starting or ending with '-')`

var cellIDPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?$`)

// ValidCellID reports whether id is a valid cell id.
func ValidCellID(id string) bool { return cellIDPattern.MatchString(id) }

// Cell is one cell and its tenants in priority order.
type Cell struct {
	ID      string
	Tenants []Tenant
}

// Cells groups tenants by cell: cells in CompareCellIDs order, each cell's
// tenants by priority (then id, for files not yet validated). A tenant
// without a cell is in contract.DefaultCell.
func Cells(ts []Tenant) []Cell {
	byCell := map[string][]Tenant{}
	for _, t := range ts {
		c := cellOf(t)
		byCell[c] = append(byCell[c], t)
	}
	cells := make([]Cell, 0, len(byCell))
	for id, members := range byCell {
		SortTenants(members)
		cells = append(cells, Cell{ID: id, Tenants: members})
	}
	sort.Slice(cells, func(i, j int) bool { return CompareCellIDs(cells[i].ID, cells[j].ID) < 0 })
	return cells
}

// SortTenants sorts tenants in place by cell (CompareCellIDs), then
// priority, then id.
func SortTenants(ts []Tenant) {
	sort.SliceStable(ts, func(i, j int) bool {
		if c := CompareCellIDs(cellOf(ts[i]), cellOf(ts[j])); c != 0 {
			return c < 0
		}
		if ts[i].Priority != ts[j].Priority {
			return ts[i].Priority < ts[j].Priority
		}
		return ts[i].ID < ts[j].ID
	})
}

// CompareCellIDs orders cell ids: numeric ids first, by value ("2" before
// "10"), then the others lexically. It returns -1, 0 or +1.
func CompareCellIDs(a, b string) int {
	an, bn := isNumeric(a), isNumeric(b)
	switch {
	case an && !bn:
		return -1
	case !an && bn:
		return 1
	case an && bn:
		ta, tb := strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		if len(ta) != len(tb) {
			if len(ta) < len(tb) {
				return -1
			}
			return 1
		}
		if c := strings.Compare(ta, tb); c != 0 {
			return c
		}
	}
	return strings.Compare(a, b) // "01" and "1": same value, lexical tie-break
}

func isNumeric(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func cellOf(t Tenant) string {
	if t.Cell == "" {
		return contract.DefaultCell
	}
	return t.Cell
}
