package localalb

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/localalb/jwtvalidate"
)

func TestLoadTemplateContractStack(t *testing.T) {
	m, err := LoadTemplate(readTemplate(t), testResolver())
	if err != nil {
		t.Fatalf("LoadTemplate: %v", err)
	}
	if len(m.Listeners) != 2 || m.Listeners[0].Port != 80 || m.Listeners[1].Port != 443 {
		t.Fatalf("listeners = %+v, want ports 80 and 443", m.Listeners)
	}
	https := m.Listeners[1]
	if https.Protocol != "HTTPS" || https.MinTLSVersion != tls.VersionTLS13 {
		t.Errorf("HTTPS listener protocol %s min TLS %x", https.Protocol, https.MinTLSVersion)
	}
	if !https.LoadBalancer.DropInvalidHeaderFields || https.LoadBalancer.XFFMode != "append" {
		t.Errorf("load balancer attributes not applied: %+v", https.LoadBalancer)
	}
	if d := https.DefaultActions; len(d) != 1 || d[0].FixedResponse == nil || d[0].FixedResponse.StatusCode != 404 ||
		d[0].FixedResponse.MessageBody != "Not Found" || d[0].FixedResponse.ContentType != "text/plain" {
		t.Errorf("default action = %+v", d[0])
	}
	if rd := m.Listeners[0].DefaultActions[0].Redirect; rd == nil || rd.Port != "443" || rd.Protocol != "HTTPS" || rd.StatusCode != 301 {
		t.Errorf("HTTP default redirect = %+v", rd)
	}
	if len(https.Rules) != 2 || https.Rules[0].LogicalID != "TenantRuleTenantA" || https.Rules[1].Priority != 20 {
		t.Fatalf("rules not in priority order: %+v", https.Rules)
	}
	ra := https.Rules[0]
	if got := ra.Conditions[0].Values; !reflect.DeepEqual(got, []string{"/tenant-A/*", "/tenant-A"}) {
		t.Errorf("tenant-A path values = %v", got)
	}
	if got := https.Rules[1].Conditions[0].Values; !reflect.DeepEqual(got, []string{"/tenant-B/*", "/tenant-B"}) {
		t.Errorf("legacy Values form not loaded: %v", got)
	}
	wantJWT := &jwtvalidate.Config{
		Issuer:       testIssuer,
		JWKSEndpoint: testIssuer + "/.well-known/jwks.json",
		AdditionalClaims: []jwtvalidate.Claim{
			{Name: "cognito:groups", Format: "string-array", Values: []string{"tenant-A"}},
			{Name: "token_use", Format: "single-string", Values: []string{"access"}},
			{Name: "client_id", Format: "single-string", Values: []string{testClientID}},
		},
	}
	if ra.Actions[0].Type != ActionJWTValidation || !reflect.DeepEqual(ra.Actions[0].JWT, wantJWT) {
		t.Errorf("jwt action = %+v, want %+v", ra.Actions[0].JWT, wantJWT)
	}
	if sub := https.Rules[1].Actions[0].JWT.JWKSEndpoint; sub != wantJWT.JWKSEndpoint {
		t.Errorf("Fn::Sub JWKS endpoint = %q", sub)
	}
	if ra.Actions[1].TargetGroup == nil || ra.Actions[1].TargetGroup.LogicalID != "TenantTargetGroupTenantA" {
		t.Errorf("forward target = %+v", ra.Actions[1].TargetGroup)
	}
	if tgB := https.Rules[1].Actions[1].TargetGroup; tgB == nil || tgB.Function == nil || tgB.Function.LogicalID != "TenantFunctionTenantB" {
		t.Errorf("ForwardConfig target = %+v", tgB)
	}
	if tr := ra.Transforms; len(tr) != 1 || tr[0].Regex != "^/tenant-A/?(.*)$" || tr[0].Replace != "/$1" {
		t.Errorf("transforms = %+v", tr)
	}
	fn := m.Functions["TenantFunctionTenantA"]
	wantEnv := map[string]string{"TENANT_ID": "tenant-A", "LOG_LEVEL": "info", "POOL": testPoolID}
	if fn == nil || !reflect.DeepEqual(fn.Env, wantEnv) || fn.Timeout != 10*time.Second || fn.MemorySize != 256 ||
		!reflect.DeepEqual(fn.Architectures, []string{"arm64"}) || fn.Runtime != "provided.al2023" {
		t.Fatalf("function = %+v", fn)
	}
	if fn.ARN != "arn:aws:lambda:us-east-1:123456789012:function:TenantFunctionTenantA" {
		t.Errorf("function ARN = %s", fn.ARN)
	}
	if fb := m.Functions["TenantFunctionTenantB"]; fb.Timeout != 3*time.Second || fb.MemorySize != 128 {
		t.Errorf("Lambda defaults not applied: %+v", fb)
	}
	env := fn.RuntimeEnv("us-east-1")
	for k, v := range map[string]string{"TENANT_ID": "tenant-A", "AWS_LAMBDA_FUNCTION_NAME": "TenantFunctionTenantA",
		"AWS_LAMBDA_FUNCTION_TIMEOUT": "10", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "AWS_REGION": "us-east-1"} {
		if env[k] != v {
			t.Errorf("RuntimeEnv[%s] = %q, want %q", k, env[k], v)
		}
	}
	tgA := m.TargetGroups["TenantTargetGroupTenantA"]
	if !strings.HasPrefix(tgA.ARN, "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/TenantTargetGroupTenantA/") ||
		len(tgA.ARN) != len("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/TenantTargetGroupTenantA/")+16 {
		t.Errorf("target group ARN = %s", tgA.ARN)
	}
	// Deterministic: a second load gives the same ARNs.
	m2, err := LoadTemplate(readTemplate(t), testResolver())
	if err != nil {
		t.Fatal(err)
	}
	if m2.TargetGroups["TenantTargetGroupTenantA"].ARN != tgA.ARN {
		t.Error("fake ARNs are not deterministic")
	}
}

