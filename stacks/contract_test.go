package stacks

import (
	"slices"
	"strings"
	"testing"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"
)

// TestOutputs: the shared stack has exactly contract.SharedOutputKeys(), each
// cell stack contract.CellOutputKeys() plus one TenantURLOutputKey per tenant.
func TestOutputs(t *testing.T) {
	for name, s := range appsUnderTest(t) {
		t.Run(name, func(t *testing.T) {
			if got, want := sortedKeys(s.shared.outputs()), sorted(contract.SharedOutputKeys()); asJSON(got) != asJSON(want) {
				t.Errorf("shared outputs %v, want %v", got, want)
			}
			poolID, _ := s.shared.only(t, "AWS::Cognito::UserPool")
			if got := asJSON(s.shared.outputs()[contract.OutIssuer]["Value"]); got != asJSON(map[string]any{"Fn::Join": []any{"", []any{"https://cognito-idp.", ref("AWS::Region"), ".amazonaws.com/", ref(poolID)}}}) {
				t.Errorf("Issuer output = %s", got)
			}
			for _, cell := range s.cfg.Cells {
				outs := s.cells[cell.ID].outputs()
				want := contract.CellOutputKeys()
				for _, tn := range cell.Tenants {
					want = append(want, contract.TenantURLOutputKey(tn.ID))
				}
				if got := sortedKeys(outs); asJSON(got) != asJSON(sorted(want)) {
					t.Errorf("cell %s outputs %v, want %v", cell.ID, got, sorted(want))
				}
				if outs[contract.OutCell]["Value"] != cell.ID || outs[contract.OutTenantIDs]["Value"] != strings.Join(cell.TenantIDs(), ",") {
					t.Errorf("cell %s: Cell %v TenantIds %v", cell.ID, outs[contract.OutCell]["Value"], outs[contract.OutTenantIDs]["Value"])
				}
				lbID, _ := s.cells[cell.ID].only(t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
				dns := map[string]any{"Fn::GetAtt": []any{lbID, "DNSName"}}
				for _, tn := range cell.Tenants {
					wantURL := map[string]any{"Fn::Join": []any{"", []any{"https://", dns, "/" + tn.ID + "/"}}}
					if got := outs[contract.TenantURLOutputKey(tn.ID)]["Value"]; asJSON(got) != asJSON(wantURL) {
						t.Errorf("tenant %s URL = %s, want %s", tn.ID, asJSON(got), asJSON(wantURL))
					}
				}
			}
		})
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
