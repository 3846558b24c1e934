package localalb

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"
)

func (l *loader) loadRule(id string) {
	o := l.props(id)
	arn, ok := l.refString(id)
	if !ok {
		return
	}
	ru := &Rule{LogicalID: l.qid(id), ARN: arn}
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
