package localmode

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// emulatorOutput is what one runtime emulator printed for one invoke
// (captured from a run), the function's own line in the middle.
const emulatorOutput = `02 Dec 2026 15:01:39,074 [INFO] (rapid) exec '/w/.local/build/lambda/bootstrap' (cwd=/w, handler=)
02 Dec 2026 15:02:01,223 [INFO] (rapid) INIT REPORT(durationMs: 44.042000)
START RequestId: 581890b0-a83d-4ffe-b43c-480f474d6aca Version: $LATEST
02 Dec 2026 15:02:01,224 [INFO] (rapid) INVOKE START(requestId: 581890b0-a83d-4ffe-b43c-480f474d6aca)
{"time":"2026-12-02T15:02:01.228310949Z","level":"INFO","msg":"request","tenant":"tenant-A","status":200,"decision":"allowed"}
02 Dec 2026 15:02:01,230 [INFO] (rapid) INVOKE RTDONE(status: success, produced bytes: 0, duration: 5.617000ms)
END RequestId: 581890b0-a83d-4ffe-b43c-480f474d6aca
REPORT RequestId: 581890b0-a83d-4ffe-b43c-480f474d6aca	Init Duration: 0.07 ms	Duration: 51.71 ms	Billed Duration: 52 ms
02 Dec 2026 15:02:02,519 [WARNING] (rapid) Reset initiated: SandboxTerminated
`

func TestFunctionOutputShowsOnlyTheFunctionsLinesPrefixedWithItsTenant(t *testing.T) {
	var file, term strings.Builder
	w := functionOutput(&file, newConsole(&term), "tenant-A")
	// Written in odd pieces, as pipes deliver it.
	for rest := emulatorOutput; rest != ""; {
		n := min(37, len(rest))
		if _, err := w.Write([]byte(rest[:n])); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if file.String() != emulatorOutput {
		t.Errorf("the log file does not have every line:\n%s", file.String())
	}
	want := `[tenant-A] {"time":"2026-12-02T15:02:01.228310949Z","level":"INFO","msg":"request","tenant":"tenant-A","status":200,"decision":"allowed"}` + "\n"
	if term.String() != want {
		t.Errorf("console:\n%s\nwant:\n%s", term.String(), want)
	}
}

func TestRequestConsoleLineNamesTenantsAndPriorities(t *testing.T) {
	names := tenantNames{
		rules:     map[string]string{"RoutingTenantTenantBRule7A3B": "tenant-B"},
		functions: map[string]string{"TenantTenantAFunction2314D1A1": "tenant-A"},
	}
	tests := []struct{ line, want string }{
		{`{"time":"t","level":"INFO","msg":"request","cell":"1","listener":"RoutingLoadBalancerHttpsA53B174F","port":443,"method":"GET","path":"/tenant-A/x","rule":"RoutingTenantTenantARuleE5BB8F4C","priority":10,"jwt":"pass","jwt_reason":"","rewritten_path":"/x","target_group":"TenantTenantATargetGroup9782E78B","function":"TenantTenantAFunction2314D1A1","status":200,"error_reason":"","latency_ms":62.815}`,
			"GET /tenant-A/x -> tenant-A (priority 10) 200 62.8 ms"},
		{`{"msg":"request","method":"GET","path":"/tenant-B/","rule":"RoutingTenantTenantBRule7A3B","priority":20,"jwt":"reject","jwt_reason":"missing token","function":"","status":401,"latency_ms":0.31}`,
			"GET /tenant-B/ -> tenant-B (priority 20) 401 jwt reject: missing token 0.3 ms"},
		{`{"msg":"request","method":"GET","path":"/nope","rule":"default","priority":0,"jwt":"none","status":404,"latency_ms":0.2}`,
			"GET /nope -> default action 404 0.2 ms"},
		{`{"msg":"request","method":"GET","path":"","rule":"-","status":400,"error_reason":"bad escape","latency_ms":0.1}`,
			"GET  -> no rule 400 (bad escape) 0.1 ms"},
		{`{"msg":"request","method":"POST","path":"/tenant-A/","rule":"R","priority":10,"function":"TenantTenantAFunction2314D1A1","status":200,"latency_ms":812.4,"cold_start_ms":640.2}`,
			"POST /tenant-A/ -> tenant-A (priority 10) 200 812 ms (cold start 640 ms)"},
		{`{"msg":"request","method":"GET","path":"/t/","rule":"Unknown","priority":7,"status":200,"cold_start":1500000000}`,
			"GET /t/ -> priority 7 200 (cold start 1500 ms)"},
		{`{"msg":"request","port":80,"method":"GET","path":"/tenant-A/x","rule":"default","status":301,"latency_ms":0.1}`,
			"GET /tenant-A/x (port 80) -> default action 301 0.1 ms"},
		{`{"level":"INFO","msg":"jwks fetched"}`, ""},
		{`{"level":"WARN","msg":"jwks fetch failed","url":"http://x"}`, "alb warn: jwks fetch failed url=http://x"},
		{`time=x level=INFO msg=request`, "alb: time=x level=INFO msg=request"},
	}
	for _, tc := range tests {
		got := requestConsoleLine([]byte(tc.line), names)
		if got != tc.want {
			t.Errorf("line %s\n got %q\nwant %q", tc.line, got, tc.want)
		}
		if strings.Contains(got, "Function2314") || strings.Contains(got, "RuleE5BB") {
			t.Errorf("console line names a logical id: %s", got)
		}
	}
}

func TestRequestLogWritesTheFullLineToTheFileAndAShortOneToTheConsole(t *testing.T) {
	var file, term strings.Builder
	log := requestLog(&file, newConsole(&term), "eu-2", tenantNames{functions: map[string]string{"Fn1": "tenant-A"}}, true)
	log.Info("request", "method", "GET", "path", "/tenant-A/", "rule", "Rule1", "priority", 10, "function", "Fn1", "status", 200)
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
