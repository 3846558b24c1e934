package localalb

import (
	"fmt"
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
	m.nameTenants()
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
