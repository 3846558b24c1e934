package localalb

import (
	"crypto/tls"
	"encoding/json"
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
