package localalb

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Resolver supplies the values CloudFormation would provide at deploy time.
// Every field is optional; unset values get deterministic fake values.
type Resolver struct {
	Region    string // AWS::Region; default us-east-1
	AccountID string // AWS::AccountId; default 123456789012
	Partition string // AWS::Partition; default derived from Region (aws, aws-cn, aws-us-gov)
	StackName string // AWS::StackName; default TenantRouting
	// Refs overrides {"Ref": logicalID} for resources and parameters.
	Refs map[string]string
	// Attrs overrides {"Fn::GetAtt": [logicalID, attr]}, keyed "LogicalID.Attr".
	Attrs map[string]string
}

func (r Resolver) withDefaults() Resolver {
	if r.Region == "" {
		r.Region = "us-east-1"
	}
	if r.AccountID == "" {
		r.AccountID = "123456789012"
	}
	if r.Partition == "" {
		switch {
		case strings.HasPrefix(r.Region, "cn-"):
			r.Partition = "aws-cn"
		case strings.HasPrefix(r.Region, "us-gov-"):
			r.Partition = "aws-us-gov"
		default:
			r.Partition = "aws"
		}
	}
	if r.StackName == "" {
		r.StackName = "TenantRouting"
	}
	return r
}

func (r Resolver) urlSuffix() string {
	if r.Partition == "aws-cn" {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

// cfnTemplate is the subset of a CloudFormation template the loader reads.
type cfnTemplate struct {
	Parameters map[string]cfnParameter   `json:"Parameters"`
	Mappings   map[string]map[string]any `json:"Mappings"`
	Conditions map[string]any            `json:"Conditions"`
	Resources  map[string]cfnResource    `json:"Resources"`
	Transform  any                       `json:"Transform"`
}

type cfnParameter struct {
	Type    string `json:"Type"`
	Default any    `json:"Default"`
}

type cfnResource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
	Condition  string         `json:"Condition"`
}

// noValue is the result of {"Ref": "AWS::NoValue"}: the enclosing property
// or list element is removed.
type noValueType struct{}

var noValue = noValueType{}

// resolver evaluates CloudFormation intrinsic functions lazily: only values
// the ALB needs are resolved, so unsupported intrinsics elsewhere in the
// template (e.g. Fn::ImportValue in an unrelated resource) do not matter.
type resolver struct {
	r     Resolver
	tpl   *cfnTemplate
	conds map[string]bool
	stack map[string]bool // conditions being evaluated (cycle guard)
	depth int
}

const maxResolveDepth = 64

func newResolver(r Resolver, tpl *cfnTemplate) *resolver {
	return &resolver{r: r.withDefaults(), tpl: tpl, conds: map[string]bool{}, stack: map[string]bool{}}
}

// hash returns a deterministic hex digest of the logical id within the stack.
func (rv *resolver) hash(logicalID string) string {
	sum := sha256.Sum256([]byte(rv.r.StackName + "/" + logicalID))
	return hex.EncodeToString(sum[:])
}

// alnum returns n deterministic base-36 characters for a logical id.
func (rv *resolver) alnum(logicalID string, n int, upper bool) string {
	sum := sha256.Sum256([]byte("alnum/" + rv.r.StackName + "/" + logicalID))
	s := new(big.Int).SetBytes(sum[:]).Text(36)
	for len(s) < n {
		s += "0"
	}
	s = s[:n]
	if upper {
		s = strings.ToUpper(s)
	}
	return s
}

// resolve fully evaluates v. The result contains only strings, json.Number,
// bool, nil, []any and map[string]any (or noValue at the top level).
func (rv *resolver) resolve(v any) (any, error) {
	rv.depth++
	defer func() { rv.depth-- }()
	if rv.depth > maxResolveDepth {
		return nil, errors.New("intrinsic functions nested too deeply")
	}
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 1 {
			for k, arg := range t {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return rv.intrinsic(k, arg)
				}
			}
		}
		out := make(map[string]any, len(t))
		for k, e := range t {
			r, err := rv.resolve(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			if r == noValue {
				continue
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(t))
		for i, e := range t {
			r, err := rv.resolve(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			if r == noValue {
				continue
			}
			out = append(out, r)
		}
		return out, nil
	default:
		return v, nil
	}
}

func (rv *resolver) intrinsic(name string, arg any) (any, error) {
	switch name {
	case "Ref":
		s, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("Ref: argument must be a string, got %s", describe(arg))
		}
		return rv.ref(s)
	case "Fn::GetAtt":
		return rv.getAtt(arg)
	case "Fn::Join":
		return rv.join(arg)
	case "Fn::Sub":
		return rv.sub(arg)
	case "Fn::Select":
		return rv.selectFn(arg)
	case "Fn::Split":
		return rv.split(arg)
	case "Fn::GetAZs":
		region, err := rv.resolveString(arg)
		if err != nil {
			return nil, fmt.Errorf("Fn::GetAZs: %w", err)
		}
		if region == "" {
			region = rv.r.Region
		}
		return []any{region + "a", region + "b", region + "c"}, nil
	case "Fn::If":
		return rv.ifFn(arg)
	case "Fn::FindInMap":
		return rv.findInMap(arg)
	case "Fn::Base64":
		s, err := rv.resolveString(arg)
		if err != nil {
			return nil, fmt.Errorf("Fn::Base64: %w", err)
		}
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	case "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not":
		b, err := rv.condExpr(map[string]any{name: arg})
		if err != nil {
			return nil, err
		}
		return strconv.FormatBool(b), nil
	default:
		return nil, fmt.Errorf("unsupported intrinsic function %s", name)
	}
}

func (rv *resolver) resolveString(v any) (string, error) {
	r, err := rv.resolve(v)
	if err != nil {
		return "", err
	}
	return scalarString(r)
}

// scalarString converts a resolved scalar to its CloudFormation string form.
func scalarString(v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case json.Number:
		return t.String(), nil
	case bool:
		return strconv.FormatBool(t), nil
	default:
		return "", fmt.Errorf("expected a string, got %s", describe(v))
	}
}

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	case noValueType:
		return "AWS::NoValue"
	default:
		return fmt.Sprintf("%T", v)
	}
}

