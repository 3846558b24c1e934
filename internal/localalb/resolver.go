package localalb

import (
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
	Outputs    map[string]cfnOutput      `json:"Outputs"`
	Transform  any                       `json:"Transform"`
}

type cfnOutput struct {
	Value     any    `json:"Value"`
	Condition string `json:"Condition"`
	Export    *struct {
		Name any `json:"Name"`
	} `json:"Export"`
}

type cfnParameter struct {
	Type    string `json:"Type"`
	Default any    `json:"Default"`
}

type cfnResource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
	Condition  string         `json:"Condition"`
	Metadata   map[string]any `json:"Metadata"`
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

	// Set when the template is part of a cloud assembly (LoadAssembly):
	// params gives a nested template's parameter values (evaluated in the
	// parent), imports resolves Fn::ImportValue against the exports of the
	// other stacks, outputs resolves Fn::GetAtt [NestedStack, Outputs.X].
	params  func(name string) (any, bool, error)
	imports func(exportName string) (any, error)
	outputs func(nestedID, output string) (any, error)
	// stackOutputs resolves Fn::GetStackOutput against the Outputs of the
	// assembly's stacks.
	stackOutputs func(stackName, output string) (any, error)
	// nested: fake function names are qualified by the stack name (their
	// logical ids repeat across nested stacks).
	nested bool
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
	case "Fn::ImportValue":
		if rv.imports == nil {
			return nil, fmt.Errorf("unsupported intrinsic function %s (load the cloud assembly: LoadAssembly)", name)
		}
		exp, err := rv.resolveString(arg)
		if err != nil {
			return nil, fmt.Errorf("Fn::ImportValue: %w", err)
		}
		return rv.imports(exp)
	case "Fn::GetStackOutput":
		return rv.getStackOutput(arg)
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
		if rv.params != nil {
			v, ok, err := rv.params(name)
			if err != nil {
				return nil, fmt.Errorf("Ref %s: %w", name, err)
			}
			if ok {
				return v, nil
			}
		}
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
