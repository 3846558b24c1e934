package localalb

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/invoke"
)

// coldInvoker reports a cold start through the invoke.Info in its context,
// as the runtime pool does.
type coldInvoker struct{ d time.Duration }

func (c coldInvoker) Invoke(ctx context.Context, _ []byte) ([]byte, error) {
	invoke.ReportColdStart(ctx, c.d)
	return []byte(`{"statusCode":200,"body":"ok"}`), nil
}

// lastLogLine decodes the last JSON log line.
func lastLogLine(t *testing.T, logs string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRequestLogNamesTenantAndPriority(t *testing.T) {
	env := newTestEnv(t, readTemplate(t), nil)
	tokA := env.idp.token(t, "tenant-A", nil)
	tests := []struct {
		target, tok, wantMsg, wantRuleAttr string
	}{
		{"/tenant-A/x", tokA, "GET /tenant-A/x 200 tenant=tenant-A rule=prio-10", "TenantRuleTenantA"},
		{"/tenant-B/x", tokA, "GET /tenant-B/x 401 tenant=tenant-B rule=prio-20", "TenantRuleTenantB"},
		{"/nobody", tokA, "GET /nobody 404 tenant=- rule=default", "default"},
	}
	for _, tt := range tests {
		env.do(t, 443, "GET", tt.target, bearer(tt.tok), "")
		line := lastLogLine(t, env.logs.String())
		if line["msg"] != tt.wantMsg {
			t.Errorf("msg = %q, want %q", line["msg"], tt.wantMsg)
		}
		if rule, _ := line["rule"].(string); !strings.HasPrefix(rule, tt.wantRuleAttr) {
			t.Errorf("rule attribute = %q, want the logical id %s…", rule, tt.wantRuleAttr)
		}
	}
}

func TestRequestLogSaysColdStart(t *testing.T) {
	env := newTestEnv(t, readTemplate(t), nil)
	for id, fn := range env.alb.model.Functions {
		if fn.Env[TenantEnv] == "tenant-A" {
			env.alb.invokers[env.alb.model.Functions[id]] = coldInvoker{312 * time.Millisecond}
		}
	}
	env.do(t, 443, "GET", "/tenant-A/x", bearer(env.idp.token(t, "tenant-A", nil)), "")
	line := lastLogLine(t, env.logs.String())
	if msg, _ := line["msg"].(string); !strings.HasSuffix(msg, "tenant=tenant-A rule=prio-10 cold start 312ms") {
		t.Errorf("msg = %q", msg)
	}
	if line["cold_start_ms"] != 312.0 {
		t.Errorf("cold_start_ms = %v", line["cold_start_ms"])
	}
}
