// Package stacks defines the CloudFormation stacks of the ALB JWT
// tenant-routing app. A deployment is one shared stack and one stack per cell:
//
//   - the shared stack (<stackName>, NewSharedStack): the Cognito user pool and
//     its SPA app client, the VPC with its flow logs and the log bucket;
//   - a cell stack (<stackName>-Cell-<cell>, NewCellStack): one HTTPS
//     Application Load Balancer with its security group, listeners and
//     certificate, and one CloudFormation nested stack per tenant of the cell
//     holding everything of that tenant (Cognito group, Go Lambda with its log
//     group and role, Lambda target group, scoped invoke permission and the
//     listener rule that validates the caller's access token with
//     jwt-validation against the shared pool and strips the tenant prefix
//     with url-rewrite).
//
// Onboarding or removing a tenant changes exactly one cell stack and its
// nested stacks; the shared stack and the other cells stay byte for byte.
//
// Inputs are validated once, by LoadConfig/ParseConfig (config.go), into a
// typed Config; the construct code trusts it.
package stacks

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"
)

// SharedStackProps are the inputs of NewSharedStack.
type SharedStackProps struct {
	awscdk.StackProps
	// Config is the validated configuration (LoadConfig). Its StackName is the
	// construct id and the CloudFormation stack name.
	Config Config
}

// SharedStack is the stack every cell uses: identity, VPC and log bucket.
type SharedStack struct {
	Stack    awscdk.Stack
	identity *identity
	network  *network
}

// NewSharedStack builds the shared stack under scope. Its construct paths for
// the user pool, its client, the VPC and the log bucket are those of the
// single-stack layout, so an existing deployment keeps their logical ids.
func NewSharedStack(scope constructs.Construct, props SharedStackProps) (*SharedStack, error) {
	cfg := props.Config
	if cfg.StackName == "" || cfg.Certificate.Mode == 0 {
		return nil, errors.New("stacks: props.Config is not a validated Config (use LoadConfig)")
	}
	sprops := props.StackProps
	sprops.StackName = jsii.String(cfg.StackName)
	if sprops.Description == nil {
		sprops.Description = jsii.String("Tenant routing, shared: Cognito user pool and app client, VPC, log bucket")
	}
	// No AWS::CDK::Metadata resource: it would count towards the resource
	// quotas and report usage to AWS.
	sprops.AnalyticsReporting = jsii.Bool(false)
	stack := awscdk.NewStack(scope, jsii.String(cfg.StackName), &sprops)

	id := newIdentity(stack, "Identity", identityProps{
		RemovalPolicy:              cfg.UserPoolRemovalPolicy,
		AccessTokenValidityMinutes: cfg.AccessTokenValidityMinutes,
	})
	net := newNetwork(stack, "Network", networkProps{LogRetentionDays: cfg.LogRetentionDays})

	output(stack, contract.OutUserPoolID, id.UserPool.UserPoolId(), "Cognito user pool id")
	output(stack, contract.OutUserPoolClientID, id.ClientID, "Cognito app client id (public SPA client)")
	output(stack, contract.OutIssuer, id.Issuer, "Token issuer (iss) every cell's ALB expects")
	output(stack, contract.OutJwksEndpoint, id.JwksEndpoint, "JWKS URL every cell's ALB fetches")
	output(stack, contract.OutRegion, awscdk.Aws_REGION(), "Deployment region")
	return &SharedStack{Stack: stack, identity: id, network: net}, nil
}

// output adds a CfnOutput whose logical id is exactly id.
func output(scope constructs.Construct, id string, value *string, description string) {
	o := awscdk.NewCfnOutput(scope, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(description)})
	o.OverrideLogicalId(jsii.String(id))
}

// HandlerAsset is the tenant handler's asset directory and the hash of its
// bootstrap, computed once: every tenant's nested stack needs its own Code
// (CDK binds an asset to one stack), and with the hash given CDK neither
// fingerprints nor copies the binary again per tenant.
type HandlerAsset struct {
	dir  string
	hash string
}

// NewHandlerAsset checks dir (it must hold an executable `bootstrap`, the
// internal/gobuild output) and hashes the bootstrap.
func NewHandlerAsset(dir string) (*HandlerAsset, error) {
	if dir == "" {
		return nil, errors.New("stacks: the handler asset dir is required (build the handler with internal/gobuild first)")
	}
	path := filepath.Join(dir, "bootstrap")
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("stacks: handler asset: %w (build it with internal/gobuild)", err)
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return nil, fmt.Errorf("stacks: handler asset %s is not an executable file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("stacks: handler asset: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("stacks: hash handler asset: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("stacks: handler asset: %w", err)
	}
	return &HandlerAsset{dir: abs, hash: hex.EncodeToString(h.Sum(nil))}, nil
}
