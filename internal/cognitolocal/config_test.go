package cognitolocal

import (
	"testing"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"
)

// cognito-local builds iss as IssuerDomain + "/" + poolId: with the project's
// configuration that must be exactly the deployed issuer.
func TestProjectConfigIssuesTheDeployedIssuer(t *testing.T) {
	cfg := ProjectConfig("eu-west-1")
	domain := cfg["TokenConfig"].(map[string]any)["IssuerDomain"].(string)
	if got, want := domain+"/"+"eu-west-1_Abc", contract.IssuerURL("eu-west-1", "eu-west-1_Abc"); got != want {
		t.Fatalf("cognito-local iss = %q, want the deployed issuer %q", got, want)
	}
}
