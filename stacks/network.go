package stacks

import (
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/regioninfo"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// network is the shared VPC and the log bucket that receives the VPC flow
// logs and every cell's ALB access logs.
type network struct {
	Vpc       awsec2.Vpc
	LogBucket awss3.Bucket
}

type networkProps struct {
	LogRetentionDays int
}

// accessLogPrefix is the key prefix of ALB access logs in the log bucket
// (each ALB writes under AWSLogs/<account>/elasticloadbalancing/<region>/...,
// with its own id in the object names).
const accessLogPrefix = "alb-access-logs"

func newNetwork(scope constructs.Construct, id string, props networkProps) *network {
	c := constructs.NewConstruct(scope, jsii.String(id))

	logBucket := awss3.NewBucket(c, jsii.String("LogBucket"), &awss3.BucketProps{
		// ALB access logs support only SSE-S3 (enable-access-logging.html).
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:         jsii.Bool(false),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("ExpireLogs"),
			Enabled:                             jsii.Bool(true),
			Expiration:                          awscdk.Duration_Days(jsii.Number(float64(props.LogRetentionDays))),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}},
		// Log objects are evidence; keep them when the stack is deleted (the bucket
		// is not empty then anyway, and auto-delete would add a custom resource).
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	suppress(logBucket, "AwsSolutions-S1",
		"This bucket is the log destination itself (ALB access logs, VPC flow logs); logging it to itself would loop")
	allowAccessLogDelivery(logBucket)

	vpc := awsec2.NewVpc(c, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs:      jsii.Number(2),
		NatGateways: jsii.Number(0), // Lambda targets run outside the VPC; only the ALBs live here
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{{
			Name:       jsii.String("Public"),
			SubnetType: awsec2.SubnetType_PUBLIC,
			CidrMask:   jsii.Number(24),
		}},
		// No resource uses the default security group (each ALB has its own, the
		// Lambdas are not in the VPC), so we skip the restrictDefaultSecurityGroup
		// custom resource: it would add a Node.js Lambda, an IAM role with a managed
		// policy and three resources per stack for no protection gain.
		RestrictDefaultSecurityGroup: jsii.Bool(false),
		FlowLogs: &map[string]*awsec2.FlowLogOptions{
			"ToLogBucket": {
				Destination: awsec2.FlowLogDestination_ToS3(logBucket, jsii.String("vpc-flow-logs/"), nil),
				TrafficType: awsec2.FlowLogTrafficType_ALL,
			},
		},
	})
	return &network{Vpc: vpc, LogBucket: logBucket}
}

// allowAccessLogDelivery lets every cell's ALB write access logs to the
// bucket. The L2 logAccessLogs needs a concrete region (it throws for
// env-agnostic stacks) and would add a statement per ALB, so the grant is
// written once here to work in any region: regions that predate August 2022
// require the regional ELB account as principal, newer ones the
// logdelivery.elasticloadbalancing.amazonaws.com service principal
// (enable-access-logging.html). The account comes from a region mapping built
// from the CDK region facts; a condition adds it only where one exists.
func allowAccessLogDelivery(bucket awss3.Bucket) {
	stack := awscdk.Stack_Of(bucket)
	accounts := regioninfo.RegionInfo_RegionMap(regioninfo.FactName_ELBV2_ACCOUNT())
	const none = "none"
	mapping := map[string]*map[string]any{}
	regions := make([]string, 0, len(*accounts))
	for region := range *accounts {
		regions = append(regions, region)
	}
	sort.Strings(regions)
	for _, region := range regions {
		account := none
		if a := (*accounts)[region]; a != nil && *a != "" {
			account = *a
		}
		mapping[region] = &map[string]any{"account": account}
	}
	m := awscdk.NewCfnMapping(stack, jsii.String("ElbLogDeliveryAccount"), &awscdk.CfnMappingProps{Mapping: &mapping})
	regionAccount := m.FindInMap(awscdk.Aws_REGION(), jsii.String("account"), nil)
	hasAccount := awscdk.NewCfnCondition(stack, jsii.String("ElbLogDeliveryUsesAccount"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionNot(awscdk.Fn_ConditionEquals(regionAccount, jsii.String(none))),
	})
	accountOrNothing := awscdk.Token_AsString(awscdk.Fn_ConditionIf(hasAccount.LogicalId(), regionAccount, awscdk.Aws_NO_VALUE()), nil)

	bucket.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:     jsii.String("AlbAccessLogDelivery"),
		Actions: jsii.Strings("s3:PutObject"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewCompositePrincipal(
			awsiam.NewServicePrincipal(jsii.String("logdelivery.elasticloadbalancing.amazonaws.com"), nil),
			awsiam.NewArnPrincipal(accountOrNothing),
		)},
		Resources: &[]*string{bucket.ArnForObjects(awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String(accessLogPrefix + "/AWSLogs/"), awscdk.Aws_ACCOUNT_ID(), jsii.String("/*"),
		}))},
	}))
}
