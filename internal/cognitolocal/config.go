package cognitolocal

import "github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"

// ProjectConfig is the cognito-local configuration (.cognito/config.json)
// this project runs with, in local mode and in the tests: the issuer domain
// makes every token's iss exactly the deployed issuer of a pool in region
// (contract.IssuerURL), and an empty UsernameAttributes keeps plain
// usernames ("alice"), as in the deployed pool.
func ProjectConfig(region string) map[string]any {
	return map[string]any{
		"TokenConfig":      map[string]any{"IssuerDomain": issuerDomain(region)},
		"UserPoolDefaults": map[string]any{"UsernameAttributes": []any{}},
	}
}

// issuerDomain is the issuer without the pool id and without a trailing slash,
// as cognito-local's TokenConfig.IssuerDomain wants it.
func issuerDomain(region string) string {
	p := contract.IssuerPrefix(region)
	return p[:len(p)-1]
}
