package stacks

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
)

// Shared fixtures: each distinct stack is synthesized once per test binary.
func defaultStack(t *testing.T) *synthesized {
	data, err := os.ReadFile(filepath.Join("..", "tenants.json"))
	if err != nil {
		t.Fatal(err)
	}
	return synth(t, "default", mustConfig(t, map[string]any{}, data))
}

func maxStack(t *testing.T) *synthesized {
	n := maxTenants(CertificateImported)
	return synth(t, "max", mustConfig(t, map[string]any{
		CtxAllowedCidrs: []any{"198.51.100.0/24", "203.0.113.0/24"}, CtxLogRetentionDays: 7.0, CtxUserPoolRemovalPolicy: "destroy",
	}, tenantsJSON(generatedTenants(n)...)))
}

func oneTenantStack(t *testing.T) *synthesized {
	return synth(t, "one", mustConfig(t, map[string]any{}, tenantsJSON(Tenant{ID: "solo", Priority: 1})))
}

func domainStack(t *testing.T) *synthesized {
	return synth(t, "domain", mustConfig(t, map[string]any{
		CtxDomainName: "api.example.com", CtxHostedZoneID: "Z0123456789ABC", CtxHostedZoneName: "example.com",
	}, tenantsJSON(Tenant{ID: "tenant-A", Priority: 10}, Tenant{ID: "tenant-B", Priority: 20})))
}

// stacksUnderTest is the default two-tenant stack and the generated maximum.
func stacksUnderTest(t *testing.T) map[string]*synthesized {
	return map[string]*synthesized{"default": defaultStack(t), "max": maxStack(t)}
}

func TestNagAwsSolutionsClean(t *testing.T) {
	for _, name := range []string{"default", "max", "domain"} {
		t.Run(name, func(t *testing.T) {
			var s *synthesized
			switch name {
			case "default":
				s = defaultStack(t)
			case "max":
				s = maxStack(t)
			default:
				s = domainStack(t)
			}
			guard(t, "nag annotations", func() {
				ann := assertions.Annotations_FromStack(s.stack.Stack)
				rule := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
				for kind, msgs := range map[string]*[]*cxapi.SynthesisMessage{
					"error":   ann.FindError(jsii.String("*"), rule),
					"warning": ann.FindWarning(jsii.String("*"), rule),
				} {
					for _, m := range *msgs {
						t.Errorf("unsuppressed cdk-nag %s at %s: %v", kind, *m.Id, m.Entry.Data)
					}
				}
			})
		})
	}
}

