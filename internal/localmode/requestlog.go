package localmode

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sort"
	"strings"
)

// The local ALBs log one structured (JSON) line per request (localalb's
// format: the message "GET /tenant-A/x 200 tenant=tenant-A rule=prio-10",
// the attributes method, path, port, rule, priority, tenant, status, jwt,
// jwt_reason, error_reason, latency_ms, cold_start_ms and the logical ids).
// The full line goes to logs/alb-requests.log; the console gets a short line
// that names the tenant and the rule priority instead of CDK logical ids.
// This writer knows only a few attributes of the line and never fails on a
// line it does not understand: the file keeps the line either way.

// requestLog returns the logger for the ALB of one cell: JSON lines into
// file, with the cell id, and a short line per request on the console.
// showCell adds the cell to the console line (when there are several).
func requestLog(file io.Writer, con *console, cell string, showCell bool) *slog.Logger {
	lw := &lineWriter{fn: func(line []byte) {
		if s := requestConsoleLine(line); s != "" {
			if showCell {
				s = "cell " + cell + "  " + s
			}
			con.printf("  %s\n", s)
		}
	}}
	h := slog.NewJSONHandler(io.MultiWriter(file, lw), nil)
	return slog.New(h).With(slog.String("cell", cell))
}

// requestConsoleLine turns one JSON log line of the ALB into its console
// form, e.g.
//
//	GET /tenant-A/orders/7 -> tenant-A (priority 10) 200 3.1 ms
//	GET /tenant-B/ -> tenant-B (priority 20) 401 jwt: missing token
//	GET /nope -> default action 404 0.2 ms
//	GET /tenant-A/x (port 80) -> default action 301 0.1 ms
//
// The port is the template listener's, shown when it is not 443.
//
// A request line is a record with method and status. A line it cannot read
// is shown as the ALB wrote it; other records are shown only at WARN and
// above.
func requestConsoleLine(line []byte) string {
	var rec map[string]any
	if err := json.Unmarshal(line, &rec); err != nil {
		return "alb: " + string(line)
	}
	str := func(k string) string { s, _ := rec[k].(string); return s }
	num := func(k string) (float64, bool) { f, ok := rec[k].(float64); return f, ok }
	_, isRequest := num("status")
	if isRequest {
		_, isRequest = rec["method"].(string)
	}
	if !isRequest {
		if lvl := str("level"); lvl == "WARN" || lvl == "ERROR" {
			return "alb " + strings.ToLower(lvl) + ": " + str("msg") + otherAttrs(rec)
		}
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", str("method"), str("path"))
	if port, ok := num("port"); ok && port != 443 {
		fmt.Fprintf(&b, " (port %d)", int(port))
	}
	b.WriteString(" -> ")
	rule := str("rule")
	tenant := str("tenant")
	if tenant == rule || tenant == str("target_group") {
		tenant = "" // localalb's fallback when no function names a tenant: a logical id
	}
	prio, _ := num("priority")
	switch {
	case tenant != "":
		fmt.Fprintf(&b, "%s (priority %d)", tenant, int(prio))
	case rule == "default":
		b.WriteString("default action")
	case rule == "-" || rule == "":
		b.WriteString("no rule")
	default:
		fmt.Fprintf(&b, "priority %d", int(prio))
	}
	if st, ok := num("status"); ok {
		fmt.Fprintf(&b, " %d", int(st))
	}
	if j := str("jwt"); j == "reject" || j == "error" {
		fmt.Fprintf(&b, " jwt %s", j)
		if r := str("jwt_reason"); r != "" {
			b.WriteString(": " + r)
		}
	}
	if r := str("error_reason"); r != "" {
		b.WriteString(" (" + r + ")")
	}
	if ms, ok := num("latency_ms"); ok {
		fmt.Fprintf(&b, " %s", formatMillis(ms))
	}
	if cs := coldStartMillis(rec); cs > 0 {
		fmt.Fprintf(&b, " (cold start %s)", formatMillis(cs))
	}
	return b.String()
}

// coldStartMillis reads a cold start from a request line: cold_start_ms in
// milliseconds, or cold_start as slog's JSON handler writes a time.Duration
// (nanoseconds). Zero when the line has neither (a warm runtime).
func coldStartMillis(rec map[string]any) float64 {
	if ms, ok := rec["cold_start_ms"].(float64); ok {
		return ms
	}
	if ns, ok := rec["cold_start"].(float64); ok {
		return ns / 1e6
	}
	return 0
}

func formatMillis(ms float64) string {
	if ms >= 100 {
		return fmt.Sprintf("%d ms", int(math.Round(ms)))
	}
	return fmt.Sprintf("%.1f ms", ms)
}

// otherAttrs formats the attributes of a non-request record after its
// message.
func otherAttrs(rec map[string]any) string {
	keys := make([]string, 0, len(rec))
	for k := range rec {
		switch k {
		case "time", "level", "msg", "cell":
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%v", k, rec[k])
	}
	return b.String()
}
