package localalb

import (
	"strconv"
	"time"
)

// Load balancer attributes that are valid but have no local effect.
var lbAttributesWithoutLocalEffect = map[string]bool{
	"deletion_protection.enabled": true, "access_logs.s3.enabled": true, "access_logs.s3.bucket": true,
	"access_logs.s3.prefix": true, "connection_logs.s3.enabled": true, "connection_logs.s3.bucket": true,
	"connection_logs.s3.prefix": true, "health_check_logs.s3.enabled": true, "health_check_logs.s3.bucket": true,
	"health_check_logs.s3.prefix": true, "ipv6.deny_all_igw_traffic": true, "load_balancing.cross_zone.enabled": true,
	"zonal_shift.config.enabled": true, "waf.fail_open.enabled": true, "routing.http.desync_mitigation_mode": true,
	"routing.http2.enabled": true, "client_keep_alive.seconds": true,
}

func (l *loader) loadLoadBalancer(id string) {
	o := l.props(id)
	arn, ok := l.refString(id)
	if !ok {
		return
	}
	lb := &LoadBalancer{LogicalID: l.qid(id), ARN: arn, Attributes: map[string]string{}, XFFMode: "append", IdleTimeout: 60 * time.Second}
	if dns, err := l.rv.getAtt([]any{id, "DNSName"}); err == nil {
		lb.DNSName, _ = scalarString(dns)
	}
	if t, ok := o.str("Type", false); ok && t != "application" {
		o.errf("Type", "%q: only application load balancers are emulated", t)
	}
	// Networking and naming: meaningful on AWS, no local effect (assumption ALB-A13).
	o.accept("Name", "Scheme", "Subnets", "SubnetMappings", "SecurityGroups", "IpAddressType", "Tags",
		"MinimumLoadBalancerCapacity", "EnablePrefixForIpv6SourceNat", "Ipv4IpamPoolId",
		"EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic", "EnableCapacityReservationProvisionStabilize")
	for _, a := range o.objList("LoadBalancerAttributes", false) {
		key, _ := a.str("Key", true)
		val, _ := a.str("Value", true)
		a.done()
		lb.Attributes[key] = val
		field := a.path + "." + key
		boolAttr := func() bool {
			switch val {
			case "true":
				return true
			case "false":
				return false
			}
			a.errf(field, "%q is not true or false", val)
			return false
		}
		switch key {
		case "routing.http.drop_invalid_header_fields.enabled":
			lb.DropInvalidHeaderFields = boolAttr()
		case "routing.http.xff_header_processing.mode":
			switch val {
			case "append", "preserve", "remove":
				lb.XFFMode = val
			default:
				a.errf(field, "%q is not append, preserve or remove", val)
			}
		case "routing.http.xff_client_port.enabled":
			lb.XFFClientPort = boolAttr()
		case "routing.http.x_amzn_tls_version_and_cipher_suite.enabled":
			lb.TLSHeaders = boolAttr()
		case "routing.http.preserve_host_header.enabled":
			lb.PreserveHostHeader = boolAttr()
		case "idle_timeout.timeout_seconds":
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 || n > 4000 {
				a.errf(field, "%q is not 1..4000 seconds", val)
			}
			lb.IdleTimeout = time.Duration(n) * time.Second
		default:
			if !lbAttributesWithoutLocalEffect[key] {
				a.errf(field, "load balancer attribute is not supported by the local ALB")
			}
		}
	}
	o.done()
	l.model.LoadBalancers[l.qid(id)] = lb
	l.lbByARN[arn] = lb
}
