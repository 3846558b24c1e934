// Package stacks defines the CloudFormation stack of the ALB JWT tenant-routing
// app: a Cognito user pool with one group per tenant, one shared HTTPS
// Application Load Balancer and, per tenant, a Go Lambda behind a Lambda target
// group reached through one listener rule that validates the caller's access
// token (jwt-validation) and strips the tenant prefix (url-rewrite).
//
// Inputs are validated once, by LoadConfig/ParseConfig (config.go), into a
// typed Config; the construct code below trusts it.
package stacks

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Output logical ids: a stable contract read by scripts/ (stack-outputs,
// seed-users, smoke.sh) and documented in the README.
const (
	OutAlbDnsName       = "AlbDnsName"
	OutBaseURL          = "BaseUrl"
	OutUserPoolID       = "UserPoolId"
	OutUserPoolClientID = "UserPoolClientId"
	OutIssuer           = "Issuer"
	OutJwksEndpoint     = "JwksEndpoint"
	OutRegion           = "Region"
	OutTenantIDs        = "TenantIds"
)

// TenantRoutingStackProps are the inputs of NewTenantRoutingStack.
type TenantRoutingStackProps struct {
	awscdk.StackProps
	// Config is the validated configuration (LoadConfig). Its StackName is used
	// as the construct id and the CloudFormation stack name.
	Config Config
	// HandlerAssetDir is a directory holding the `bootstrap` binary of the tenant
	// handler (internal/gobuild output). It is packaged as one Lambda asset.
	HandlerAssetDir string
}

// TenantRoutingStack gives access to the parts tests and callers need.
type TenantRoutingStack struct {
	Stack    awscdk.Stack
	Identity *Identity
	Network  *Network
	Routing  *Routing
	Tenants  []*TenantBackend
}

var str = jsii.String

// NewTenantRoutingStack builds the whole stack under scope.
func NewTenantRoutingStack(scope constructs.Construct, props TenantRoutingStackProps) (*TenantRoutingStack, error) {
	cfg := props.Config
	if cfg.StackName == "" || len(cfg.Tenants) == 0 || cfg.Certificate.Mode == 0 {
		return nil, errors.New("stacks: props.Config is not a validated Config (use LoadConfig)")
	}
	if err := checkAssetDir(props.HandlerAssetDir); err != nil {
		return nil, err
	}
	sprops := props.StackProps
	if sprops.StackName == nil {
		sprops.StackName = str(cfg.StackName)
	}
	if sprops.Description == nil {
		sprops.Description = str("Multi-tenant routing on an ALB with jwt-validation (Cognito groups) and one Lambda per tenant")
	}
	// No AWS::CDK::Metadata resource: it would count towards the 500-resource
	// quota that MaxTenants is computed against, and report usage to AWS.
	sprops.AnalyticsReporting = jsii.Bool(false)
	stack := awscdk.NewStack(scope, str(cfg.StackName), &sprops)

	identity := newIdentity(stack, "Identity", identityProps{RemovalPolicy: cfg.UserPoolRemovalPolicy})
	network := newNetwork(stack, "Network", networkProps{AllowedCIDRs: cfg.AllowedCIDRs, LogRetentionDays: cfg.LogRetentionDays})
	cert := newCertificate(stack, "Certificate", cfg.Certificate)
	routing := newRouting(stack, "Routing", routingProps{
		Network:     network,
		Certificate: cert,
		Identity:    identity,
	})
	baseURL := cert.attachToLoadBalancer(stack, routing.LoadBalancer)

	handlerCode := newHandlerCode(props.HandlerAssetDir)
	poolID := identity.UserPool.UserPoolId()
	clientID := identity.Client.UserPoolClientId()
	shared := NewTenantShared()
	tenants := make([]*TenantBackend, 0, len(cfg.Tenants))
	for _, t := range cfg.Tenants {
		tb := newTenantBackend(stack, t.ConstructID(), TenantBackendProps{
			Tenant:           t,
			StackName:        cfg.StackName,
			Code:             handlerCode,
			LogRetentionDays: cfg.LogRetentionDays,
			UserPoolID:       poolID,
			Issuer:           identity.Issuer,
			ClientID:         clientID,
			Shared:           shared,
		})
		routing.addTenantRule(t, tb)
		tenants = append(tenants, tb)
	}

	output(stack, OutAlbDnsName, routing.LoadBalancer.LoadBalancerDnsName(), "DNS name of the Application Load Balancer")
	output(stack, OutBaseURL, baseURL, "Base URL of the API (HTTPS)")
	output(stack, OutUserPoolID, identity.UserPool.UserPoolId(), "Cognito user pool id")
	output(stack, OutUserPoolClientID, identity.Client.UserPoolClientId(), "Cognito app client id (public SPA client)")
	output(stack, OutIssuer, identity.Issuer, "Token issuer (iss) the ALB expects")
	output(stack, OutJwksEndpoint, identity.JwksEndpoint, "JWKS URL the ALB fetches")
	output(stack, OutRegion, awscdk.Aws_REGION(), "Deployment region")
	output(stack, OutTenantIDs, str(strings.Join(cfg.TenantIDs(), ",")), "Tenant ids in rule-priority order")
	for _, t := range cfg.Tenants {
		output(stack, t.OutputKey(), awscdk.Fn_Join(str(""), &[]*string{baseURL, str("/" + t.ID + "/")}),
			fmt.Sprintf("Base URL of tenant %s", t.ID))
	}

	return &TenantRoutingStack{Stack: stack, Identity: identity, Network: network, Routing: routing, Tenants: tenants}, nil
}

// output adds a CfnOutput whose logical id is exactly id.
func output(stack awscdk.Stack, id string, value *string, description string) {
	o := awscdk.NewCfnOutput(stack, str(id), &awscdk.CfnOutputProps{Value: value, Description: str(description)})
	o.OverrideLogicalId(str(id))
}

func checkAssetDir(dir string) error {
	if dir == "" {
		return errors.New("stacks: HandlerAssetDir is required (build the handler with internal/gobuild first)")
	}
	st, err := os.Stat(filepath.Join(dir, "bootstrap"))
	if err != nil {
		return fmt.Errorf("stacks: handler asset: %w (build it with internal/gobuild)", err)
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return fmt.Errorf("stacks: handler asset %s is not an executable file", filepath.Join(dir, "bootstrap"))
	}
	return nil
}
