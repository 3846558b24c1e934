// Package directory builds the tenant directory of a deployment (tenant ->
// cell -> URL) from CloudFormation: the shared stack <stack> and its cell
// stacks <stack>-Cell-<cell> (internal/contract), found by listing every stack
// (DescribeStacks without a name, paginated) and keeping the top-level stacks
// whose name starts with contract.CellStackPrefix(stack). Deleted stacks and
// stacks being deleted are skipped, and so are nested stacks (a cell's tenant
// stacks have names that start with the cell stack's name).
//
// Forms: TSV for scripts/smoke.sh --directory (one line per tenant, no header:
// tenant, cell, cell base URL, cell HTTP URL), JSON for programs (the shape
// local mode writes to .local/directory.json), and a table for people.
package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/tenants"
	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/awsenv"
)

// DescribeStacksAPI is the part of the CloudFormation client this package uses.
type DescribeStacksAPI interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// Stack is one stack of a deployment with its outputs.
type Stack struct {
	Name    string
	Status  string
	Outputs map[string]string
}

// Deployment is the shared stack and the cell stacks of one deployment.
type Deployment struct {
	Shared *Stack            // nil when the shared stack does not exist
	Cells  map[string]*Stack // cell id -> stack
}

// cellPattern is the cell id rule of the tenants file (design: Cells).
var cellPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?$`)

// gone reports whether a stack is deleted or being deleted.
func gone(status cfntypes.StackStatus) bool {
	switch status {
	case cfntypes.StackStatusDeleteComplete, cfntypes.StackStatusDeleteInProgress:
		return true
	}
	return false
}

// Find lists every stack of the account and region (paginated) and returns
// the shared stack named stack and its cell stacks.
func Find(ctx context.Context, api DescribeStacksAPI, stack string) (*Deployment, error) {
	d := &Deployment{Cells: map[string]*Stack{}}
	p := cloudformation.NewDescribeStacksPaginator(api, &cloudformation.DescribeStacksInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list stacks: %w", err)
		}
		for _, s := range page.Stacks {
			name := aws.ToString(s.StackName)
			if gone(s.StackStatus) || aws.ToString(s.ParentId) != "" {
				continue
			}
			cell, isCell := contract.CellFromStackName(stack, name)
			if name != stack && (!isCell || !cellPattern.MatchString(cell)) {
				continue
			}
			st := &Stack{Name: name, Status: string(s.StackStatus), Outputs: map[string]string{}}
			for _, o := range s.Outputs {
				st.Outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
			}
			if name == stack {
				d.Shared = st
			} else {
				d.Cells[cell] = st
			}
		}
	}
	return d, nil
}

// CellIDs returns the cell ids in directory order: numeric ids numerically
// first, then the others lexically.
func (d *Deployment) CellIDs() []string {
	ids := slices.Collect(maps.Keys(d.Cells))
	SortCells(ids)
	return ids
}

// SortCells sorts cell ids: numeric ids numerically first, then lexically
// (tenants.CompareCellIDs, the order of the stacks' cells).
func SortCells(ids []string) { slices.SortFunc(ids, tenants.CompareCellIDs) }

// Tenants returns every tenant id of the deployment: the TenantIds of every
// cell stack, in cell order, plus the TenantIds output of the shared stack
// when it still has one (the single-stack layout before cells), so that the
// tools work before, during and after the upgrade to cells.
func (d *Deployment) Tenants() []string {
	var out []string
	add := func(list string) {
		for _, t := range awsenv.SplitList(list) {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	for _, id := range d.CellIDs() {
		add(d.Cells[id].Outputs[contract.OutTenantIDs])
	}
	if d.Shared != nil {
		add(d.Shared.Outputs[contract.OutTenantIDs])
	}
	return out
}

// Cell is one cell of the directory.
type Cell struct {
	Cell    string   `json:"cell"`
	Stack   string   `json:"stack"`
	BaseURL string   `json:"baseUrl"`
	HTTPURL string   `json:"httpUrl"`
	Tenants []string `json:"tenants"`
}

// Tenant is one tenant of the directory.
type Tenant struct {
	ID   string `json:"id"`
	Cell string `json:"cell"`
	URL  string `json:"url"`
}

// Directory is the tenant directory: cells in cell order, tenants in cell
// order then in their cell's TenantIds order (priority order).
type Directory struct {
	Cells   []Cell   `json:"cells"`
	Tenants []Tenant `json:"tenants"`
}

// Build makes the directory of the deployment's cell stacks. Every cell stack
// must have the outputs BaseUrl, TenantIds and one TenantUrl<Id> per tenant;
// a tenant listed by two cells (a half-finished move) is an error naming both.
func (d *Deployment) Build() (*Directory, error) {
	dir := &Directory{Cells: []Cell{}, Tenants: []Tenant{}}
	where := map[string]string{}
	for _, id := range d.CellIDs() {
		st := d.Cells[id]
		base, err := require(st, contract.OutBaseURL)
		if err != nil {
			return nil, err
		}
		base = strings.TrimSuffix(base, "/")
		u, err := url.Parse(base)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.Path != "" || u.RawQuery != "" {
			return nil, fmt.Errorf("stack %s: output %s = %q is not https://HOST[:PORT]", st.Name, contract.OutBaseURL, base)
		}
		if c := st.Outputs[contract.OutCell]; c != "" && c != id {
			return nil, fmt.Errorf("stack %s: output %s = %q does not match the stack name (cell %q)", st.Name, contract.OutCell, c, id)
		}
		list, ok := st.Outputs[contract.OutTenantIDs]
		if !ok {
			return nil, fmt.Errorf("stack %s has no output %q", st.Name, contract.OutTenantIDs)
		}
		cell := Cell{Cell: id, Stack: st.Name, BaseURL: base, HTTPURL: "http://" + u.Host, Tenants: awsenv.SplitList(list)}
		for _, t := range cell.Tenants {
			if other, dup := where[t]; dup {
				return nil, fmt.Errorf("tenant %s is in two cells, %s and %s (a move between cells is half-deployed: deploy the cell it left)", t, other, id)
			}
			where[t] = id
			tu, err := require(st, contract.TenantURLOutputKey(t))
			if err != nil {
				return nil, err
			}
			dir.Tenants = append(dir.Tenants, Tenant{ID: t, Cell: id, URL: tu})
		}
		dir.Cells = append(dir.Cells, cell)
	}
	return dir, nil
}

func require(st *Stack, key string) (string, error) { return awsenv.Require(st.Outputs, st.Name, key) }

// cellOf returns the cell of id c.
func (dir *Directory) cellOf(c string) Cell {
	for _, cell := range dir.Cells {
		if cell.Cell == c {
			return cell
		}
	}
	return Cell{}
}

// WriteTSV writes one line per tenant: tenant, cell, base URL, HTTP URL.
func (dir *Directory) WriteTSV(w io.Writer) error {
	for _, t := range dir.Tenants {
		c := dir.cellOf(t.Cell)
		for _, f := range []string{t.ID, c.Cell, c.BaseURL, c.HTTPURL} {
			if strings.ContainsAny(f, "\t\r\n") {
				return fmt.Errorf("tenant %s: %q cannot be written as a TSV field", t.ID, f)
			}
		}
		if _, err := fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", t.ID, c.Cell, c.BaseURL, c.HTTPURL); err != nil {
			return err
		}
	}
	return nil
}

// WriteJSON writes the directory as indented JSON.
func (dir *Directory) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(dir)
}

// WriteTable writes a table for people: one row per tenant, then one row
// per cell with its size.
func (dir *Directory) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tCELL\tURL")
	for _, t := range dir.Tenants {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", t.ID, t.Cell, t.URL)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CELL\tTENANTS\tSTACK\tBASE URL")
	for _, c := range dir.Cells {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", c.Cell, len(c.Tenants), c.Stack, c.BaseURL)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d tenant(s) in %d cell(s)\n", len(dir.Tenants), len(dir.Cells))
	return err
}
