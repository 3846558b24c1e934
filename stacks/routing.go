package stacks

import (
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	elb "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/regioninfo"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// SslPolicyName is the security policy of the HTTPS listener (TLS 1.3 only).
const SslPolicyName = "ELBSecurityPolicy-TLS13-1-3-2021-06"

// accessLogPrefix is the key prefix of ALB access logs in the log bucket.
const accessLogPrefix = "alb-access-logs"

// Routing is the load balancer, its listeners and the per-tenant rules.
type Routing struct {
	LoadBalancer  elb.ApplicationLoadBalancer
	HTTPSListener elb.ApplicationListener
	HTTPListener  elb.ApplicationListener
	Rules         []elb.CfnListenerRule
	scope         constructs.Construct
	listenerArn   *string
	identity      *Identity
	clientID      *string // read once: each jsii call costs, and every rule needs it
}

type routingProps struct {
	Network     *Network
	Certificate *certificate
	Identity    *Identity // issuer, JWKS endpoint and app client the rules verify against
}

func newRouting(scope constructs.Construct, id string, props routingProps) *Routing {
	c := constructs.NewConstruct(scope, str(id))
	alb := elb.NewApplicationLoadBalancer(c, str("LoadBalancer"), &elb.ApplicationLoadBalancerProps{
		Vpc:                     props.Network.Vpc,
		VpcSubnets:              &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC},
		InternetFacing:          jsii.Bool(true),
		SecurityGroup:           props.Network.AlbSecurityGroup,
		IpAddressType:           elb.IpAddressType_IPV4,
		DropInvalidHeaderFields: jsii.Bool(true),
	})
	enableAccessLogs(alb, props.Network)

	https := alb.AddListener(str("Https"), &elb.BaseApplicationListenerProps{
		Port:         jsii.Number(httpsPort),
		Protocol:     elb.ApplicationProtocol_HTTPS,
		SslPolicy:    elb.SslPolicy_TLS13_13,
		Certificates: &[]elb.IListenerCertificate{props.Certificate.listenerCertificate()},
		Open:         jsii.Bool(false), // ingress comes only from the allowedCidrs rules
		// Unknown paths get a bare 404 that reveals neither tenants nor the stack.
		DefaultAction: elb.ListenerAction_FixedResponse(jsii.Number(404), &elb.FixedResponseOptions{
			ContentType: str("text/plain"),
			MessageBody: str("Not Found"),
		}),
	})
	http := alb.AddListener(str("Http"), &elb.BaseApplicationListenerProps{
		Port:     jsii.Number(httpPort),
		Protocol: elb.ApplicationProtocol_HTTP,
		Open:     jsii.Bool(false),
		DefaultAction: elb.ListenerAction_Redirect(&elb.RedirectOptions{
			Protocol:  str("HTTPS"),
			Port:      str("443"),
			Permanent: jsii.Bool(true),
		}),
	})
	return &Routing{
		LoadBalancer: alb, HTTPSListener: https, HTTPListener: http, scope: c, listenerArn: https.ListenerArn(),
		identity: props.Identity, clientID: props.Identity.Client.UserPoolClientId(),
	}
}

