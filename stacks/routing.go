package stacks

import (
	"fmt"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	elb "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"
)

// Ports the ALB security group opens.
const (
	httpsPort = 443
	httpPort  = 80
)

// routing is a cell's load balancer, its security group and listeners.
type routing struct {
	SecurityGroup awsec2.SecurityGroup
	LoadBalancer  elb.ApplicationLoadBalancer
	HTTPSListener elb.ApplicationListener
	HTTPListener  elb.ApplicationListener
}

type routingProps struct {
	Shared       *SharedStack
	AllowedCIDRs []string
	Certificate  *certificate
}

func newRouting(scope constructs.Construct, id string, props routingProps) *routing {
	c := constructs.NewConstruct(scope, jsii.String(id))
	vpc := props.Shared.network.Vpc

	sg := awsec2.NewSecurityGroup(c, jsii.String("AlbSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              vpc,
		Description:      jsii.String("Tenant-routing ALB: HTTPS/HTTP in from allowedCidrs, HTTPS out for the JWKS"),
		AllowAllOutbound: jsii.Bool(false),
		// IPv4 only: the ALB is not dualstack, so there is no IPv6 rule to add.
		AllowAllIpv6Outbound: jsii.Bool(false),
	})
	openToWorld := false
	for _, cidr := range props.AllowedCIDRs {
		for _, port := range []int{httpsPort, httpPort} {
			sg.AddIngressRule(awsec2.Peer_Ipv4(jsii.String(cidr)), awsec2.Port_Tcp(jsii.Number(float64(port))),
				jsii.String(fmt.Sprintf("TCP %d from %s", port, cidr)), jsii.Bool(false))
		}
		if cidr == "0.0.0.0/0" {
			openToWorld = true
		}
	}
	// The jwt-validation action fetches the Cognito JWKS over HTTPS from the
	// public endpoint; nothing else leaves the ALB (Lambda targets are invoked
	// by the ELB service, not through the security group).
	sg.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(httpsPort)),
		jsii.String("HTTPS to the Cognito JWKS endpoint (jwt-validation)"), jsii.Bool(false))
	if openToWorld {
		suppress(sg, "AwsSolutions-EC23",
			"Internet-facing API: allowedCidrs is 0.0.0.0/0 by choice; only TCP 443 and 80 (redirect) are open")
	}

	alb := elb.NewApplicationLoadBalancer(c, jsii.String("LoadBalancer"), &elb.ApplicationLoadBalancerProps{
		Vpc:                     vpc,
		VpcSubnets:              &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC},
		InternetFacing:          jsii.Bool(true),
		SecurityGroup:           sg,
		IpAddressType:           elb.IpAddressType_IPV4,
		DropInvalidHeaderFields: jsii.Bool(true),
	})
	// Access logs go to the shared log bucket, whose policy (allowAccessLogDelivery)
	// is in the shared stack, deployed before any cell.
	alb.SetAttribute(jsii.String("access_logs.s3.enabled"), jsii.String("true"))
	alb.SetAttribute(jsii.String("access_logs.s3.bucket"), props.Shared.network.LogBucket.BucketName())
	alb.SetAttribute(jsii.String("access_logs.s3.prefix"), jsii.String(accessLogPrefix))

	https := alb.AddListener(jsii.String("Https"), &elb.BaseApplicationListenerProps{
		Port:         jsii.Number(httpsPort),
		Protocol:     elb.ApplicationProtocol_HTTPS,
		SslPolicy:    elb.SslPolicy_TLS13_13,
		Certificates: &[]elb.IListenerCertificate{props.Certificate.listenerCertificate()},
		Open:         jsii.Bool(false), // ingress comes only from the allowedCidrs rules
		// Unknown paths get a bare 404 that reveals neither tenants nor the stack.
		DefaultAction: elb.ListenerAction_FixedResponse(jsii.Number(404), &elb.FixedResponseOptions{
			ContentType: jsii.String("text/plain"),
			MessageBody: jsii.String("Not Found"),
		}),
	})
	http := alb.AddListener(jsii.String("Http"), &elb.BaseApplicationListenerProps{
		Port:     jsii.Number(httpPort),
		Protocol: elb.ApplicationProtocol_HTTP,
		Open:     jsii.Bool(false),
		DefaultAction: elb.ListenerAction_Redirect(&elb.RedirectOptions{
			Protocol:  jsii.String("HTTPS"),
			Port:      jsii.String("443"),
			Permanent: jsii.Bool(true),
		}),
	})
	return &routing{SecurityGroup: sg, LoadBalancer: alb, HTTPSListener: https, HTTPListener: http}
}

// jwtClaim is one additional claim of a jwt-validation action.
type jwtClaim struct {
	Name   string
	Format string // single-string, string-array or space-separated-values
	Values []*string
}

// jwtValidation is a jwt-validation action's configuration. Issuer and
// JWKSEndpoint may be tokens; their longest renderings are given for the
// length checks.
type jwtValidation struct {
	Issuer, JWKSEndpoint               *string
	LongestIssuer, LongestJWKSEndpoint string
	Claims                             []jwtClaim
}

// Limits of JwtValidationActionConfig (Elastic Load Balancing API reference,
// API_JwtValidationActionConfig and API_JwtValidationActionAdditionalClaim)
// that cfn-lint's schemas do not check.
const (
	maxJwtURLLen          = 256
	maxJwtAdditionalClaim = 10
	maxJwtClaimValues     = 10
)