// TestNagCatchesAViolation is the positive control for TestNagAwsSolutionsClean:
// ApplyNag on a stack with a known violation (an S3 bucket without SSL
// enforcement or access logs) must report AwsSolutions errors, so "no
// findings" above means clean, not "nag never ran".
func TestNagCatchesAViolation(t *testing.T) {
	guard(t, "nag positive control", func() {
		app := awscdk.NewApp(nil)
		st := awscdk.NewStack(app, jsii.String("Violating"), nil)
		awss3.NewBucket(st, jsii.String("Bucket"), nil)
		ApplyNag(app)
		errs := assertions.Annotations_FromStack(st).FindError(jsii.String("*"),
			assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-S(1|10).*")))
		if len(*errs) == 0 {
			t.Fatal("ApplyNag reported nothing for a bucket without SSL enforcement and access logs")
		}
	})
}

func TestIdentity(t *testing.T) {
	for name, s := range stacksUnderTest(t) {
		t.Run(name, func(t *testing.T) {
			wantDeletion := "Retain"
			if s.cfg.UserPoolRemovalPolicy == RemovalDestroy {
				wantDeletion = "Delete"
			}
			guard(t, "user pool", func() {
				s.template.HasResource(jsii.String("AWS::Cognito::UserPool"), map[string]any{
					"DeletionPolicy":      wantDeletion,
					"UpdateReplacePolicy": wantDeletion,
					"Properties": map[string]any{
						"AdminCreateUserConfig": map[string]any{"AllowAdminCreateUserOnly": true},
						"UsernameAttributes":    assertions.Match_Absent(),
						"AliasAttributes":       assertions.Match_Absent(),
						"Schema": assertions.Match_ArrayWith(&[]any{map[string]any{
							"Name": "email", "Mutable": true, "Required": false,
						}}),
						"Policies": map[string]any{"PasswordPolicy": map[string]any{
							"MinimumLength": 12, "RequireLowercase": true, "RequireUppercase": true,
							"RequireNumbers": true, "RequireSymbols": true,
						}},
					},
				})
			})
			guard(t, "app client", func() {
				s.template.HasResourceProperties(jsii.String("AWS::Cognito::UserPoolClient"), map[string]any{
					"GenerateSecret":                  false,
					"ExplicitAuthFlows":               []any{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
					"AccessTokenValidity":             60,
					"TokenValidityUnits":              assertions.Match_ObjectLike(&map[string]any{"AccessToken": "minutes"}),
					"PreventUserExistenceErrors":      "ENABLED",
					"AllowedOAuthFlowsUserPoolClient": false,
				})
			})
			s.only(t, "AWS::Cognito::UserPool")
			s.only(t, "AWS::Cognito::UserPoolClient")
			poolID, _ := s.only(t, "AWS::Cognito::UserPool")
			groups := map[string]bool{}
			for _, g := range s.resources("AWS::Cognito::UserPoolGroup") {
				p := props(g)
				if asJSON(p["UserPoolId"]) != asJSON(ref(poolID)) {
					t.Errorf("group %v is not in the pool", p["GroupName"])
				}
				groups[p["GroupName"].(string)] = true
			}
			for _, tn := range s.cfg.Tenants {
				if !groups[tn.ID] {
					t.Errorf("no Cognito group named %q", tn.ID)
				}
			}
			if len(groups) != len(s.cfg.Tenants) {
				t.Errorf("%d groups for %d tenants", len(groups), len(s.cfg.Tenants))
			}
		})
	}
}

func TestNetwork(t *testing.T) {
	for name, s := range stacksUnderTest(t) {
		t.Run(name, func(t *testing.T) {
			guard(t, "resource counts", func() {
				s.template.ResourceCountIs(jsii.String("AWS::EC2::VPC"), jsii.Number(1))
				s.template.ResourceCountIs(jsii.String("AWS::EC2::Subnet"), jsii.Number(2))
				s.template.ResourceCountIs(jsii.String("AWS::EC2::NatGateway"), jsii.Number(0))
				s.template.ResourceCountIs(jsii.String("AWS::EC2::EIP"), jsii.Number(0))
				s.template.ResourceCountIs(jsii.String("AWS::EC2::FlowLog"), jsii.Number(1))
				s.template.ResourceCountIs(jsii.String("Custom::VpcRestrictDefaultSG"), jsii.Number(0))
			})
			for id, sub := range s.resources("AWS::EC2::Subnet") {
				if props(sub)["MapPublicIpOnLaunch"] != true {
					t.Errorf("subnet %s is not public", id)
				}
			}
			_, fl := s.only(t, "AWS::EC2::FlowLog")
			if p := props(fl); p["LogDestinationType"] != "s3" || p["TrafficType"] != "ALL" {
				t.Errorf("flow log = %s", asJSON(p))
			}
			_, lb := s.only(t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
			if p := props(lb); p["Scheme"] != "internet-facing" || p["Type"] != "application" || p["IpAddressType"] != "ipv4" {
				t.Errorf("load balancer = %s", asJSON(p))
			}
		})
	}
}

// TestSecurityGroupOpensOnlyHTTPSAndHTTP: nothing but TCP 443/80 from the
// allowed CIDRs in, and TCP 443 out, in any security group or rule resource.
func TestSecurityGroupOpensOnlyHTTPSAndHTTP(t *testing.T) {
	for name, s := range stacksUnderTest(t) {
		t.Run(name, func(t *testing.T) {
			if n := len(s.resources("AWS::EC2::SecurityGroupIngress")) + len(s.resources("AWS::EC2::SecurityGroupEgress")); n != 0 {
				t.Errorf("%d standalone security group rule resources; want all rules inline and checked here", n)
			}
			_, sg := s.only(t, "AWS::EC2::SecurityGroup")
			p := props(sg)
			ingress, _ := p["SecurityGroupIngress"].([]any)
			got := map[string]bool{}
			for _, r := range ingress {
				rule := r.(map[string]any)
				port, _ := rule["FromPort"].(float64)
				if rule["IpProtocol"] != "tcp" || rule["FromPort"] != rule["ToPort"] || (port != 443 && port != 80) {
					t.Errorf("ingress rule opens more than TCP 443/80: %s", asJSON(rule))
				}
				if rule["CidrIpv6"] != nil || rule["SourceSecurityGroupId"] != nil || rule["SourcePrefixListId"] != nil {
					t.Errorf("ingress rule from an unexpected source: %s", asJSON(rule))
				}
				got[asJSON([]any{rule["CidrIp"], port})] = true
			}
			for _, cidr := range s.cfg.AllowedCIDRs {
				for _, port := range []float64{443, 80} {
					if !got[asJSON([]any{cidr, port})] {
						t.Errorf("missing ingress TCP %v from %s", port, cidr)
					}
				}
			}
			if len(ingress) != 2*len(s.cfg.AllowedCIDRs) {
				t.Errorf("%d ingress rules, want %d", len(ingress), 2*len(s.cfg.AllowedCIDRs))
			}
			egress, _ := p["SecurityGroupEgress"].([]any)
			if len(egress) != 1 {
				t.Fatalf("egress = %s, want exactly one rule", asJSON(egress))
			}
			e := egress[0].(map[string]any)
			if e["IpProtocol"] != "tcp" || e["FromPort"] != 443.0 || e["ToPort"] != 443.0 || e["CidrIp"] != "0.0.0.0/0" {
				t.Errorf("egress = %s, want TCP 443 to 0.0.0.0/0 only", asJSON(e))
			}
		})
	}
}

func TestListenersAndLogs(t *testing.T) {
	s := defaultStack(t)
	lbID, lb := s.only(t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
	bucketID, _ := s.only(t, "AWS::S3::Bucket")
	attrs := map[string]string{}
	for _, a := range props(lb)["LoadBalancerAttributes"].([]any) {
		kv := a.(map[string]any)
		attrs[kv["Key"].(string)] = asJSON(kv["Value"])
	}
	for k, want := range map[string]string{
		"routing.http.drop_invalid_header_fields.enabled": `"true"`,
		"access_logs.s3.enabled":                          `"true"`,
		"access_logs.s3.bucket":                           asJSON(ref(bucketID)),
		"access_logs.s3.prefix":                           `"` + accessLogPrefix + `"`,
	} {
		if attrs[k] != want {
			t.Errorf("ALB attribute %s = %s, want %s", k, attrs[k], want)
		}
	}
	guard(t, "log bucket", func() {
		s.template.HasResource(jsii.String("AWS::S3::Bucket"), map[string]any{
			"DeletionPolicy": "Retain",
			"Properties": map[string]any{
				"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{
					map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}},
				}},
				"PublicAccessBlockConfiguration": map[string]any{
					"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
				},
				"LifecycleConfiguration": map[string]any{"Rules": assertions.Match_ArrayWith(&[]any{
					assertions.Match_ObjectLike(&map[string]any{"ExpirationInDays": 30, "Status": "Enabled"}),
				})},
			},
		})
		s.template.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), map[string]any{
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
				assertions.Match_ObjectLike(&map[string]any{
					"Effect": "Deny", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
				}),
				assertions.Match_ObjectLike(&map[string]any{
					"Sid": "AlbAccessLogDelivery", "Action": "s3:PutObject",
					"Principal": assertions.Match_ObjectLike(&map[string]any{"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}),
				}),
			})},
		})
	})
	policyID, _ := s.only(t, "AWS::S3::BucketPolicy")
	if !contains(dependsOn(lb), policyID) {
		t.Errorf("ALB %s does not depend on the bucket policy (ELB checks it when access logs are enabled)", lbID)
	}

	listeners := s.resources("AWS::ElasticLoadBalancingV2::Listener")
	if len(listeners) != 2 {
		t.Fatalf("%d listeners, want 2", len(listeners))
	}
	var sawHTTPS, sawHTTP bool
	for id, l := range listeners {
		p := props(l)
		if asJSON(p["LoadBalancerArn"]) != asJSON(ref(lbID)) {
			t.Errorf("listener %s not on the ALB", id)
		}
		switch p["Port"] {
		case 443.0:
			sawHTTPS = true
			want := map[string]any{
				"Protocol":     "HTTPS",
				"SslPolicy":    SslPolicyName,
				"Certificates": []any{map[string]any{"CertificateArn": testCertArn}},
				"DefaultActions": []any{map[string]any{"Type": "fixed-response", "FixedResponseConfig": map[string]any{
					"StatusCode": "404", "ContentType": "text/plain", "MessageBody": "Not Found",
				}}},
			}
			for k, v := range want {
				if asJSON(p[k]) != asJSON(v) {
					t.Errorf("HTTPS listener %s = %s, want %s", k, asJSON(p[k]), asJSON(v))
				}
			}
		case 80.0:
			sawHTTP = true
			want := []any{map[string]any{"Type": "redirect", "RedirectConfig": map[string]any{
				"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301",
			}}}
			if p["Protocol"] != "HTTP" || asJSON(p["DefaultActions"]) != asJSON(want) {
				t.Errorf("HTTP listener = %s", asJSON(p))
			}
		default:
			t.Errorf("unexpected listener port %v", p["Port"])
		}
	}
	if !sawHTTPS || !sawHTTP {
		t.Errorf("want listeners on 443 and 80")
	}
}

