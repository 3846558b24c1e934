package stacks

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	elb "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"
)

// elbServicePrincipal is the principal that invokes Lambda targets.
const elbServicePrincipal = "elasticloadbalancing.amazonaws.com"

// tenantProps configure one tenant's nested stack.
type tenantProps struct {
	Tenant Tenant
	// CellStackName makes the target group name unique per cell stack.
	CellStackName string
	Code          *cellCode
	// LogRetentionDays is the retention of the function's log group.
	LogRetentionDays int
	// UserPoolID, Issuer, JWKSEndpoint and ClientID are the shared pool's.
	UserPoolID, Issuer, JWKSEndpoint, ClientID *string
	// ListenerArn is the cell's HTTPS listener.
	ListenerArn *string
	Common      *tenantCommon
}

// tenantCommon are values identical for every tenant, created once (every
// jsii call costs a round trip; see BenchmarkSynth).
type tenantCommon struct {
	// AssumeLambdaRole is the trust policy of a Lambda execution role.
	AssumeLambdaRole map[string]any
	AccountID        *string
	Retention        awslogs.RetentionDays
}

func newTenantCommon(logRetentionDays int) *tenantCommon {
	return &tenantCommon{
		AssumeLambdaRole: policyDocument(map[string]any{
			"Action":    "sts:AssumeRole",
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": "lambda.amazonaws.com"},
		}),
		AccountID: awscdk.Aws_ACCOUNT_ID(),
		Retention: retentionDays(logRetentionDays),
	}
}

// policyDocument is an IAM policy document of one statement as CloudFormation
// renders it (jsii passes map keys sorted, the order the L2 PolicyDocument
// renders them in).
func policyDocument(statement map[string]any) map[string]any {
	return map[string]any{"Statement": []any{statement}, "Version": "2012-10-17"}
}

// cellCode is the handler asset of a cell: one zip in the CDK assets bucket.
type cellCode struct{ bucket, key *string }

func newCellCode(scope constructs.Construct, h *HandlerAsset) *cellCode {
	a := awss3assets.NewAsset(scope, jsii.String("HandlerCode"), &awss3assets.AssetProps{
		Path: jsii.String(h.dir), AssetHash: jsii.String(h.hash), AssetHashType: awscdk.AssetHashType_CUSTOM,
	})
	return &cellCode{bucket: a.S3BucketName(), key: a.S3ObjectKey()}
}

// tenantStack is one tenant's nested stack: Cognito group, Lambda function
// with its own log group and role, a Lambda target group, the scoped invoke
// permission and the listener rule.
type tenantStack struct {
	Tenant      Tenant
	Stack       awscdk.NestedStack
	Function    awslambda.CfnFunction
	TargetGroup elb.CfnTargetGroup
	Rule        elb.CfnListenerRule
}