func (rv *resolver) ref(name string) (any, error) {
	if v, ok := rv.r.Refs[name]; ok {
		return v, nil
	}
	switch name {
	case "AWS::Region":
		return rv.r.Region, nil
	case "AWS::AccountId":
		return rv.r.AccountID, nil
	case "AWS::Partition":
		return rv.r.Partition, nil
	case "AWS::StackName":
		return rv.r.StackName, nil
	case "AWS::URLSuffix":
		return rv.r.urlSuffix(), nil
	case "AWS::NoValue":
		return noValue, nil
	case "AWS::StackId":
		return fmt.Sprintf("arn:%s:cloudformation:%s:%s:stack/%s/%s", rv.r.Partition, rv.r.Region, rv.r.AccountID,
			rv.r.StackName, uuidFromHash(rv.hash("AWS::StackId"))), nil
	case "AWS::NotificationARNs":
		return []any{}, nil
	}
	if p, ok := rv.tpl.Parameters[name]; ok {
		if p.Default == nil {
			return nil, fmt.Errorf("Ref %s: parameter has no Default; set Resolver.Refs[%q]", name, name)
		}
		if strings.HasPrefix(p.Type, "List<") || p.Type == "CommaDelimitedList" {
			s, err := scalarString(p.Default)
			if err != nil {
				return nil, fmt.Errorf("Ref %s: %w", name, err)
			}
			parts := strings.Split(s, ",")
			out := make([]any, len(parts))
			for i, x := range parts {
				out[i] = strings.TrimSpace(x)
			}
			return out, nil
		}
		return p.Default, nil
	}
	res, ok := rv.tpl.Resources[name]
	if !ok {
		return nil, fmt.Errorf("Ref %s: no such resource, parameter or pseudo parameter", name)
	}
	return rv.physicalID(name, res), nil
}