func TestTenantBackends(t *testing.T) {
	for name, s := range stacksUnderTest(t) {
		t.Run(name, func(t *testing.T) {
			n := len(s.cfg.Tenants)
			guard(t, "counts", func() {
				for _, typ := range []string{"AWS::Lambda::Function", "AWS::Lambda::Permission", "AWS::Logs::LogGroup",
					"AWS::ElasticLoadBalancingV2::TargetGroup", "AWS::ElasticLoadBalancingV2::ListenerRule", "AWS::IAM::Role"} {
					s.template.ResourceCountIs(jsii.String(typ), jsii.Number(float64(n)))
				}
				s.template.ResourceCountIs(jsii.String("AWS::IAM::Policy"), jsii.Number(0))
				s.template.AllResourcesProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
					"Runtime": "provided.al2023", "Architectures": []any{"arm64"}, "Handler": "bootstrap",
					"LoggingConfig": assertions.Match_ObjectLike(&map[string]any{"LogFormat": "JSON"}),
				})
				s.template.AllResourcesProperties(jsii.String("AWS::Logs::LogGroup"), map[string]any{
					"RetentionInDays": s.cfg.LogRetentionDays,
				})
			})
			functions := s.resources("AWS::Lambda::Function")
			logGroups := s.resources("AWS::Logs::LogGroup")
			for id, lg := range logGroups {
				// An offboarded tenant's logs outlive its removal (until retention expires).
				if lg["DeletionPolicy"] != "Retain" || lg["UpdateReplacePolicy"] != "Retain" {
					t.Errorf("log group %s: DeletionPolicy %v, UpdateReplacePolicy %v, want Retain", id, lg["DeletionPolicy"], lg["UpdateReplacePolicy"])
				}
			}
			roles := s.resources("AWS::IAM::Role")
			poolID, _ := s.only(t, "AWS::Cognito::UserPool")
			clientID, _ := s.only(t, "AWS::Cognito::UserPoolClient")
			issuer := map[string]any{"Fn::Join": []any{"", []any{"https://cognito-idp.", ref("AWS::Region"), ".amazonaws.com/", ref(poolID)}}}
			tenantOf := map[string]string{} // function logical id -> tenant id
			for id, fn := range functions {
				p := props(fn)
				env := p["Environment"].(map[string]any)["Variables"].(map[string]any)
				tid, _ := env["TENANT_ID"].(string)
				tenantOf[id] = tid
				// The handler's own check (lambda/handler.go) needs the issuer and client.
				if asJSON(env["TOKEN_ISSUER"]) != asJSON(issuer) || asJSON(env["APP_CLIENT_ID"]) != asJSON(ref(clientID)) {
					t.Errorf("function %s env TOKEN_ISSUER %s APP_CLIENT_ID %s, want %s and %s",
						id, asJSON(env["TOKEN_ISSUER"]), asJSON(env["APP_CLIENT_ID"]), asJSON(issuer), asJSON(ref(clientID)))
				}
				if len(env) != 3 {
					t.Errorf("function %s env = %s, want exactly TENANT_ID, TOKEN_ISSUER, APP_CLIENT_ID", id, asJSON(env))
				}
				lg := p["LoggingConfig"].(map[string]any)["LogGroup"].(map[string]any)["Ref"].(string)
				if _, ok := logGroups[lg]; !ok {
					t.Errorf("function %s logs to %s, not one of our log groups", id, lg)
				}
				roleID := p["Role"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
				role, ok := roles[roleID]
				if !ok {
					t.Fatalf("function %s role %s not found", id, roleID)
				}
				rp := props(role)
				if rp["ManagedPolicyArns"] != nil {
					t.Errorf("role of %s has managed policies %s", tid, asJSON(rp["ManagedPolicyArns"]))
				}
				wantPolicy := []any{map[string]any{"PolicyName": "WriteOwnLogGroup", "PolicyDocument": map[string]any{
					"Version": "2012-10-17",
					"Statement": []any{map[string]any{
						"Action": []any{"logs:CreateLogStream", "logs:PutLogEvents"}, "Effect": "Allow",
						"Resource": getAtt(lg, "Arn"),
					}},
				}}}
				if asJSON(rp["Policies"]) != asJSON(wantPolicy) {
					t.Errorf("role of %s policies = %s, want write access to its own log group only", tid, asJSON(rp["Policies"]))
				}
			}
			for _, tn := range s.cfg.Tenants {
				found := false
				for _, tid := range tenantOf {
					found = found || tid == tn.ID
				}
				if !found {
					t.Errorf("no function with TENANT_ID=%s", tn.ID)
				}
			}

			// Target groups: lambda type, explicit unique name, the function as target, DependsOn its permission.
			perms := s.resources("AWS::Lambda::Permission")
			names := map[string]bool{}
			for id, tg := range s.resources("AWS::ElasticLoadBalancingV2::TargetGroup") {
				p := props(tg)
				name, _ := p["Name"].(string)
				if p["TargetType"] != "lambda" || len(name) > 32 || !regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$`).MatchString(name) || names[name] {
					t.Errorf("target group %s: type %v name %q", id, p["TargetType"], name)
				}
				names[name] = true
				targets, _ := p["Targets"].([]any)
				if len(targets) != 1 {
					t.Fatalf("target group %s targets = %s", id, asJSON(p["Targets"]))
				}
				fnID := targets[0].(map[string]any)["Id"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
				if _, ok := functions[fnID]; !ok {
					t.Errorf("target group %s targets %s, not a function", id, fnID)
				}
				var permID string
				for _, d := range dependsOn(tg) {
					if perm, ok := perms[d]; ok && asJSON(props(perm)["FunctionName"]) == asJSON(getAtt(fnID, "Arn")) {
						permID = d
					}
				}
				if permID == "" {
					t.Errorf("target group %s does not DependsOn the invoke permission of %s", id, fnID)
					continue
				}
				pp := props(perms[permID])
				wantArn := map[string]any{"Fn::Sub": "arn:${AWS::Partition}:elasticloadbalancing:${AWS::Region}:${AWS::AccountId}:targetgroup/" + name + "/*"}
				if pp["Principal"] != elbServicePrincipal || pp["Action"] != "lambda:InvokeFunction" || asJSON(pp["SourceArn"]) != asJSON(wantArn) {
					t.Errorf("permission %s = %s, want SourceArn %s", permID, asJSON(pp), asJSON(wantArn))
				}
				if tgn := TargetGroupName(s.cfg.StackName, tenantOf[fnID]); tgn != name {
					t.Errorf("target group of %s is named %q, want %q", tenantOf[fnID], name, tgn)
				}
			}
			for id, perm := range perms {
				if props(perm)["SourceArn"] == nil {
					t.Errorf("permission %s has no SourceArn", id)
				}
			}
		})
	}
}

// TestListenerRulesMatchConfig: one L1 rule per tenant with the priority,
// path patterns, action order, claims and rewrite derived from the config.
func TestListenerRulesMatchConfig(t *testing.T) {
	for name, s := range stacksUnderTest(t) {
		t.Run(name, func(t *testing.T) {
			poolID, _ := s.only(t, "AWS::Cognito::UserPool")
			clientID, _ := s.only(t, "AWS::Cognito::UserPoolClient")
			var httpsID string
			for id, l := range s.resources("AWS::ElasticLoadBalancingV2::Listener") {
				if props(l)["Port"] == 443.0 {
					httpsID = id
				}
			}
			issuer := map[string]any{"Fn::Join": []any{"", []any{"https://cognito-idp.", ref("AWS::Region"), ".amazonaws.com/", ref(poolID)}}}
			jwks := map[string]any{"Fn::Join": []any{"", []any{"https://cognito-idp.", ref("AWS::Region"), ".amazonaws.com/", ref(poolID), "/.well-known/jwks.json"}}}
			rulesByPriority := map[float64]map[string]any{}
			for _, r := range s.resources("AWS::ElasticLoadBalancingV2::ListenerRule") {
				rulesByPriority[props(r)["Priority"].(float64)] = props(r)
			}
			tgOfTenant := map[string]string{}
			for id, tg := range s.resources("AWS::ElasticLoadBalancingV2::TargetGroup") {
				for _, tn := range s.cfg.Tenants {
					if props(tg)["Name"] == TargetGroupName(s.cfg.StackName, tn.ID) {
						tgOfTenant[tn.ID] = id
					}
				}
			}
			for _, tn := range s.cfg.Tenants {
				p, ok := rulesByPriority[float64(tn.Priority)]
				if !ok {
					t.Errorf("no rule with priority %d for %s", tn.Priority, tn.ID)
					continue
				}
				want := map[string]any{
					"ListenerArn": ref(httpsID),
					"Priority":    tn.Priority,
					"Conditions": []any{map[string]any{"Field": "path-pattern", "PathPatternConfig": map[string]any{
						"Values": []any{"/" + tn.ID + "/*", "/" + tn.ID},
					}}},
					"Actions": []any{
						map[string]any{"Type": "jwt-validation", "Order": 1, "JwtValidationConfig": map[string]any{
							"Issuer": issuer, "JwksEndpoint": jwks,
							"AdditionalClaims": []any{
								map[string]any{"Format": "string-array", "Name": "cognito:groups", "Values": []any{tn.ID}},
								map[string]any{"Format": "single-string", "Name": "token_use", "Values": []any{"access"}},
								map[string]any{"Format": "single-string", "Name": "client_id", "Values": []any{ref(clientID)}},
							},
						}},
						map[string]any{"Type": "forward", "Order": 2, "TargetGroupArn": ref(tgOfTenant[tn.ID])},
					},
					"Transforms": []any{map[string]any{"Type": "url-rewrite", "UrlRewriteConfig": map[string]any{
						"Rewrites": []any{map[string]any{"Regex": "^/" + tn.ID + "/?(.*)$", "Replace": "/$1"}},
					}}},
				}
				if asJSON(p) != asJSON(want) {
					t.Errorf("rule of %s =\n%s\nwant\n%s", tn.ID, asJSON(p), asJSON(want))
				}
			}
			if len(rulesByPriority) != len(s.cfg.Tenants) {
				t.Errorf("%d rules for %d tenants", len(rulesByPriority), len(s.cfg.Tenants))
			}
		})
	}
	// One rule checked through the CDK assertions API as well.
	s := defaultStack(t)
	guard(t, "rule via assertions", func() {
		s.template.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::ListenerRule"), map[string]any{
			"Priority":   10,
			"Transforms": []any{map[string]any{"Type": "url-rewrite", "UrlRewriteConfig": map[string]any{"Rewrites": []any{map[string]any{"Regex": "^/tenant-A/?(.*)$", "Replace": "/$1"}}}}},
		})
	})
}

// TestRewriteRegexSemantics runs the rule's regex with RE2 (what the ALB
// supports) on the paths the issue lists. The path-pattern condition, not the
// regex, decides which tenant matches (/tenant-AB never reaches tenant-A).
func TestRewriteRegexSemantics(t *testing.T) {
	re := regexp.MustCompile(Tenant{ID: "tenant-A"}.RewriteRegex())
	for in, want := range map[string]string{
		"/tenant-A":              "/",
		"/tenant-A/":             "/",
		"/tenant-A/orders/7?x=1": "/orders/7?x=1",
		"/tenant-A/a/b/":         "/a/b/",
		"/tenant-A?x=1":          "/?x=1",
	} {
		if got := re.ReplaceAllString(in, "/${1}"); got != want {
			t.Errorf("rewrite(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOutputs(t *testing.T) {
	for name, s := range stacksUnderTest(t) {
		t.Run(name, func(t *testing.T) {
			outputs := s.tpl["Outputs"].(map[string]any)
			want := []string{OutAlbDnsName, OutBaseURL, OutUserPoolID, OutUserPoolClientID, OutIssuer, OutJwksEndpoint, OutRegion, OutTenantIDs}
			for _, tn := range s.cfg.Tenants {
				want = append(want, tn.OutputKey())
			}
			for _, k := range want {
				if _, ok := outputs[k]; !ok {
					t.Errorf("missing output %q", k)
				}
			}
			if len(outputs) != len(want) {
				t.Errorf("outputs = %v, want exactly %v", sortedKeys(outputs), want)
			}
			if got := outputs[OutTenantIDs].(map[string]any)["Value"]; got != strings.Join(s.cfg.TenantIDs(), ",") {
				t.Errorf("TenantIds = %v", got)
			}
			if got := asJSON(outputs[OutRegion].(map[string]any)["Value"]); got != asJSON(ref("AWS::Region")) {
				t.Errorf("Region = %s", got)
			}
			lbID, _ := s.only(t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
			base := map[string]any{"Fn::Join": []any{"", []any{"https://", getAtt(lbID, "DNSName")}}}
			if got := asJSON(outputs[OutBaseURL].(map[string]any)["Value"]); got != asJSON(base) {
				t.Errorf("BaseUrl = %s", got)
			}
			first := s.cfg.Tenants[0]
			tu := map[string]any{"Fn::Join": []any{"", []any{"https://", getAtt(lbID, "DNSName"), "/" + first.ID + "/"}}}
			if got := asJSON(outputs[first.OutputKey()].(map[string]any)["Value"]); got != asJSON(tu) {
				t.Errorf("%s = %s, want %s", first.OutputKey(), got, asJSON(tu))
			}
		})
	}
	guard(t, "outputs via assertions", func() {
		defaultStack(t).template.HasOutput(jsii.String("TenantUrlTenantA"), map[string]any{})
	})
}

func TestDomainCertificate(t *testing.T) {
	s := domainStack(t)
	lbID, _ := s.only(t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
	certID, _ := s.only(t, "AWS::CertificateManager::Certificate")
	guard(t, "certificate and record", func() {
		s.template.HasResourceProperties(jsii.String("AWS::CertificateManager::Certificate"), map[string]any{
			"DomainName":              "api.example.com",
			"ValidationMethod":        "DNS",
			"DomainValidationOptions": []any{map[string]any{"DomainName": "api.example.com", "HostedZoneId": "Z0123456789ABC"}},
		})
		s.template.HasResourceProperties(jsii.String("AWS::Route53::RecordSet"), map[string]any{
			"Name": "api.example.com.", "Type": "A", "HostedZoneId": "Z0123456789ABC",
			"AliasTarget": assertions.Match_ObjectLike(&map[string]any{
				"DNSName": assertions.Match_AnyValue(),
			}),
		})
		s.template.ResourceCountIs(jsii.String("AWS::Route53::RecordSet"), jsii.Number(1))
		s.template.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::Listener"), map[string]any{
			"Port": 443, "Certificates": []any{map[string]any{"CertificateArn": ref(certID)}},
		})
	})
	_ = lbID
	outputs := s.tpl["Outputs"].(map[string]any)
	if got := outputs[OutBaseURL].(map[string]any)["Value"]; got != "https://api.example.com" {
		t.Errorf("BaseUrl = %v", got)
	}
	if got := asJSON(outputs["TenantUrlTenantA"].(map[string]any)["Value"]); !strings.Contains(got, "https://api.example.com") {
		t.Errorf("TenantUrlTenantA = %s", got)
	}
}

// TestResourceCountConstantsMatchTemplate proves baseResourceCount,
// resourcesPerTenant and domainCertificateResources against real templates
// with 1 and 2 tenants (N, N+1), the generated maximum and the domain mode.
func TestResourceCountConstantsMatchTemplate(t *testing.T) {
	one, two := oneTenantStack(t).resourceCount(), defaultStack(t).resourceCount()
	if per := two - one; per != resourcesPerTenant {
		t.Errorf("one more tenant adds %d resources, resourcesPerTenant = %d", per, resourcesPerTenant)
	}
	if base := one - (two - one); base != baseResourceCount {
		t.Errorf("stack without tenants has %d resources, baseResourceCount = %d", base, baseResourceCount)
	}
	mx := maxStack(t)
	if got, want := mx.resourceCount(), mx.cfg.ResourceCount(); got != want || got > MaxResourcesPerStack {
		t.Errorf("max stack (%d tenants) has %d resources, predicted %d, limit %d", len(mx.cfg.Tenants), got, want, MaxResourcesPerStack)
	}
	if got := len(mx.tpl["Outputs"].(map[string]any)); got > MaxOutputsPerStack {
		t.Errorf("max stack has %d outputs, limit %d", got, MaxOutputsPerStack)
	}
	dom := domainStack(t)
	if got, want := dom.resourceCount(), dom.cfg.ResourceCount(); got != want {
		t.Errorf("domain stack has %d resources, predicted %d", got, want)
	}
	// The maximum is really the maximum: one more tenant is rejected by config.
	_, err := ParseConfig(ctxMap(map[string]any{CtxCertificateArn: testCertArn}), "tenants.json",
		tenantsJSON(generatedTenants(len(mx.cfg.Tenants)+1)...))
	if err == nil || !strings.Contains(err.Error(), "the maximum is") {
		t.Errorf("max+1 tenants accepted or wrong error: %v", err)
	}
}

func TestTargetGroupName(t *testing.T) {
	seen := map[string]string{}
	for _, stack := range []string{"TenantRouting", "Other"} {
		for _, id := range []string{"tenant-A", "tenant-B", strings.Repeat("x", 125), "a"} {
			n := TargetGroupName(stack, id)
			if len(n) > 32 || !regexp.MustCompile(`^tg-[a-z0-9]+-[0-9a-f]{10}$`).MatchString(n) {
				t.Errorf("TargetGroupName(%q, %q) = %q", stack, id, n)
			}
			if n != TargetGroupName(stack, id) {
				t.Errorf("not deterministic")
			}
			if prev, dup := seen[n]; dup {
				t.Errorf("%q collides for %s and %s/%s", n, prev, stack, id)
			}
			seen[n] = stack + "/" + id
		}
	}
}

func TestNewTenantRoutingStackErrors(t *testing.T) {
	data, _ := os.ReadFile(filepath.Join("..", "tenants.json"))
	good := mustConfig(t, map[string]any{}, data)
	emptyDir := t.TempDir()
	tests := []struct {
		name  string
		props TenantRoutingStackProps
		want  string
	}{
		{"unvalidated config", TenantRoutingStackProps{HandlerAssetDir: handlerAssetDir}, "not a validated Config"},
		{"no asset dir", TenantRoutingStackProps{Config: good}, "HandlerAssetDir is required"},
		{"no bootstrap", TenantRoutingStackProps{Config: good, HandlerAssetDir: emptyDir}, "bootstrap"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			guard(t, "construct", func() {
				app := awscdk.NewApp(nil)
				_, err = NewTenantRoutingStack(app, tc.props)
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// TestNoCDKMetadataResource: even in an app that asks for analytics
// reporting (as the CDK CLI does), the stack adds no AWS::CDK::Metadata
// resource, so the resource count MaxTenants relies on is the deployed one.
func TestNoCDKMetadataResource(t *testing.T) {
	cfg := defaultStack(t).cfg
	guard(t, "synthesize with analytics reporting", func() {
		app := awscdk.NewApp(&awscdk.AppProps{AnalyticsReporting: jsii.Bool(true), Context: ptrMap(cdkJSONContext(t))})
		st, err := NewTenantRoutingStack(app, TenantRoutingStackProps{Config: cfg, HandlerAssetDir: handlerAssetDir})
		if err != nil {
			t.Fatal(err)
		}
		assertions.Template_FromStack(st.Stack, nil).ResourceCountIs(jsii.String("AWS::CDK::Metadata"), jsii.Number(0))
	})
}
