package localalb

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/localalb/jwtvalidate"
)

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
