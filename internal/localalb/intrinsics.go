package localalb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

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