// reservedJwtClaims are checked by the ALB itself and may not be additional claims.
var reservedJwtClaims = []string{"exp", "iss", "nbf", "iat"}

// validate checks what the ALB would reject at deploy time and cfn-lint
// cannot see: URL lengths (at their longest rendering when they are tokens),
// the number of claims and values, and the reserved claim names.
func (v jwtValidation) validate() error {
	if n := len(v.LongestIssuer); n > maxJwtURLLen {
		return fmt.Errorf("jwt-validation: issuer can be %d characters (%q), the maximum is %d", n, v.LongestIssuer, maxJwtURLLen)
	}
	if n := len(v.LongestJWKSEndpoint); n > maxJwtURLLen {
		return fmt.Errorf("jwt-validation: JWKS endpoint can be %d characters (%q), the maximum is %d", n, v.LongestJWKSEndpoint, maxJwtURLLen)
	}
	if len(v.Claims) > maxJwtAdditionalClaim {
		return fmt.Errorf("jwt-validation: %d additional claims, the maximum is %d", len(v.Claims), maxJwtAdditionalClaim)
	}
	for _, c := range v.Claims {
		if slices.Contains(reservedJwtClaims, c.Name) {
			return fmt.Errorf("jwt-validation: claim %q cannot be an additional claim (the ALB checks %v itself)", c.Name, reservedJwtClaims)
		}
		if len(c.Values) == 0 || len(c.Values) > maxJwtClaimValues {
			return fmt.Errorf("jwt-validation: claim %q has %d values, want 1 to %d", c.Name, len(c.Values), maxJwtClaimValues)
		}
	}
	return nil
}

// property renders the configuration for CfnListenerRule.
func (v jwtValidation) property() *elb.CfnListenerRule_JwtValidationConfigProperty {
	claims := make([]any, len(v.Claims))
	for i, c := range v.Claims {
		values := c.Values
		claims[i] = &elb.CfnListenerRule_JwtValidationActionAdditionalClaimProperty{
			Name: jsii.String(c.Name), Format: jsii.String(c.Format), Values: &values,
		}
	}
	return &elb.CfnListenerRule_JwtValidationConfigProperty{
		Issuer: v.Issuer, JwksEndpoint: v.JWKSEndpoint, AdditionalClaims: claims,
	}
}

// tenantJwtValidation is the check of a tenant's rule: a token of the shared
// pool, issued to the app client, an access token, in the tenant's group.
func tenantJwtValidation(t Tenant, issuer, jwks, clientID *string) jwtValidation {
	return jwtValidation{
		Issuer: issuer, JWKSEndpoint: jwks,
		LongestIssuer: longestIssuer(), LongestJWKSEndpoint: contract.JWKSURL(longestIssuer()),
		Claims: []jwtClaim{
			// Member of the tenant's group (Cognito puts groups in an array).
			{Name: "cognito:groups", Format: "string-array", Values: []*string{jsii.String(t.ID)}},
			// Access tokens only: ID tokens also carry cognito:groups.
			{Name: "token_use", Format: "single-string", Values: []*string{jsii.String("access")}},
			// Issued to our app client, not to another client of the pool.
			{Name: "client_id", Format: "single-string", Values: []*string{clientID}},
		},
	}
}

// newTenantRule adds the tenant's listener rule. It is an L1 CfnListenerRule
// because the L2 ListenerAction.authenticateJwt has no additionalClaims and
// there is no L2 for rule transforms (aws-cdk PRs #36099, #35906).
func newTenantRule(scope constructs.Construct, id string, t Tenant, listenerArn, targetGroupArn *string, jwt jwtValidation) (elb.CfnListenerRule, error) {
	if err := jwt.validate(); err != nil {
		return nil, fmt.Errorf("tenant %s: %w", t.ID, err)
	}
	return elb.NewCfnListenerRule(scope, jsii.String(id), &elb.CfnListenerRuleProps{
		ListenerArn: listenerArn,
		Priority:    jsii.Number(float64(t.Priority)),
		Conditions: []any{&elb.CfnListenerRule_RuleConditionProperty{
			Field:             jsii.String("path-pattern"),
			PathPatternConfig: &elb.CfnListenerRule_PathPatternConfigProperty{Values: jsii.Strings(t.PathPatterns()...)},
		}},
		Actions: []any{
			&elb.CfnListenerRule_ActionProperty{
				Type:                jsii.String("jwt-validation"),
				Order:               jsii.Number(1),
				JwtValidationConfig: jwt.property(),
			},
			&elb.CfnListenerRule_ActionProperty{
				Type:           jsii.String("forward"),
				Order:          jsii.Number(2),
				TargetGroupArn: targetGroupArn,
			},
		},
		Transforms: []any{&elb.CfnListenerRule_TransformProperty{
			Type: jsii.String("url-rewrite"),
			UrlRewriteConfig: &elb.CfnListenerRule_RewriteConfigObjectProperty{
				Rewrites: []any{&elb.CfnListenerRule_RewriteConfigProperty{
					Regex:   jsii.String(t.RewriteRegex()),
					Replace: jsii.String(RewriteReplace),
				}},
			},
		}},
	}), nil
}
