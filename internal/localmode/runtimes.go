package localmode

import (
	"bytes"
	"fmt"
	"io"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/localalb"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/rie"
)

// Runtimes start on demand, as Lambda does: every function a target group
// targets is a function of one rie.Pool, whose emulator starts on the
// tenant's first request (the request line shows the cold start), stays
// warm while used, and stops after --idle-timeout or when a start needs its
// place under --max-warm (least recently used first).

// fnPrefix names a tenant's runtime in the pool: its log file is
// <logs>/fn-<tenant>.log (the prefix keeps a tenant called "synth" from
// writing into synth.log).
const fnPrefix = "fn-"

// cellInvokers returns the invokers of a cell's local ALB, keyed by the
// model's function keys: one pool function per tenant, named by its tenant
// id, with the environment the template gives it. names holds the runtime
// names already given (a tenant in two cells is an error, not a shared
// runtime with the wrong environment).
func cellInvokers(pool *rie.Pool, c *Cell, region string, names map[string]string) (map[string]localalb.Invoker, error) {
	invokers := map[string]localalb.Invoker{}
	for _, key := range targetFunctions(c.Model) {
		fn := c.Model.Functions[key]
		name := fnPrefix + firstNonEmpty(fn.Env[localalb.TenantEnv], key)
		where := fmt.Sprintf("%s of cell %s", key, c.ID)
		if other, dup := names[name]; dup {
			return nil, fmt.Errorf("functions %s and %s both serve tenant %s", other, where, name[len(fnPrefix):])
		}
		names[name] = where
		invokers[key] = pool.Function(name, fn.RuntimeEnv(region))
	}
	return invokers, nil
}

// poolConsole is the console as the runtime pool writes to it: one whole
// line per Write, "[fn-<tenant>] <the function's line>", shown as
// "[<tenant>] ...", as `sam local` shows them. (The pool's filter keeps the
// emulator's own lines in the log file.)
type poolConsole struct{ con *console }

func (p poolConsole) Write(b []byte) (int, error) {
	n := len(b)
	if rest, ok := bytes.CutPrefix(b, []byte("["+fnPrefix)); ok {
		b = append([]byte("["), rest...)
	}
	if _, err := p.con.Write(b); err != nil {
		return 0, err
	}
	return n, nil
}

var _ io.Writer = poolConsole{}
