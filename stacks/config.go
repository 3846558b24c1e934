package stacks

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/tenants"
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
	// CtxAccessTokenValidityMinutes is the lifetime of an access token. The
	// ALB accepts a token until it expires; it cannot be revoked before.
	CtxAccessTokenValidityMinutes = "accessTokenValidityMinutes"
	// CtxMaxRulesPerALB is the account's "rules per Application Load
	// Balancer" quota (AWS default 100, adjustable); it bounds a cell.
	CtxMaxRulesPerALB = "maxRulesPerAlb"
)

// Defaults applied when a context key is absent.
const (
	DefaultTenantsFile      = "tenants.json"
	DefaultLogRetentionDays = 30
	// DefaultAccessTokenValidityMinutes is Cognito's default access token
	// lifetime (one hour).
	DefaultAccessTokenValidityMinutes = 60
	DefaultMaxRulesPerALB             = tenants.DefaultMaxRulesPerALB
)

// Bounds of the context values.
const (
	// Cognito accepts an access token validity of 5 minutes to 1 day
	// (UserPoolClient AccessTokenValidity).
	minAccessTokenValidityMinutes, maxAccessTokenValidityMinutes = 5, 1440
	// minRulesPerALB: one rule for a tenant plus the replacement headroom.
	minRulesPerALB = 1 + tenants.ReplacementHeadroom
	// maxStackNameLen is CloudFormation's limit for a stack name.
	maxStackNameLen = 128
	// maxCertificateDomainLen is ACM's limit for a certificate's first domain
	// name (its Common Name, RFC 5280): 64 octets including the periods.
	maxCertificateDomainLen = 64
	// maxSecurityGroupIngressRules is the default "inbound rules per security group" quota.
	maxSecurityGroupIngressRules = 60
)

// CloudFormation quotas (cloudformation-limits.html) the stacks must stay within.
const (
	// MaxResourcesPerStack is the "resources per stack" quota.
	MaxResourcesPerStack = 500
	// MaxOutputsPerStack is the "outputs per stack" quota.
	MaxOutputsPerStack = 200
)

