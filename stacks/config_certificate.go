package stacks

import (
	"fmt"
	"strings"
)

// The three certificate options of the CDK context (see certificate.go).

func parseCertificate(get func(string) any) (CertificateConfig, []string) {
	var problems []string
	add := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	vals := map[string]string{}
	for _, k := range []string{CtxCertificateArn, CtxDomainName, CtxHostedZoneID, CtxHostedZoneName} {
		v, err := optionalString(get, k)
		if err != nil {
			add("%v", err)
		}
		vals[k] = strings.TrimSpace(v)
	}
	arn := vals[CtxCertificateArn]
	domain := strings.TrimSuffix(strings.ToLower(vals[CtxDomainName]), ".")
	zoneID := vals[CtxHostedZoneID]
	zoneName := strings.TrimSuffix(strings.ToLower(vals[CtxHostedZoneName]), ".")
	anyDomain := domain != "" || zoneID != "" || zoneName != ""

	const options = "pass one of: (1) -c certificateArn=<ACM certificate ARN>; " +
		"(2) -c domainName=<name> -c hostedZoneId=<Z...> -c hostedZoneName=<zone>; " +
		"(3) run scripts/import-cert to import a self-signed certificate and pass the ARN it prints as (1)"
	switch {
	case arn == "" && !anyDomain:
		add("no certificate configured; %s", options)
		return CertificateConfig{}, problems
	case arn != "" && anyDomain:
		add("context %q and the domain options (%q, %q, %q) are mutually exclusive; keep one", CtxCertificateArn, CtxDomainName, CtxHostedZoneID, CtxHostedZoneName)
		return CertificateConfig{}, problems
	case arn != "":
		if !certificateArnPattern.MatchString(arn) {
			add("context %q = %q is not an ACM certificate ARN; expected arn:<partition>:acm:<region>:<12-digit account>:certificate/<id>", CtxCertificateArn, arn)
			return CertificateConfig{}, problems
		}
		return CertificateConfig{Mode: CertificateImported, ARN: arn}, problems
	}
	for _, k := range []string{CtxDomainName, CtxHostedZoneID, CtxHostedZoneName} {
		if vals[k] == "" {
			add("context %q is missing; the DNS-validated certificate needs %q, %q and %q together", k, CtxDomainName, CtxHostedZoneID, CtxHostedZoneName)
		}
	}
	if len(problems) > 0 {
		return CertificateConfig{}, problems
	}
	if !validDomain(domain) {
		add("context %q = %q is not a DNS name; use e.g. api.example.com", CtxDomainName, vals[CtxDomainName])
	}
	if !validDomain(zoneName) {
		add("context %q = %q is not a DNS name; use the zone's name, e.g. example.com", CtxHostedZoneName, vals[CtxHostedZoneName])
	}
	if !hostedZoneIDPattern.MatchString(zoneID) {
		add("context %q = %q is not a Route 53 hosted zone id; expected e.g. Z0123456789ABCDEFGHIJ", CtxHostedZoneID, zoneID)
	}
	if len(problems) == 0 && domain != zoneName && !strings.HasSuffix(domain, "."+zoneName) {
		add("context %q = %q is not inside hosted zone %q; use a name in that zone", CtxDomainName, domain, zoneName)
	}
	if len(problems) > 0 {
		return CertificateConfig{}, problems
	}
	return CertificateConfig{Mode: CertificateDNSValidated, DomainName: domain, HostedZoneID: zoneID, HostedZoneName: zoneName}, nil
}

func validDomain(name string) bool {
	if name == "" || len(name) > 253 {
		return false
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if !dnsLabelPattern.MatchString(l) {
			return false
		}
	}
	return true
}