// physicalID is the deterministic fake value of {"Ref": logicalID}.
func (rv *resolver) physicalID(id string, res cfnResource) string {
	h := rv.hash(id)
	p, reg, acct := rv.r.Partition, rv.r.Region, rv.r.AccountID
	switch res.Type {
	case typeTargetGroup:
		return fmt.Sprintf("arn:%s:elasticloadbalancing:%s:%s:targetgroup/%s/%s", p, reg, acct, rv.elbName(id, res), h[:16])
	case typeLoadBalancer:
		return fmt.Sprintf("arn:%s:elasticloadbalancing:%s:%s:loadbalancer/app/%s/%s", p, reg, acct, rv.elbName(id, res), h[:16])
	case typeListener:
		return fmt.Sprintf("arn:%s:elasticloadbalancing:%s:%s:listener/app/%s/%s", p, reg, acct, truncate(id, 32), h[:16])
	case typeListenerRule:
		return fmt.Sprintf("arn:%s:elasticloadbalancing:%s:%s:listener-rule/app/%s/%s", p, reg, acct, truncate(id, 32), h[:16])
	case typeFunction:
		return rv.functionName(id, res)
	case "AWS::Cognito::UserPool":
		return reg + "_" + rv.alnum(id, 9, false)
	case "AWS::Cognito::UserPoolClient":
		return rv.alnum(id, 26, false)
	case "AWS::CertificateManager::Certificate":
		return fmt.Sprintf("arn:%s:acm:%s:%s:certificate/%s", p, reg, acct, uuidFromHash(h))
	case "AWS::EC2::SecurityGroup":
		return "sg-" + h[:17]
	case "AWS::EC2::VPC":
		return "vpc-" + h[:17]
	case "AWS::EC2::Subnet":
		return "subnet-" + h[:17]
	case "AWS::IAM::Role":
		return truncate(rv.r.StackName+"-"+id, 64)
	default:
		return truncate(rv.r.StackName+"-"+id+"-"+strings.ToUpper(h[:12]), 128)
	}
}

// elbName is the Name property when it is a literal, else a name derived
// from the logical id (ELB names are at most 32 characters).
func (rv *resolver) elbName(id string, res cfnResource) string {
	if s, ok := res.Properties["Name"].(string); ok && s != "" {
		return s
	}
	return truncate(id, 32)
}

