package directory

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/cognitolocal/cltest"
	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/fakeaws"
)

func cellOutputs(cell, base string, tenants ...string) map[string]string {
	o := map[string]string{"Cell": cell, "BaseUrl": base, "AlbDnsName": strings.TrimPrefix(base, "https://"), "TenantIds": strings.Join(tenants, ",")}
	for _, t := range tenants {
		o["TenantUrl"+strings.ToUpper(t[:1])+strings.ReplaceAll(t[1:], "-", "")] = base + "/" + t + "/"
	}
	return o
}

// Stacks of two deployments in one account, with the cases Find must skip.
func fakeStacks() fakeaws.Options {
	return fakeaws.Options{
		Stacks: map[string]map[string]string{
			"TenantRouting":         {"UserPoolId": "us-east-1_p", "UserPoolClientId": "c"},
			"TenantRouting-Cell-1":  cellOutputs("1", "https://cell-1.example.com", "tenant-A", "tenant-B"),
			"TenantRouting-Cell-10": cellOutputs("10", "https://cell-10.example.com", "tenant-J"),
			"TenantRouting-Cell-2":  cellOutputs("2", "https://cell-2.example.com", "tenant-C"),
			"TenantRouting-Cell-eu": cellOutputs("eu", "https://cell-eu.example.com:8443", "tenant-E"),
			// Deleted or being deleted: skipped.
			"TenantRouting-Cell-3": cellOutputs("3", "https://cell-3.example.com", "tenant-Z"),
			"TenantRouting-Cell-4": cellOutputs("4", "https://cell-4.example.com", "tenant-Y"),
			// A tenant's nested stack of cell 1: skipped.
			"TenantRouting-Cell-1-TenantANestedStackTenantANestedStackResource-ABC": {"X": "1"},
			// Another deployment and a name that only looks like a cell stack.
			"Other":                  {"UserPoolId": "x"},
			"Other-Cell-1":           cellOutputs("1", "https://other.example.com", "tenant-O"),
			"TenantRouting-Cell-Bad": cellOutputs("Bad", "https://bad.example.com", "tenant-X"),
		},
		StackStatus: map[string]string{"TenantRouting-Cell-3": "DELETE_COMPLETE", "TenantRouting-Cell-4": "DELETE_IN_PROGRESS"},
		StackParent: map[string]string{"TenantRouting-Cell-1-TenantANestedStackTenantANestedStackResource-ABC": "arn:aws:cloudformation:us-east-1:0:stack/TenantRouting-Cell-1/x"},
	}
}

func client(t *testing.T, fake *fakeaws.Server) *cloudformation.Client {
	t.Helper()
	return cloudformation.NewFromConfig(cltest.AWSConfig(), func(o *cloudformation.Options) { o.BaseEndpoint = aws.String(fake.URL) })
}

