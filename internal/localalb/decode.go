package localalb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// FieldError is a load-time error about one field of one template resource.
type FieldError struct {
	// Stack names the stack (and nested stack) of the resource when the
	// error comes from a cloud assembly; "" for a lone template.
	Stack        string
	LogicalID    string // resource logical id
	ResourceType string // e.g. AWS::ElasticLoadBalancingV2::ListenerRule
	Field        string // property path, e.g. Actions[0].JwtValidationConfig.Issuer; empty for the resource
	Problem      string
}

func (e *FieldError) Error() string {
	if e.Stack != "" {
		c := *e
		c.Stack = ""
		return "stack " + e.Stack + ": " + c.Error()
	}
	if e.Field == "" {
		return fmt.Sprintf("%s (%s): %s", e.LogicalID, e.ResourceType, e.Problem)
	}
	return fmt.Sprintf("%s (%s): %s: %s", e.LogicalID, e.ResourceType, e.Field, e.Problem)
}

// errorList collects every load error so one run reports all of them.
type errorList struct {
	errs  []error
	stack string // the stack of the template being loaded
}

func (l *errorList) add(id, typ, field, format string, args ...any) {
	l.errs = append(l.errs, &FieldError{Stack: l.stack, LogicalID: id, ResourceType: typ, Field: field, Problem: fmt.Sprintf(format, args...)})
}

func (l *errorList) err() error { return errors.Join(l.errs...) }

// obj reads one resolved JSON object of a resource and tracks which keys were
// consumed, so that any property the emulator does not know is reported
// (nothing in the ALB configuration is silently ignored).
//
// A resource's top-level properties are resolved lazily (rv != nil): a
// property that is accepted without local effect (e.g. SecurityGroups) is
// never resolved, so intrinsics the emulator cannot evaluate there do not
// matter. Nested objects hold already resolved values.
type obj struct {
	id, typ string
	path    string
	m       map[string]any
	used    map[string]bool
	el      *errorList
	rv      *resolver
}

func newObj(el *errorList, id, typ, path string, m map[string]any) *obj {
	return &obj{id: id, typ: typ, path: path, m: m, used: map[string]bool{}, el: el}
}

func (o *obj) field(k string) string {
	if o.path == "" {
		return k
	}
	return o.path + "." + k
}

func (o *obj) errf(field, format string, args ...any) {
	o.el.add(o.id, o.typ, field, format, args...)
}

func (o *obj) get(k string, required bool) (any, bool) {
	o.used[k] = true
	v, ok := o.m[k]
	if ok && o.rv != nil {
		r, err := o.rv.resolve(v)
		if err != nil {
			o.errf(o.field(k), "%v", err)
			return nil, false
		}
		if r == noValue {
			r = nil
		}
		v = r
	}
	if !ok || v == nil {
		if required {
			o.errf(o.field(k), "required")
		}
		return nil, false
	}
	return v, true
}

func (o *obj) has(k string) bool {
	_, ok := o.m[k]
	return ok
}

func (o *obj) str(k string, required bool) (string, bool) {
	v, ok := o.get(k, required)
	if !ok {
		return "", false
	}
	s, err := scalarString(v)
	if err != nil {
		o.errf(o.field(k), "%v", err)
		return "", false
	}
	return s, true
}

func (o *obj) intv(k string, required bool) (int, bool) {
	s, ok := o.str(k, required)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		o.errf(o.field(k), "%q is not an integer", s)
		return 0, false
	}
	return n, true
}

func (o *obj) boolv(k string) (bool, bool) {
	s, ok := o.str(k, false)
	if !ok {
		return false, false
	}
	switch strings.ToLower(s) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	o.errf(o.field(k), "%q is not a boolean", s)
	return false, false
}

func (o *obj) child(k string, required bool) *obj {
	v, ok := o.get(k, required)
	if !ok {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		o.errf(o.field(k), "expected an object, got %s", describe(v))
		return nil
	}
	return newObj(o.el, o.id, o.typ, o.field(k), m)
}

func (o *obj) list(k string, required bool) ([]any, bool) {
	v, ok := o.get(k, required)
	if !ok {
		return nil, false
	}
	l, ok := v.([]any)
	if !ok {
		o.errf(o.field(k), "expected a list, got %s", describe(v))
		return nil, false
	}
	return l, true
}

func (o *obj) objList(k string, required bool) []*obj {
	l, _ := o.list(k, required)
	out := make([]*obj, 0, len(l))
	for i, e := range l {
		m, ok := e.(map[string]any)
		if !ok {
			o.errf(fmt.Sprintf("%s[%d]", o.field(k), i), "expected an object, got %s", describe(e))
			continue
		}
		out = append(out, newObj(o.el, o.id, o.typ, fmt.Sprintf("%s[%d]", o.field(k), i), m))
	}
	return out
}

func (o *obj) strList(k string, required bool) ([]string, bool) {
	l, ok := o.list(k, required)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(l))
	for i, e := range l {
		s, err := scalarString(e)
		if err != nil {
			o.errf(fmt.Sprintf("%s[%d]", o.field(k), i), "%v", err)
			continue
		}
		out = append(out, s)
	}
	return out, true
}

// accept marks properties that are valid but have no local effect.
func (o *obj) accept(keys ...string) {
	for _, k := range keys {
		o.used[k] = true
	}
}

// done reports every property that was not consumed.
func (o *obj) done() {
	var unknown []string
	for k := range o.m {
		if !o.used[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		o.errf(o.field(k), "unsupported property (the local ALB does not emulate it)")
	}
}

// decodeJSON parses a template keeping numbers as json.Number.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the template object")
	}
	return nil
}
