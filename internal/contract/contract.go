// Package contract is the one home of the facts that the CDK app (stacks/),
// the operator tools (scripts/) and the local mode (internal/localmode) must
// agree on: stack names, output keys, the issuer and JWKS URL formats and the
// placeholder certificate. A test synthesizes the app and checks that its
// stacks have exactly these outputs (stacks/contract_test.go).
//
// A deployment is one shared stack (the Cognito user pool and app client, the
// VPC, the log bucket) plus one stack per cell (an ALB with its listeners and
// the tenants placed in that cell).
package contract

import (
	"strings"
	"unicode"
)

// DefaultStackName is the shared stack's name when the context sets none.
const DefaultStackName = "TenantRouting"

// DefaultCell is the cell of a tenant whose entry in the tenants file has no
// "cell" field.
const DefaultCell = "1"

// cellInfix joins the shared stack's name and a cell id into a cell stack name.
const cellInfix = "-Cell-"

// CellStackName is the name of the stack of cell in the deployment whose
// shared stack is named stackName: "<stackName>-Cell-<cell>".
func CellStackName(stackName, cell string) string { return stackName + cellInfix + cell }

// CellStackPrefix is the prefix every cell stack name of the deployment starts
// with; tools find the cell stacks by listing stacks with this prefix.
func CellStackPrefix(stackName string) string { return stackName + cellInfix }

// CellFromStackName returns the cell id of a cell stack name of the
// deployment stackName, and false when name is not one.
func CellFromStackName(stackName, name string) (string, bool) {
	cell, ok := strings.CutPrefix(name, CellStackPrefix(stackName))
	if !ok || cell == "" {
		return "", false
	}
	return cell, true
}

// Outputs of the shared stack.
const (
	OutUserPoolID       = "UserPoolId"
	OutUserPoolClientID = "UserPoolClientId"
	OutIssuer           = "Issuer"
	OutJwksEndpoint     = "JwksEndpoint"
	OutRegion           = "Region"
)

// Outputs of each cell stack.
const (
	// OutCell is the cell id.
	OutCell = "Cell"
	// OutAlbDnsName is the DNS name of the cell's load balancer.
	OutAlbDnsName = "AlbDnsName"
	// OutBaseURL is https://<ALB DNS name or cell-<cell>.<domainName>>.
	OutBaseURL = "BaseUrl"
	// OutTenantIDs is the cell's tenant ids, comma-separated, in priority order.
	OutTenantIDs = "TenantIds"
)

// SharedOutputKeys are the output keys of the shared stack, in a stable order.
func SharedOutputKeys() []string {
	return []string{OutUserPoolID, OutUserPoolClientID, OutIssuer, OutJwksEndpoint, OutRegion}
}

// CellOutputKeys are the output keys every cell stack has besides one
// TenantURLOutputKey per tenant.
func CellOutputKeys() []string {
	return []string{OutCell, OutAlbDnsName, OutBaseURL, OutTenantIDs}
}

// tenantURLPrefix starts the output key of a tenant's URL.
const tenantURLPrefix = "TenantUrl"

// TenantURLOutputKey is the output key of a tenant's base URL in its cell
// stack: "TenantUrl" + the id with non-alphanumerics dropped and the first
// letter upper-cased (tenant-A -> TenantUrlTenantA).
func TenantURLOutputKey(tenantID string) string { return tenantURLPrefix + AlnumTitle(tenantID) }

// TenantPath is the path prefix of a tenant on its cell's ALB: "/<tenant>/".
func TenantPath(tenantID string) string { return "/" + tenantID + "/" }

// IssuerPrefix is what every Cognito issuer of region starts with.
func IssuerPrefix(region string) string { return "https://cognito-idp." + region + ".amazonaws.com/" }

// IssuerURL is the iss claim of tokens of the user pool poolID in region.
func IssuerURL(region, poolID string) string { return IssuerPrefix(region) + poolID }

// JWKSPath follows the issuer in the JWKS URL.
const JWKSPath = "/.well-known/jwks.json"

// JWKSURL is the JWKS endpoint of the pool whose issuer is issuer.
func JWKSURL(issuer string) string { return issuer + JWKSPath }

// PlaceholderCertificateARN is handed to synthesis when no certificate option
// is configured and the template is only synthesized, never deployed (local
// mode, tests). It has the shape of an ACM ARN and names no real certificate.
const PlaceholderCertificateARN = "arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-0000-0000-000000000000"

// AlnumTitle drops every non-ASCII-alphanumeric rune of s and upper-cases the
// first letter: the rule for output keys and construct ids made from ids.
func AlnumTitle(s string) string {
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
