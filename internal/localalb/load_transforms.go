package localalb

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
