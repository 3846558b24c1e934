package localalb

import (
	"fmt"
	"maps"
	"slices"
	"sort"
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
	tpl, err := parseTemplate(templateJSON)
	if err != nil {
		return nil, err
	}
	rv := newResolver(r, tpl)
	return loadModel(rv.r, []*unit{{rv: rv, tpl: tpl}})
}

// parseTemplate decodes a template (numbers kept as json.Number).
func parseTemplate(templateJSON []byte) (*cfnTemplate, error) {
	var tpl cfnTemplate
	if err := decodeJSON(templateJSON, &tpl); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	if tpl.Transform != nil {
		return nil, fmt.Errorf("template: Transform (macros) is not supported; pass the processed template")
	}
	return &tpl, nil
}

// unit is one template of a model: a stack's own template or one of its
// nested stacks' templates, with the resolver that evaluates it.
type unit struct {
	rv  *resolver
	tpl *cfnTemplate
	// prefix qualifies the logical ids of a nested template in the model
	// ("<NestedStackLogicalID>/"); "" for the stack's own template.
	prefix string
	// stack names the template in errors ("" for a lone template).
	stack string
	// resources are the logical ids of the created resources by type (sorted).
	resources map[string][]string
}

// loadModel loads the ALB configuration of the units (one stack and its
// nested stacks) into one Model. r is the stack's resolver configuration.
func loadModel(r Resolver, units []*unit) (*Model, error) {
	l := &loader{
		el:       &errorList{},
		fnByARN:  map[string]*Function{},
		lbByARN:  map[string]*LoadBalancer{},
		tgByARN:  map[string]*TargetGroup{},
		lisByARN: map[string]*Listener{},
		model:    &Model{Region: r.Region, AccountID: r.AccountID, Partition: r.Partition, StackName: r.StackName, LoadBalancers: map[string]*LoadBalancer{}, TargetGroups: map[string]*TargetGroup{}, Functions: map[string]*Function{}},
	}
	for _, u := range units {
		l.use(u)
		u.resources = map[string][]string{}
		for _, id := range slices.Sorted(maps.Keys(u.tpl.Resources)) {
			res := u.tpl.Resources[id]
			if res.Condition != "" {
				ok, err := u.rv.condition(res.Condition)
				if err != nil {
					l.el.add(l.qid(id), res.Type, "Condition", "%v", err)
					continue
				}
				if !ok {
					continue // not created
				}
			}
			u.resources[res.Type] = append(u.resources[res.Type], id)
		}
	}
	// Order matters: rules refer to listeners, listeners to load balancers,
	// actions to target groups, target groups to functions, across the
	// templates of a stack (a nested rule uses its parent's listener).
	steps := []struct {
		typ  string
		load func(id string)
	}{
		{typeFunction, l.loadFunction}, {typeLoadBalancer, l.loadLoadBalancer}, {typeTargetGroup, l.loadTargetGroup},
		{typeListener, l.loadListener}, {typeListenerRule, l.loadRule},
	}
	for _, step := range steps {
		for _, u := range units {
			l.use(u)
			for _, id := range u.resources[step.typ] {
				step.load(id)
			}
		}
	}
	l.use(&unit{})
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
	m.nameTenants()
	return m, nil
}

// loader loads units into one model; rv, tpl and prefix are those of the
// unit being loaded (use).
type loader struct {
	rv       *resolver
	tpl      *cfnTemplate
	prefix   string
	el       *errorList
	model    *Model
	fnByARN  map[string]*Function
	lbByARN  map[string]*LoadBalancer
	tgByARN  map[string]*TargetGroup
	lisByARN map[string]*Listener
}

func (l *loader) use(u *unit) {
	l.rv, l.tpl, l.prefix, l.el.stack = u.rv, u.tpl, u.prefix, u.stack
}

// qid is the model's (qualified) logical id of a resource of the current unit.
func (l *loader) qid(id string) string { return l.prefix + id }

func (l *loader) props(id string) *obj {
	res := l.tpl.Resources[id]
	o := newObj(l.el, l.qid(id), res.Type, "", res.Properties)
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
	l.el.add(l.qid(id), res.Type, "", "physical id: %v", err)
	return "", false
}
