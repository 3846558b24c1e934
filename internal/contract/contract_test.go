package contract

import "testing"

func TestCellStackNameRoundTrip(t *testing.T) {
	for _, cell := range []string{"1", "eu-2", "a"} {
		name := CellStackName("TenantRouting", cell)
		got, ok := CellFromStackName("TenantRouting", name)
		if !ok || got != cell {
			t.Errorf("CellFromStackName(%q) = %q, %v; want %q", name, got, ok, cell)
		}
	}
	for _, name := range []string{"TenantRouting", "TenantRouting-Cell-", "Other-Cell-1", "TenantRoutingX-Cell-1"} {
		if cell, ok := CellFromStackName("TenantRouting", name); ok {
			t.Errorf("CellFromStackName(%q) = %q, true; want false", name, cell)
		}
	}
}

func TestTenantURLOutputKey(t *testing.T) {
	cases := map[string]string{"tenant-A": "TenantUrlTenantA", "acme_co": "TenantUrlAcmeco", "9lives": "TenantUrl9lives"}
	for id, want := range cases {
		if got := TenantURLOutputKey(id); got != want {
			t.Errorf("TenantURLOutputKey(%q) = %q, want %q", id, got, want)
		}
	}
}

func TestIssuerAndJWKS(t *testing.T) {
	iss := IssuerURL("eu-west-1", "eu-west-1_AbC")
	if iss != "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC" {
		t.Errorf("IssuerURL = %q", iss)
	}
	if got := JWKSURL(iss); got != iss+"/.well-known/jwks.json" {
		t.Errorf("JWKSURL = %q", got)
	}
}