func TestResolverOverrides(t *testing.T) {
	r := testResolver()
	r.Attrs = map[string]string{"TenantFunctionTenantA.Arn": "arn:aws:lambda:us-east-1:000000000000:function:real-name"}
	r.Refs["TenantTargetGroupTenantA"] = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/real/0123456789abcdef"
	m, err := LoadTemplate(readTemplate(t), r)
	if err != nil {
		t.Fatal(err)
	}
	tg := m.TargetGroups["TenantTargetGroupTenantA"]
	if tg.ARN != r.Refs["TenantTargetGroupTenantA"] {
		t.Errorf("TG ARN override ignored: %s", tg.ARN)
	}
	if tg.Function == nil || tg.Function.ARN != r.Attrs["TenantFunctionTenantA.Arn"] {
		t.Errorf("target resolved through the overridden Arn: %+v", tg.Function)
	}
}

func TestIntrinsics(t *testing.T) {
	tplJSON := `{
	  "Parameters": {"Env": {"Type": "String", "Default": "dev"}, "NoDefault": {"Type": "String"},
	                 "Names": {"Type": "CommaDelimitedList", "Default": "a, b,c"}},
	  "Mappings": {"RegionMap": {"us-east-1": {"Zone": "Z1"}}},
	  "Conditions": {"IsDev": {"Fn::Equals": [{"Ref": "Env"}, "dev"]},
	                 "IsProd": {"Fn::Not": [{"Condition": "IsDev"}]},
	                 "Both": {"Fn::And": [{"Condition": "IsDev"}, {"Fn::Equals": ["1", 1]}]},
	                 "Either": {"Fn::Or": [{"Condition": "IsProd"}, {"Condition": "IsDev"}]},
	                 "Loop": {"Condition": "Loop"}},
	  "Resources": {
	    "Pool": {"Type": "AWS::Cognito::UserPool"},
	    "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "my-fn"}},
	    "Fn2": {"Type": "AWS::Lambda::Function"},
	    "TG": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {"Name": "tg-name"}},
	    "LB": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer"},
	    "Bucket": {"Type": "AWS::S3::Bucket"}
	  }}`
	var tp cfnTemplate
	if err := decodeJSON([]byte(tplJSON), &tp); err != nil {
		t.Fatal(err)
	}
	newRV := func() *resolver {
		return newResolver(Resolver{Region: "eu-west-1", AccountID: "111122223333", StackName: "S",
			Refs: map[string]string{"Bucket": "my-bucket"}, Attrs: map[string]string{"Bucket.Arn": "arn:aws:s3:::my-bucket"}}, &tp)
	}
	tests := []struct {
		name, expr string
		want       any
		wantErr    string
	}{
		{"Ref region", `{"Ref":"AWS::Region"}`, "eu-west-1", ""},
		{"Ref account", `{"Ref":"AWS::AccountId"}`, "111122223333", ""},
		{"Ref partition", `{"Ref":"AWS::Partition"}`, "aws", ""},
		{"Ref stack name", `{"Ref":"AWS::StackName"}`, "S", ""},
		{"Ref URL suffix", `{"Ref":"AWS::URLSuffix"}`, "amazonaws.com", ""},
		{"Ref NoValue drops list element", `["a",{"Ref":"AWS::NoValue"},"b"]`, []any{"a", "b"}, ""},
		{"Ref NoValue drops property", `{"A":"x","B":{"Ref":"AWS::NoValue"}}`, map[string]any{"A": "x"}, ""},
		{"Ref parameter default", `{"Ref":"Env"}`, "dev", ""},
		{"Ref list parameter", `{"Ref":"Names"}`, []any{"a", "b", "c"}, ""},
		{"Ref parameter without default", `{"Ref":"NoDefault"}`, nil, "Resolver.Refs"},
		{"Ref override", `{"Ref":"Bucket"}`, "my-bucket", ""},
		{"Ref unknown", `{"Ref":"Nope"}`, nil, "no such resource"},
		{"Ref user pool fake", `{"Ref":"Pool"}`, nil, ""},
		{"Ref function name", `{"Ref":"Fn"}`, "my-fn", ""},
		{"Ref function logical id", `{"Ref":"Fn2"}`, "Fn2", ""},
		{"GetAtt function Arn", `{"Fn::GetAtt":["Fn","Arn"]}`, "arn:aws:lambda:eu-west-1:111122223333:function:my-fn", ""},
		{"GetAtt dotted string form", `{"Fn::GetAtt":"Fn2.Arn"}`, "arn:aws:lambda:eu-west-1:111122223333:function:Fn2", ""},
		{"GetAtt override", `{"Fn::GetAtt":["Bucket","Arn"]}`, "arn:aws:s3:::my-bucket", ""},
		{"GetAtt TG name", `{"Fn::GetAtt":["TG","TargetGroupName"]}`, "tg-name", ""},
		{"GetAtt user pool provider URL", `{"Fn::GetAtt":["Pool","ProviderURL"]}`, nil, ""},
		{"GetAtt unsupported", `{"Fn::GetAtt":["Bucket","DomainName"]}`, nil, `Resolver.Attrs["Bucket.DomainName"]`},
		{"Join", `{"Fn::Join":["-",["a",{"Ref":"Env"},"c"]]}`, "a-dev-c", ""},
		{"Join nested list intrinsic", `{"Fn::Join":[",",{"Fn::Split":["|","x|y"]}]}`, "x,y", ""},
		{"Join bad delimiter", `{"Fn::Join":[1,["a"]]}`, nil, "delimiter"},
		{"Sub string", `{"Fn::Sub":"${AWS::Region}/${Env}/${Fn.Arn}/${!Literal}"}`,
			"eu-west-1/dev/arn:aws:lambda:eu-west-1:111122223333:function:my-fn/${Literal}", ""},
		{"Sub list", `{"Fn::Sub":["${X}-${AWS::AccountId}",{"X":{"Ref":"Env"}}]}`, "dev-111122223333", ""},
		{"Sub unterminated", `{"Fn::Sub":"${Env"}`, nil, "unterminated"},
		{"Select", `{"Fn::Select":["1",["a","b"]]}`, "b", ""},
		{"Select number index", `{"Fn::Select":[0,{"Fn::GetAZs":""}]}`, "eu-west-1a", ""},
		{"Select out of range", `{"Fn::Select":[5,["a"]]}`, nil, "out of range"},
		{"Split", `{"Fn::Split":[",","a,b"]}`, []any{"a", "b"}, ""},
		{"GetAZs region", `{"Fn::GetAZs":{"Ref":"AWS::Region"}}`, []any{"eu-west-1a", "eu-west-1b", "eu-west-1c"}, ""},
		{"If true", `{"Fn::If":["IsDev","yes","no"]}`, "yes", ""},
		{"If not", `{"Fn::If":["IsProd","yes","no"]}`, "no", ""},
		{"If and", `{"Fn::If":["Both","yes","no"]}`, "yes", ""},
		{"If or", `{"Fn::If":["Either","yes","no"]}`, "yes", ""},
		{"If NoValue", `["a",{"Fn::If":["IsProd","b",{"Ref":"AWS::NoValue"}]}]`, []any{"a"}, ""},
		{"If undefined condition", `{"Fn::If":["Nope","a","b"]}`, nil, "not defined"},
		{"If cyclic condition", `{"Fn::If":["Loop","a","b"]}`, nil, "itself"},
		{"FindInMap", `{"Fn::FindInMap":["RegionMap","us-east-1","Zone"]}`, "Z1", ""},
		{"Base64", `{"Fn::Base64":"hi"}`, "aGk=", ""},
		{"unsupported intrinsic", `{"Fn::ImportValue":"x"}`, nil, "unsupported intrinsic function Fn::ImportValue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var expr any
			if err := decodeJSON([]byte(tt.expr), &expr); err != nil {
				t.Fatal(err)
			}
			got, err := newRV().resolve(expr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("resolve: %v", err)
			}
			if tt.want == nil {
				if s, ok := got.(string); !ok || s == "" {
					t.Fatalf("got %#v, want a non-empty fake value", got)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
		})
	}
	// Fake values are deterministic and shaped like the real thing.
	pool, _ := newRV().resolve(map[string]any{"Ref": "Pool"})
	pool2, _ := newRV().resolve(map[string]any{"Ref": "Pool"})
	if pool != pool2 || !strings.HasPrefix(pool.(string), "eu-west-1_") {
		t.Errorf("user pool fake id %v / %v", pool, pool2)
	}
}

func TestPartitionDefaults(t *testing.T) {
	tests := []struct{ region, partition, suffix string }{
		{"us-east-1", "aws", "amazonaws.com"},
		{"cn-north-1", "aws-cn", "amazonaws.com.cn"},
		{"us-gov-west-1", "aws-us-gov", "amazonaws.com"},
	}
	for _, tt := range tests {
		r := Resolver{Region: tt.region}.withDefaults()
		if r.Partition != tt.partition || r.urlSuffix() != tt.suffix {
			t.Errorf("%s: partition %s suffix %s", tt.region, r.Partition, r.urlSuffix())
		}
	}
}

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

func TestParseErrors(t *testing.T) {
	for _, in := range []string{``, `[]`, `{"Resources":`, `{} {}`, `{"Transform":"AWS::Serverless-2016-10-31","Resources":{}}`} {
		if _, err := LoadTemplate([]byte(in), Resolver{}); err == nil {
			t.Errorf("LoadTemplate(%q) succeeded", in)
		}
	}
}

func TestConditionalResourceIsSkipped(t *testing.T) {
	tplJSON := tpl(t, map[string]string{
		"R": strings.Replace(rule("1", `[{"Field":"path-pattern","Values":["/a"]}]`, `[{"Type":"teleport"}]`, ""),
			`"Type":"AWS::ElasticLoadBalancingV2::ListenerRule"`, `"Type":"AWS::ElasticLoadBalancingV2::ListenerRule","Condition":"Never"`, 1),
	})
	var m map[string]any
	if err := json.Unmarshal(tplJSON, &m); err != nil {
		t.Fatal(err)
	}
	m["Conditions"] = map[string]any{"Never": map[string]any{"Fn::Equals": []any{"a", "b"}}}
	b, _ := json.Marshal(m)
	model, err := LoadTemplate(b, Resolver{})
	if err != nil {
		t.Fatalf("a resource whose condition is false must not be loaded: %v", err)
	}
	if len(model.Listeners[0].Rules) != 0 {
		t.Fatal("conditional rule was loaded")
	}
}
