package localalb

import (
	"errors"
	"strings"
	"testing"
)

// Every load-time error must name the resource and the field.
func TestLoadErrors(t *testing.T) {
	jwtAction := `{"Type":"jwt-validation","Order":1,"JwtValidationConfig":{"Issuer":"https://issuer.example.com","JwksEndpoint":"https://issuer.example.com/jwks.json"}}`
	pathCond := `[{"Field":"path-pattern","PathPatternConfig":{"Values":["/a/*"]}}]`
	tests := []struct {
		name  string
		extra map[string]string
		want  []string // substrings of the error
	}{
		{"authenticate-oidc", map[string]string{"R": rule("1", pathCond,
			`[{"Type":"authenticate-oidc","Order":1,"AuthenticateOidcConfig":{}},{"Type":"forward","Order":2,"TargetGroupArn":{"Ref":"TG"}}]`, "")},
			[]string{"R (AWS::ElasticLoadBalancingV2::ListenerRule)", "Actions[0].Type", "authenticate-oidc is not supported"}},
		{"authenticate-cognito default action", map[string]string{"L443": strings.Replace(defaultResources()["L443"],
			`"DefaultActions":[`, `"DefaultActions":[{"Type":"authenticate-cognito","Order":1,"AuthenticateCognitoConfig":{}},`, 1)},
			[]string{"L443", "DefaultActions[0].Type", "authenticate-cognito is not supported"}},
		{"unknown action type", map[string]string{"R": rule("1", pathCond, `[{"Type":"teleport"}]`, "")},
			[]string{"R ", "Actions[0].Type", "unknown action type"}},
		{"unknown condition field", map[string]string{"R": rule("1", `[{"Field":"cookie","Values":["x"]}]`, forwardTG, "")},
			[]string{"R ", "Conditions[0].Field", `unknown condition field "cookie"`}},
		{"unknown rule property", map[string]string{"R": strings.Replace(rule("1", pathCond, forwardTG, ""), `"Priority":1`, `"Priority":1,"Tags":[]`, 1)},
			[]string{"R ", "Tags: unsupported property"}},
		{"unknown action property", map[string]string{"R": rule("1", pathCond, `[{"Type":"forward","TargetGroupArn":{"Ref":"TG"},"Colour":"red"}]`, "")},
			[]string{"R ", "Actions[0].Colour: unsupported property"}},
		{"unknown load balancer attribute", map[string]string{"LB": `{"Type":"AWS::ElasticLoadBalancingV2::LoadBalancer","Properties":{"LoadBalancerAttributes":[{"Key":"routing.http.magic","Value":"1"}]}}`},
			[]string{"LB ", "LoadBalancerAttributes[0].routing.http.magic", "not supported"}},
		{"bad xff mode", map[string]string{"LB": `{"Type":"AWS::ElasticLoadBalancingV2::LoadBalancer","Properties":{"LoadBalancerAttributes":[{"Key":"routing.http.xff_header_processing.mode","Value":"shuffle"}]}}`},
			[]string{"LB ", "xff_header_processing.mode", "shuffle"}},
		{"network load balancer", map[string]string{"LB": `{"Type":"AWS::ElasticLoadBalancingV2::LoadBalancer","Properties":{"Type":"network"}}`},
			[]string{"LB ", "Type", "only application"}},
		{"instance target group", map[string]string{"TG": `{"Type":"AWS::ElasticLoadBalancingV2::TargetGroup","Properties":{"TargetType":"instance","Port":80,"Protocol":"HTTP","VpcId":"vpc-1"}}`},
			[]string{"TG ", "TargetType", "only lambda", "Port: not valid"}},
		{"unknown target group attribute", map[string]string{"TG": `{"Type":"AWS::ElasticLoadBalancingV2::TargetGroup","Properties":{"TargetType":"lambda","TargetGroupAttributes":[{"Key":"stickiness.enabled","Value":"true"}]}}`},
			[]string{"TG ", "TargetGroupAttributes[0].stickiness.enabled"}},
		{"target not in template", map[string]string{"TG": `{"Type":"AWS::ElasticLoadBalancingV2::TargetGroup","Properties":{"TargetType":"lambda","Targets":[{"Id":"arn:aws:lambda:us-east-1:1:function:elsewhere"}]}}`},
			[]string{"TG ", "Targets[0].Id", "not an AWS::Lambda::Function"}},
		{"jwt on HTTP listener", map[string]string{"L80": `{"Type":"AWS::ElasticLoadBalancingV2::Listener","Properties":{"LoadBalancerArn":{"Ref":"LB"},"Port":80,"Protocol":"HTTP","DefaultActions":[` + jwtAction + `,{"Type":"forward","Order":2,"TargetGroupArn":{"Ref":"TG"}}]}}`},
			[]string{"L80 ", "DefaultActions[0].Type", "only allowed on HTTPS"}},
		{"jwt config invalid", map[string]string{"R": rule("1", pathCond, `[{"Type":"jwt-validation","Order":1,"JwtValidationConfig":{"Issuer":"https://i.example.com","JwksEndpoint":"http://plain.example.com/jwks","AdditionalClaims":[{"Name":"exp","Format":"single-string","Values":["1"]}]}},{"Type":"forward","Order":2,"TargetGroupArn":{"Ref":"TG"}}]`, "")},
			[]string{"R ", "Actions[0].JwtValidationConfig", "exp"}},
		{"two auth actions", map[string]string{"R": rule("1", pathCond, `[`+jwtAction+`,`+strings.Replace(jwtAction, `"Order":1`, `"Order":2`, 1)+`,{"Type":"forward","Order":3,"TargetGroupArn":{"Ref":"TG"}}]`, "")},
			[]string{"R ", "at most one authentication action"}},
		{"routing action not last", map[string]string{"R": rule("1", pathCond, `[`+strings.Replace(jwtAction, `"Order":1`, `"Order":3`, 1)+`,{"Type":"forward","Order":2,"TargetGroupArn":{"Ref":"TG"}}]`, "")},
			[]string{"R ", "Actions", "must be the last action"}},
		{"two routing actions", map[string]string{"R": rule("1", pathCond, `[{"Type":"forward","Order":1,"TargetGroupArn":{"Ref":"TG"}},{"Type":"forward","Order":2,"TargetGroupArn":{"Ref":"TG"}}]`, "")},
			[]string{"R ", "exactly one routing action"}},
		{"missing Order", map[string]string{"R": rule("1", pathCond, `[{"Type":"jwt-validation","JwtValidationConfig":{"Issuer":"https://i.example.com","JwksEndpoint":"https://i.example.com/j"}},{"Type":"forward","Order":2,"TargetGroupArn":{"Ref":"TG"}}]`, "")},
			[]string{"R ", "Actions[0].Order", "required"}},
		{"order out of range", map[string]string{"R": rule("1", pathCond, `[{"Type":"forward","Order":50001,"TargetGroupArn":{"Ref":"TG"}}]`, "")},
			[]string{"R ", "Actions[0].Order", "outside"}},
		{"config for another type", map[string]string{"R": rule("1", pathCond, `[{"Type":"forward","TargetGroupArn":{"Ref":"TG"},"RedirectConfig":{"StatusCode":"HTTP_301"}}]`, "")},
			[]string{"R ", "Actions[0].RedirectConfig", `not valid for an action of type "forward"`}},
		{"weighted forward", map[string]string{"TG2": `{"Type":"AWS::ElasticLoadBalancingV2::TargetGroup","Properties":{"TargetType":"lambda"}}`,
			"R": rule("1", pathCond, `[{"Type":"forward","ForwardConfig":{"TargetGroups":[{"TargetGroupArn":{"Ref":"TG"},"Weight":1},{"TargetGroupArn":{"Ref":"TG2"},"Weight":1}]}}]`, "")},
			[]string{"R ", "ForwardConfig.TargetGroups", "weighted forwarding"}},
		{"stickiness", map[string]string{"R": rule("1", pathCond, `[{"Type":"forward","ForwardConfig":{"TargetGroups":[{"TargetGroupArn":{"Ref":"TG"}}],"TargetGroupStickinessConfig":{"Enabled":true,"DurationSeconds":60}}}]`, "")},
			[]string{"R ", "TargetGroupStickinessConfig.Enabled"}},
		{"unknown target group in forward", map[string]string{"R": rule("1", pathCond, `[{"Type":"forward","TargetGroupArn":"arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/x/y"}]`, "")},
			[]string{"R ", "Actions[0].TargetGroupArn", "not a target group of this template"}},
		{"fixed response bad status", map[string]string{"R": rule("1", pathCond, `[{"Type":"fixed-response","FixedResponseConfig":{"StatusCode":"302"}}]`, "")},
			[]string{"R ", "FixedResponseConfig.StatusCode", "2XX, 4XX or 5XX"}},
		{"fixed response bad content type", map[string]string{"R": rule("1", pathCond, `[{"Type":"fixed-response","FixedResponseConfig":{"StatusCode":"200","ContentType":"image/png"}}]`, "")},
			[]string{"R ", "FixedResponseConfig.ContentType"}},
		{"redirect loop", map[string]string{"R": rule("1", pathCond, `[{"Type":"redirect","RedirectConfig":{"StatusCode":"HTTP_302","Query":"x=1"}}]`, "")},
			[]string{"R ", "RedirectConfig", "redirect loop"}},
		{"redirect HTTPS to HTTP", map[string]string{"R": rule("1", pathCond, `[{"Type":"redirect","RedirectConfig":{"StatusCode":"HTTP_301","Protocol":"HTTP"}}]`, "")},
			[]string{"R ", "RedirectConfig.Protocol", "HTTPS to HTTP"}},
		{"redirect bad status", map[string]string{"R": rule("1", pathCond, `[{"Type":"redirect","RedirectConfig":{"StatusCode":"HTTP_307","Path":"/x"}}]`, "")},
			[]string{"R ", "RedirectConfig.StatusCode"}},
		{"too many values per condition", map[string]string{"R": rule("1", `[{"Field":"path-pattern","PathPatternConfig":{"Values":["/a","/b","/c","/d"]}}]`, forwardTG, "")},
			[]string{"R ", "Conditions[0]", "at most 3 per condition"}},
		{"too many values per rule", map[string]string{"R": rule("1", `[{"Field":"path-pattern","PathPatternConfig":{"Values":["/a","/b","/c"]}},{"Field":"http-header","HttpHeaderConfig":{"HttpHeaderName":"X","Values":["1","2","3"]}}]`, forwardTG, "")},
			[]string{"R ", "Conditions", "at most 5 per rule"}},
		{"too many wildcards", map[string]string{"R": rule("1", `[{"Field":"path-pattern","PathPatternConfig":{"Values":["/a/*/*/*","/b/???"]}}]`, forwardTG, "")},
			[]string{"R ", "Conditions", "wildcard"}},
		{"duplicate path-pattern condition", map[string]string{"R": rule("1", `[{"Field":"path-pattern","Values":["/a"]},{"Field":"path-pattern","Values":["/b"]}]`, forwardTG, "")},
			[]string{"R ", "Conditions[1].Field", "only one path-pattern"}},
		{"path pattern too long", map[string]string{"R": rule("1", `[{"Field":"path-pattern","Values":["/`+strings.Repeat("a", 128)+`"]}]`, forwardTG, "")},
			[]string{"R ", "Conditions[0].Values[0]", "longer than 128"}},
		{"path pattern bad char", map[string]string{"R": rule("1", `[{"Field":"path-pattern","Values":["/a b"]}]`, forwardTG, "")},
			[]string{"R ", "Conditions[0].Values[0]", "not allowed"}},
		{"host without dot", map[string]string{"R": rule("1", `[{"Field":"host-header","HostHeaderConfig":{"Values":["localhost"]}}]`, forwardTG, "")},
			[]string{"R ", "HostHeaderConfig.Values[0]", "at least one '.'"}},
		{"values and regex", map[string]string{"R": rule("1", `[{"Field":"path-pattern","PathPatternConfig":{"Values":["/a"],"RegexValues":["^/b"]}}]`, forwardTG, "")},
			[]string{"R ", "Conditions[0]", "either value matching"}},
		{"regex unicode class", map[string]string{"R": rule("1", `[{"Field":"path-pattern","PathPatternConfig":{"RegexValues":["^/\\p{L}+$"]}}]`, forwardTG, "")},
			[]string{"R ", "PathPatternConfig.RegexValues[0]", "Unicode"}},
		{"regex lookahead", map[string]string{"R": rule("1", `[{"Field":"path-pattern","PathPatternConfig":{"RegexValues":["^/(?=a)"]}}]`, forwardTG, "")},
			[]string{"R ", "PathPatternConfig.RegexValues[0]", "invalid regular expression"}},
		{"method lower case", map[string]string{"R": rule("1", `[{"Field":"http-request-method","HttpRequestMethodConfig":{"Values":["get"]}}]`, forwardTG, "")},
			[]string{"R ", "HttpRequestMethodConfig.Values[0]", "not allowed"}},
		{"bad CIDR", map[string]string{"R": rule("1", `[{"Field":"source-ip","SourceIpConfig":{"Values":["10.0.0.0/33"]}}]`, forwardTG, "")},
			[]string{"R ", "SourceIpConfig.Values[0]", "CIDR"}},
		{"legacy Values on http-header", map[string]string{"R": rule("1", `[{"Field":"http-header","Values":["x"],"HttpHeaderConfig":{"HttpHeaderName":"X","Values":["1"]}}]`, forwardTG, "")},
			[]string{"R ", "Conditions[0].Values", "legacy"}},
		{"config of another field", map[string]string{"R": rule("1", `[{"Field":"path-pattern","Values":["/a"],"HostHeaderConfig":{"Values":["a.b"]}}]`, forwardTG, "")},
			[]string{"R ", "Conditions[0].HostHeaderConfig", `not valid for a "path-pattern" condition`}},
		{"no conditions", map[string]string{"R": rule("1", `[]`, forwardTG, "")},
			[]string{"R ", "Conditions", "at least one condition"}},
		{"two url rewrites", map[string]string{"R": rule("1", pathCond, forwardTG, `[{"Type":"url-rewrite","UrlRewriteConfig":{"Rewrites":[{"Regex":"a","Replace":"/b"}]}},{"Type":"url-rewrite","UrlRewriteConfig":{"Rewrites":[{"Regex":"a","Replace":"/b"}]}}]`)},
			[]string{"R ", "Transforms[1].Type", "only one url-rewrite"}},
		{"two rewrites in one transform", map[string]string{"R": rule("1", pathCond, forwardTG, `[{"Type":"url-rewrite","UrlRewriteConfig":{"Rewrites":[{"Regex":"a","Replace":"/b"},{"Regex":"c","Replace":"/d"}]}}]`)},
			[]string{"R ", "Transforms[0].UrlRewriteConfig.Rewrites", "exactly one"}},
		{"rewrite refers to missing group", map[string]string{"R": rule("1", pathCond, forwardTG, `[{"Type":"url-rewrite","UrlRewriteConfig":{"Rewrites":[{"Regex":"^/(a)$","Replace":"/$2"}]}}]`)},
			[]string{"R ", "Transforms[0].UrlRewriteConfig.Rewrites[0].Replace", "$2"}},
		{"unknown transform", map[string]string{"R": rule("1", pathCond, forwardTG, `[{"Type":"query-rewrite"}]`)},
			[]string{"R ", "Transforms[0].Type", "unknown transform type"}},
		{"transform config mismatch", map[string]string{"R": rule("1", pathCond, forwardTG, `[{"Type":"host-header-rewrite","UrlRewriteConfig":{"Rewrites":[]},"HostHeaderRewriteConfig":{"Rewrites":[{"Regex":"a","Replace":"b"}]}}]`)},
			[]string{"R ", "Transforms[0].UrlRewriteConfig", "not valid"}},
		{"duplicate priority", map[string]string{"R": rule("5", pathCond, forwardTG, ""), "R2": rule("5", `[{"Field":"path-pattern","Values":["/b"]}]`, forwardTG, "")},
			[]string{"R2 ", "Priority", "also used by rule R"}},
		{"priority out of range", map[string]string{"R": rule("0", pathCond, forwardTG, "")},
			[]string{"R ", "Priority", "outside"}},
		{"listener of another template", map[string]string{"R": strings.Replace(rule("1", pathCond, forwardTG, ""), `{"Ref":"L443"}`, `"arn:aws:elasticloadbalancing:us-east-1:1:listener/app/x/y/z"`, 1)},
			[]string{"R ", "ListenerArn", "not a listener of this template"}},
		{"unknown SslPolicy", map[string]string{"L443": strings.Replace(defaultResources()["L443"], `"Protocol":"HTTPS"`, `"Protocol":"HTTPS","SslPolicy":"MyPolicy"`, 1)},
			[]string{"L443 ", "SslPolicy", "MyPolicy"}},
		{"TCP listener", map[string]string{"L443": strings.Replace(defaultResources()["L443"], `"Protocol":"HTTPS"`, `"Protocol":"TCP"`, 1)},
			[]string{"L443 ", "Protocol", "HTTP or HTTPS"}},
		{"listener attribute", map[string]string{"L443": strings.Replace(defaultResources()["L443"], `"Protocol":"HTTPS"`, `"Protocol":"HTTPS","ListenerAttributes":[{"Key":"routing.http.response.strict_transport_security.header_value","Value":"max-age=1"}]`, 1)},
			[]string{"L443 ", "ListenerAttributes[0].routing.http.response.strict_transport_security.header_value"}},
		{"mutual TLS", map[string]string{"L443": strings.Replace(defaultResources()["L443"], `"Protocol":"HTTPS"`, `"Protocol":"HTTPS","MutualAuthentication":{"Mode":"verify","TrustStoreArn":"x"}`, 1)},
			[]string{"L443 ", "MutualAuthentication.Mode"}},
		{"unresolvable intrinsic in rule", map[string]string{"R": rule("1", `[{"Field":"path-pattern","Values":[{"Fn::ImportValue":"x"}]}]`, forwardTG, "")},
			[]string{"R ", "Conditions", "Fn::ImportValue"}},
		{"duplicate listener port", map[string]string{"L443b": defaultResources()["L443"]},
			[]string{"Port", "port 443 is also used"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadTemplate(tpl(t, tt.extra), Resolver{})
			if err == nil {
				t.Fatal("want a load error")
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("error is not a *FieldError: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}
