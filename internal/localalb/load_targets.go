package localalb

import (
	"time"
)

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
		l.el.add(l.qid(id), typeFunction, "", "Arn: %v", err)
		return
	}
	arn, _ := scalarString(arnV)
	fn := &Function{LogicalID: l.qid(id), Name: name, ARN: arn, Env: map[string]string{}, Timeout: 3 * time.Second, MemorySize: 128}
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
	l.model.Functions[l.qid(id)] = fn
	l.fnByARN[arn] = fn
	l.fnByARN[name] = fn
}

func (l *loader) loadTargetGroup(id string) {
	o := l.props(id)
	arn, ok := l.refString(id)
	if !ok {
		return
	}
	tg := &TargetGroup{LogicalID: l.qid(id), ARN: arn, Name: l.rv.elbName(id, l.tpl.Resources[id])}
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
	// Health checks are not emulated (off by default for Lambda, LAMBDA-UG; assumption ALB-A13).
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
	l.model.TargetGroups[l.qid(id)] = tg
	l.tgByARN[arn] = tg
}