// addTenantRule adds the tenant's listener rule. It is an L1 CfnListenerRule
// because the L2 ListenerAction.authenticateJwt has no additionalClaims and
// there is no L2 for rule transforms (aws-cdk PRs #36099, #35906).
func (r *Routing) addTenantRule(t Tenant, backend *TenantBackend) elb.CfnListenerRule {
	identity := r.identity
	rule := elb.NewCfnListenerRule(r.scope, str(t.ConstructID()+"Rule"), &elb.CfnListenerRuleProps{
		ListenerArn: r.listenerArn,
		Priority:    jsii.Number(float64(t.Priority)),
		Conditions: []any{&elb.CfnListenerRule_RuleConditionProperty{
			Field:             str("path-pattern"),
			PathPatternConfig: &elb.CfnListenerRule_PathPatternConfigProperty{Values: jsii.Strings(t.PathPatterns()...)},
		}},
		Actions: []any{
			&elb.CfnListenerRule_ActionProperty{
				Type:  str("jwt-validation"),
				Order: jsii.Number(1),
				JwtValidationConfig: &elb.CfnListenerRule_JwtValidationConfigProperty{
					Issuer:       identity.Issuer,
					JwksEndpoint: identity.JwksEndpoint,
					AdditionalClaims: []any{
						// Member of the tenant's group (Cognito puts groups in an array).
						&elb.CfnListenerRule_JwtValidationActionAdditionalClaimProperty{
							Name: str("cognito:groups"), Format: str("string-array"), Values: jsii.Strings(t.ID),
						},
						// Access tokens only: ID tokens also carry cognito:groups.
						&elb.CfnListenerRule_JwtValidationActionAdditionalClaimProperty{
							Name: str("token_use"), Format: str("single-string"), Values: jsii.Strings("access"),
						},
						// Issued to our app client, not to another client of the pool.
						&elb.CfnListenerRule_JwtValidationActionAdditionalClaimProperty{
							Name: str("client_id"), Format: str("single-string"), Values: &[]*string{r.clientID},
						},
					},
				},
			},
			&elb.CfnListenerRule_ActionProperty{
				Type:           str("forward"),
				Order:          jsii.Number(2),
				TargetGroupArn: backend.TargetGroup.TargetGroupArn(),
			},
		},
		Transforms: []any{&elb.CfnListenerRule_TransformProperty{
			Type: str("url-rewrite"),
			UrlRewriteConfig: &elb.CfnListenerRule_RewriteConfigObjectProperty{
				Rewrites: []any{&elb.CfnListenerRule_RewriteConfigProperty{
					Regex:   str(t.RewriteRegex()),
					Replace: str(RewriteReplace),
				}},
			},
		}},
	})
	r.Rules = append(r.Rules, rule)
	return rule
}

// enableAccessLogs turns on ALB access logs to the log bucket. The L2
// logAccessLogs needs a concrete region (it throws for env-agnostic stacks),
// so the bucket grant is written here to work in any region: regions that
// predate August 2022 require the regional ELB account as principal, newer
// ones the logdelivery.elasticloadbalancing.amazonaws.com service principal
// (enable-access-logging.html). The account comes from a region mapping built
// from the CDK region facts; a condition adds it only where one exists.
func enableAccessLogs(alb elb.ApplicationLoadBalancer, network *Network) {
	stack := awscdk.Stack_Of(alb)
	bucket := network.LogBucket

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
	m := awscdk.NewCfnMapping(stack, str("ElbLogDeliveryAccount"), &awscdk.CfnMappingProps{Mapping: &mapping})
	regionAccount := m.FindInMap(awscdk.Aws_REGION(), str("account"), nil)
	hasAccount := awscdk.NewCfnCondition(stack, str("ElbLogDeliveryUsesAccount"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionNot(awscdk.Fn_ConditionEquals(regionAccount, str(none))),
	})
	accountOrNothing := awscdk.Token_AsString(awscdk.Fn_ConditionIf(hasAccount.LogicalId(), regionAccount, awscdk.Aws_NO_VALUE()), nil)

	bucket.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:     str("AlbAccessLogDelivery"),
		Actions: jsii.Strings("s3:PutObject"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewCompositePrincipal(
			awsiam.NewServicePrincipal(str("logdelivery.elasticloadbalancing.amazonaws.com"), nil),
			awsiam.NewArnPrincipal(accountOrNothing),
		)},
		Resources: &[]*string{bucket.ArnForObjects(awscdk.Fn_Join(str(""), &[]*string{
			str(accessLogPrefix + "/AWSLogs/"), awscdk.Aws_ACCOUNT_ID(), str("/*"),
		}))},
	}))
	alb.SetAttribute(str("access_logs.s3.enabled"), str("true"))
	alb.SetAttribute(str("access_logs.s3.bucket"), bucket.BucketName())
	alb.SetAttribute(str("access_logs.s3.prefix"), str(accessLogPrefix))
	// ELB checks the bucket policy when the attribute is set.
	if policy := bucket.Policy(); policy != nil {
		alb.Node().AddDependency(policy)
	}
}
