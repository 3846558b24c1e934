package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Network is the VPC, the ALB security group and the log bucket shared by VPC
// flow logs and ALB access logs.
type Network struct {
	Vpc              awsec2.Vpc
	AlbSecurityGroup awsec2.SecurityGroup
	LogBucket        awss3.Bucket
}

type networkProps struct {
	AllowedCIDRs     []string
	LogRetentionDays int
}

// Ports the ALB security group opens.
const (
	httpsPort = 443
	httpPort  = 80
)

func newNetwork(scope constructs.Construct, id string, props networkProps) *Network {
	c := constructs.NewConstruct(scope, str(id))

	logBucket := awss3.NewBucket(c, str("LogBucket"), &awss3.BucketProps{
		// ALB access logs support only SSE-S3 (enable-access-logging.html).
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:         jsii.Bool(false),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  str("ExpireLogs"),
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

	vpc := awsec2.NewVpc(c, str("Vpc"), &awsec2.VpcProps{
		MaxAzs:      jsii.Number(2),
		NatGateways: jsii.Number(0), // Lambda targets run outside the VPC; only the ALB lives here
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{{
			Name:       str("Public"),
			SubnetType: awsec2.SubnetType_PUBLIC,
			CidrMask:   jsii.Number(24),
		}},
		// No resource uses the default security group (the ALB has its own, the
		// Lambdas are not in the VPC), so we skip the restrictDefaultSecurityGroup
		// custom resource: it would add a Node.js Lambda, an IAM role with a managed
		// policy and three resources per stack for no protection gain.
		RestrictDefaultSecurityGroup: jsii.Bool(false),
		FlowLogs: &map[string]*awsec2.FlowLogOptions{
			"ToLogBucket": {
				Destination: awsec2.FlowLogDestination_ToS3(logBucket, str("vpc-flow-logs/"), nil),
				TrafficType: awsec2.FlowLogTrafficType_ALL,
			},
		},
	})

	sg := awsec2.NewSecurityGroup(c, str("AlbSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              vpc,
		Description:      str("Tenant-routing ALB: HTTPS/HTTP in from allowedCidrs, HTTPS out for the JWKS"),
		AllowAllOutbound: jsii.Bool(false),
		// IPv4 only: the ALB is not dualstack, so there is no IPv6 rule to add.
		AllowAllIpv6Outbound: jsii.Bool(false),
	})
	openToWorld := false
	for _, cidr := range props.AllowedCIDRs {
		for _, port := range []int{httpsPort, httpPort} {
			sg.AddIngressRule(awsec2.Peer_Ipv4(str(cidr)), awsec2.Port_Tcp(jsii.Number(float64(port))),
				str(fmt.Sprintf("TCP %d from %s", port, cidr)), jsii.Bool(false))
		}
		if cidr == "0.0.0.0/0" {
			openToWorld = true
		}
	}
	// The jwt-validation action fetches the Cognito JWKS over HTTPS from the
	// public endpoint; nothing else leaves the ALB (Lambda targets are invoked
	// by the ELB service, not through the security group).
	sg.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(httpsPort)),
		str("HTTPS to the Cognito JWKS endpoint (jwt-validation)"), jsii.Bool(false))
	if openToWorld {
		suppress(sg, "AwsSolutions-EC23",
			"Internet-facing API: allowedCidrs is 0.0.0.0/0 by choice; only TCP 443 and 80 (redirect) are open")
	}
	return &Network{Vpc: vpc, AlbSecurityGroup: sg, LogBucket: logBucket}
}