func newTenantStack(scope constructs.Construct, id string, props tenantProps) (*tenantStack, error) {
	t := props.Tenant
	common := props.Common
	stack := awscdk.NewNestedStack(scope, jsii.String(id), &awscdk.NestedStackProps{
		Description: jsii.String("Tenant " + t.ID),
	})

	awscognito.NewCfnUserPoolGroup(stack, jsii.String("Group"), &awscognito.CfnUserPoolGroupProps{
		UserPoolId:  props.UserPoolID,
		GroupName:   jsii.String(t.ID),
		Description: jsii.String(fmt.Sprintf("Members may call /%s/* (checked by the ALB on cognito:groups)", t.ID)),
	})

	logGroup := awslogs.NewLogGroup(stack, jsii.String("LogGroup"), &awslogs.LogGroupProps{
		Retention: common.Retention,
		// Retained when a tenant is removed, so an offboarded tenant's logs stay
		// available for audit until the retention expires. Names are generated,
		// so re-adding the tenant never collides.
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})

	// A role per tenant whose only permission is writing to its own log group
	// (instead of the AWSLambdaBasicExecutionRole managed policy, which allows
	// every log group). Inline so it adds no AWS::IAM::Policy resource. An L1
	// under a "Role" construct: the same logical id and template as the L2
	// Role, in one jsii call instead of three (BenchmarkSynth).
	role := awsiam.NewCfnRole(constructs.NewConstruct(stack, jsii.String("Role")), jsii.String("Resource"), &awsiam.CfnRoleProps{
		AssumeRolePolicyDocument: common.AssumeLambdaRole,
		Description:              jsii.String(fmt.Sprintf("Execution role of tenant %s's handler", t.ID)),
		Policies: &[]*awsiam.CfnRole_PolicyProperty{{
			PolicyName: jsii.String("WriteOwnLogGroup"),
			PolicyDocument: policyDocument(map[string]any{
				"Action":   []string{"logs:CreateLogStream", "logs:PutLogEvents"},
				"Effect":   "Allow",
				"Resource": logGroup.LogGroupArn(),
			}),
		}},
	})

	// An L1 function: the L2 would stage the handler asset once per nested
	// stack and build constructs this stack does not use (BenchmarkSynth).
	fnProps := &awslambda.CfnFunctionProps{
		Description:   jsii.String(fmt.Sprintf("Backend of tenant %s", t.ID)),
		Runtime:       jsii.String("provided.al2023"),
		Architectures: jsii.Strings("arm64"),
		Handler:       jsii.String("bootstrap"),
		// The cell's one handler asset (bucket and key are the same in every
		// stack of the environment, no cross-stack reference).
		Code:       &awslambda.CfnFunction_CodeProperty{S3Bucket: props.Code.bucket, S3Key: props.Code.key},
		MemorySize: jsii.Number(float64(t.MemorySize)),
		Timeout:    jsii.Number(10),
		Role:       role.AttrArn(),
		LoggingConfig: &awslambda.CfnFunction_LoggingConfigProperty{
			LogFormat: jsii.String("JSON"),
			LogGroup:  logGroup.LogGroupName(),
		},
		Environment: &awslambda.CfnFunction_EnvironmentProperty{Variables: &map[string]*string{
			"TENANT_ID":     jsii.String(t.ID),
			"TOKEN_ISSUER":  props.Issuer,
			"APP_CLIENT_ID": props.ClientID,
		}},
	}
	// A tenant's reserved concurrency is both its guarantee and its cap: the
	// other tenants cannot starve it, and it cannot starve them.
	if t.ReservedConcurrency > 0 {
		fnProps.ReservedConcurrentExecutions = jsii.Number(float64(t.ReservedConcurrency))
	}
	fn := awslambda.NewCfnFunction(stack, jsii.String("Function"), fnProps)

	tgName := targetGroupName(props.CellStackName, t.ID)
	fnArn := fn.AttrArn()

	// Invoke permission scoped to this tenant's target group. Its SourceArn is
	// built from the explicit target group name, not from Ref TargetGroup: the
	// target group must depend on the permission (ELB invokes the function when
	// it registers it), so referencing the group here would be a cycle. Lambda
	// matches SourceArn with ArnLike, so the trailing /* covers the group's id.
	perm := awslambda.NewCfnPermission(stack, jsii.String("InvokeFromTargetGroup"), &awslambda.CfnPermissionProps{
		Action:        jsii.String("lambda:InvokeFunction"),
		FunctionName:  fnArn,
		Principal:     jsii.String(elbServicePrincipal),
		SourceAccount: common.AccountID,
		SourceArn: awscdk.Fn_Sub(jsii.String(
			"arn:${AWS::Partition}:elasticloadbalancing:${AWS::Region}:${AWS::AccountId}:targetgroup/"+tgName+"/*"), nil),
	})

	// The target group registers the function itself (Targets), not through
	// the L2 LambdaTarget, which adds its own UNSCOPED permission (no
	// SourceArn). An L1 under a "TargetGroup" construct: the logical id and
	// template of the L2 ApplicationTargetGroup, in two jsii calls fewer.
	tg := elb.NewCfnTargetGroup(constructs.NewConstruct(stack, jsii.String("TargetGroup")), jsii.String("Resource"), &elb.CfnTargetGroupProps{
		Name:       jsii.String(tgName),
		TargetType: jsii.String("lambda"),
		Targets:    &[]*elb.CfnTargetGroup_TargetDescriptionProperty{{Id: fnArn}},
	})
	tg.AddResourceDependency(perm, jsii.String("ELB invokes the function when it registers it"))

	rule, err := newTenantRule(stack, "Rule", t, props.ListenerArn, tg.Ref(),
		tenantJwtValidation(t, props.Issuer, props.JWKSEndpoint, props.ClientID))
	if err != nil {
		return nil, err
	}
	return &tenantStack{Tenant: t, Stack: stack, Function: fn, TargetGroup: tg, Rule: rule}, nil
}

// targetGroupName is the deterministic target group name of a tenant: "tg-",
// up to 16 characters of the tenant id (alphanumerics) and a hash of the cell
// stack name and tenant id (a tenant moving cells never collides with
// itself), at most 30 characters (ELB limit 32, alphanumerics and '-').
func targetGroupName(cellStackName, tenantID string) string {
	sum := sha256.Sum256([]byte(cellStackName + "\x00" + tenantID))
	readable := strings.ToLower(contract.AlnumTitle(tenantID))
	if len(readable) > 16 {
		readable = readable[:16]
	}
	return "tg-" + readable + "-" + hex.EncodeToString(sum[:])[:10]
}

// retentionByDays is the one table from a CloudWatch Logs retention in days
// (the values config.go accepts) to the CDK enum.
var retentionByDays = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

// retentionDays maps a validated day count to the CDK enum.
func retentionDays(days int) awslogs.RetentionDays {
	if r, ok := retentionByDays[days]; ok {
		return r
	}
	return awslogs.RetentionDays_ONE_MONTH // unreachable for a validated Config (TestRetentionTableCoversConfig)
}
