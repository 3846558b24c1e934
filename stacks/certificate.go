package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	elb "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53targets"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// certificate supplies a cell's HTTPS listener certificate. The three
// supported ways (selected by context, validated in config.go), per cell:
//
//  1. certificateArn: an existing ACM certificate in the stack's region is
//     attached by ARN in every cell. Nothing is created. BaseUrl uses the
//     cell's ALB DNS name, so clients see a name mismatch unless a DNS record
//     points at the ALB.
//  2. domainName + hostedZoneId + hostedZoneName: each cell creates a
//     DNS-validated ACM certificate for cell-<cell>.<domainName> (validation
//     records go into the hosted zone) and an alias A record pointing that
//     name at its ALB. BaseUrl is https://cell-<cell>.<domainName>.
//  3. No domain at all: scripts/import-cert generates a self-signed
//     certificate, imports it into ACM and prints its ARN; pass that ARN as
//     (1). Clients must then skip verification (curl -k) or trust the CA.
type certificate struct {
	mode       CertificateMode
	domainName string // mode 2: the cell's name
	cert       awscertificatemanager.ICertificate
	zone       awsroute53.IHostedZone
}

func newCertificate(scope constructs.Construct, id string, cell CellConfig, cfg CertificateConfig) *certificate {
	c := &certificate{mode: cfg.Mode}
	switch cfg.Mode {
	case CertificateImported:
		c.cert = awscertificatemanager.Certificate_FromCertificateArn(scope, jsii.String(id), jsii.String(cfg.ARN))
	case CertificateDNSValidated:
		c.domainName = cell.DomainName
		c.zone = awsroute53.HostedZone_FromHostedZoneAttributes(scope, jsii.String(id+"Zone"), &awsroute53.HostedZoneAttributes{
			HostedZoneId: jsii.String(cfg.HostedZoneID),
			ZoneName:     jsii.String(cfg.HostedZoneName),
		})
		c.cert = awscertificatemanager.NewCertificate(scope, jsii.String(id), &awscertificatemanager.CertificateProps{
			DomainName: jsii.String(c.domainName),
			Validation: awscertificatemanager.CertificateValidation_FromDns(c.zone),
		})
	}
	return c
}

func (c *certificate) listenerCertificate() elb.IListenerCertificate {
	return elb.ListenerCertificate_FromCertificateManager(c.cert)
}

// attachToLoadBalancer adds the DNS record (mode 2) and returns the BaseUrl.
func (c *certificate) attachToLoadBalancer(scope constructs.Construct, alb elb.ApplicationLoadBalancer) *string {
	if c.mode != CertificateDNSValidated {
		return awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("https://"), alb.LoadBalancerDnsName()})
	}
	// IPv4-only ALB, so an A alias record only (no AAAA).
	awsroute53.NewARecord(scope, jsii.String("AliasRecord"), &awsroute53.ARecordProps{
		Zone:       c.zone,
		RecordName: jsii.String(c.domainName + "."),
		Target:     awsroute53.RecordTarget_FromAlias(awsroute53targets.NewLoadBalancerTarget(alb, nil)),
		Comment:    jsii.String("Tenant-routing API, one cell"),
	})
	return jsii.String("https://" + c.domainName)
}
