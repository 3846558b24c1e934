package stacks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/tenantid"
)

// Context keys read by LoadConfig (set in cdk.json or with `cdk synth -c key=value`).
const (
	CtxStackName             = "stackName"
	CtxTenantsFile           = "tenantsFile"
	CtxAllowedCidrs          = "allowedCidrs"
	CtxUserPoolRemovalPolicy = "userPoolRemovalPolicy"
	CtxLogRetentionDays      = "logRetentionDays"
	CtxCertificateArn        = "certificateArn"
	CtxDomainName            = "domainName"
	CtxHostedZoneID          = "hostedZoneId"
	CtxHostedZoneName        = "hostedZoneName"
)

// Defaults applied when a context key is absent.
const (
	DefaultStackName        = "TenantRouting"
	DefaultTenantsFile      = "tenants.json"
	DefaultLogRetentionDays = 30
	DefaultMemorySizeMB     = 128
)

// Platform limits the tenant count is checked against.
const (
	// MaxTargetGroupsPerALB is the non-adjustable "target groups per Application
	// Load Balancer" quota (load-balancer-limits.html). One TG per tenant.
	MaxTargetGroupsPerALB = 100
	// MaxResourcesPerStack is the CloudFormation "resources per stack" quota.
	MaxResourcesPerStack = 500
	// MaxOutputsPerStack is the CloudFormation "outputs per stack" quota.
	MaxOutputsPerStack = 200
	// maxPathPatternLen is the ALB limit for one path-pattern value.
	maxPathPatternLen = 128
	// maxSecurityGroupIngressRules is the default "inbound rules per security group" quota.
	maxSecurityGroupIngressRules = 60
	minPriority, maxPriority     = 1, 50000
)

// Resource accounting, verified against synthesized templates by
// TestResourceCountConstantsMatchTemplate.
const (
	// baseResourceCount is the number of CloudFormation resources the stack has
	// with zero tenants when the certificate is imported by ARN.
	baseResourceCount = 20
	// resourcesPerTenant: log group, role, function, permission, target group,
	// listener rule and Cognito group.
	resourcesPerTenant = 7
	// domainCertificateResources: the ACM certificate and the Route 53 A record
	// added in the domainName/hostedZone mode.
	domainCertificateResources = 2
	// fixedOutputCount is the number of outputs that do not depend on tenants.
	fixedOutputCount = 8
)

