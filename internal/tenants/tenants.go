// Package tenants is the tenants file: its model, its validation, its
// canonical layout and the grouping of tenants into cells. The CDK app
// (stacks.ParseConfig) and the placement tool (scripts/tenants) both use it,
// so a file the tool writes is a file synthesis accepts. It has no CDK
// dependency.
//
// The file is one JSON object:
//
//	{
//	  "tenants": [
//	    { "id": "tenant-A", "priority": 10 },
//	    { "id": "tenant-B", "priority": 10, "cell": "2", "memorySize": 256, "reservedConcurrency": 5 }
//	  ]
//	}
//
// A cell is one ALB (one cell stack) with its own listener, so priorities are
// unique within a cell and the number of tenants per cell is bounded by the
// ALB's quotas (CellCapacity).
package tenants

import (
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"
)

// Field names of a tenant entry, in the order Format writes them.
const (
	FieldID                  = "id"
	FieldPriority            = "priority"
	FieldCell                = "cell"
	FieldMemorySize          = "memorySize"
	FieldReservedConcurrency = "reservedConcurrency"
)

// Value ranges and defaults of the tenant fields.
const (
	// MinPriority and MaxPriority bound a listener rule priority.
	MinPriority, MaxPriority = 1, 50000
	// DefaultMemorySizeMB is the function memory when memorySize is absent.
	DefaultMemorySizeMB = 128
	// MinMemorySizeMB and MaxMemorySizeMB are Lambda's memory range.
	MinMemorySizeMB, MaxMemorySizeMB = 128, 10240
	// MinUnreservedConcurrency is what Lambda keeps unreserved in an account:
	// reserved concurrency is taken from the account's unreserved pool, and a
	// function's reservation fails when it would leave less than this. The
	// file cannot see the account's limit, so it is documented, not checked.
	MinUnreservedConcurrency = 100
	// MaxCellIDLen is the longest cell id (it goes into a stack name and a
	// DNS label).
	MaxCellIDLen = 16
	// MaxPathPatternLen is the ALB limit for one path-pattern value; a
	// tenant's pattern is "/<id>/*".
	MaxPathPatternLen = 128
	// MaxIDLen is the longest tenant id whose path pattern fits.
	MaxIDLen = MaxPathPatternLen - len("//*")
)

// ALB quotas that bound a cell
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html).
const (
	// MaxTargetGroupsPerALB is the "target groups per Application Load
	// Balancer" quota. It is not adjustable. One target group per tenant.
	MaxTargetGroupsPerALB = 100
	// DefaultMaxRulesPerALB is AWS's default "rules per Application Load
	// Balancer" quota (default rules not counted; adjustable). One rule per
	// tenant.
	DefaultMaxRulesPerALB = 100
	// ReplacementHeadroom is kept free in every cell: CloudFormation replaces
	// a resource by creating the new one before deleting the old, so a full
	// ALB could not replace a tenant's target group or listener rule.
	ReplacementHeadroom = 1
)

// RewriteReplace is the url-rewrite replacement paired with
// Tenant.RewriteRegex.
const RewriteReplace = "/$1"

// Tenant is one entry of the tenants file, with defaults applied.
type Tenant struct {
	// ID is the tenant id: Cognito group name, URL prefix and TENANT_ID.
	ID string `json:"id"`
	// Priority is the listener rule priority in the tenant's cell
	// (1..50000). It is stored, not derived from the position, so adding or
	// removing tenants never renumbers others.
	Priority int `json:"priority"`
	// MemorySize is the function memory in MB (128..10240, default 128).
	MemorySize int `json:"memorySize,omitempty"`
	// ReservedConcurrency is the function's reserved concurrency; 0 means
	// none (the function shares the account's unreserved pool).
	ReservedConcurrency int `json:"reservedConcurrency,omitempty"`
	// Cell is the id of the tenant's cell (default contract.DefaultCell).
	Cell string `json:"cell,omitempty"`
}

// OutputKey is the output key of the tenant's URL in its cell stack.
func (t Tenant) OutputKey() string { return contract.TenantURLOutputKey(t.ID) }

// ConstructID is the construct id of the tenant's resources: "Tenant" + the
// id with non-alphanumerics dropped (unique because Parse checks the output
// keys are unique).
func (t Tenant) ConstructID() string { return "Tenant" + contract.AlnumTitle(t.ID) }

// PathPatterns are the listener rule's path-pattern condition values.
func (t Tenant) PathPatterns() []string { return []string{"/" + t.ID + "/*", "/" + t.ID} }

// RewriteRegex strips the tenant prefix: /t -> /, /t/ -> /, /t/a?b -> /a?b.
// The id is safe in a regex because Parse accepts only tenantid.Valid ids.
func (t Tenant) RewriteRegex() string { return "^/" + t.ID + "/?(.*)$" }

// Document is a whole tenants file, tenants in file order.
type Document struct {
	Tenants []Tenant `json:"tenants"`
}

// Limits are the account quotas a file is validated against.
type Limits struct {
	// MaxRulesPerALB is the account's "rules per Application Load Balancer"
	// quota; 0 means DefaultMaxRulesPerALB.
	MaxRulesPerALB int
}

// CellCapacity is the number of tenants one cell holds: one target group and
// one listener rule per tenant, whichever quota binds first, less the
// replacement headroom. 99 with AWS's defaults.
func CellCapacity(l Limits) int {
	rules := l.MaxRulesPerALB
	if rules <= 0 {
		rules = DefaultMaxRulesPerALB
	}
	return max(0, min(MaxTargetGroupsPerALB, rules)-ReplacementHeadroom)
}
