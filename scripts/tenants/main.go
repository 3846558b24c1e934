// Command tenants edits the tenants file so that nobody computes placements
// by hand. It validates with the same code as synthesis (internal/tenants),
// never moves an existing tenant, writes the file atomically and keeps its
// canonical layout (tenants.Format), so a diff shows only the change.
//
//	go run ./scripts/tenants add <tenant>... [--cell C] [--memory MB] [--reserved-concurrency N]
//	go run ./scripts/tenants remove <tenant>...
//	go run ./scripts/tenants list
//
// Common flags: --file (default tenants.json), --max-rules-per-alb (default
// 100, the account's rules-per-ALB quota, as context maxRulesPerAlb),
// --stack-name (default TenantRouting, for the cell stack names printed).
//
// add places each new tenant in the least-full cell that has room (ties: the
// lowest cell id), opening the next cell (the integer after the highest
// numeric cell id) when all are full, with the next multiple of 10 above the
// cell's highest priority. Adding a tenant that is already there changes
// nothing and says so. remove of a tenant that is not there is an error and
// changes nothing. Exit codes: 0 ok, 1 failure, 2 usage.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/tenants"
)

// defaultFile is the tenants file of the repository (context tenantsFile).
const defaultFile = "tenants.json"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

const usage = `usage:
  tenants add <tenant>... [--cell C] [--memory MB] [--reserved-concurrency N]
  tenants remove <tenant>...
  tenants list
flags (any command): --file FILE (default tenants.json), --max-rules-per-alb N (default 100),
  --stack-name NAME (default TenantRouting)
`

type options struct {
	file      string
	rules     int
	stackName string
	add       addOptions
}

func run(args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("tenants", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.file, "file", defaultFile, "tenants file")
	fs.IntVar(&o.rules, "max-rules-per-alb", tenants.DefaultMaxRulesPerALB, "the account's rules-per-ALB quota (context maxRulesPerAlb)")
	fs.StringVar(&o.stackName, "stack-name", contract.DefaultStackName, "shared stack name (context stackName)")
	fs.StringVar(&o.add.Cell, "cell", "", "add: put the new tenants in this cell")
	fs.IntVar(&o.add.MemorySize, "memory", 0, "add: memorySize of the new tenants in MB")
	fs.IntVar(&o.add.ReservedConcurrency, "reserved-concurrency", 0, "add: reservedConcurrency of the new tenants")

	// Flags may come before, between or after the positional arguments.
	var pos []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, usage)
				return 0
			}
			return usageError(stderr, "%v", err)
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		pos, rest = append(pos, rest[0]), rest[1:]
	}
	if len(pos) == 0 {
		return usageError(stderr, "no command")
	}
	cmd, ids := pos[0], pos[1:]
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch cmd {
	case "add", "remove":
		if len(ids) == 0 {
			return usageError(stderr, "%s needs at least one tenant id", cmd)
		}
	case "list":
		if len(ids) > 0 {
			return usageError(stderr, "list takes no arguments")
		}
	default:
		return usageError(stderr, "unknown command %q", cmd)
	}
	if cmd != "add" {
		for _, f := range []string{"cell", "memory", "reserved-concurrency"} {
			if set[f] {
				return usageError(stderr, "--%s is for add only", f)
			}
		}
	}
	if o.rules < 1+tenants.ReplacementHeadroom {
		return usageError(stderr, "--max-rules-per-alb %d: give the account's rules-per-ALB quota, at least %d", o.rules, 1+tenants.ReplacementHeadroom)
	}
	if o.file == "" {
		return usageError(stderr, "--file is empty")
	}

	var err error
	switch cmd {
	case "add", "remove":
		err = edit(cmd, ids, o, stdout)
	case "list":
		err = list(o, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "tenants:", err)
		return 1
	}
	return 0
}

func usageError(stderr io.Writer, format string, a ...any) int {
	fmt.Fprintf(stderr, "tenants: "+format+"\n", a...)
	fmt.Fprint(stderr, usage)
	return 2
}

func (o options) limits() tenants.Limits { return tenants.Limits{MaxRulesPerALB: o.rules} }