func (rv *resolver) functionName(id string, res cfnResource) string {
	if s, ok := res.Properties["FunctionName"].(string); ok && s != "" {
		return s
	}
	return id
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func uuidFromHash(h string) string {
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func (rv *resolver) getAtt(arg any) (any, error) {
	var id, attr string
	switch t := arg.(type) {
	case string:
		var ok bool
		id, attr, ok = strings.Cut(t, ".")
		if !ok {
			return nil, fmt.Errorf("Fn::GetAtt %q: want LogicalID.Attribute", t)
		}
	case []any:
		if len(t) != 2 {
			return nil, fmt.Errorf("Fn::GetAtt: want [LogicalID, Attribute], got %d elements", len(t))
		}
		a, err := rv.resolveString(t[0])
		if err != nil {
			return nil, fmt.Errorf("Fn::GetAtt: logical id: %w", err)
		}
		b, err := rv.resolveString(t[1])
		if err != nil {
			return nil, fmt.Errorf("Fn::GetAtt: attribute: %w", err)
		}
		id, attr = a, b
	default:
		return nil, fmt.Errorf("Fn::GetAtt: argument must be a list or string, got %s", describe(arg))
	}
	if v, ok := rv.r.Attrs[id+"."+attr]; ok {
		return v, nil
	}
	res, ok := rv.tpl.Resources[id]
	if !ok {
		return nil, fmt.Errorf("Fn::GetAtt %s.%s: no such resource", id, attr)
	}
	p, reg, acct := rv.r.Partition, rv.r.Region, rv.r.AccountID
	refStr := func() (string, error) {
		v, err := rv.ref(id)
		if err != nil {
			return "", err
		}
		return scalarString(v)
	}
	switch res.Type + "." + attr {
	case typeFunction + ".Arn":
		name, err := refStr()
		if err != nil {
			return nil, err
		}
		return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", p, reg, acct, name), nil
	case typeTargetGroup + ".TargetGroupArn", typeLoadBalancer + ".LoadBalancerArn", typeListener + ".ListenerArn",
		typeListenerRule + ".RuleArn", "AWS::Cognito::UserPool.UserPoolId", "AWS::Cognito::UserPoolClient.ClientId":
		return refStr()
	case typeTargetGroup + ".TargetGroupName", typeLoadBalancer + ".LoadBalancerName":
		return rv.elbName(id, res), nil
	case typeTargetGroup + ".TargetGroupFullName":
		arn, err := refStr()
		if err != nil {
			return nil, err
		}
		return arn[strings.Index(arn, "targetgroup/"):], nil
	case typeLoadBalancer + ".LoadBalancerFullName":
		arn, err := refStr()
		if err != nil {
			return nil, err
		}
		return arn[strings.Index(arn, "app/"):], nil
	case typeLoadBalancer + ".DNSName":
		n := new(big.Int).SetBytes([]byte(rv.hash(id)[:8])).Int64() % 1000000000
		return fmt.Sprintf("%s-%d.%s.elb.%s", strings.ToLower(rv.elbName(id, res)), n, reg, rv.r.urlSuffix()), nil
	case typeLoadBalancer + ".CanonicalHostedZoneID":
		return "Z35SXDOTRQ7X7K", nil
	case typeListenerRule + ".IsDefault":
		return "false", nil
	case "AWS::Cognito::UserPool.ProviderName":
		pool, err := refStr()
		if err != nil {
			return nil, err
		}
		return fmt.Sprintf("cognito-idp.%s.%s/%s", reg, rv.r.urlSuffix(), pool), nil
	case "AWS::Cognito::UserPool.ProviderURL":
		pool, err := refStr()
		if err != nil {
			return nil, err
		}
		return fmt.Sprintf("https://cognito-idp.%s.%s/%s", reg, rv.r.urlSuffix(), pool), nil
	case "AWS::Cognito::UserPool.Arn":
		pool, err := refStr()
		if err != nil {
			return nil, err
		}
		return fmt.Sprintf("arn:%s:cognito-idp:%s:%s:userpool/%s", p, reg, acct, pool), nil
	case "AWS::IAM::Role.Arn":
		name, err := refStr()
		if err != nil {
			return nil, err
		}
		return fmt.Sprintf("arn:%s:iam::%s:role/%s", p, acct, name), nil
	case "AWS::Logs::LogGroup.Arn":
		name, err := refStr()
		if err != nil {
			return nil, err
		}
		return fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s:*", p, reg, acct, name), nil
	}
	return nil, fmt.Errorf("Fn::GetAtt %s.%s: attribute of %s is not emulated; set Resolver.Attrs[%q]",
		id, attr, res.Type, id+"."+attr)
}

func (rv *resolver) args(name string, arg any, n int) ([]any, error) {
	list, ok := arg.([]any)
	if !ok || len(list) != n {
		return nil, fmt.Errorf("%s: want a list of %d elements, got %s", name, n, describe(arg))
	}
	return list, nil
}

// resolveList resolves v to a list of strings (nested intrinsics allowed).
func (rv *resolver) resolveList(v any) ([]string, error) {
	r, err := rv.resolve(v)
	if err != nil {
		return nil, err
	}
	list, ok := r.([]any)
	if !ok {
		return nil, fmt.Errorf("expected a list, got %s", describe(r))
	}
	out := make([]string, 0, len(list))
	for i, e := range list {
		s, err := scalarString(e)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		out = append(out, s)
	}
	return out, nil
}

func (rv *resolver) join(arg any) (any, error) {
	a, err := rv.args("Fn::Join", arg, 2)
	if err != nil {
		return nil, err
	}
	delim, ok := a[0].(string)
	if !ok {
		return nil, fmt.Errorf("Fn::Join: delimiter must be a string, got %s", describe(a[0]))
	}
	parts, err := rv.resolveList(a[1])
	if err != nil {
		return nil, fmt.Errorf("Fn::Join: %w", err)
	}
	return strings.Join(parts, delim), nil
}

func (rv *resolver) selectFn(arg any) (any, error) {
	a, err := rv.args("Fn::Select", arg, 2)
	if err != nil {
		return nil, err
	}
	idxStr, err := rv.resolveString(a[0])
	if err != nil {
		return nil, fmt.Errorf("Fn::Select: index: %w", err)
	}
	idx, err := strconv.Atoi(idxStr)
	if err != nil {
		return nil, fmt.Errorf("Fn::Select: index %q is not an integer", idxStr)
	}
	r, err := rv.resolve(a[1])
	if err != nil {
		return nil, fmt.Errorf("Fn::Select: %w", err)
	}
	list, ok := r.([]any)
	if !ok {
		return nil, fmt.Errorf("Fn::Select: expected a list, got %s", describe(r))
	}
	if idx < 0 || idx >= len(list) {
		return nil, fmt.Errorf("Fn::Select: index %d out of range for %d elements", idx, len(list))
	}
	return list[idx], nil
}

func (rv *resolver) split(arg any) (any, error) {
	a, err := rv.args("Fn::Split", arg, 2)
	if err != nil {
		return nil, err
	}
	delim, ok := a[0].(string)
	if !ok || delim == "" {
		return nil, fmt.Errorf("Fn::Split: delimiter must be a non-empty string")
	}
	s, err := rv.resolveString(a[1])
	if err != nil {
		return nil, fmt.Errorf("Fn::Split: %w", err)
	}
	parts := strings.Split(s, delim)
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

// sub implements both forms of Fn::Sub: "template" and ["template", {vars}].
// ${Name} is a variable, parameter, resource Ref or pseudo parameter,
// ${Res.Attr} is Fn::GetAtt, and ${!Literal} renders as ${Literal}.
func (rv *resolver) sub(arg any) (any, error) {
	var tmpl string
	vars := map[string]string{}
	switch t := arg.(type) {
	case string:
		tmpl = t
	case []any:
		if len(t) != 2 {
			return nil, fmt.Errorf("Fn::Sub: want [template, variables], got %d elements", len(t))
		}
		s, ok := t[0].(string)
		if !ok {
			return nil, fmt.Errorf("Fn::Sub: template must be a string, got %s", describe(t[0]))
		}
		tmpl = s
		m, ok := t[1].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("Fn::Sub: variables must be an object, got %s", describe(t[1]))
		}
		for k, v := range m {
			s, err := rv.resolveString(v)
			if err != nil {
				return nil, fmt.Errorf("Fn::Sub: variable %s: %w", k, err)
			}
			vars[k] = s
		}
	default:
		return nil, fmt.Errorf("Fn::Sub: argument must be a string or list, got %s", describe(arg))
	}
	var b strings.Builder
	for {
		i := strings.Index(tmpl, "${")
		if i < 0 {
			b.WriteString(tmpl)
			break
		}
		b.WriteString(tmpl[:i])
		end := strings.IndexByte(tmpl[i:], '}')
		if end < 0 {
			return nil, fmt.Errorf("Fn::Sub: unterminated ${ in %q", tmpl)
		}
		name := tmpl[i+2 : i+end]
		tmpl = tmpl[i+end+1:]
		if strings.HasPrefix(name, "!") {
			b.WriteString("${" + name[1:] + "}")
			continue
		}
		name = strings.TrimSpace(name)
		if v, ok := vars[name]; ok {
			b.WriteString(v)
			continue
		}
		var v any
		var err error
		if id, attr, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") {
			v, err = rv.getAtt([]any{id, attr})
		} else {
			v, err = rv.ref(name)
		}
		if err != nil {
			return nil, fmt.Errorf("Fn::Sub ${%s}: %w", name, err)
		}
		s, err := scalarString(v)
		if err != nil {
			return nil, fmt.Errorf("Fn::Sub ${%s}: %w", name, err)
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

func (rv *resolver) ifFn(arg any) (any, error) {
	a, err := rv.args("Fn::If", arg, 3)
	if err != nil {
		return nil, err
	}
	name, ok := a[0].(string)
	if !ok {
		return nil, fmt.Errorf("Fn::If: condition name must be a string")
	}
	b, err := rv.condition(name)
	if err != nil {
		return nil, fmt.Errorf("Fn::If: %w", err)
	}
	if b {
		return rv.resolve(a[1])
	}
	return rv.resolve(a[2])
}

func (rv *resolver) findInMap(arg any) (any, error) {
	a, err := rv.args("Fn::FindInMap", arg, 3)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 3)
	for i, x := range a {
		s, err := rv.resolveString(x)
		if err != nil {
			return nil, fmt.Errorf("Fn::FindInMap: key %d: %w", i, err)
		}
		keys[i] = s
	}
	top, ok := rv.tpl.Mappings[keys[0]][keys[1]].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("Fn::FindInMap: no mapping %s.%s", keys[0], keys[1])
	}
	v, ok := top[keys[2]]
	if !ok {
		return nil, fmt.Errorf("Fn::FindInMap: no key %s in mapping %s.%s", keys[2], keys[0], keys[1])
	}
	return rv.resolve(v)
}

// condition evaluates a named template condition (memoized).
func (rv *resolver) condition(name string) (bool, error) {
	if b, ok := rv.conds[name]; ok {
		return b, nil
	}
	expr, ok := rv.tpl.Conditions[name]
	if !ok {
		return false, fmt.Errorf("condition %s is not defined", name)
	}
	if rv.stack[name] {
		return false, fmt.Errorf("condition %s refers to itself", name)
	}
	rv.stack[name] = true
	defer delete(rv.stack, name)
	b, err := rv.condExpr(expr)
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", name, err)
	}
	rv.conds[name] = b
	return b, nil
}

func (rv *resolver) condExpr(expr any) (bool, error) {
	m, ok := expr.(map[string]any)
	if !ok || len(m) != 1 {
		return false, fmt.Errorf("condition must be an object with one function, got %s", describe(expr))
	}
	for fn, arg := range m {
		switch fn {
		case "Condition":
			name, ok := arg.(string)
			if !ok {
				return false, errors.New("Condition: name must be a string")
			}
			return rv.condition(name)
		case "Fn::Equals":
			a, err := rv.args(fn, arg, 2)
			if err != nil {
				return false, err
			}
			x, err := rv.resolve(a[0])
			if err != nil {
				return false, fmt.Errorf("Fn::Equals: %w", err)
			}
			y, err := rv.resolve(a[1])
			if err != nil {
				return false, fmt.Errorf("Fn::Equals: %w", err)
			}
			xs, err1 := json.Marshal(normalizeScalar(x))
			ys, err2 := json.Marshal(normalizeScalar(y))
			if err1 != nil || err2 != nil {
				return false, errors.New("Fn::Equals: values cannot be compared")
			}
			return bytes.Equal(xs, ys), nil
		case "Fn::Not":
			a, err := rv.args(fn, arg, 1)
			if err != nil {
				return false, err
			}
			b, err := rv.condExpr(a[0])
			return !b, err
		case "Fn::And", "Fn::Or":
			list, ok := arg.([]any)
			if !ok || len(list) < 2 || len(list) > 10 {
				return false, fmt.Errorf("%s: want 2 to 10 conditions", fn)
			}
			for _, c := range list {
				b, err := rv.condExpr(c)
				if err != nil {
					return false, err
				}
				if fn == "Fn::And" && !b {
					return false, nil
				}
				if fn == "Fn::Or" && b {
					return true, nil
				}
			}
			return fn == "Fn::And", nil
		default:
			return false, fmt.Errorf("unsupported condition function %s", fn)
		}
	}
	return false, nil
}

// normalizeScalar makes "443" and 443 compare equal, as CloudFormation does.
func normalizeScalar(v any) any {
	if s, err := scalarString(v); err == nil {
		return s
	}
	return v
}
