package localalb

import (
	"crypto/tls"
	"strings"
)

// minTLSVersion maps an ELB security policy name to its minimum TLS version
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html).
// Cipher suites are not emulated (assumption ALB-A11).
func minTLSVersion(policy string) (uint16, bool) {
	prefixes := []struct {
		prefix string
		v      uint16
	}{
		{"ELBSecurityPolicy-TLS13-1-3-", tls.VersionTLS13},
		{"ELBSecurityPolicy-TLS13-1-2-", tls.VersionTLS12},
		{"ELBSecurityPolicy-TLS13-1-1-", tls.VersionTLS11},
		{"ELBSecurityPolicy-TLS13-1-0-", tls.VersionTLS10},
		{"ELBSecurityPolicy-TLS-1-2-", tls.VersionTLS12},
		{"ELBSecurityPolicy-TLS-1-1-", tls.VersionTLS11},
		{"ELBSecurityPolicy-TLS-1-0-", tls.VersionTLS10},
		{"ELBSecurityPolicy-FS-1-2-", tls.VersionTLS12},
		{"ELBSecurityPolicy-FS-1-1-", tls.VersionTLS11},
		{"ELBSecurityPolicy-FS-2018-06", tls.VersionTLS10},
		{"ELBSecurityPolicy-2016-08", tls.VersionTLS10},
		{"ELBSecurityPolicy-2015-05", tls.VersionTLS10},
	}
	for _, p := range prefixes {
		if strings.HasPrefix(policy, p.prefix) {
			return p.v, true
		}
	}
	return 0, false
}

// defaultSSLPolicy is assumed when an HTTPS listener has no SslPolicy (assumption ALB-A11).
const defaultSSLPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"

func (l *loader) loadListener(id string) {
	o := l.props(id)
	arn, ok := l.refString(id)
	if !ok {
		return
	}
	lis := &Listener{LogicalID: l.qid(id), ARN: arn, ServerHeader: true}
	if lbArn, ok := o.str("LoadBalancerArn", true); ok {
		lis.LoadBalancer = l.lbByARN[lbArn]
		if lis.LoadBalancer == nil {
			o.errf("LoadBalancerArn", "%q is not a load balancer of this template", lbArn)
		}
	}
	if port, ok := o.intv("Port", true); ok {
		if port < 1 || port > 65535 {
			o.errf("Port", "%d is outside 1..65535", port)
		}
		lis.Port = port
	}
	lis.Protocol, _ = o.str("Protocol", true)
	switch lis.Protocol {
	case "HTTP", "HTTPS", "":
	default:
		o.errf("Protocol", "%q: an application load balancer listener is HTTP or HTTPS", lis.Protocol)
	}
	policy, hasPolicy := o.str("SslPolicy", false)
	certs, hasCerts := o.list("Certificates", false)
	switch lis.Protocol {
	case "HTTPS":
		if !hasPolicy {
			policy = defaultSSLPolicy
		}
		v, ok := minTLSVersion(policy)
		if !ok {
			o.errf("SslPolicy", "%q is not a known ELB security policy", policy)
		}
		lis.SslPolicy, lis.MinTLSVersion = policy, v
		// The certificates are replaced by the local certificate (translation ALB-T4).
		if len(certs) == 0 {
			o.errf("Certificates", "an HTTPS listener needs a certificate")
		}
	case "HTTP":
		if hasPolicy {
			o.errf("SslPolicy", "only valid for HTTPS listeners")
		}
		if hasCerts {
			o.errf("Certificates", "only valid for HTTPS listeners")
		}
	}
	if ma := o.child("MutualAuthentication", false); ma != nil {
		if mode, _ := ma.str("Mode", false); mode != "" && mode != "off" {
			ma.errf(ma.field("Mode"), "mutual TLS mode %q is not supported by the local ALB", mode)
		}
		ma.accept("TrustStoreArn", "IgnoreClientCertificateExpiry", "AdvertiseTrustStoreCaNames")
		ma.done()
	}
	if o.has("AlpnPolicy") {
		o.accept("AlpnPolicy")
		o.errf("AlpnPolicy", "only valid for TLS listeners of network load balancers")
	}
	for _, a := range o.objList("ListenerAttributes", false) {
		key, _ := a.str("Key", true)
		val, _ := a.str("Value", true)
		a.done()
		switch key {
		case "routing.http.response.server.enabled":
			switch val {
			case "true":
			case "false":
				lis.ServerHeader = false
			default:
				a.errf(a.path+"."+key, "%q is not true or false", val)
			}
		default:
			a.errf(a.path+"."+key, "listener attribute is not supported by the local ALB")
		}
	}
	lis.DefaultActions = l.loadActions(o, "DefaultActions", lis.Protocol)
	o.done()
	l.model.Listeners = append(l.model.Listeners, lis)
	l.lisByARN[arn] = lis
}