// load reads and validates the file; a missing file is an empty document
// when missingOK.
func load(o options, missingOK bool) (tenants.Document, fs.FileMode, error) {
	data, err := os.ReadFile(o.file)
	if errors.Is(err, fs.ErrNotExist) && missingOK {
		return tenants.Document{}, 0o644, nil
	}
	if err != nil {
		return tenants.Document{}, 0, err
	}
	st, err := os.Stat(o.file)
	if err != nil {
		return tenants.Document{}, 0, err
	}
	doc, err := tenants.Parse(o.file, data, o.limits())
	if err != nil {
		return tenants.Document{}, 0, fmt.Errorf("%w\nfix the file first; nothing was changed", err)
	}
	return doc, st.Mode().Perm(), nil
}

// edit applies add or remove to every id, validates the result with
// tenants.Parse and writes it, or changes nothing.
func edit(cmd string, ids []string, o options, stdout io.Writer) error {
	doc, mode, err := load(o, cmd == "add")
	if err != nil {
		return err
	}
	p := &placement{doc: doc, capacity: tenants.CellCapacity(o.limits())}
	var lines []string
	changedCells := map[string]bool{}
	for _, id := range ids {
		var c *change
		if cmd == "add" {
			c, err = p.add(id, o.add)
		} else {
			c, err = p.remove(id)
		}
		if err != nil {
			return fmt.Errorf("%w; nothing was changed", err)
		}
		if c == nil {
			t := p.doc.Tenants[p.find(id)]
			lines = append(lines, fmt.Sprintf("%s is already in cell %s (priority %d): unchanged", id, t.Cell, t.Priority))
			continue
		}
		lines = append(lines, describe(*c, o.stackName))
		changedCells[c.Tenant.Cell] = true
	}
	if len(changedCells) > 0 {
		data := tenants.Format(p.doc)
		if _, err := tenants.Parse(o.file, data, o.limits()); err != nil {
			return fmt.Errorf("%w\nnothing was changed", err)
		}
		if err := writeAtomic(o.file, data, mode, ops); err != nil {
			return fmt.Errorf("write %s: %w; the file is unchanged", o.file, err)
		}
	}
	for _, l := range lines {
		fmt.Fprintln(stdout, l)
	}
	if deploy := deployList(p.doc, changedCells, o.stackName); deploy != "" {
		fmt.Fprintln(stdout, "deploy: cdk deploy "+deploy)
	}
	return nil
}

func describe(c change, stackName string) string {
	t := c.Tenant
	if c.Added {
		s := fmt.Sprintf("added %s to cell %s (priority %d)", t.ID, t.Cell, t.Priority)
		if c.NewCell {
			s += ", a new cell: stack " + contract.CellStackName(stackName, t.Cell)
		}
		return s
	}
	s := fmt.Sprintf("removed %s from cell %s (priority %d)", t.ID, t.Cell, t.Priority)
	if c.NewCell {
		s += fmt.Sprintf("; cell %s is now empty: the app no longer has its stack, delete it with "+
			"aws cloudformation delete-stack --stack-name %s", t.Cell, contract.CellStackName(stackName, t.Cell))
	}
	return s
}

// deployList names the changed cells' stacks that still exist, in cell order.
func deployList(doc tenants.Document, changed map[string]bool, stackName string) string {
	var names []string
	for _, c := range tenants.Cells(doc.Tenants) {
		if changed[c.ID] {
			names = append(names, contract.CellStackName(stackName, c.ID))
		}
	}
	return strings.Join(names, " ")
}

// list prints the tenants and the fill of each cell.
func list(o options, stdout io.Writer) error {
	doc, _, err := load(o, false)
	if err != nil {
		return err
	}
	capacity := tenants.CellCapacity(o.limits())
	cells := tenants.Cells(doc.Tenants)
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "TENANT\tCELL\tPRIORITY\tMEMORY\tRESERVED")
	for _, c := range cells {
		for _, t := range c.Tenants {
			reserved := "-"
			if t.ReservedConcurrency > 0 {
				reserved = fmt.Sprint(t.ReservedConcurrency)
			}
			fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\n", t.ID, t.Cell, t.Priority, t.MemorySize, reserved)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	w = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "CELL\tTENANTS\tCAPACITY\tFULL\tSTACK")
	for _, c := range cells {
		fmt.Fprintf(w, "%s\t%d\t%d\t%d%%\t%s\n", c.ID, len(c.Tenants), capacity, len(c.Tenants)*100/capacity,
			contract.CellStackName(o.stackName, c.ID))
	}
	return w.Flush()
}
