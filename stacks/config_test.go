package stacks

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/tenantid"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/tenants"
)

func TestParseConfigDefaults(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "tenants.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig(ctxMap(map[string]any{CtxCertificateArn: testCertArn}), "tenants.json", data)
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	want0 := []Tenant{{ID: "tenant-A", Priority: 10, MemorySize: 128, Cell: "1"}, {ID: "tenant-B", Priority: 20, MemorySize: 128, Cell: "1"}}
	want := Config{
		StackName:                  "TenantRouting",
		TenantsFile:                "tenants.json",
		Tenants:                    want0,
		Cells:                      []CellConfig{{ID: "1", StackName: "TenantRouting-Cell-1", Tenants: want0}},
		AllowedCIDRs:               []string{"0.0.0.0/0"},
		UserPoolRemovalPolicy:      RemovalRetain,
		LogRetentionDays:           30,
		AccessTokenValidityMinutes: 60,
		MaxRulesPerALB:             100,
		Certificate:                CertificateConfig{Mode: CertificateImported, ARN: testCertArn},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("config =\n%+v\nwant\n%+v", cfg, want)
	}
}

func TestParseConfigAcceptedForms(t *testing.T) {
	file := tenantsJSON(Tenant{ID: "b", Priority: 7, MemorySize: 512}, Tenant{ID: "a_1", Priority: 3})
	tests := []struct {
		name  string
		ctx   map[string]any
		check func(t *testing.T, c Config)
	}{
		{"tenants sorted by priority, memory kept", map[string]any{}, func(t *testing.T, c Config) {
			if got := c.TenantIDs(); !reflect.DeepEqual(got, []string{"a_1", "b"}) {
				t.Errorf("ids = %v", got)
			}
			if c.Tenants[1].MemorySize != 512 || c.Tenants[0].MemorySize != tenants.DefaultMemorySizeMB {
				t.Errorf("memory = %+v", c.Tenants)
			}
		}},
		{"cidrs as JSON list", map[string]any{CtxAllowedCidrs: []any{"10.0.0.0/8", "192.0.2.0/24"}}, func(t *testing.T, c Config) {
			if !reflect.DeepEqual(c.AllowedCIDRs, []string{"10.0.0.0/8", "192.0.2.0/24"}) {
				t.Errorf("cidrs = %v", c.AllowedCIDRs)
			}
		}},
		{"cidrs as -c comma string", map[string]any{CtxAllowedCidrs: "10.0.0.0/8, 192.0.2.0/24"}, func(t *testing.T, c Config) {
			if !reflect.DeepEqual(c.AllowedCIDRs, []string{"10.0.0.0/8", "192.0.2.0/24"}) {
				t.Errorf("cidrs = %v", c.AllowedCIDRs)
			}
		}},
		{"cidrs as -c JSON string", map[string]any{CtxAllowedCidrs: `["203.0.113.0/24"]`}, func(t *testing.T, c Config) {
			if !reflect.DeepEqual(c.AllowedCIDRs, []string{"203.0.113.0/24"}) {
				t.Errorf("cidrs = %v", c.AllowedCIDRs)
			}
		}},
		{"tenants sorted by cell then priority, cells numeric first", map[string]any{CtxStackName: "Acme"}, func(t *testing.T, c Config) {
			c2, err := ParseConfig(ctxMap(map[string]any{CtxStackName: "Acme", CtxCertificateArn: testCertArn}), "tenants.json", tenantsJSON(
				Tenant{ID: "e", Priority: 5, Cell: "eu-1"}, Tenant{ID: "d", Priority: 20, Cell: "10"}, Tenant{ID: "c", Priority: 10, Cell: "10"},
				Tenant{ID: "b", Priority: 30}, Tenant{ID: "a", Priority: 10, Cell: "2"}))
			if err != nil {
				t.Fatal(err)
			}
			if got := c2.TenantIDs(); !reflect.DeepEqual(got, []string{"b", "a", "c", "d", "e"}) {
				t.Errorf("ids = %v", got)
			}
			var cells []string
			for _, cell := range c2.Cells {
				cells = append(cells, cell.ID+"="+cell.StackName+":"+strings.Join(cell.TenantIDs(), ","))
			}
			want := []string{"1=Acme-Cell-1:b", "2=Acme-Cell-2:a", "10=Acme-Cell-10:c,d", "eu-1=Acme-Cell-eu-1:e"}
			if !reflect.DeepEqual(cells, want) {
				t.Errorf("cells = %v, want %v", cells, want)
			}
		}},
		{"retention as -c string", map[string]any{CtxLogRetentionDays: "365"}, func(t *testing.T, c Config) {
			if c.LogRetentionDays != 365 {
				t.Errorf("retention = %d", c.LogRetentionDays)
			}
		}},
		{"removal destroy any case", map[string]any{CtxUserPoolRemovalPolicy: "DESTROY"}, func(t *testing.T, c Config) {
			if c.UserPoolRemovalPolicy != RemovalDestroy {
				t.Errorf("removal = %q", c.UserPoolRemovalPolicy)
			}
		}},
		{"domain mode, trailing dots and case normalized", map[string]any{
			CtxDomainName: "API.Example.com.", CtxHostedZoneID: "Z0123456789ABC", CtxHostedZoneName: "example.com.",
		}, func(t *testing.T, c Config) {
			want := CertificateConfig{Mode: CertificateDNSValidated, DomainName: "api.example.com", HostedZoneID: "Z0123456789ABC", HostedZoneName: "example.com"}
			if c.Certificate != want {
				t.Errorf("certificate = %+v", c.Certificate)
			}
		}},
		{"access token validity as -c string", map[string]any{CtxAccessTokenValidityMinutes: "5"}, func(t *testing.T, c Config) {
			if c.AccessTokenValidityMinutes != 5 {
				t.Errorf("validity = %d", c.AccessTokenValidityMinutes)
			}
		}},
		{"access token validity one day", map[string]any{CtxAccessTokenValidityMinutes: 1440.0}, func(t *testing.T, c Config) {
			if c.AccessTokenValidityMinutes != 1440 {
				t.Errorf("validity = %d", c.AccessTokenValidityMinutes)
			}
		}},
		{"raised rules quota does not lift the target group cap", map[string]any{CtxMaxRulesPerALB: 500.0}, func(t *testing.T, c Config) {
			if c.MaxRulesPerALB != 500 || c.CellCapacity() != 99 {
				t.Errorf("rules = %d, capacity = %d", c.MaxRulesPerALB, c.CellCapacity())
			}
		}},
		{"lower rules quota", map[string]any{CtxMaxRulesPerALB: "40"}, func(t *testing.T, c Config) {
			if c.MaxRulesPerALB != 40 || c.CellCapacity() != 39 {
				t.Errorf("rules = %d, capacity = %d", c.MaxRulesPerALB, c.CellCapacity())
			}
		}},
		{"domain mode gives each cell its host name", map[string]any{
			CtxDomainName: "api.example.com", CtxHostedZoneID: "Z0123456789ABC", CtxHostedZoneName: "example.com",
		}, func(t *testing.T, c Config) {
			if got := c.Cells[0].DomainName; got != "cell-1.api.example.com" {
				t.Errorf("cell host name = %q", got)
			}
		}},
		{"domain equal to zone apex", map[string]any{
			CtxDomainName: "example.com", CtxHostedZoneID: "Z0123456789ABC", CtxHostedZoneName: "example.com",
		}, func(t *testing.T, c Config) {
			if c.Certificate.Mode != CertificateDNSValidated {
				t.Errorf("mode = %v", c.Certificate.Mode)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.ctx[CtxDomainName] == nil {
				tc.ctx[CtxCertificateArn] = testCertArn
			}
			c, err := ParseConfig(ctxMap(tc.ctx), "tenants.json", file)
			if err != nil {
				t.Fatalf("ParseConfig: %v", err)
			}
			tc.check(t, c)
		})
	}
}

// TestParseConfigErrors has one case per validation error. Each expected
// fragment checks that the message names the culprit and the fix.
func TestParseConfigErrors(t *testing.T) {
	two := tenantsJSON(Tenant{ID: "tenant-A", Priority: 10}, Tenant{ID: "tenant-B", Priority: 20})
	arn := map[string]any{CtxCertificateArn: testCertArn}
	with := func(extra map[string]any) map[string]any {
		m := map[string]any{CtxCertificateArn: testCertArn}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	domain := func(extra map[string]any) map[string]any {
		m := map[string]any{CtxDomainName: "api.example.com", CtxHostedZoneID: "Z0123456789ABC", CtxHostedZoneName: "example.com"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	longStack := "S" + strings.Repeat("x", 120) // 128 with "-Cell-1", 131 with "-Cell-eu-1"
	tests := []struct {
		name    string
		ctx     map[string]any
		tenants string
		want    []string
	}{
		// tenants file
		{"malformed JSON", arn, `{"tenants":[`, []string{"tenants.json", "not a valid tenants file"}},
		{"unknown field", arn, `{"tenants":[{"id":"a","priority":1,"prio":2}]}`, []string{"unknown field", `"prio"`}},
		{"no tenants", arn, `{"tenants":[]}`, []string{"no tenants", "add at least one"}},
		{"missing id", arn, `{"tenants":[{"priority":1}]}`, []string{`tenants[0]`, `field "id" is missing`}},
		{"id with slash", arn, string(tenantsJSON(Tenant{ID: "a/b", Priority: 1})), []string{`"a/b"`, `field "id" must match`, "Cognito group", "path pattern", "regex"}},
		{"id with regex metachar", arn, string(tenantsJSON(Tenant{ID: "a.b", Priority: 1})), []string{`"a.b"`, `field "id" must match`}},
		{"id with wildcard", arn, string(tenantsJSON(Tenant{ID: "a*", Priority: 1})), []string{`"a*"`, `field "id" must match`}},
		{"id starting with dash", arn, string(tenantsJSON(Tenant{ID: "-a", Priority: 1})), []string{`"-a"`, "starting with a letter or digit"}},
		{"id too long for path pattern", arn, string(tenantsJSON(Tenant{ID: strings.Repeat("a", 126), Priority: 1})), []string{"126 characters", "at most 125"}},
		{"duplicate id ignoring case", arn, string(tenantsJSON(Tenant{ID: "Acme", Priority: 1}, Tenant{ID: "acme", Priority: 2})), []string{`tenants[1] (id "acme")`, `duplicates tenant "Acme"`, "case-insensitively"}},
		{"output key collision", arn, string(tenantsJSON(Tenant{ID: "tenant-a", Priority: 1}, Tenant{ID: "tenant_a", Priority: 2})), []string{`tenants[1] (id "tenant_a")`, `output key "TenantUrlTenanta"`, `tenant "tenant-a"`}},
		{"duplicate priority", arn, string(tenantsJSON(Tenant{ID: "a", Priority: 5}, Tenant{ID: "b", Priority: 5})), []string{`tenants[1] (id "b")`, `"priority" = 5 is already used by tenant "a"`}},
		{"priority zero", arn, string(tenantsJSON(Tenant{ID: "a", Priority: 0})), []string{`(id "a")`, `"priority" = 0 is out of range`, "1..50000"}},
		{"priority too high", arn, string(tenantsJSON(Tenant{ID: "a", Priority: 50001})), []string{`"priority" = 50001 is out of range`}},
		{"memory too small", arn, string(tenantsJSON(Tenant{ID: "a", Priority: 1, MemorySize: 64})), []string{`"memorySize" = 64`, "128..10240"}},
		{"unknown tenant field", arn, `{"tenants":[{"id":"a","priority":1,"cells":"2"}]}`, []string{`tenants[0] (id "a")`, `unknown field "cells"`}},
		{"duplicate priority in a cell", arn, string(tenantsJSON(Tenant{ID: "a", Priority: 5, Cell: "2"}, Tenant{ID: "b", Priority: 5, Cell: "2"})), []string{`tenants[1] (id "b")`, `already used by tenant "a" in cell "2"`}},
		{"invalid cell", arn, string(tenantsJSON(Tenant{ID: "a", Priority: 5, Cell: "EU_1"})), []string{`(id "a")`, `field "cell" = "EU_1" must match`}},
		{"reserved concurrency zero", arn, `{"tenants":[{"id":"a","priority":1,"reservedConcurrency":0}]}`, []string{`"reservedConcurrency" = 0`, ">= 1"}},
		{"cell over capacity", arn, string(tenantsJSON(generatedTenants(100)...)), []string{
			"tenants.json", `cell "1" has 100 tenants, the maximum is 99`, "100 target groups per ALB", "100 rules per ALB", "another cell"}},
		{"cell over a lowered rules quota", with(map[string]any{CtxMaxRulesPerALB: 2.0}), string(two), []string{
			`cell "1" has 2 tenants, the maximum is 1`, "2 rules per ALB"}},
		// context
		{"access token validity too short", with(map[string]any{CtxAccessTokenValidityMinutes: 4.0}), string(two), []string{
			`"accessTokenValidityMinutes" = 4`, "5..1440 minutes", "until it expires", "default 60"}},
		{"access token validity too long", with(map[string]any{CtxAccessTokenValidityMinutes: "1441"}), string(two), []string{`"accessTokenValidityMinutes" = 1441`, "5..1440"}},
		{"access token validity not a number", with(map[string]any{CtxAccessTokenValidityMinutes: "1h"}), string(two), []string{`"accessTokenValidityMinutes" = "1h" must be a whole number`}},
		{"rules quota too small", with(map[string]any{CtxMaxRulesPerALB: 1.0}), string(two), []string{`"maxRulesPerAlb" = 1`, "Rules per Application Load Balancer", "at least 2"}},
		{"rules quota not a number", with(map[string]any{CtxMaxRulesPerALB: true}), string(two), []string{`"maxRulesPerAlb" must be a number`}},
		{"cell stack name too long", with(map[string]any{CtxStackName: longStack}), string(tenantsJSON(Tenant{ID: "a", Priority: 1}, Tenant{ID: "b", Priority: 1, Cell: "eu-1"})), []string{
			`the stack name of cell "eu-1"`, "is 131 characters", "CloudFormation allows 128", "shorten the stack name or the cell id"}},
		{"cell host name too long for ACM", domain(map[string]any{CtxDomainName: strings.Repeat("a", 40) + ".example.com"}), string(tenantsJSON(Tenant{ID: "a", Priority: 1, Cell: "abcdefghij-12345"})), []string{
			`the host name of cell "abcdefghij-12345"`, "is 74 characters", "at most 64", "shorter domain name or cell id"}},
		// context
		{"bad stack name", with(map[string]any{CtxStackName: "1stack"}), string(two), []string{`"stackName" = "1stack"`, "must start with a letter"}},
		{"stack name not a string", with(map[string]any{CtxStackName: 5.0}), string(two), []string{`"stackName" must be a string`}},
		{"empty cidr list", with(map[string]any{CtxAllowedCidrs: []any{}}), string(two), []string{`"allowedCidrs" is empty`}},
		{"not a cidr", with(map[string]any{CtxAllowedCidrs: []any{"10.0.0.300/8"}}), string(two), []string{`"10.0.0.300/8" is not a CIDR`}},
		{"bare address", with(map[string]any{CtxAllowedCidrs: []any{"10.0.0.1"}}), string(two), []string{`"10.0.0.1" is not a CIDR`}},
		{"ipv6 cidr", with(map[string]any{CtxAllowedCidrs: []any{"::/0"}}), string(two), []string{`"::/0" is IPv6`, "IPv4-only"}},
		{"host bits set", with(map[string]any{CtxAllowedCidrs: []any{"10.1.2.3/8"}}), string(two), []string{`"10.1.2.3/8" has host bits set`, "use 10.0.0.0/8"}},
		{"duplicate cidr", with(map[string]any{CtxAllowedCidrs: []any{"10.0.0.0/8", "10.0.0.0/8"}}), string(two), []string{"listed twice"}},
		{"too many cidrs", with(map[string]any{CtxAllowedCidrs: manyCIDRs(31)}), string(two), []string{"31 CIDRs", "at most 30"}},
		{"cidr list wrong type", with(map[string]any{CtxAllowedCidrs: 3.0}), string(two), []string{`"allowedCidrs" must be a list`}},
		{"cidr list bad JSON string", with(map[string]any{CtxAllowedCidrs: `["10.0.0.0/8"`}), string(two), []string{"not a JSON list"}},
		{"cidr list non-string element", with(map[string]any{CtxAllowedCidrs: []any{1.0}}), string(two), []string{`"allowedCidrs"[0] must be a string`}},
		{"removal policy", with(map[string]any{CtxUserPoolRemovalPolicy: "snapshot"}), string(two), []string{`"userPoolRemovalPolicy" = "snapshot"`, `"retain"`, `"destroy"`}},
		{"retention not allowed", with(map[string]any{CtxLogRetentionDays: 31.0}), string(two), []string{`"logRetentionDays" = 31`, "accepts only"}},
		{"retention not a number", with(map[string]any{CtxLogRetentionDays: "month"}), string(two), []string{`"logRetentionDays" = "month" must be a whole number`}},
		{"retention fractional", with(map[string]any{CtxLogRetentionDays: 30.5}), string(two), []string{"must be a whole number"}},
		// certificate
		{"no certificate", map[string]any{}, string(two), []string{"no certificate configured", "certificateArn", "domainName", "hostedZoneId", "hostedZoneName", "scripts/import-cert"}},
		{"arn and domain", domain(map[string]any{CtxCertificateArn: testCertArn}), string(two), []string{"mutually exclusive"}},
		{"bad arn", map[string]any{CtxCertificateArn: "arn:aws:iam::000000000000:server-certificate/x"}, string(two), []string{`"certificateArn"`, "is not an ACM certificate ARN"}},
		{"domain without zone id", map[string]any{CtxDomainName: "api.example.com", CtxHostedZoneName: "example.com"}, string(two), []string{`"hostedZoneId" is missing`}},
		{"zone name only", map[string]any{CtxHostedZoneName: "example.com"}, string(two), []string{`"domainName" is missing`, `"hostedZoneId" is missing`}},
		{"bad domain", domain(map[string]any{CtxDomainName: "api_x.example.com"}), string(two), []string{`"domainName" = "api_x.example.com" is not a DNS name`}},
		{"bad zone name", domain(map[string]any{CtxHostedZoneName: "com"}), string(two), []string{`"hostedZoneName" = "com" is not a DNS name`}},
		{"bad zone id", domain(map[string]any{CtxHostedZoneID: "zone-1"}), string(two), []string{`"hostedZoneId" = "zone-1" is not a Route 53 hosted zone id`}},
		{"domain outside zone", domain(map[string]any{CtxDomainName: "api.example.org"}), string(two), []string{`"api.example.org" is not inside hosted zone "example.com"`}},
		{"domain suffix but not subdomain", domain(map[string]any{CtxDomainName: "badexample.com"}), string(two), []string{"is not inside hosted zone"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig(ctxMap(tc.ctx), "tenants.json", []byte(tc.tenants))
			if err == nil {
				t.Fatal("ParseConfig succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestParseConfigManyCells: the whole-stack tenant limit is gone; 1,000
// tenants fill 11 cells of 99 (the last one partly).
func TestParseConfigManyCells(t *testing.T) {
	ts := generatedTenants(1000)
	for i := range ts {
		ts[i].Cell = itoa(i/99 + 1)
		ts[i].Priority = (i%99 + 1) * 10
	}
	cfg, err := ParseConfig(ctxMap(map[string]any{CtxCertificateArn: testCertArn}), "tenants.json", tenantsJSON(ts...))
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	if len(cfg.Cells) != 11 || len(cfg.Tenants) != 1000 || len(cfg.Cells[10].Tenants) != 1000-10*99 {
		t.Fatalf("%d cells, %d tenants, last cell %d", len(cfg.Cells), len(cfg.Tenants), len(cfg.Cells[10].Tenants))
	}
	if cfg.Cells[10].ID != "11" || cfg.Cells[10].StackName != "TenantRouting-Cell-11" {
		t.Fatalf("last cell = %q %q", cfg.Cells[10].ID, cfg.Cells[10].StackName)
	}
}

func TestLogRetentionDaysTable(t *testing.T) {
	for i := 1; i < len(LogRetentionDays); i++ {
		if LogRetentionDays[i-1] >= LogRetentionDays[i] {
			t.Fatalf("LogRetentionDays not strictly ascending at %d: %v", i, LogRetentionDays)
		}
	}
	if !slices.Contains(LogRetentionDays, DefaultLogRetentionDays) {
		t.Fatalf("default %d is not in LogRetentionDays", DefaultLogRetentionDays)
	}
}

func TestParseConfigReportsAllProblemsAtOnce(t *testing.T) {
	_, err := ParseConfig(ctxMap(map[string]any{CtxLogRetentionDays: 2.0, CtxUserPoolRemovalPolicy: "x"}), "tenants.json",
		tenantsJSON(Tenant{ID: "a", Priority: 0}))
	ce, ok := err.(*ConfigError)
	if !ok {
		t.Fatalf("err = %T %v, want *ConfigError", err, err)
	}
	if len(ce.Problems) != 4 { // retention, removal policy, certificate, priority
		t.Fatalf("got %d problems, want 4:\n%v", len(ce.Problems), err)
	}
}

func TestLoadConfigReadsTenantsFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "custom.json")
	if err := os.WriteFile(path, tenantsJSON(Tenant{ID: "solo", Priority: 1}), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(ctxMap(map[string]any{CtxTenantsFile: path, CtxCertificateArn: testCertArn}))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if cfg.TenantsFile != path || len(cfg.Tenants) != 1 || cfg.Tenants[0].ID != "solo" {
		t.Fatalf("cfg = %+v", cfg)
	}
	_, err = LoadConfig(ctxMap(map[string]any{CtxTenantsFile: filepath.Join(dir, "missing.json"), CtxCertificateArn: testCertArn}))
	if err == nil || !strings.Contains(err.Error(), "missing.json") || !strings.Contains(err.Error(), "-c tenantsFile=") {
		t.Fatalf("err = %v, want it to name the file and the fix", err)
	}
}

// FuzzParseConfig: any tenants file either fails with a ConfigError or yields
// tenants and cells that satisfy every invariant the stacks rely on.
func FuzzParseConfig(f *testing.F) {
	f.Add(`{"tenants":[{"id":"tenant-A","priority":10},{"id":"tenant-B","priority":20}]}`)
	f.Add(`{"tenants":[{"id":"a","priority":1},{"id":"A","priority":2}]}`)
	f.Add(`{"tenants":[{"id":"a-b","priority":1},{"id":"a_b","priority":2}]}`)
	f.Add(`{"tenants":[{"id":"x","priority":50000,"memorySize":10240}]}`)
	f.Add(`{"tenants":[{"id":"x","priority":5,"cell":"2"},{"id":"y","priority":5,"cell":"10"},{"id":"z","priority":5,"reservedConcurrency":3}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		cfg, err := ParseConfig(ctxMap(map[string]any{CtxCertificateArn: testCertArn, CtxMaxRulesPerALB: 4.0}), "tenants.json", []byte(doc))
		if err != nil {
			if _, ok := err.(*ConfigError); !ok {
				t.Fatalf("error %T is not a *ConfigError: %v", err, err)
			}
			return
		}
		ids, prios, keys := map[string]bool{}, map[string]bool{}, map[string]bool{}
		for _, tn := range cfg.Tenants {
			if !tenantid.Valid(tn.ID) || len(tn.ID) > 125 {
				t.Fatalf("accepted bad id %q", tn.ID)
			}
			pk := tn.Cell + "/" + itoa(tn.Priority)
			if ids[strings.ToLower(tn.ID)] || prios[pk] || keys[strings.ToLower(tn.OutputKey())] {
				t.Fatalf("accepted duplicate %q", tn.ID)
			}
			if tn.Priority < 1 || tn.Priority > 50000 || tn.MemorySize < 128 || tn.MemorySize > 10240 || tn.ReservedConcurrency < 0 {
				t.Fatalf("accepted bad numbers %+v", tn)
			}
			ids[strings.ToLower(tn.ID)], prios[pk], keys[strings.ToLower(tn.OutputKey())] = true, true, true
		}
		var all []Tenant
		for i, c := range cfg.Cells {
			if i > 0 && tenants.CompareCellIDs(cfg.Cells[i-1].ID, c.ID) >= 0 {
				t.Fatalf("cells not sorted: %q, %q", cfg.Cells[i-1].ID, c.ID)
			}
			if len(c.Tenants) == 0 || len(c.Tenants) > cfg.CellCapacity() || c.StackName != contract.CellStackName(cfg.StackName, c.ID) {
				t.Fatalf("cell %q: %d tenants (capacity %d), stack %q", c.ID, len(c.Tenants), cfg.CellCapacity(), c.StackName)
			}
			for j, tn := range c.Tenants {
				if tn.Cell != c.ID || j > 0 && c.Tenants[j-1].Priority >= tn.Priority {
					t.Fatalf("cell %q: tenant %+v misplaced or out of priority order", c.ID, tn)
				}
			}
			all = append(all, c.Tenants...)
		}
		if len(cfg.Tenants) == 0 || !reflect.DeepEqual(all, cfg.Tenants) {
			t.Fatalf("Tenants is not the cells' tenants in order")
		}
	})
}

func manyCIDRs(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = "10." + itoa(i) + ".0.0/16"
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }
