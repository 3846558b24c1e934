package localalb

import (
	"crypto/tls"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/localalb/jwtvalidate"
)

// Create-time limits (QUOTA-UG, COND-UG, API_*).
const (
	maxPriority             = 50000
	maxOrder                = 50000
	maxEvaluationsPerCond   = 3
	maxEvaluationsPerRule   = 5
	maxWildcardsPerRule     = 5
	maxPatternLen           = 128
	maxMethodLen            = 40
	maxHeaderNameLen        = 40
	maxRewriteLen           = 1024
	maxFixedResponseBodyLen = 1024
)

// LoadTemplate reads a synthesized CloudFormation template (JSON) and returns
// the ALB model: load balancers, listeners, rules, target groups and Lambda
// functions. Intrinsics resolve through r. Anything in the ALB configuration
// the emulator does not support is an error naming the resource logical id
// and the field; all such errors are returned together (errors.Join of
// *FieldError).
func LoadTemplate(templateJSON []byte, r Resolver) (*Model, error) {
	var tpl cfnTemplate
	if err := decodeJSON(templateJSON, &tpl); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	if tpl.Transform != nil {
		return nil, fmt.Errorf("template: Transform (macros) is not supported; pass the processed template")
	}
	rv := newResolver(r, &tpl)
	l := &loader{
		rv:        rv,
		tpl:       &tpl,
		el:        &errorList{},
		fnByARN:   map[string]*Function{},
		lbByARN:   map[string]*LoadBalancer{},
		tgByARN:   map[string]*TargetGroup{},
		lisByARN:  map[string]*Listener{},
		model:     &Model{Region: rv.r.Region, AccountID: rv.r.AccountID, Partition: rv.r.Partition, StackName: rv.r.StackName, LoadBalancers: map[string]*LoadBalancer{}, TargetGroups: map[string]*TargetGroup{}, Functions: map[string]*Function{}},
		resources: map[string][]string{},
	}
	ids := make([]string, 0, len(tpl.Resources))
	for id := range tpl.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		res := tpl.Resources[id]
		if res.Condition != "" {
			ok, err := rv.condition(res.Condition)
			if err != nil {
				l.el.add(id, res.Type, "Condition", "%v", err)
				continue
			}
			if !ok {
				continue // not created
			}
		}
		l.resources[res.Type] = append(l.resources[res.Type], id)
	}
	// Order matters: rules refer to listeners, listeners to load balancers,
	// actions to target groups, target groups to functions.
	for _, id := range l.resources[typeFunction] {
		l.loadFunction(id)
	}
	for _, id := range l.resources[typeLoadBalancer] {
		l.loadLoadBalancer(id)
	}
	for _, id := range l.resources[typeTargetGroup] {
		l.loadTargetGroup(id)
	}
	for _, id := range l.resources[typeListener] {
		l.loadListener(id)
	}
	for _, id := range l.resources[typeListenerRule] {
		l.loadRule(id)
	}
	if err := l.el.err(); err != nil {
		return nil, err
	}
	m := l.model
	sort.Slice(m.Listeners, func(i, j int) bool { return m.Listeners[i].Port < m.Listeners[j].Port })
	seenPort := map[int]string{}
	for _, lis := range m.Listeners {
		if other, dup := seenPort[lis.Port]; dup {
			l.el.add(lis.LogicalID, typeListener, "Port", "port %d is also used by listener %s", lis.Port, other)
		}
		seenPort[lis.Port] = lis.LogicalID
		sort.SliceStable(lis.Rules, func(i, j int) bool { return lis.Rules[i].Priority < lis.Rules[j].Priority })
		for i := 1; i < len(lis.Rules); i++ {
			if lis.Rules[i].Priority == lis.Rules[i-1].Priority {
				l.el.add(lis.Rules[i].LogicalID, typeListenerRule, "Priority",
					"priority %d is also used by rule %s on listener %s", lis.Rules[i].Priority, lis.Rules[i-1].LogicalID, lis.LogicalID)
			}
		}
	}
	if err := l.el.err(); err != nil {
		return nil, err
	}
	return m, nil
}

type loader struct {
	rv        *resolver
	tpl       *cfnTemplate
	el        *errorList
	model     *Model
	resources map[string][]string // type -> logical ids (sorted)
	fnByARN   map[string]*Function
	lbByARN   map[string]*LoadBalancer
	tgByARN   map[string]*TargetGroup
	lisByARN  map[string]*Listener
}

func (l *loader) props(id string) *obj {
	res := l.tpl.Resources[id]
	o := newObj(l.el, id, res.Type, "", res.Properties)
	o.rv = l.rv
	if o.m == nil {
		o.m = map[string]any{}
	}
	return o
}

func (l *loader) refString(id string) (string, bool) {
	res := l.tpl.Resources[id]
	v, err := l.rv.ref(id)
	if err == nil {
		var s string
		if s, err = scalarString(v); err == nil {
			return s, true
		}
	}
	l.el.add(id, res.Type, "", "physical id: %v", err)
	return "", false
}

// ---------------------------------------------------------------- Lambda

// loadFunction reads what a local runtime needs. AWS::Lambda::Function is
// not an ALB resource: properties other than those below (Code, Role,
// LoggingConfig, ...) are left alone and never resolved.
func (l *loader) loadFunction(id string) {
	o := l.props(id)
	name, ok := l.refString(id)
	if !ok {
		return
	}
	arnV, err := l.rv.getAtt([]any{id, "Arn"})
	if err != nil {
		l.el.add(id, typeFunction, "", "Arn: %v", err)
		return
	}
	arn, _ := scalarString(arnV)
	fn := &Function{LogicalID: id, Name: name, ARN: arn, Env: map[string]string{}, Timeout: 3 * time.Second, MemorySize: 128}
	fn.Runtime, _ = o.str("Runtime", false)
	fn.Handler, _ = o.str("Handler", false)
	if archs, ok := o.strList("Architectures", false); ok {
		fn.Architectures = archs
	}
	if t, ok := o.intv("Timeout", false); ok {
		if t < 1 || t > 900 {
			o.errf("Timeout", "%d seconds is outside 1..900", t)
		}
		fn.Timeout = time.Duration(t) * time.Second
	}
	if m, ok := o.intv("MemorySize", false); ok {
		if m < 128 || m > 10240 {
			o.errf("MemorySize", "%d MB is outside 128..10240", m)
		}
		fn.MemorySize = m
	}
	if env := o.child("Environment", false); env != nil {
		if vars := env.child("Variables", false); vars != nil {
			for k := range vars.m {
				v, ok := vars.str(k, true)
				if ok {
					fn.Env[k] = v
				}
			}
		}
	}
	l.model.Functions[id] = fn
	l.fnByARN[arn] = fn
	l.fnByARN[name] = fn
}

// ---------------------------------------------------------- LoadBalancer

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
	lb := &LoadBalancer{LogicalID: id, ARN: arn, Attributes: map[string]string{}, XFFMode: "append", IdleTimeout: 60 * time.Second}
	if dns, err := l.rv.getAtt([]any{id, "DNSName"}); err == nil {
		lb.DNSName, _ = scalarString(dns)
	}
	if t, ok := o.str("Type", false); ok && t != "application" {
		o.errf("Type", "%q: only application load balancers are emulated", t)
	}
	// Networking and naming: meaningful on AWS, no local effect (assumption A13).
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
	l.model.LoadBalancers[id] = lb
	l.lbByARN[arn] = lb
}

// ----------------------------------------------------------- TargetGroup

func (l *loader) loadTargetGroup(id string) {
	o := l.props(id)
	arn, ok := l.refString(id)
	if !ok {
		return
	}
	tg := &TargetGroup{LogicalID: id, ARN: arn, Name: l.rv.elbName(id, l.tpl.Resources[id])}
	tt, _ := o.str("TargetType", false)
	if tt != "lambda" {
		if tt == "" {
			tt = "instance (the default)"
		}
		o.errf("TargetType", "%s: only lambda target groups are emulated", tt)
	}
	for _, k := range []string{"Port", "Protocol", "ProtocolVersion", "VpcId", "IpAddressType", "TargetControlPort"} {
		if o.has(k) {
			o.accept(k)
			o.errf(k, "not valid for a lambda target group")
		}
	}
	// Health checks are not emulated (off by default for Lambda, LAMBDA-UG; assumption A13).
	o.accept("Name", "Tags", "HealthCheckEnabled", "HealthCheckIntervalSeconds", "HealthCheckPath",
		"HealthCheckPort", "HealthCheckProtocol", "HealthCheckTimeoutSeconds", "HealthyThresholdCount",
		"UnhealthyThresholdCount", "Matcher")
	targets := o.objList("Targets", false)
	if len(targets) > 1 {
		o.errf("Targets", "%d targets: a lambda target group has at most one", len(targets))
	}
	for _, t := range targets {
		tid, ok := t.str("Id", true)
		if t.has("Port") {
			t.accept("Port")
			t.errf(t.field("Port"), "not valid for a lambda target")
		}
		t.accept("AvailabilityZone")
		t.done()
		if !ok {
			continue
		}
		fn := l.fnByARN[tid]
		if fn == nil {
			t.errf(t.field("Id"), "%q is not an AWS::Lambda::Function of this template", tid)
			continue
		}
		tg.Function = fn
	}
	for _, a := range o.objList("TargetGroupAttributes", false) {
		key, _ := a.str("Key", true)
		val, _ := a.str("Value", true)
		a.done()
		switch key {
		case "lambda.multi_value_headers.enabled":
			switch val {
			case "true":
				tg.MultiValueHeaders = true
			case "false":
			default:
				a.errf(a.path+"."+key, "%q is not true or false", val)
			}
		default:
			a.errf(a.path+"."+key, "target group attribute is not supported for lambda target groups by the local ALB")
		}
	}
	o.done()
	l.model.TargetGroups[id] = tg
	l.tgByARN[arn] = tg
}

// -------------------------------------------------------------- Listener

// minTLSVersion maps an ELB security policy name to its minimum TLS version
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html).
// Cipher suites are not emulated (assumption A11).
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

// defaultSSLPolicy is assumed when an HTTPS listener has no SslPolicy (assumption A11).
const defaultSSLPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"

func (l *loader) loadListener(id string) {
	o := l.props(id)
	arn, ok := l.refString(id)
	if !ok {
		return
	}
	lis := &Listener{LogicalID: id, ARN: arn, ServerHeader: true}
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
		// The certificates are replaced by the local certificate (translation T4).
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

// -------------------------------------------------------------- Actions

func (l *loader) loadActions(o *obj, key, protocol string) []*Action {
	items := o.objList(key, true)
	if o.has(key) && len(items) == 0 {
		o.errf(key, "at least one action is required")
	}
	var actions []*Action
	for _, a := range items {
		if act := l.loadAction(a, protocol); act != nil {
			actions = append(actions, act)
		}
	}
	if len(actions) != len(items) {
		return nil // errors already reported
	}
	field := o.field(key)
	if len(actions) > 1 {
		for i, a := range actions {
			if a.Order == 0 {
				o.errf(fmt.Sprintf("%s[%d].Order", field, i), "required when there are several actions")
				return nil
			}
		}
	}
	sort.SliceStable(actions, func(i, j int) bool { return actions[i].Order < actions[j].Order })
	routing, auth := 0, 0
	for i, a := range actions {
		if i > 0 && a.Order != 0 && a.Order == actions[i-1].Order {
			o.errf(field, "two actions have Order %d", a.Order)
		}
		if isRouting(a.Type) {
			routing++
		}
		if isAuth(a.Type) {
			auth++
		}
	}
	switch {
	case routing != 1:
		o.errf(field, "exactly one routing action (forward, fixed-response or redirect) is required, found %d", routing)
	case !isRouting(actions[len(actions)-1].Type):
		o.errf(field, "the routing action must be the last action (highest Order)")
	}
	if auth > 1 {
		o.errf(field, "at most one authentication action is allowed, found %d", auth)
	}
	return actions
}

var actionConfigKeys = map[string]string{
	"TargetGroupArn":            ActionForward,
	"ForwardConfig":             ActionForward,
	"FixedResponseConfig":       ActionFixedResponse,
	"RedirectConfig":            ActionRedirect,
	"JwtValidationConfig":       ActionJWTValidation,
	"AuthenticateOidcConfig":    ActionAuthenticateOIDC,
	"AuthenticateCognitoConfig": ActionAuthenticateCognito,
}

func (l *loader) loadAction(a *obj, protocol string) *Action {
	typ, ok := a.str("Type", true)
	if !ok {
		a.done()
		return nil
	}
	act := &Action{Type: typ}
	errsBefore := len(l.el.errs)
	if order, ok := a.intv("Order", false); ok {
		if order < 1 || order > maxOrder {
			a.errf(a.field("Order"), "%d is outside 1..%d", order, maxOrder)
		}
		act.Order = order
	}
	for k, t := range actionConfigKeys {
		if a.has(k) && t != typ {
			a.accept(k)
			a.errf(a.field(k), "not valid for an action of type %q", typ)
		}
	}
	switch typ {
	case ActionForward:
		act.TargetGroup = l.loadForward(a)
	case ActionFixedResponse:
		act.FixedResponse = loadFixedResponse(a.child("FixedResponseConfig", true))
	case ActionRedirect:
		act.Redirect = loadRedirect(a.child("RedirectConfig", true), protocol)
	case ActionJWTValidation:
		if protocol != "HTTPS" {
			a.errf(a.field("Type"), "jwt-validation is only allowed on HTTPS listeners (this listener is %s)", protocol)
		}
		act.JWT = loadJWTConfig(a.child("JwtValidationConfig", true))
	case ActionAuthenticateOIDC, ActionAuthenticateCognito:
		a.accept("AuthenticateOidcConfig", "AuthenticateCognitoConfig")
		a.errf(a.field("Type"), "%s is not supported by the local ALB", typ)
	default:
		a.errf(a.field("Type"), "unknown action type %q", typ)
	}
	a.done()
	if len(l.el.errs) != errsBefore {
		return nil
	}
	return act
}

func (l *loader) targetGroup(o *obj, field, arn string) *TargetGroup {
	tg := l.tgByARN[arn]
	if tg == nil {
		o.errf(field, "%q is not a target group of this template", arn)
	}
	return tg
}

func (l *loader) loadForward(a *obj) *TargetGroup {
	var tg *TargetGroup
	arn, hasArn := a.str("TargetGroupArn", false)
	if hasArn {
		tg = l.targetGroup(a, a.field("TargetGroupArn"), arn)
	}
	fc := a.child("ForwardConfig", false)
	if fc == nil {
		if !hasArn {
			a.errf(a.field("TargetGroupArn"), "a forward action needs TargetGroupArn or ForwardConfig")
		}
		return tg
	}
	groups := fc.objList("TargetGroups", true)
	var chosen []*TargetGroup
	for _, g := range groups {
		garn, ok := g.str("TargetGroupArn", true)
		weight := 1
		if w, ok := g.intv("Weight", false); ok {
			if w < 0 || w > 999 {
				g.errf(g.field("Weight"), "%d is outside 0..999", w)
			}
			weight = w
		}
		g.done()
		if !ok {
			continue
		}
		if t := l.targetGroup(g, g.field("TargetGroupArn"), garn); t != nil && weight > 0 {
			chosen = append(chosen, t)
		}
	}
	if s := fc.child("TargetGroupStickinessConfig", false); s != nil {
		if on, _ := s.boolv("Enabled"); on {
			s.errf(s.field("Enabled"), "target group stickiness is not supported by the local ALB")
		}
		s.accept("DurationSeconds")
		s.done()
	}
	fc.done()
	switch {
	case len(groups) > 5:
		fc.errf(fc.field("TargetGroups"), "%d target groups; at most 5 per action", len(groups))
	case len(chosen) > 1:
		fc.errf(fc.field("TargetGroups"), "weighted forwarding to %d target groups is not supported by the local ALB", len(chosen))
	case len(chosen) == 0 && len(groups) > 0:
		fc.errf(fc.field("TargetGroups"), "no target group has a weight above 0")
	case len(chosen) == 1:
		if tg != nil && tg != chosen[0] {
			a.errf(a.field("TargetGroupArn"), "differs from the target group in ForwardConfig")
		}
		tg = chosen[0]
	}
	return tg
}

var fixedResponseContentTypes = map[string]bool{
	"text/plain": true, "text/css": true, "text/html": true, "application/javascript": true, "application/json": true,
}

func loadFixedResponse(o *obj) *FixedResponse {
	if o == nil {
		return nil
	}
	fr := &FixedResponse{}
	code, ok := o.str("StatusCode", true)
	if ok {
		n, err := strconv.Atoi(code)
		if err != nil || len(code) != 3 || (code[0] != '2' && code[0] != '4' && code[0] != '5') {
			o.errf(o.field("StatusCode"), "%q is not a 2XX, 4XX or 5XX status code", code)
		}
		fr.StatusCode = n
	}
	if ct, ok := o.str("ContentType", false); ok {
		if !fixedResponseContentTypes[ct] {
			o.errf(o.field("ContentType"), "%q is not one of text/plain, text/css, text/html, application/javascript, application/json", ct)
		}
		fr.ContentType = ct
	}
	if body, ok := o.str("MessageBody", false); ok {
		if len(body) > maxFixedResponseBodyLen {
			o.errf(o.field("MessageBody"), "%d bytes; the maximum is %d", len(body), maxFixedResponseBodyLen)
		}
		fr.MessageBody = body
	}
	o.done()
	return fr
}

func loadRedirect(o *obj, protocol string) *Redirect {
	if o == nil {
		return nil
	}
	rd := &Redirect{}
	switch code, _ := o.str("StatusCode", true); code {
	case "HTTP_301":
		rd.StatusCode = 301
	case "HTTP_302":
		rd.StatusCode = 302
	case "":
	default:
		o.errf(o.field("StatusCode"), "%q is not HTTP_301 or HTTP_302", code)
	}
	rd.Protocol, _ = o.str("Protocol", false)
	switch rd.Protocol {
	case "", "#{protocol}", "HTTPS":
	case "HTTP":
		if protocol == "HTTPS" {
			o.errf(o.field("Protocol"), "cannot redirect from HTTPS to HTTP")
		}
	default:
		o.errf(o.field("Protocol"), "%q is not HTTP, HTTPS or #{protocol}", rd.Protocol)
	}
	rd.Port, _ = o.str("Port", false)
	if rd.Port != "" && rd.Port != "#{port}" {
		if n, err := strconv.Atoi(rd.Port); err != nil || n < 1 || n > 65535 {
			o.errf(o.field("Port"), "%q is not 1..65535 or #{port}", rd.Port)
		}
	}
	rd.Host, _ = o.str("Host", false)
	rd.Path, _ = o.str("Path", false)
	rd.Query, _ = o.str("Query", false)
	for _, f := range []struct{ name, v string }{{"Host", rd.Host}, {"Path", rd.Path}, {"Query", rd.Query}} {
		if len(f.v) > maxPatternLen {
			o.errf(o.field(f.name), "%d characters; the maximum is %d", len(f.v), maxPatternLen)
		}
	}
	if rd.Path != "" && !strings.HasPrefix(rd.Path, "/") {
		o.errf(o.field("Path"), "%q must start with /", rd.Path)
	}
	if strings.Contains(rd.Host, ":") {
		o.errf(o.field("Host"), "%q must not contain a port", rd.Host)
	}
	unchanged := func(v, placeholder string) bool { return v == "" || v == placeholder }
	if unchanged(rd.Protocol, "#{protocol}") && unchanged(rd.Host, "#{host}") && unchanged(rd.Port, "#{port}") &&
		unchanged(rd.Path, "/#{path}") {
		o.errf(o.path, "a redirect must change the protocol, host, port or path (redirect loop)")
	}
	o.done()
	return rd
}

func loadJWTConfig(o *obj) *jwtvalidate.Config {
	if o == nil {
		return nil
	}
	cfg := &jwtvalidate.Config{}
	cfg.Issuer, _ = o.str("Issuer", true)
	cfg.JWKSEndpoint, _ = o.str("JwksEndpoint", true)
	for _, c := range o.objList("AdditionalClaims", false) {
		claim := jwtvalidate.Claim{}
		claim.Name, _ = c.str("Name", true)
		claim.Format, _ = c.str("Format", true)
		claim.Values, _ = c.strList("Values", true)
		c.done()
		cfg.AdditionalClaims = append(cfg.AdditionalClaims, claim)
	}
	o.done()
	if err := cfg.Validate(); err != nil {
		o.errf(o.path, "%v", err)
	}
	return cfg
}

// ----------------------------------------------------------------- Rules

func (l *loader) loadRule(id string) {
	o := l.props(id)
	arn, ok := l.refString(id)
	if !ok {
		return
	}
	ru := &Rule{LogicalID: id, ARN: arn}
	var lis *Listener
	if la, ok := o.str("ListenerArn", true); ok {
		lis = l.lisByARN[la]
		if lis == nil {
			o.errf("ListenerArn", "%q is not a listener of this template", la)
		}
	}
	if p, ok := o.intv("Priority", true); ok {
		if p < 1 || p > maxPriority {
			o.errf("Priority", "%d is outside 1..%d", p, maxPriority)
		}
		ru.Priority = p
	}
	ru.Conditions = loadConditions(o)
	protocol := ""
	if lis != nil {
		protocol = lis.Protocol
	}
	ru.Actions = l.loadActions(o, "Actions", protocol)
	ru.Transforms = loadTransforms(o)
	o.done()
	if lis != nil {
		lis.Rules = append(lis.Rules, ru)
	}
}

// ------------------------------------------------------------ Conditions

const (
	pathPatternChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.$/~\"'@:+&*?"
	hostPatternChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.*?"
	methodChars      = "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-"
)

func loadConditions(o *obj) []*Condition {
	items := o.objList("Conditions", true)
	if o.has("Conditions") && len(items) == 0 {
		o.errf("Conditions", "a rule needs at least one condition")
	}
	var conds []*Condition
	seen := map[string]bool{}
	evaluations, wildcardCount := 0, 0
	for _, c := range items {
		cond, evals, wild := loadCondition(c)
		if cond == nil {
			continue
		}
		switch cond.Field {
		case FieldHostHeader, FieldHTTPMethod, FieldPathPattern, FieldSourceIP:
			if seen[cond.Field] {
				c.errf(c.field("Field"), "a rule can have only one %s condition", cond.Field)
			}
			seen[cond.Field] = true
		}
		if evals > maxEvaluationsPerCond {
			c.errf(c.path, "%d match evaluations; at most %d per condition", evals, maxEvaluationsPerCond)
		}
		evaluations += evals
		wildcardCount += wild
		conds = append(conds, cond)
	}
	if evaluations > maxEvaluationsPerRule {
		o.errf("Conditions", "%d match evaluations; at most %d per rule", evaluations, maxEvaluationsPerRule)
	}
	if wildcardCount > maxWildcardsPerRule {
		o.errf("Conditions", "%d wildcard characters; at most %d per rule", wildcardCount, maxWildcardsPerRule)
	}
	return conds
}

// loadMatchValues reads the Values and RegexValues of a path-pattern,
// host-header or http-header condition into cond: checkValue validates one
// literal value (given its field path), globs fold case when foldCase, and
// legacy accepts the pre-config top-level Values. It returns the number of
// match evaluations and of wildcard characters.
func loadMatchValues(c, cfg *obj, cond *Condition, legacy, foldCase bool, checkValue func(field, v string)) (evals, wild int) {
	values, regexes, vf, rf := valuesAndRegexes(c, cfg, legacy)
	for i, v := range values {
		checkValue(fmt.Sprintf("%s[%d]", vf, i), v)
		cond.globs = append(cond.globs, compileGlob(v, foldCase, false))
		wild += wildcards(v, false)
	}
	cond.Values = values
	compileRegexes(cond, c, rf, regexes)
	return len(values) + len(regexes), wild
}

// valuesAndRegexes reads Values/RegexValues of a condition config, plus the
// legacy top-level Values (path-pattern, host-header) and top-level
// RegexValues of the condition itself.
func valuesAndRegexes(c, cfg *obj, legacy bool) (values, regexes []string, valuesField, regexField string) {
	var topValues, topRegex, cfgValues, cfgRegex []string
	var hasTopV, hasTopR, hasCfgR bool
	if legacy {
		topValues, hasTopV = c.strList("Values", false)
	} else if c.has("Values") {
		c.accept("Values")
		c.errf(c.field("Values"), "the legacy Values field is only valid for host-header and path-pattern")
	}
	topRegex, hasTopR = c.strList("RegexValues", false)
	if cfg != nil {
		cfgValues, _ = cfg.strList("Values", false)
		cfgRegex, hasCfgR = cfg.strList("RegexValues", false)
	}
	if hasTopV && cfg != nil {
		c.errf(c.field("Values"), "specify either Values or the condition config, not both")
	}
	if hasTopR && hasCfgR {
		c.errf(c.field("RegexValues"), "specify RegexValues either at the top level or in the condition config")
	}
	values, valuesField = cfgValues, "Values"
	if cfg != nil {
		valuesField = cfg.field("Values")
	}
	if hasTopV {
		values, valuesField = topValues, c.field("Values")
	}
	regexes, regexField = cfgRegex, "RegexValues"
	if cfg != nil {
		regexField = cfg.field("RegexValues")
	}
	if hasTopR {
		regexes, regexField = topRegex, c.field("RegexValues")
	}
	if len(values) > 0 && len(regexes) > 0 {
		c.errf(c.path, "use either value matching (Values) or regex matching (RegexValues), not both")
	}
	if len(values) == 0 && len(regexes) == 0 {
		c.errf(c.path, "the condition has no values")
	}
	return values, regexes, valuesField, regexField
}

func checkChars(o *obj, field, v, allowed string, maxLen int) {
	if v == "" {
		o.errf(field, "empty value")
	}
	if utf8.RuneCountInString(v) > maxLen {
		o.errf(field, "%q is longer than %d characters", v, maxLen)
	}
	for _, r := range v {
		if !strings.ContainsRune(allowed, r) {
			o.errf(field, "%q contains %q, which is not allowed", v, r)
			return
		}
	}
}

func compileRegexes(c *Condition, o *obj, field string, regexes []string) {
	for i, expr := range regexes {
		f := fmt.Sprintf("%s[%d]", field, i)
		if len(expr) > maxPatternLen {
			o.errf(f, "regex longer than %d characters", maxPatternLen)
		}
		re, err := compileALBRegex(expr)
		if err != nil {
			o.errf(f, "%v", err)
			continue
		}
		c.regexes = append(c.regexes, re)
	}
	c.RegexValues = regexes
}

func isHeaderNameChar(r rune) bool {
	return r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", r))
}

// loadCondition returns the condition, its number of match evaluations and
// of wildcard characters.
func loadCondition(c *obj) (*Condition, int, int) {
	field, ok := c.str("Field", true)
	if !ok {
		c.done()
		return nil, 0, 0
	}
	cond := &Condition{Field: field}
	configKeys := map[string]string{
		"PathPatternConfig": FieldPathPattern, "HostHeaderConfig": FieldHostHeader, "HttpHeaderConfig": FieldHTTPHeader,
		"HttpRequestMethodConfig": FieldHTTPMethod, "QueryStringConfig": FieldQueryString, "SourceIpConfig": FieldSourceIP,
	}
	for k, f := range configKeys {
		if c.has(k) && f != field {
			c.accept(k)
			c.errf(c.field(k), "not valid for a %q condition", field)
		}
	}
	evals, wild := 0, 0
	switch field {
	case FieldPathPattern:
		cfg := c.child("PathPatternConfig", false)
		evals, wild = loadMatchValues(c, cfg, cond, true, false, func(f, v string) {
			checkChars(c, f, v, pathPatternChars, maxPatternLen)
		})
		if cfg != nil {
			cfg.done()
		}
	case FieldHostHeader:
		cfg := c.child("HostHeaderConfig", false)
		evals, wild = loadMatchValues(c, cfg, cond, true, true, func(f, v string) {
			checkChars(c, f, v, hostPatternChars, maxPatternLen)
			if !strings.Contains(v, ".") {
				c.errf(f, "%q: a host condition must include at least one '.'", v)
			}
		})
		if cfg != nil {
			cfg.done()
		}
	case FieldHTTPHeader:
		cfg := c.child("HttpHeaderConfig", true)
		if cfg == nil {
			break
		}
		name, ok := cfg.str("HttpHeaderName", true)
		if ok {
			if name == "" || len(name) > maxHeaderNameLen || strings.IndexFunc(name, func(r rune) bool { return !isHeaderNameChar(r) }) >= 0 {
				cfg.errf(cfg.field("HttpHeaderName"), "%q is not a valid header name of at most %d characters", name, maxHeaderNameLen)
			}
		}
		cond.HeaderName = name
		evals, wild = loadMatchValues(c, cfg, cond, false, true, func(f, v string) {
			if v == "" || len(v) > maxPatternLen {
				cfg.errf(f, "value must be 1..%d characters", maxPatternLen)
			}
		})
		cfg.done()
	case FieldHTTPMethod:
		cfg := c.child("HttpRequestMethodConfig", true)
		if cfg == nil {
			break
		}
		values, _ := cfg.strList("Values", true)
		for i, v := range values {
			checkChars(cfg, fmt.Sprintf("%s[%d]", cfg.field("Values"), i), v, methodChars, maxMethodLen)
		}
		if len(values) == 0 {
			cfg.errf(cfg.field("Values"), "no methods")
		}
		cond.Values = values
		evals = len(values)
		cfg.done()
	case FieldQueryString:
		cfg := c.child("QueryStringConfig", true)
		if cfg == nil {
			break
		}
		for _, kv := range cfg.objList("Values", true) {
			key, hasKey := kv.str("Key", false)
			val, _ := kv.str("Value", true)
			kv.done()
			if hasKey && (key == "" || len(key) > maxPatternLen) {
				kv.errf(kv.field("Key"), "must be 1..%d characters", maxPatternLen)
			}
			if val == "" || len(val) > maxPatternLen {
				kv.errf(kv.field("Value"), "must be 1..%d characters", maxPatternLen)
			}
			m := queryMatcher{value: compileGlob(val, true, true), hasKey: hasKey}
			if hasKey {
				g := compileGlob(key, true, true)
				m.key = &g
				wild += wildcards(key, true)
			}
			wild += wildcards(val, true)
			cond.kvs = append(cond.kvs, m)
			cond.QueryValues = append(cond.QueryValues, QueryKeyValue{Key: key, Value: val})
		}
		if len(cond.kvs) == 0 {
			cfg.errf(cfg.field("Values"), "no key/value pairs")
		}
		evals = len(cond.kvs)
		cfg.done()
	case FieldSourceIP:
		cfg := c.child("SourceIpConfig", true)
		if cfg == nil {
			break
		}
		values, _ := cfg.strList("Values", true)
		for i, v := range values {
			p, err := netip.ParsePrefix(v)
			if err != nil {
				cfg.errf(fmt.Sprintf("%s[%d]", cfg.field("Values"), i), "%q is not a CIDR block", v)
				continue
			}
			cond.SourceIPs = append(cond.SourceIPs, p.Masked())
		}
		if len(values) == 0 {
			cfg.errf(cfg.field("Values"), "no CIDR blocks")
		}
		evals = len(values)
		cfg.done()
	default:
		c.errf(c.field("Field"), "unknown condition field %q", field)
	}
	c.done()
	return cond, evals, wild
}

// ------------------------------------------------------------ Transforms

func loadTransforms(o *obj) []*Transform {
	var out []*Transform
	seen := map[string]bool{}
	for _, t := range o.objList("Transforms", false) {
		typ, ok := t.str("Type", true)
		if !ok {
			t.done()
			continue
		}
		var cfgKey string
		switch typ {
		case TransformURLRewrite:
			cfgKey = "UrlRewriteConfig"
		case TransformHostHeaderRewrite:
			cfgKey = "HostHeaderRewriteConfig"
		default:
			t.errf(t.field("Type"), "unknown transform type %q", typ)
			t.accept("UrlRewriteConfig", "HostHeaderRewriteConfig")
			t.done()
			continue
		}
		for _, k := range []string{"UrlRewriteConfig", "HostHeaderRewriteConfig"} {
			if k != cfgKey && t.has(k) {
				t.accept(k)
				t.errf(t.field(k), "not valid for a %q transform", typ)
			}
		}
		if seen[typ] {
			t.errf(t.field("Type"), "a rule can have only one %s transform", typ)
		}
		seen[typ] = true
		cfg := t.child(cfgKey, true)
		t.done()
		if cfg == nil {
			continue
		}
		rewrites := cfg.objList("Rewrites", true)
		cfg.done()
		if len(rewrites) != 1 {
			cfg.errf(cfg.field("Rewrites"), "%d rewrites; the ALB accepts exactly one", len(rewrites))
			continue
		}
		rw := rewrites[0]
		regex, ok1 := rw.str("Regex", true)
		replace, ok2 := rw.str("Replace", true)
		rw.done()
		if !ok1 || !ok2 {
			continue
		}
		tr := &Transform{Type: typ, Regex: regex, Replace: replace}
		if len(regex) > maxRewriteLen {
			rw.errf(rw.field("Regex"), "longer than %d characters", maxRewriteLen)
		}
		if replace == "" || len(replace) > maxRewriteLen {
			rw.errf(rw.field("Replace"), "must be 1..%d characters", maxRewriteLen)
		}
		re, err := compileALBRegex(regex)
		if err != nil {
			rw.errf(rw.field("Regex"), "%v", err)
			continue
		}
		tr.re = re
		parts, err := parseReplace(replace, re.NumSubexp())
		if err != nil {
			rw.errf(rw.field("Replace"), "%v", err)
			continue
		}
		tr.repl = parts
		out = append(out, tr)
	}
	return out
}

// compileTransform builds a Transform outside a template (tests, tools).
func compileTransform(typ, regex, replace string) (*Transform, error) {
	re, err := compileALBRegex(regex)
	if err != nil {
		return nil, err
	}
	parts, err := parseReplace(replace, re.NumSubexp())
	if err != nil {
		return nil, err
	}
	return &Transform{Type: typ, Regex: regex, Replace: replace, re: re, repl: parts}, nil
}
