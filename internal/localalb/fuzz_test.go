package localalb

import (
	"os"
	"testing"
)

// FuzzLoadTemplate: the loader must never panic, whatever the template.
func FuzzLoadTemplate(f *testing.F) {
	if b, err := os.ReadFile("testdata/template.json"); err == nil {
		f.Add(b)
	}
	f.Add(tpl(f, map[string]string{"R": rule("1", `[{"Field":"path-pattern","Values":["/a/*"]}]`, forwardTG,
		`[{"Type":"url-rewrite","UrlRewriteConfig":{"Rewrites":[{"Regex":"^/a/(.*)$","Replace":"/$1"}]}}]`)}))
	f.Add([]byte(`{"Resources":{"X":{"Type":"AWS::ElasticLoadBalancingV2::Listener","Properties":{"Port":{"Fn::Select":[{"Ref":"AWS::NoValue"},[]]}}}}}`))
	f.Add([]byte(`{"Conditions":{"A":{"Condition":"B"},"B":{"Condition":"A"}},"Resources":{"X":{"Type":"AWS::Lambda::Function","Condition":"A"}}}`))
	f.Add([]byte(`{"Resources":{"F":{"Type":"AWS::Lambda::Function","Properties":{"Environment":{"Variables":{"A":{"Fn::Sub":["${B}",{"B":{"Fn::Join":["",[{"Fn::GetAtt":"F.Arn"}]]}}]}}}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := LoadTemplate(data, Resolver{})
		if err == nil && m == nil {
			t.Fatal("nil model without error")
		}
	})
}
