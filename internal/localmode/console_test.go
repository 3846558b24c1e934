package localmode

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPoolConsoleShowsTheTenantNotTheRuntimeName(t *testing.T) {
	var term strings.Builder
	w := poolConsole{newConsole(&term)}
	line := `{"time":"2026-12-02T15:02:01.228310949Z","level":"INFO","msg":"request","tenant":"tenant-A","status":200,"decision":"allowed"}`
	for _, in := range []string{"[fn-tenant-A] " + line + "\n", "[fn-eu-tenant] x\n", "other\n"} {
		if n, err := w.Write([]byte(in)); err != nil || n != len(in) {
			t.Fatalf("Write(%q) = %d, %v", in, n, err)
		}
	}
	want := "[tenant-A] " + line + "\n[eu-tenant] x\nother\n"
	if term.String() != want {
		t.Errorf("console:\n%s\nwant:\n%s", term.String(), want)
	}
}

// The request lines below are localalb's (handler.go): the message names
// the tenant and the rule priority, the attributes keep the logical ids.
func TestRequestConsoleLineNamesTenantsAndPriorities(t *testing.T) {
	tests := []struct{ line, want string }{
		{`{"time":"t","level":"INFO","msg":"GET /tenant-A/x 200 tenant=tenant-A rule=prio-10","cell":"1","listener":"RoutingLoadBalancerHttpsA53B174F","tenant":"tenant-A","port":443,"method":"GET","path":"/tenant-A/x","rule":"TenantTenantANestedStackTenantTenantANestedStackResource2B5A1A93/Rule","priority":10,"jwt":"pass","jwt_reason":"","rewritten_path":"/x","target_group":"TenantTenantANestedStackTenantTenantANestedStackResource2B5A1A93/TargetGroup3D7CD9B8","function":"TenantTenantANestedStackTenantTenantANestedStackResource2B5A1A93/Function","status":200,"error_reason":"","cold_start_ms":0,"latency_ms":62.815}`,
			"GET /tenant-A/x -> tenant-A (priority 10) 200 62.8 ms"},
		{`{"msg":"GET /tenant-B/ 401 tenant=tenant-B rule=prio-20","tenant":"tenant-B","method":"GET","path":"/tenant-B/","rule":"RoutingTenantTenantBRule7A3B","priority":20,"jwt":"reject","jwt_reason":"missing token","function":"","status":401,"cold_start_ms":0,"latency_ms":0.31}`,
			"GET /tenant-B/ -> tenant-B (priority 20) 401 jwt reject: missing token 0.3 ms"},
		{`{"msg":"GET /nope 404 tenant=- rule=default","tenant":"","method":"GET","path":"/nope","rule":"default","priority":0,"jwt":"none","status":404,"latency_ms":0.2}`,
			"GET /nope -> default action 404 0.2 ms"},
		{`{"msg":"GET  400 tenant=- rule=-","tenant":"","method":"GET","path":"","rule":"-","status":400,"error_reason":"bad escape","latency_ms":0.1}`,
			"GET  -> no rule 400 (bad escape) 0.1 ms"},
		{`{"msg":"POST /tenant-A/ 200 tenant=tenant-A rule=prio-10 cold start 640ms","tenant":"tenant-A","method":"POST","path":"/tenant-A/","rule":"R","priority":10,"function":"TenantTenantAFunction2314D1A1","status":200,"latency_ms":812.4,"cold_start_ms":640.2}`,
			"POST /tenant-A/ -> tenant-A (priority 10) 200 812 ms (cold start 640 ms)"},
		{`{"msg":"GET /t/ 200 tenant=Unknown rule=prio-7","tenant":"Unknown","method":"GET","path":"/t/","rule":"Unknown","priority":7,"status":200,"cold_start":1500000000}`,
			"GET /t/ -> priority 7 200 (cold start 1500 ms)"},
		{`{"msg":"GET /t/ 200 tenant=TG1A2B3C4D rule=prio-7","tenant":"TG1A2B3C4D","target_group":"TG1A2B3C4D","method":"GET","path":"/t/","rule":"RuleE5BB8F4C","priority":7,"status":200}`,
			"GET /t/ -> priority 7 200"},
		{`{"msg":"GET /tenant-A/x 301 tenant=- rule=default","port":80,"method":"GET","path":"/tenant-A/x","rule":"default","status":301,"latency_ms":0.1}`,
			"GET /tenant-A/x (port 80) -> default action 301 0.1 ms"},
		{`{"level":"INFO","msg":"jwks fetched"}`, ""},
		{`{"level":"WARN","msg":"jwks fetch failed","url":"http://x"}`, "alb warn: jwks fetch failed url=http://x"},
		{`time=x level=INFO msg=request`, "alb: time=x level=INFO msg=request"},
	}
	for _, tc := range tests {
		got := requestConsoleLine([]byte(tc.line))
		if got != tc.want {
			t.Errorf("line %s\n got %q\nwant %q", tc.line, got, tc.want)
		}
		if strings.Contains(got, "Function2314") || strings.Contains(got, "RuleE5BB") || strings.Contains(got, "Resource2B5A") {
			t.Errorf("console line names a logical id: %s", got)
		}
	}
}

func TestRequestLogWritesTheFullLineToTheFileAndAShortOneToTheConsole(t *testing.T) {
	var file, term strings.Builder
	log := requestLog(&file, newConsole(&term), "eu-2", true)
	log.Info("GET /tenant-A/ 200 tenant=tenant-A rule=prio-10", "tenant", "tenant-A", "method", "GET", "path", "/tenant-A/", "rule", "Rule1", "priority", 10, "function", "Fn1", "status", 200)
	if !strings.Contains(file.String(), `"rule":"Rule1"`) || !strings.Contains(file.String(), `"cell":"eu-2"`) {
		t.Errorf("file line lacks the logical id or the cell: %s", file.String())
	}
	if want := "  cell eu-2  GET /tenant-A/ -> tenant-A (priority 10) 200\n"; term.String() != want {
		t.Errorf("console %q, want %q", term.String(), want)
	}
}

func TestChildFailedShowsTheTailOfItsLog(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".local", "logs", "cognito-local.log")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i := 1; i <= 50; i++ {
		fmt.Fprintf(&b, "\x1b[33mline %d\x1b[39m\n", i)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	msg := childFailed(fmt.Errorf("start cognito-local: boom"), path, dir).Error()
	for _, want := range []string{"start cognito-local: boom", "last 40 lines of .local/logs/cognito-local.log", "\nline 11\n", "\nline 50\n"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "\nline 10\n") || strings.Contains(msg, "\x1b") {
		t.Errorf("message has more than 40 lines or colour codes:\n%s", msg)
	}
	empty := filepath.Join(dir, "empty.log")
	os.WriteFile(empty, nil, 0o600)
	if msg := childFailed(fmt.Errorf("x"), empty, dir).Error(); !strings.Contains(msg, "empty.log is empty") {
		t.Errorf("empty log: %s", msg)
	}
}
