package awsenv

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

func isolate(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestLoad(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_REGION", "")
	if _, err := Load(context.Background(), Flags{}); err == nil || !strings.Contains(err.Error(), "--region") {
		t.Fatalf("no region: err = %v", err)
	}
	cfg, err := Load(context.Background(), Flags{Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-west-1" || cfg.Retryer().MaxAttempts() != MaxAttempts {
		t.Errorf("region %s, attempts %d", cfg.Region, cfg.Retryer().MaxAttempts())
	}
	t.Setenv("AWS_REGION", "us-west-2")
	if cfg, _ := Load(context.Background(), Flags{}); cfg.Region != "us-west-2" {
		t.Errorf("region from env = %s", cfg.Region)
	}
	if _, err := Load(context.Background(), Flags{Profile: "does-not-exist"}); err == nil {
		t.Error("unknown profile accepted")
	}
}

type fakeCFN struct {
	out *cloudformation.DescribeStacksOutput
	err error
}

func (f fakeCFN) DescribeStacks(context.Context, *cloudformation.DescribeStacksInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	return f.out, f.err
}

func TestStackOutputs(t *testing.T) {
	one := &cloudformation.DescribeStacksOutput{Stacks: []cfntypes.Stack{{Outputs: []cfntypes.Output{
		{OutputKey: aws.String("UserPoolId"), OutputValue: aws.String("us-east-1_x")},
		{OutputKey: aws.String("TenantIds"), OutputValue: aws.String(" tenant-A, ,tenant-B ")},
	}}}}
	got, err := StackOutputs(context.Background(), fakeCFN{out: one}, "S")
	if err != nil || got["UserPoolId"] != "us-east-1_x" {
		t.Fatalf("outputs %v, err %v", got, err)
	}
	if v, err := Require(got, "S", "TenantIds"); err != nil || !slices.Equal(SplitList(v), []string{"tenant-A", "tenant-B"}) {
		t.Errorf("tenants %q %v", v, err)
	}
	if _, err := Require(got, "S", "BaseUrl"); err == nil || !strings.Contains(err.Error(), `stack S has no output "BaseUrl" (outputs: TenantIds, UserPoolId)`) {
		t.Errorf("missing output err = %v", err)
	}
	if _, err := StackOutputs(context.Background(), fakeCFN{out: &cloudformation.DescribeStacksOutput{}}, "S"); err == nil {
		t.Error("zero stacks accepted")
	}
	if _, err := StackOutputs(context.Background(), fakeCFN{err: errors.New("boom")}, "S"); err == nil || !strings.Contains(err.Error(), "describe stack S: boom") {
		t.Errorf("err = %v", err)
	}
}
