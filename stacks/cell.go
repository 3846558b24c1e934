package stacks

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"
)

// Resource accounting of the cell layout, verified against synthesized
// templates by TestResourceCountConstants.
const (
	// sharedStackResources: VPC (12 with subnets, routes, gateway and flow
	// log), log bucket and its policy, user pool and app client.
	sharedStackResources = 16
	// cellBaseResources: security group, ALB, HTTPS and HTTP listeners.
	cellBaseResources = 4
	// cellDomainResources: the cell's ACM certificate and alias record
	// (domainName option).
	cellDomainResources = 2
	// cellResourcesPerTenant: the tenant's AWS::CloudFormation::Stack.
	cellResourcesPerTenant = 1
	// tenantStackResources: group, log group, role, function, permission,
	// target group, listener rule.
	tenantStackResources = 7
)

// versionReportingContext is the context key (cx-api
// ENABLE_VERSION_REPORTING) from which a stack without an explicit
// analyticsReporting decides whether to add an AWS::CDK::Metadata resource.
const versionReportingContext = "aws:cdk:version-reporting"

// CellStackProps are the inputs of NewCellStack.
type CellStackProps struct {
	awscdk.StackProps
	// Config is the validated configuration.
	Config Config
	// Cell is the cell to build (one entry of the configuration's cells).
	Cell CellConfig
	// Shared is the deployment's shared stack; the cell references its pool,
	// client, VPC and log bucket (CDK makes the exports and imports).
	Shared *SharedStack
	// Handler is the tenant handler's asset (NewHandlerAsset).
	Handler *HandlerAsset
}

// CellStack is one cell: its load balancer and one nested stack per tenant.
type CellStack struct {
	Stack   awscdk.Stack
	Cell    string
	routing *routing
	tenants []*tenantStack
}

// NewCellStack builds the stack contract.CellStackName(stackName, cell).
func NewCellStack(scope constructs.Construct, props CellStackProps) (*CellStack, error) {
	cfg, cell, shared := props.Config, props.Cell, props.Shared
	if shared == nil || props.Handler == nil {
		return nil, errors.New("stacks: a cell stack needs the shared stack and the handler asset")
	}
	if cell.ID == "" || len(cell.Tenants) == 0 {
		return nil, fmt.Errorf("stacks: cell %q has no tenants", cell.ID)
	}
	name := cell.StackName
	sprops := props.StackProps
	sprops.StackName = jsii.String(name)
	if sprops.Description == nil {
		sprops.Description = jsii.String(fmt.Sprintf("Tenant routing, cell %s: one ALB and its %d tenants (one nested stack each)", cell.ID, len(cell.Tenants)))
	}
	sprops.AnalyticsReporting = jsii.Bool(false)
	stack := awscdk.NewStack(scope, jsii.String(name), &sprops)
	// The tenants' nested stacks take analyticsReporting from this context key
	// (NestedStackProps has no such property), which the CDK CLI sets to true:
	// without this each would get an AWS::CDK::Metadata resource (one more
	// resource per tenant, a usage report to AWS, and its construct inventory
	// compressed at every synthesis).
	stack.Node().SetContext(jsii.String(versionReportingContext), false)

	cert := newCertificate(stack, "Certificate", cell, cfg.Certificate)
	r := newRouting(stack, "Routing", routingProps{Shared: shared, AllowedCIDRs: cfg.AllowedCIDRs, Certificate: cert})
	baseURL := cert.attachToLoadBalancer(stack, r.LoadBalancer)

	id := shared.identity
	common := newTenantCommon(cfg.LogRetentionDays)
	code := newCellCode(stack, props.Handler)
	listenerArn := r.HTTPSListener.ListenerArn()
	poolID := id.UserPool.UserPoolId()
	tenants := make([]*tenantStack, 0, len(cell.Tenants))
	ids := make([]string, 0, len(cell.Tenants))
	for _, t := range cell.Tenants {
		ts, err := newTenantStack(stack, t.ConstructID(), tenantProps{
			Tenant: t, CellStackName: name, Code: code, LogRetentionDays: cfg.LogRetentionDays,
			UserPoolID: poolID, Issuer: id.Issuer, JWKSEndpoint: id.JwksEndpoint, ClientID: id.ClientID,
			ListenerArn: listenerArn, Common: common,
		})
		if err != nil {
			return nil, err
		}
		tenants = append(tenants, ts)
		ids = append(ids, t.ID)
	}

	output(stack, contract.OutCell, jsii.String(cell.ID), "Cell id")
	output(stack, contract.OutAlbDnsName, r.LoadBalancer.LoadBalancerDnsName(), "DNS name of the cell's Application Load Balancer")
	output(stack, contract.OutBaseURL, baseURL, "Base URL of the cell (HTTPS)")
	output(stack, contract.OutTenantIDs, jsii.String(strings.Join(ids, ",")), "The cell's tenant ids in rule-priority order")
	for _, t := range cell.Tenants {
		output(stack, contract.TenantURLOutputKey(t.ID), jsii.String(*baseURL+contract.TenantPath(t.ID)),
			fmt.Sprintf("Base URL of tenant %s", t.ID))
	}
	return &CellStack{Stack: stack, Cell: cell.ID, routing: r, tenants: tenants}, nil
}