var (
	stackNamePattern      = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,127}$`)
	certificateArnPattern = regexp.MustCompile(`^arn:aws[a-z-]*:acm:[a-z]{2}(-[a-z]+)+-\d:\d{12}:certificate/[A-Za-z0-9-]+$`)
	hostedZoneIDPattern   = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)
	dnsLabelPattern       = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
)

// LogRetentionDays are the values CloudWatch Logs accepts for
// RetentionInDays, ascending: the one table of retention values. The
// validation of context logRetentionDays uses it, and the mapping to the CDK
// enum must cover exactly these values.
var LogRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// Tenant is one entry of the tenants file (internal/tenants).
type Tenant = tenants.Tenant

// tenantsDocument is a whole tenants file.
type tenantsDocument = tenants.Document

// RewriteReplace is the url-rewrite replacement paired with Tenant.RewriteRegex.
const RewriteReplace = tenants.RewriteReplace

// CellConfig is one cell: one ALB in its own stack with its tenants.
type CellConfig struct {
	// ID is the cell id ("1", "eu-2").
	ID string
	// StackName is the cell stack's name, contract.CellStackName.
	StackName string
	// DomainName is the cell's host name, "cell-<cell>.<domainName>", in the
	// CertificateDNSValidated mode; empty otherwise.
	DomainName string
	// Tenants are the cell's tenants in priority order.
	Tenants []Tenant
}

// TenantIDs returns the cell's tenant ids in priority order.
func (c CellConfig) TenantIDs() []string { return tenantIDs(c.Tenants) }

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

// Config is the validated input of the stacks. Build it with LoadConfig or
// ParseConfig; the stack code trusts it.
type Config struct {
	// StackName is the shared stack's name; cell stacks are named
	// contract.CellStackName(StackName, cell).
	StackName   string
	TenantsFile string
	// Tenants are all tenants, sorted by cell (tenants.CompareCellIDs), then
	// priority.
	Tenants []Tenant
	// Cells are the cells that have tenants, in the same order.
	Cells                 []CellConfig
	AllowedCIDRs          []string // canonical IPv4 prefixes
	UserPoolRemovalPolicy RemovalPolicy
	LogRetentionDays      int
	// AccessTokenValidityMinutes is the app client's access token lifetime
	// (5..1440).
	AccessTokenValidityMinutes int
	// MaxRulesPerALB is the account's rules-per-ALB quota the cells were
	// checked against.
	MaxRulesPerALB int
	Certificate    CertificateConfig
}

// TenantIDs returns every tenant id, in the order of Tenants.
func (c Config) TenantIDs() []string { return tenantIDs(c.Tenants) }

// CellCapacity is the number of tenants one cell can hold with this
// configuration (tenants.CellCapacity).
func (c Config) CellCapacity() int {
	return tenants.CellCapacity(tenants.Limits{MaxRulesPerALB: c.MaxRulesPerALB})
}

func tenantIDs(ts []Tenant) []string {
	ids := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	return ids
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
		name = contract.DefaultStackName
	}
	stackNameOK := stackNamePattern.MatchString(name)
	if !stackNameOK {
		add("context %q = %q: a CloudFormation stack name must start with a letter and contain only letters, digits and '-' (max %d)",
			CtxStackName, name, maxStackNameLen)
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
	case !slices.Contains(LogRetentionDays, days):
		add("context %q = %d: CloudWatch Logs accepts only %v", CtxLogRetentionDays, days, LogRetentionDays)
	default:
		cfg.LogRetentionDays = days
	}

	// accessTokenValidityMinutes
	minutes, present, err := optionalInt(get, CtxAccessTokenValidityMinutes)
	switch {
	case err != nil:
		add("%v", err)
	case !present:
		cfg.AccessTokenValidityMinutes = DefaultAccessTokenValidityMinutes
	case minutes < minAccessTokenValidityMinutes || minutes > maxAccessTokenValidityMinutes:
		add("context %q = %d: Cognito accepts %d..%d minutes; a token stays valid at the ALB until it expires, "+
			"so pick the longest lifetime you accept for a revoked user (default %d)",
			CtxAccessTokenValidityMinutes, minutes, minAccessTokenValidityMinutes, maxAccessTokenValidityMinutes,
			DefaultAccessTokenValidityMinutes)
	default:
		cfg.AccessTokenValidityMinutes = minutes
	}

	// maxRulesPerAlb
	rules, present, err := optionalInt(get, CtxMaxRulesPerALB)
	switch {
	case err != nil:
		add("%v", err)
	case !present:
		cfg.MaxRulesPerALB = DefaultMaxRulesPerALB
	case rules < minRulesPerALB:
		add("context %q = %d: give your account's \"Rules per Application Load Balancer\" quota (Service Quotas; "+
			"AWS default %d), at least %d: one rule per tenant and %d kept free for replacements",
			CtxMaxRulesPerALB, rules, DefaultMaxRulesPerALB, minRulesPerALB, tenants.ReplacementHeadroom)
	default:
		cfg.MaxRulesPerALB = rules
	}
	limits := tenants.Limits{MaxRulesPerALB: cfg.MaxRulesPerALB} // 0 (invalid) checks against the default

	// certificate
	cert, certProblems := parseCertificate(get)
	problems = append(problems, certProblems...)
	cfg.Certificate = cert

	// tenants
	doc, err := tenants.Parse(tenantsFile, tenantsJSON, limits)
	if err != nil {
		var te *tenants.Error
		if !errors.As(err, &te) {
			return Config{}, err // not reachable: Parse returns only *tenants.Error
		}
		problems = append(problems, te.Problems...)
	}
	for _, c := range tenants.Cells(doc.Tenants) {
		cell := CellConfig{ID: c.ID, StackName: contract.CellStackName(name, c.ID), Tenants: c.Tenants}
		if stackNameOK && len(cell.StackName) > maxStackNameLen {
			add("context %q = %q: the stack name of cell %q, %q, is %d characters and CloudFormation allows %d; "+
				"shorten the stack name or the cell id", CtxStackName, name, c.ID, cell.StackName, len(cell.StackName), maxStackNameLen)
		}
		if cert.Mode == CertificateDNSValidated {
			cell.DomainName = cellHostName(c.ID, cert.DomainName)
			if len(cell.DomainName) > maxCertificateDomainLen {
				add("context %q = %q: the host name of cell %q, %q, is %d characters and an ACM certificate's domain name "+
					"may have at most %d; use a shorter domain name or cell id",
					CtxDomainName, cert.DomainName, c.ID, cell.DomainName, len(cell.DomainName), maxCertificateDomainLen)
			}
		}
		cfg.Cells = append(cfg.Cells, cell)
		cfg.Tenants = append(cfg.Tenants, c.Tenants...)
	}

	if len(problems) > 0 {
		return Config{}, &ConfigError{Problems: problems}
	}
	return cfg, nil
}

// cellHostName is a cell's host name in the CertificateDNSValidated mode:
// "cell-<cell>.<domainName>" (CellConfig.DomainName).
func cellHostName(cell, domainName string) string { return "cell-" + cell + "." + domainName }

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