func TestFindAndBuild(t *testing.T) {
	fake := fakeaws.New(t, fakeStacks())
	d, err := Find(context.Background(), client(t, fake), "TenantRouting")
	if err != nil {
		t.Fatal(err)
	}
	// 12 stacks at 2 per page: every page was read.
	if n := fake.Count("cloudformation.DescribeStacks"); n != 6 {
		t.Errorf("%d DescribeStacks pages, want 6", n)
	}
	if d.Shared == nil || d.Shared.Outputs["UserPoolId"] != "us-east-1_p" {
		t.Fatalf("shared stack %+v", d.Shared)
	}
	if got := d.CellIDs(); !slices.Equal(got, []string{"1", "2", "10", "eu"}) {
		t.Fatalf("cells %v", got)
	}
	if got := d.Tenants(); !slices.Equal(got, []string{"tenant-A", "tenant-B", "tenant-C", "tenant-J", "tenant-E"}) {
		t.Errorf("tenants %v", got)
	}
	dir, err := d.Build()
	if err != nil {
		t.Fatal(err)
	}
	var tsv bytes.Buffer
	if err := dir.WriteTSV(&tsv); err != nil {
		t.Fatal(err)
	}
	want := "tenant-A\t1\thttps://cell-1.example.com\thttp://cell-1.example.com\n" +
		"tenant-B\t1\thttps://cell-1.example.com\thttp://cell-1.example.com\n" +
		"tenant-C\t2\thttps://cell-2.example.com\thttp://cell-2.example.com\n" +
		"tenant-J\t10\thttps://cell-10.example.com\thttp://cell-10.example.com\n" +
		"tenant-E\teu\thttps://cell-eu.example.com:8443\thttp://cell-eu.example.com:8443\n"
	if tsv.String() != want {
		t.Errorf("TSV:\n%s\nwant:\n%s", tsv.String(), want)
	}
	var js bytes.Buffer
	if err := dir.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Cells []struct {
			Cell, Stack, BaseURL, HTTPURL string
			Tenants                       []string
		}
		Tenants []struct{ ID, Cell, URL string }
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Cells) != 4 || back.Cells[0].Stack != "TenantRouting-Cell-1" || !slices.Equal(back.Cells[0].Tenants, []string{"tenant-A", "tenant-B"}) ||
		back.Tenants[2].ID != "tenant-C" || back.Tenants[2].URL != "https://cell-2.example.com/tenant-C/" {
		t.Errorf("JSON:\n%s", js.String())
	}
	for _, key := range []string{`"cells"`, `"baseUrl"`, `"httpUrl"`, `"tenants"`, `"id"`, `"url"`} {
		if !strings.Contains(js.String(), key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
	var table bytes.Buffer
	if err := dir.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"TENANT    CELL  URL", "tenant-J  10    https://cell-10.example.com/tenant-J/", "5 tenant(s) in 4 cell(s)"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name  string
		cells map[string]map[string]string
		want  string
	}{
		{"tenant in two cells", map[string]map[string]string{
			"S-Cell-1": cellOutputs("1", "https://a.example.com", "tenant-A"),
			"S-Cell-2": cellOutputs("2", "https://b.example.com", "tenant-A"),
		}, "tenant tenant-A is in two cells, 1 and 2"},
		{"missing tenant URL", map[string]map[string]string{
			"S-Cell-1": {"Cell": "1", "BaseUrl": "https://a.example.com", "TenantIds": "tenant-A"},
		}, `stack S-Cell-1 has no output "TenantUrlTenantA"`},
		{"http base URL", map[string]map[string]string{
			"S-Cell-1": cellOutputs("1", "http://a.example.com", "tenant-A"),
		}, "is not https://HOST[:PORT]"},
		{"cell output mismatch", map[string]map[string]string{
			"S-Cell-1": cellOutputs("2", "https://a.example.com", "tenant-A"),
		}, `does not match the stack name (cell "1")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cells["S"] = map[string]string{}
			fake := fakeaws.New(t, fakeaws.Options{Stacks: tt.cells})
			d, err := Find(context.Background(), client(t, fake), "S")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := d.Build(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestLegacyLayoutTenants(t *testing.T) {
	// Before the upgrade to cells the shared stack itself lists the tenants.
	fake := fakeaws.New(t, fakeaws.Options{Stacks: map[string]map[string]string{
		"S":        {"UserPoolId": "p", "TenantIds": "tenant-A,tenant-B"},
		"S-Cell-1": cellOutputs("1", "https://a.example.com", "tenant-B", "tenant-C"),
	}})
	d, err := Find(context.Background(), client(t, fake), "S")
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Tenants(); !slices.Equal(got, []string{"tenant-B", "tenant-C", "tenant-A"}) {
		t.Errorf("tenants %v", got)
	}
}

func TestSortCells(t *testing.T) {
	ids := []string{"eu-2", "10", "a", "2", "1", "eu-10"}
	SortCells(ids)
	if want := []string{"1", "2", "10", "a", "eu-10", "eu-2"}; !slices.Equal(ids, want) {
		t.Errorf("%v, want %v", ids, want)
	}
}