var (
	stackNamePattern      = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,127}$`)
	certificateArnPattern = regexp.MustCompile(`^arn:aws[a-z-]*:acm:[a-z]{2}(-[a-z]+)+-\d:\d{12}:certificate/[A-Za-z0-9-]+$`)
	hostedZoneIDPattern   = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)
	dnsLabelPattern       = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
)

// validRetentionDays are the values CloudWatch Logs accepts for RetentionInDays.
var validRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// Tenant is one entry of the tenants file.
type Tenant struct {
	// ID is the tenant id: Cognito group name, URL prefix and TENANT_ID.
	ID string `json:"id"`
	// Priority is the listener-rule priority (1..50000). It is stored, not
	// derived from the position, so adding or removing tenants never renumbers others.
	Priority int `json:"priority"`
	// MemorySize is the Lambda memory in MB (optional, default 128, 128..10240).
	MemorySize int `json:"memorySize,omitempty"`
}

// OutputKey is the CfnOutput logical id of the tenant URL: "TenantUrl" + the id
// with non-alphanumerics removed and the first letter upper-cased.
func (t Tenant) OutputKey() string { return "TenantUrl" + alnumTitle(t.ID) }

// ConstructID is the construct id of the tenant's resources (unique because the
// output keys are validated to be unique).
func (t Tenant) ConstructID() string { return "Tenant" + alnumTitle(t.ID) }

// PathPatterns are the rule's path-pattern condition values.
func (t Tenant) PathPatterns() []string { return []string{"/" + t.ID + "/*", "/" + t.ID} }

// RewriteRegex strips the tenant prefix: /t -> /, /t/ -> /, /t/a?b -> /a?b.
func (t Tenant) RewriteRegex() string { return "^/" + t.ID + "/?(.*)$" }

// RewriteReplace is the url-rewrite replacement paired with RewriteRegex.
const RewriteReplace = "/$1"

// CertificateMode says how the HTTPS listener gets its certificate.
type CertificateMode int

const (
	// CertificateImported uses an existing ACM certificate ARN (context
	// certificateArn), e.g. the self-signed one printed by scripts/import-cert.
	CertificateImported CertificateMode = iota + 1
	// CertificateDNSValidated creates a DNS-validated ACM certificate for
	// domainName in a Route 53 hosted zone and an alias record to the ALB.
	CertificateDNSValidated
)

// CertificateConfig holds the certificate options.
type CertificateConfig struct {
	Mode           CertificateMode
	ARN            string // CertificateImported
	DomainName     string // CertificateDNSValidated
	HostedZoneID   string // CertificateDNSValidated
	HostedZoneName string // CertificateDNSValidated
}

// RemovalPolicy is the typed value of userPoolRemovalPolicy.
type RemovalPolicy string

// Accepted removal policies.
const (
	RemovalRetain  RemovalPolicy = "retain"
	RemovalDestroy RemovalPolicy = "destroy"
)

// Config is the validated input of the stack. Build it with LoadConfig or
// ParseConfig; the stack code trusts it.
type Config struct {
	StackName             string
	TenantsFile           string
	Tenants               []Tenant // sorted by priority
	AllowedCIDRs          []string // canonical IPv4 prefixes
	UserPoolRemovalPolicy RemovalPolicy
	LogRetentionDays      int
	Certificate           CertificateConfig
}

// TenantIDs returns the tenant ids in priority order.
func (c Config) TenantIDs() []string {
	ids := make([]string, len(c.Tenants))
	for i, t := range c.Tenants {
		ids[i] = t.ID
	}
	return ids
}

// ResourceCount is the number of CloudFormation resources the stack will have.
func (c Config) ResourceCount() int { return resourceCount(c.Certificate.Mode, len(c.Tenants)) }

// MaxTenants is the largest tenant count the stack can hold with these options.
func (c Config) MaxTenants() int { return maxTenants(c.Certificate.Mode) }

func resourceCount(mode CertificateMode, tenants int) int {
	n := baseResourceCount + resourcesPerTenant*tenants
	if mode == CertificateDNSValidated {
		n += domainCertificateResources
	}
	return n
}

func maxTenants(mode CertificateMode) int {
	byResources := (MaxResourcesPerStack - resourceCount(mode, 0)) / resourcesPerTenant
	return min(MaxTargetGroupsPerALB, byResources, MaxOutputsPerStack-fixedOutputCount)
}

// ConfigError lists every problem found; each line names the offending key or
// tenant, the field and the fix.
type ConfigError struct{ Problems []string }

func (e *ConfigError) Error() string {
	return "invalid configuration:\n  - " + strings.Join(e.Problems, "\n  - ")
}

// LoadConfig reads the CDK context through get (usually
// app.Node().TryGetContext wrapped to return plain Go values) and the tenants
// file it names, and validates everything.
func LoadConfig(get func(key string) any) (Config, error) {
	tenantsFile, err := optionalString(get, CtxTenantsFile)
	if err != nil {
		return Config{}, &ConfigError{Problems: []string{err.Error()}}
	}
	if tenantsFile == "" {
		tenantsFile = DefaultTenantsFile
	}
	data, err := os.ReadFile(tenantsFile)
	if err != nil {
		return Config{}, fmt.Errorf("read tenants file (context %q): %w; create it or pass -c %s=<path>",
			CtxTenantsFile, err, CtxTenantsFile)
	}
	return ParseConfig(get, tenantsFile, data)
}

// ParseConfig is LoadConfig with the tenants file content given.
func ParseConfig(get func(key string) any, tenantsFile string, tenantsJSON []byte) (Config, error) {
	var problems []string
	add := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }

	cfg := Config{TenantsFile: tenantsFile}

	// stackName
	name, err := optionalString(get, CtxStackName)
	if err != nil {
		add("%v", err)
	}
	if name == "" {
		name = DefaultStackName
	}
	if !stackNamePattern.MatchString(name) {
		add("context %q = %q: a CloudFormation stack name must start with a letter and contain only letters, digits and '-' (max 128)", CtxStackName, name)
	}
	cfg.StackName = name

	// allowedCidrs
	cidrs, err := stringList(get, CtxAllowedCidrs)
	if err != nil {
		add("%v", err)
	}
	if cidrs == nil && err == nil {
		cidrs = []string{"0.0.0.0/0"}
	}
	cfg.AllowedCIDRs, problems = validateCIDRs(cidrs, problems)

	// userPoolRemovalPolicy
	rp, err := optionalString(get, CtxUserPoolRemovalPolicy)
	if err != nil {
		add("%v", err)
	}
	switch strings.ToLower(rp) {
	case "", string(RemovalRetain):
		cfg.UserPoolRemovalPolicy = RemovalRetain
	case string(RemovalDestroy):
		cfg.UserPoolRemovalPolicy = RemovalDestroy
	default:
		add("context %q = %q: use \"retain\" (default, keeps users on stack deletion) or \"destroy\"", CtxUserPoolRemovalPolicy, rp)
	}

	// logRetentionDays
	days, present, err := optionalInt(get, CtxLogRetentionDays)
	switch {
	case err != nil:
		add("%v", err)
	case !present:
		cfg.LogRetentionDays = DefaultLogRetentionDays
	case !containsInt(validRetentionDays, days):
		add("context %q = %d: CloudWatch Logs accepts only %v", CtxLogRetentionDays, days, validRetentionDays)
	default:
		cfg.LogRetentionDays = days
	}

	// certificate
	cert, certProblems := parseCertificate(get)
	problems = append(problems, certProblems...)
	cfg.Certificate = cert

	// tenants
	tenants, tenantProblems := parseTenants(tenantsFile, tenantsJSON)
	problems = append(problems, tenantProblems...)
	cfg.Tenants = tenants
	if len(tenantProblems) == 0 && cert.Mode != 0 {
		if max := cfg.MaxTenants(); len(tenants) > max {
			add("%s: %d tenants, the maximum is %d (one target group per tenant, %d per ALB, not adjustable; "+
				"%d + %d per tenant CloudFormation resources, %d per stack); remove tenants or split them over several stacks",
				tenantsFile, len(tenants), max, MaxTargetGroupsPerALB,
				resourceCount(cert.Mode, 0), resourcesPerTenant, MaxResourcesPerStack)
		}
	}

	if len(problems) > 0 {
		return Config{}, &ConfigError{Problems: problems}
	}
	return cfg, nil
}

type tenantsDocument struct {
	Tenants []Tenant `json:"tenants"`
}

func parseTenants(file string, data []byte) ([]Tenant, []string) {
	var problems []string
	add := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }

	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var doc tenantsDocument
	if err := dec.Decode(&doc); err != nil {
		add("%s: not a valid tenants file (%v); expected {\"tenants\":[{\"id\":\"tenant-A\",\"priority\":10}]}", file, err)
		return nil, problems
	}
	if len(doc.Tenants) == 0 {
		add("%s: no tenants; add at least one {\"id\":...,\"priority\":...}", file)
		return nil, problems
	}

	byID := map[string]string{}
	byPriority := map[int]string{}
	byOutputKey := map[string]string{}
	for i, t := range doc.Tenants {
		where := fmt.Sprintf("%s: tenants[%d] (id %q)", file, i, t.ID)
		switch {
		case t.ID == "":
			add("%s: field \"id\" is missing or empty; give every tenant an id", where)
		case !tenantid.Valid(t.ID):
			add("%s: field \"id\" must match %s "+
				"so it is safe as a Cognito group name, an ALB path pattern and a regex", where, tenantid.Rule)
		case len("/"+t.ID+"/*") > maxPathPatternLen:
			add("%s: field \"id\" is %d characters; the path pattern \"/<id>/*\" must fit in %d, so use at most %d",
				where, len(t.ID), maxPathPatternLen, maxPathPatternLen-3)
		default:
			key := strings.ToLower(t.ID)
			if prev, dup := byID[key]; dup {
				add("%s: field \"id\" duplicates tenant %q (ids are compared case-insensitively); rename one", where, prev)
			} else {
				byID[key] = t.ID
			}
			ok := strings.ToLower(t.OutputKey())
			if prev, dup := byOutputKey[ok]; dup && !strings.EqualFold(prev, t.ID) {
				add("%s: field \"id\" gives output key %q, the same as tenant %q (non-alphanumerics are dropped); rename one",
					where, t.OutputKey(), prev)
			} else if !dup {
				byOutputKey[ok] = t.ID
			}
		}
		if t.Priority < minPriority || t.Priority > maxPriority {
			add("%s: field \"priority\" = %d is out of range; use a unique integer in %d..%d",
				where, t.Priority, minPriority, maxPriority)
		} else if prev, dup := byPriority[t.Priority]; dup {
			add("%s: field \"priority\" = %d is already used by tenant %q; listener rule priorities must be unique",
				where, t.Priority, prev)
		} else {
			byPriority[t.Priority] = t.ID
		}
		switch {
		case t.MemorySize == 0:
			doc.Tenants[i].MemorySize = DefaultMemorySizeMB
		case t.MemorySize < 128 || t.MemorySize > 10240:
			add("%s: field \"memorySize\" = %d; Lambda accepts 128..10240 MB (or omit it for %d)",
				where, t.MemorySize, DefaultMemorySizeMB)
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	tenants := append([]Tenant(nil), doc.Tenants...)
	sort.Slice(tenants, func(i, j int) bool { return tenants[i].Priority < tenants[j].Priority })
	return tenants, nil
}

func validateCIDRs(cidrs []string, problems []string) ([]string, []string) {
	if cidrs != nil && len(cidrs) == 0 {
		return nil, append(problems, fmt.Sprintf("context %q is empty; give at least one IPv4 CIDR (default [\"0.0.0.0/0\"])", CtxAllowedCidrs))
	}
	seen := map[string]bool{}
	var out []string
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(strings.TrimSpace(c))
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("context %q: %q is not a CIDR (%v); use e.g. 203.0.113.0/24", CtxAllowedCidrs, c, err))
		case !p.Addr().Is4():
			problems = append(problems, fmt.Sprintf("context %q: %q is IPv6; the ALB is IPv4-only, use IPv4 CIDRs", CtxAllowedCidrs, c))
		case p.Masked() != p:
			problems = append(problems, fmt.Sprintf("context %q: %q has host bits set; use %s", CtxAllowedCidrs, c, p.Masked()))
		case seen[p.String()]:
			problems = append(problems, fmt.Sprintf("context %q: %q is listed twice; remove the duplicate", CtxAllowedCidrs, c))
		default:
			seen[p.String()] = true
			out = append(out, p.String())
		}
	}
	if max := maxSecurityGroupIngressRules / 2; len(cidrs) > max {
		problems = append(problems, fmt.Sprintf("context %q has %d CIDRs; each opens 443 and 80, and a security group holds %d inbound rules, so use at most %d",
			CtxAllowedCidrs, len(cidrs), maxSecurityGroupIngressRules, max))
	}
	return out, problems
}

func parseCertificate(get func(string) any) (CertificateConfig, []string) {
	var problems []string
	add := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	vals := map[string]string{}
	for _, k := range []string{CtxCertificateArn, CtxDomainName, CtxHostedZoneID, CtxHostedZoneName} {
		v, err := optionalString(get, k)
		if err != nil {
			add("%v", err)
		}
		vals[k] = strings.TrimSpace(v)
	}
	arn := vals[CtxCertificateArn]
	domain := strings.TrimSuffix(strings.ToLower(vals[CtxDomainName]), ".")
	zoneID := vals[CtxHostedZoneID]
	zoneName := strings.TrimSuffix(strings.ToLower(vals[CtxHostedZoneName]), ".")
	anyDomain := domain != "" || zoneID != "" || zoneName != ""

	const options = "pass one of: (1) -c certificateArn=<ACM certificate ARN>; " +
		"(2) -c domainName=<name> -c hostedZoneId=<Z...> -c hostedZoneName=<zone>; " +
		"(3) run scripts/import-cert to import a self-signed certificate and pass the ARN it prints as (1)"
	switch {
	case arn == "" && !anyDomain:
		add("no certificate configured; %s", options)
		return CertificateConfig{}, problems
	case arn != "" && anyDomain:
		add("context %q and the domain options (%q, %q, %q) are mutually exclusive; keep one", CtxCertificateArn, CtxDomainName, CtxHostedZoneID, CtxHostedZoneName)
		return CertificateConfig{}, problems
	case arn != "":
		if !certificateArnPattern.MatchString(arn) {
			add("context %q = %q is not an ACM certificate ARN; expected arn:<partition>:acm:<region>:<12-digit account>:certificate/<id>", CtxCertificateArn, arn)
			return CertificateConfig{}, problems
		}
		return CertificateConfig{Mode: CertificateImported, ARN: arn}, problems
	}
	for _, k := range []string{CtxDomainName, CtxHostedZoneID, CtxHostedZoneName} {
		if vals[k] == "" {
			add("context %q is missing; the DNS-validated certificate needs %q, %q and %q together", k, CtxDomainName, CtxHostedZoneID, CtxHostedZoneName)
		}
	}
	if len(problems) > 0 {
		return CertificateConfig{}, problems
	}
	if !validDomain(domain) {
		add("context %q = %q is not a DNS name; use e.g. api.example.com", CtxDomainName, vals[CtxDomainName])
	}
	if !validDomain(zoneName) {
		add("context %q = %q is not a DNS name; use the zone's name, e.g. example.com", CtxHostedZoneName, vals[CtxHostedZoneName])
	}
	if !hostedZoneIDPattern.MatchString(zoneID) {
		add("context %q = %q is not a Route 53 hosted zone id; expected e.g. Z0123456789ABCDEFGHIJ", CtxHostedZoneID, zoneID)
	}
	if len(problems) == 0 && domain != zoneName && !strings.HasSuffix(domain, "."+zoneName) {
		add("context %q = %q is not inside hosted zone %q; use a name in that zone", CtxDomainName, domain, zoneName)
	}
	if len(problems) > 0 {
		return CertificateConfig{}, problems
	}
	return CertificateConfig{Mode: CertificateDNSValidated, DomainName: domain, HostedZoneID: zoneID, HostedZoneName: zoneName}, nil
}

func validDomain(name string) bool {
	if name == "" || len(name) > 253 {
		return false
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if !dnsLabelPattern.MatchString(l) {
			return false
		}
	}
	return true
}

// optionalString reads a string context value; absent or null gives "".
func optionalString(get func(string) any, key string) (string, error) {
	switch v := get(key).(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	default:
		return "", fmt.Errorf("context %q must be a string, got %T %v", key, v, v)
	}
}

// optionalInt reads an integer given as a JSON number (cdk.json) or a string (-c key=30).
func optionalInt(get func(string) any, key string) (int, bool, error) {
	switch v := get(key).(type) {
	case nil:
		return 0, false, nil
	case float64:
		if v != float64(int(v)) {
			return 0, true, fmt.Errorf("context %q = %v must be a whole number", key, v)
		}
		return int(v), true, nil
	case int:
		return v, true, nil
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return 0, true, fmt.Errorf("context %q = %q must be a whole number", key, v)
		}
		return n, true, nil
	default:
		return 0, true, fmt.Errorf("context %q must be a number, got %T", key, v)
	}
}

// stringList reads a list given as a JSON array (cdk.json), a JSON array in a
// string (-c 'k=["a","b"]') or a comma-separated string (-c k=a,b).
// Absent gives nil; present but empty gives a non-nil empty slice.
func stringList(get func(string) any, key string) ([]string, error) {
	switch v := get(key).(type) {
	case nil:
		return nil, nil
	case []string:
		return append([]string{}, v...), nil
	case []any:
		out := make([]string, 0, len(v))
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("context %q[%d] must be a string, got %T", key, i, e)
			}
			out = append(out, s)
		}
		return out, nil
	case string:
		s := strings.TrimSpace(v)
		if strings.HasPrefix(s, "[") {
			var out []string
			if err := json.Unmarshal([]byte(s), &out); err != nil {
				return nil, fmt.Errorf("context %q = %q is not a JSON list of strings: %w", key, v, err)
			}
			if out == nil {
				out = []string{}
			}
			return out, nil
		}
		out := []string{}
		for _, part := range strings.Split(s, ",") {
			if p := strings.TrimSpace(part); p != "" {
				out = append(out, p)
			}
		}
		return out, nil
	default:
		return nil, fmt.Errorf("context %q must be a list of strings, got %T", key, v)
	}
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// alnumTitle drops every non-alphanumeric rune and upper-cases the first letter.
func alnumTitle(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		}
	}
	out := []rune(b.String())
	if len(out) > 0 {
		out[0] = unicode.ToUpper(out[0])
	}
	return string(out)
}
