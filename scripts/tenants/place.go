package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/tenants"
)

// addOptions are the settings of the tenants one `add` places.
type addOptions struct {
	// Cell, when set, is the cell to place them in; otherwise each goes to
	// the least-full cell with room.
	Cell string
	// MemorySize and ReservedConcurrency are written for each new tenant;
	// 0 means the default (omitted from the file).
	MemorySize          int
	ReservedConcurrency int
}

// change is one line of output: what happened to one tenant.
type change struct {
	Tenant  tenants.Tenant
	Added   bool // false: removed
	NewCell bool // the tenant opened its cell (add) or emptied it (remove)
}

// placement edits a tenants document. It never changes an existing entry:
// add inserts new entries, remove deletes entries, the others keep their
// cell, priority and position.
type placement struct {
	doc      tenants.Document
	capacity int
}

// cellCounts counts the tenants per cell.
func (p *placement) cellCounts() map[string]int {
	n := map[string]int{}
	for _, t := range p.doc.Tenants {
		n[t.Cell]++
	}
	return n
}

// find returns the index of the tenant whose id equals id ignoring case, or -1.
func (p *placement) find(id string) int {
	for i, t := range p.doc.Tenants {
		if strings.EqualFold(t.ID, id) {
			return i
		}
	}
	return -1
}

// add places one new tenant. It returns (nil change, nil) when the tenant is
// already there with exactly this id.
func (p *placement) add(id string, opts addOptions) (*change, error) {
	if i := p.find(id); i >= 0 {
		if t := p.doc.Tenants[i]; t.ID != id {
			return nil, fmt.Errorf("%s: tenant %q already exists (ids are compared ignoring case); use that id or another one", id, t.ID)
		}
		return nil, nil
	}
	counts := p.cellCounts()
	cell := opts.Cell
	switch {
	case cell != "":
		if !tenants.ValidCellID(cell) {
			return nil, fmt.Errorf("--cell %q must match %s", cell, tenants.CellIDRule)
		}
		if counts[cell] >= p.capacity {
			return nil, fmt.Errorf("%s: cell %q is full (%d of %d tenants); pick another cell or leave out --cell", id, cell, counts[cell], p.capacity)
		}
	default:
		cell = p.leastFull(counts)
	}
	priority, err := p.freePriority(cell)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	t := tenants.Tenant{
		ID: id, Priority: priority, Cell: cell,
		MemorySize: tenants.DefaultMemorySizeMB, ReservedConcurrency: opts.ReservedConcurrency,
	}
	if opts.MemorySize != 0 {
		t.MemorySize = opts.MemorySize
	}
	p.insert(t)
	return &change{Tenant: t, Added: true, NewCell: counts[cell] == 0}, nil
}

// leastFull is the cell with the fewest tenants among those with room (ties:
// the lowest cell id), or a new cell when all are full.
func (p *placement) leastFull(counts map[string]int) string {
	best := ""
	for cell, n := range counts {
		if n >= p.capacity {
			continue
		}
		if best == "" || n < counts[best] || n == counts[best] && tenants.CompareCellIDs(cell, best) < 0 {
			best = cell
		}
	}
	if best != "" {
		return best
	}
	return nextCell(counts)
}

// nextCell is the integer after the highest numeric cell id ("1" when there
// is none).
func nextCell(counts map[string]int) string {
	var highest uint64
	for cell := range counts {
		if v, err := strconv.ParseUint(cell, 10, 64); err == nil && v > highest {
			highest = v
		}
	}
	return strconv.FormatUint(highest+1, 10)
}

// freePriority is the next multiple of 10 above the cell's highest priority,
// or, when that passes tenants.MaxPriority, the lowest free multiple of 10,
// or else the lowest free priority.
func (p *placement) freePriority(cell string) (int, error) {
	used := map[int]bool{}
	highest := 0
	for _, t := range p.doc.Tenants {
		if t.Cell == cell {
			used[t.Priority] = true
			highest = max(highest, t.Priority)
		}
	}
	if next := (highest/10 + 1) * 10; next <= tenants.MaxPriority {
		return next, nil
	}
	for pr := 10; pr <= tenants.MaxPriority; pr += 10 {
		if !used[pr] {
			return pr, nil
		}
	}
	for pr := tenants.MinPriority; pr <= tenants.MaxPriority; pr++ {
		if !used[pr] {
			return pr, nil
		}
	}
	return 0, fmt.Errorf("cell %q has no free priority in %d..%d", cell, tenants.MinPriority, tenants.MaxPriority)
}

// insert puts t after the last entry of its cell, or at the end when its
// cell is new, so that a cell's entries stay together and existing lines do
// not move relative to each other.
func (p *placement) insert(t tenants.Tenant) {
	at := len(p.doc.Tenants)
	for i, e := range p.doc.Tenants {
		if e.Cell == t.Cell {
			at = i + 1
		}
	}
	ts := make([]tenants.Tenant, 0, len(p.doc.Tenants)+1)
	ts = append(ts, p.doc.Tenants[:at]...)
	ts = append(ts, t)
	ts = append(ts, p.doc.Tenants[at:]...)
	p.doc.Tenants = ts
}

// remove deletes one tenant, which must be there with exactly this id.
func (p *placement) remove(id string) (*change, error) {
	i := p.find(id)
	if i < 0 {
		return nil, fmt.Errorf("%s: no such tenant", id)
	}
	t := p.doc.Tenants[i]
	if t.ID != id {
		return nil, fmt.Errorf("%s: no such tenant (did you mean %q? ids are exact here)", id, t.ID)
	}
	p.doc.Tenants = append(p.doc.Tenants[:i:i], p.doc.Tenants[i+1:]...)
	return &change{Tenant: t, NewCell: p.cellCounts()[t.Cell] == 0}, nil
}
