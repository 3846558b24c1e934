package localmode

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/localalb"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/localproc"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/tenants"
)

// Cell is one cell of the app as local mode serves it: one local ALB (the
// cell stack's listeners) at its own pair of local ports.
type Cell struct {
	ID        string          // cell id ("1", "eu-2")
	StackName string          // the cell's stack
	Model     *localalb.Model // the cell's listeners, rules, target groups and functions
	HTTPSPort int             // local port of the template's HTTPS (443) listener: --https-port + index
	HTTPPort  int             // local port of the template's HTTP (80) listener: --http-port + index
	Tenants   []string        // tenant ids served by this cell, sorted
}

// BaseURL is the cell's HTTPS address.
func (c *Cell) BaseURL() string { return fmt.Sprintf("https://127.0.0.1:%d", c.HTTPSPort) }

// HTTPURL is the cell's HTTP (redirect) listener address.
func (c *Cell) HTTPURL() string { return fmt.Sprintf("http://127.0.0.1:%d", c.HTTPPort) }

// tenantsOf lists the tenants a cell's model serves: the TENANT_ID of every
// function a target group targets, sorted.
func tenantsOf(m *localalb.Model) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range targetFunctions(m) {
		t := firstNonEmpty(m.Functions[id].Env[localalb.TenantEnv], id)
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// placeCells sorts the cells and gives cell i the ports httpsPort+i and
// httpPort+i.
func placeCells(cells []*Cell, httpsPort, httpPort int) {
	sort.SliceStable(cells, func(i, j int) bool { return tenants.CompareCellIDs(cells[i].ID, cells[j].ID) < 0 })
	for i, c := range cells {
		c.HTTPSPort, c.HTTPPort = httpsPort+i, httpPort+i
	}
}

// portUse is one local port local mode will listen on, with the flag (and
// cell) that chose it, for messages.
type portUse struct {
	port int
	what string // e.g. "--https-port + 1 (cell 2)"
}

// cellPorts lists every port local mode will listen on.
func cellPorts(cells []*Cell, cognitoPort int) []portUse {
	uses := []portUse{{cognitoPort, "--cognito-port"}}
	for i, c := range cells {
		name := func(flag string) string {
			if i == 0 {
				return fmt.Sprintf("%s (cell %s)", flag, c.ID)
			}
			return fmt.Sprintf("%s + %d (cell %s)", flag, i, c.ID)
		}
		uses = append(uses, portUse{c.HTTPSPort, name("--https-port")}, portUse{c.HTTPPort, name("--http-port")})
	}
	return uses
}

// checkPorts fails, before anything is started, when a port is chosen twice
// (cell port ranges overlapping each other or --cognito-port), out of range
// or busy, naming the flag and the cell.
func checkPorts(uses []portUse) error {
	seen := map[int]string{}
	for _, u := range uses {
		if other, dup := seen[u.port]; dup {
			return fmt.Errorf("port %d is chosen twice, by %s and by %s: move one range with its flag", u.port, other, u.what)
		}
		seen[u.port] = u.what
	}
	for _, u := range uses {
		if err := localproc.CheckPortFree("127.0.0.1", u.port, u.what); err != nil {
			return err
		}
	}
	return nil
}

// sampleTenants picks the tenants that get a demo user: all of them when n
// is 0 or covers them all, else a deterministic sample of n tenants (at
// least one per cell, so every cell is represented) taken round-robin over
// the cells in cell order.
func sampleTenants(cells []*Cell, n int) []string {
	total := 0
	for _, c := range cells {
		total += len(c.Tenants)
	}
	if n <= 0 || n >= total {
		n = total
	}
	n = min(max(n, len(cells)), total)
	var out []string
	for round := 0; len(out) < n; round++ {
		for _, c := range cells {
			if round < len(c.Tenants) && len(out) < n {
				out = append(out, c.Tenants[round])
			}
		}
	}
	return out
}

// abbreviate joins the first few items and counts the rest.
func abbreviate(items []string, few int) string {
	if len(items) <= few+1 {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s (+%d more)", strings.Join(items[:few], ", "), len(items)-few)
}

// allTenants lists the tenants of every cell, in cell order.
func allTenants(cells []*Cell) []string {
	var out []string
	for _, c := range cells {
		out = append(out, c.Tenants...)
	}
	return out
}

// cellsOf returns the cells of a loaded cloud assembly (in the assembly's
// cell order; placeCells sorts them again).
func cellsOf(asm *localalb.Assembly) []*Cell {
	cells := make([]*Cell, 0, len(asm.Cells))
	for _, c := range asm.Cells {
		cells = append(cells, &Cell{ID: c.ID, StackName: c.StackName, Model: c.Model, Tenants: tenantsOf(c.Model)})
	}
	return cells
}

// reloadModels replaces each cell's model by the one of the same cell stack
// in asm (the same assembly loaded with other Resolver values).
func reloadModels(cells []*Cell, asm *localalb.Assembly) error {
	models := map[string]*localalb.Model{}
	for _, c := range asm.Cells {
		models[c.StackName] = c.Model
	}
	for _, c := range cells {
		m := models[c.StackName]
		if m == nil {
			return fmt.Errorf("stack %s is no longer in the cloud assembly", c.StackName)
		}
		c.Model = m
	}
	return nil
}

// targetFunctions lists the Lambda functions that some target group targets,
// in a stable order. Other functions in the template (custom-resource
// providers) are CloudFormation's business, not the ALB's.
func targetFunctions(m *localalb.Model) []string {
	seen := map[string]bool{}
	var ids []string
	for _, tg := range m.TargetGroups {
		if fn := tg.Function; fn != nil && !seen[fn.LogicalID] {
			seen[fn.LogicalID] = true
			ids = append(ids, fn.LogicalID)
		}
	}
	sort.Strings(ids)
	return ids
}
