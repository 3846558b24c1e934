package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	elb "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53targets"
	"github.com/aws/constructs-go/constructs/v10"
)

// certificate supplies the HTTPS listener certificate. The three supported
// ways (selected by context, validated in config.go):
//
//  1. certificateArn: an existing ACM certificate in the stack's region is
//     attached by ARN. Nothing is created. BaseUrl uses the ALB DNS name, so
//     clients see a name mismatch unless a DNS record points at the ALB.
//  2. domainName + hostedZoneId + hostedZoneName: a DNS-validated ACM
//     certificate is created (validation records go into the hosted zone) and
//     an alias A record points domainName at the ALB. BaseUrl uses domainName.
//  3. No domain at all: scripts/import-cert generates a self-signed
//     certificate, imports it into ACM and prints its ARN; pass that ARN as
//     (1). Clients must then skip verification (curl -k) or trust the CA.
type certificate struct {
	cfg  CertificateConfig
	cert awscertificatemanager.ICertificate
	zone awsroute53.IHostedZone
}

func newCertificate(scope constructs.Construct, id string, cfg CertificateConfig) *certificate {
	c := &certificate{cfg: cfg}
	switch cfg.Mode {
	case CertificateImported:
		c.cert = awscertificatemanager.Certificate_FromCertificateArn(scope, str(id), str(cfg.ARN))
	case CertificateDNSValidated:
		c.zone = awsroute53.HostedZone_FromHostedZoneAttributes(scope, str(id+"Zone"), &awsroute53.HostedZoneAttributes{
			HostedZoneId: str(cfg.HostedZoneID),
			ZoneName:     str(cfg.HostedZoneName),
		})
		c.cert = awscertificatemanager.NewCertificate(scope, str(id), &awscertificatemanager.CertificateProps{
			DomainName: str(cfg.DomainName),
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
	if c.cfg.Mode != CertificateDNSValidated {
		return awscdk.Fn_Join(str(""), &[]*string{str("https://"), alb.LoadBalancerDnsName()})
	}
	// IPv4-only ALB, so an A alias record only (no AAAA).
	awsroute53.NewARecord(scope, str("AliasRecord"), &awsroute53.ARecordProps{
		Zone:       c.zone,
		RecordName: str(c.cfg.DomainName + "."),
		Target:     awsroute53.RecordTarget_FromAlias(awsroute53targets.NewLoadBalancerTarget(alb, nil)),
		Comment:    str("Tenant-routing API"),
	})
	return str("https://" + c.cfg.DomainName)
}
