package stacks

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// elbServicePrincipal is the principal that invokes Lambda targets.
const elbServicePrincipal = "elasticloadbalancing.amazonaws.com"

// TenantBackendProps configure one tenant's backend.
type TenantBackendProps struct {
	Tenant Tenant
	// StackName makes the target group name unique per stack.
	StackName string
	// Code is the shared handler asset (one asset for all tenants).
	Code awslambda.Code
	// LogRetentionDays is the retention of the function's log group.
	LogRetentionDays int
	// UserPoolID is the pool the tenant's Cognito group belongs to.
	UserPoolID *string
	// Issuer and ClientID are the pool's issuer and the app client id, given to
	// the function (TOKEN_ISSUER, APP_CLIENT_ID) for its defence-in-depth check.
	Issuer   *string
	ClientID *string
	// Shared holds values identical for all tenants, created once per stack
	// (every jsii call costs a round trip; see BenchmarkSynth).
	Shared *TenantShared
}

// TenantShared are the per-stack values every tenant backend uses.
type TenantShared struct {
	Runtime         awslambda.Runtime
	Architecture    awslambda.Architecture
	LambdaPrincipal awsiam.IPrincipal
	AccountID       *string
}

// NewTenantShared creates the shared values once.
func NewTenantShared() *TenantShared {
	return &TenantShared{
		Runtime:         awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:    awslambda.Architecture_ARM_64(),
		LambdaPrincipal: awsiam.NewServicePrincipal(str("lambda.amazonaws.com"), nil),
		AccountID:       awscdk.Aws_ACCOUNT_ID(),
	}
}

// TenantBackend is one tenant: Cognito group, Lambda function with its own log
// group and role, a Lambda target group and the scoped invoke permission.
type TenantBackend struct {
	Tenant      Tenant
	Group       awscognito.CfnUserPoolGroup
	LogGroup    awslogs.LogGroup
	Function    awslambda.Function
	Permission  awslambda.CfnPermission
	TargetGroup awselasticloadbalancingv2.ApplicationTargetGroup
	// TargetGroupName is the explicit, deterministic target group name.
	TargetGroupName string
}

func newHandlerCode(assetDir string) awslambda.Code {
	return awslambda.Code_FromAsset(str(assetDir), nil)
}

func newTenantBackend(scope constructs.Construct, id string, props TenantBackendProps) *TenantBackend {
	c := constructs.NewConstruct(scope, str(id))
	t := props.Tenant
	shared := props.Shared
	if shared == nil {
		shared = NewTenantShared()
	}

	group := awscognito.NewCfnUserPoolGroup(c, str("Group"), &awscognito.CfnUserPoolGroupProps{
		UserPoolId:  props.UserPoolID,
		GroupName:   str(t.ID),
		Description: str(fmt.Sprintf("Members may call /%s/* (checked by the ALB on cognito:groups)", t.ID)),
	})

	logGroup := awslogs.NewLogGroup(c, str("LogGroup"), &awslogs.LogGroupProps{
		Retention: retentionDays(props.LogRetentionDays),
		// Retained when a tenant is removed, so an offboarded tenant's logs stay
		// available for audit until the retention expires. Names are generated,
		// so re-adding the tenant never collides.
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})

	// A role per tenant whose only permission is writing to its own log group
	// (instead of the AWSLambdaBasicExecutionRole managed policy, which allows
	// every log group). Inline so it adds no AWS::IAM::Policy resource.
	role := awsiam.NewRole(c, str("Role"), &awsiam.RoleProps{
		AssumedBy:   shared.LambdaPrincipal,
		Description: str(fmt.Sprintf("Execution role of tenant %s's handler", t.ID)),
		InlinePolicies: &map[string]awsiam.PolicyDocument{
			"WriteOwnLogGroup": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
				Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
					Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
					Resources: jsii.Strings(*logGroup.LogGroupArn()),
				})},
			}),
		},
	})

	fn := awslambda.NewFunction(c, str("Function"), &awslambda.FunctionProps{
		Description:   str(fmt.Sprintf("Backend of tenant %s", t.ID)),
		Runtime:       shared.Runtime,
		Architecture:  shared.Architecture,
		Handler:       str("bootstrap"),
		Code:          props.Code,
		MemorySize:    jsii.Number(float64(t.MemorySize)),
		Timeout:       awscdk.Duration_Seconds(jsii.Number(10)),
		Role:          role,
		LogGroup:      logGroup,
		LoggingFormat: awslambda.LoggingFormat_JSON,
		Environment: &map[string]*string{
			"TENANT_ID":     str(t.ID),
			"TOKEN_ISSUER":  props.Issuer,
			"APP_CLIENT_ID": props.ClientID,
		},
	})

	tgName := TargetGroupName(props.StackName, t.ID)
	fnArn := fn.FunctionArn()

	// Invoke permission scoped to this tenant's target group. Its SourceArn is
	// built from the explicit target group name, not from Ref TargetGroup: the
	// target group must depend on the permission (ELB invokes the function when
	// it registers it), so referencing the group here would be a cycle. Lambda
	// matches SourceArn with ArnLike, so the trailing /* covers the group's id.
	perm := awslambda.NewCfnPermission(c, str("InvokeFromTargetGroup"), &awslambda.CfnPermissionProps{
		Action:        str("lambda:InvokeFunction"),
		FunctionName:  fnArn,
		Principal:     str(elbServicePrincipal),
		SourceAccount: shared.AccountID,
		SourceArn: awscdk.Fn_Sub(str(
			"arn:${AWS::Partition}:elasticloadbalancing:${AWS::Region}:${AWS::AccountId}:targetgroup/"+tgName+"/*"), nil),
	})

	// L2 target group without targets; the function is registered through a
	// property override because the L2 LambdaTarget adds its own UNSCOPED
	// permission (no SourceArn) that we do not want.
	tg := awselasticloadbalancingv2.NewApplicationTargetGroup(c, str("TargetGroup"), &awselasticloadbalancingv2.ApplicationTargetGroupProps{
		TargetType:      awselasticloadbalancingv2.TargetType_LAMBDA,
		TargetGroupName: str(tgName),
	})
	cfnTG := tg.Node().DefaultChild().(awselasticloadbalancingv2.CfnTargetGroup)
	cfnTG.AddPropertyOverride(str("Targets"), []map[string]any{{"Id": fnArn}})
	cfnTG.AddResourceDependency(perm, str("ELB invokes the function when it registers it"))

	return &TenantBackend{
		Tenant: t, Group: group, LogGroup: logGroup, Function: fn, Permission: perm,
		TargetGroup: tg, TargetGroupName: tgName,
	}
}

// TargetGroupName is the deterministic target group name of a tenant: "tg-",
// up to 16 characters of the tenant id (alphanumerics) and a hash of stack name
// and tenant id, at most 30 characters (ELB limit 32, alphanumerics and '-').
func TargetGroupName(stackName, tenantID string) string {
	sum := sha256.Sum256([]byte(stackName + "\x00" + tenantID))
	readable := strings.ToLower(alnumTitle(tenantID))
	if len(readable) > 16 {
		readable = readable[:16]
	}
	return "tg-" + readable + "-" + hex.EncodeToString(sum[:])[:10]
}

// retentionDays maps a validated day count to the CDK enum.
func retentionDays(days int) awslogs.RetentionDays {
	byDays := map[int]awslogs.RetentionDays{
		1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
		7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
		60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
		150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
		400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
		1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
		2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
		3653: awslogs.RetentionDays_TEN_YEARS,
	}
	if r, ok := byDays[days]; ok {
		return r
	}
	return awslogs.RetentionDays_ONE_MONTH // unreachable for a validated Config
}
