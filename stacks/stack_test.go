package stacks

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"
)

// Shared fixtures: each distinct app is synthesized once per test binary.

// defaultApp is ../tenants.json with cdk.json's context: shared stack + cell 1.
func defaultApp(t *testing.T) *synthesized {
	data, err := os.ReadFile(filepath.Join("..", "tenants.json"))
	if err != nil {
		t.Fatal(err)
	}
	return synth(t, "default", mustConfig(t, map[string]any{}, data))
}

// multiCellTenants are three cells with non-default options.
func multiCellTenants() []Tenant {
	return []Tenant{
		{ID: "alpha", Priority: 10},
		{ID: "bravo", Priority: 20, ReservedConcurrency: 5, MemorySize: 256},
		{ID: "charlie", Priority: 10, Cell: "2"},
		{ID: "delta", Priority: 10, Cell: "eu-1"},
		{ID: "echo", Priority: 30, Cell: "eu-1"},
	}
}

func multiCellContext() map[string]any {
	return map[string]any{
		CtxAllowedCidrs: []any{"198.51.100.0/24", "203.0.113.0/24"}, CtxLogRetentionDays: 7.0,
		CtxUserPoolRemovalPolicy: "destroy", CtxAccessTokenValidityMinutes: 15.0,
	}
}

func multiCellApp(t *testing.T) *synthesized {
	return synth(t, "multi", mustConfig(t, multiCellContext(), tenantsJSON(multiCellTenants()...)))
}

// fullCellApp has a full cell 1 (the capacity) and one tenant in cell 2.
func fullCellApp(t *testing.T) *synthesized {
	cfg := mustConfig(t, map[string]any{}, tenantsJSON(generatedTenants(1)...))
	n := cfg.CellCapacity()
	return synth(t, "full", mustConfig(t, map[string]any{}, tenantsJSON(cellTenants(n+1, n)...)))
}

func domainApp(t *testing.T) *synthesized {
	return synth(t, "domain", mustConfig(t, map[string]any{
		CtxDomainName: "api.example.com", CtxHostedZoneID: "Z0123456789ABC", CtxHostedZoneName: "example.com",
	}, tenantsJSON(Tenant{ID: "tenant-A", Priority: 10}, Tenant{ID: "tenant-B", Priority: 10, Cell: "2"})))
}

func appsUnderTest(t *testing.T) map[string]*synthesized {
	return map[string]*synthesized{"default": defaultApp(t), "multi": multiCellApp(t)}
}

func TestNagAwsSolutionsClean(t *testing.T) {
	for name, s := range map[string]*synthesized{"default": defaultApp(t), "multi": multiCellApp(t), "domain": domainApp(t)} {
		t.Run(name, func(t *testing.T) {
			for _, f := range s.nagFindings(t) {
				t.Errorf("unsuppressed cdk-nag finding: %s", f)
			}
		})
	}
}

// TestNagCatchesAViolation is the positive control for TestNagAwsSolutionsClean:
// ApplyNag on an app with a known violation (an S3 bucket without SSL
// enforcement or access logs) in a stack and in a nested stack must report
// AwsSolutions errors on both, read the way TestNagAwsSolutionsClean reads
// them, so "no findings" above means clean, not "nag never ran" nor "nested
// stacks are not checked".
func TestNagCatchesAViolation(t *testing.T) {
	defer func() {
		if r := recover(); r != nil {
			t.Fatal(shorten(r.(error).Error(), 20))
		}
	}()
	dir := t.TempDir()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(dir)})
	st := awscdk.NewStack(app, jsii.String("Violating"), nil)
	awss3.NewBucket(st, jsii.String("Bucket"), nil)
	nested := awscdk.NewNestedStack(st, jsii.String("Nested"), nil)
	awss3.NewBucket(nested, jsii.String("NestedBucket"), nil)
	ApplyNag(app)
	errs := assertions.Annotations_FromStack(st).FindError(jsii.String("*"),
		assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-S(1|10).*")))
	if len(*errs) == 0 {
		t.Fatal("ApplyNag reported nothing for a bucket without SSL enforcement and access logs")
	}
	findings, err := assemblyNagFindings(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/Violating/Bucket/Resource: AwsSolutions-S1", "/Violating/Nested/NestedBucket/Resource: AwsSolutions-S1"} {
		if !slices.ContainsFunc(findings, func(f string) bool { return strings.HasPrefix(f, path) }) {
			t.Errorf("no finding %q among the assembly's annotations:\n%s", path, strings.Join(findings, "\n"))
		}
	}
}

// TestSharedStackKeepsLogicalIDs: the shared stack has exactly the pool,
// client, VPC and bucket resources of the single-stack layout, under the
// logical ids main produced before the split, so an existing deployment
// updates in place and keeps its users.
func TestSharedStackKeepsLogicalIDs(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "shared-logical-ids.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		typ, id, _ := strings.Cut(line, " ")
		want[id] = typ
	}
	s := defaultApp(t)
	got := map[string]string{}
	for id, r := range s.shared.tpl["Resources"].(map[string]any) {
		got[id] = r.(map[string]any)["Type"].(string)
	}
	if asJSON(got) != asJSON(want) {
		t.Errorf("shared stack resources\n got %s\nwant %s", asJSON(got), asJSON(want))
	}
}

func TestIdentity(t *testing.T) {
	for name, s := range appsUnderTest(t) {
		t.Run(name, func(t *testing.T) {
			wantDeletion := "Retain"
			if s.cfg.UserPoolRemovalPolicy == RemovalDestroy {
				wantDeletion = "Delete"
			}
			_, pool := s.shared.only(t, "AWS::Cognito::UserPool")
			p := props(pool)
			if pool["DeletionPolicy"] != wantDeletion || pool["UpdateReplacePolicy"] != wantDeletion {
				t.Errorf("pool deletion policy %v/%v, want %s", pool["DeletionPolicy"], pool["UpdateReplacePolicy"], wantDeletion)
			}
			if asJSON(p["AdminCreateUserConfig"]) != `{"AllowAdminCreateUserOnly":true}` || p["UsernameAttributes"] != nil || p["AliasAttributes"] != nil {
				t.Errorf("pool sign-in settings = %s", asJSON(p))
			}
			wantPolicy := `{"PasswordPolicy":{"MinimumLength":12,"RequireLowercase":true,"RequireNumbers":true,"RequireSymbols":true,"RequireUppercase":true,"TemporaryPasswordValidityDays":3}}`
			if asJSON(p["Policies"]) != wantPolicy {
				t.Errorf("password policy = %s, want %s", asJSON(p["Policies"]), wantPolicy)
			}
			if !strings.Contains(asJSON(p["Schema"]), `{"Mutable":true,"Name":"email","Required":false}`) {
				t.Errorf("schema = %s", asJSON(p["Schema"]))
			}
			_, client := s.shared.only(t, "AWS::Cognito::UserPoolClient")
			cp := props(client)
			for k, v := range map[string]any{
				"GenerateSecret":                  false,
				"ExplicitAuthFlows":               []any{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
				"AccessTokenValidity":             s.cfg.AccessTokenValidityMinutes, // issue 7 item 1: from the context
				"PreventUserExistenceErrors":      "ENABLED",
				"AllowedOAuthFlowsUserPoolClient": false,
				"EnableTokenRevocation":           true,
			} {
				if asJSON(cp[k]) != asJSON(v) {
					t.Errorf("client %s = %s, want %s", k, asJSON(cp[k]), asJSON(v))
				}
			}
			if units, _ := cp["TokenValidityUnits"].(map[string]any); units["AccessToken"] != "minutes" {
				t.Errorf("TokenValidityUnits = %s", asJSON(cp["TokenValidityUnits"]))
			}
		})
	}
	if got := multiCellApp(t).cfg.AccessTokenValidityMinutes; got != 15 {
		t.Fatalf("fixture: AccessTokenValidityMinutes = %d, want the context's 15", got)
	}
}

func TestNetwork(t *testing.T) {
	s := defaultApp(t)
	counts := map[string]int{"AWS::EC2::VPC": 1, "AWS::EC2::Subnet": 2, "AWS::EC2::NatGateway": 0, "AWS::EC2::EIP": 0,
		"AWS::EC2::FlowLog": 1, "Custom::VpcRestrictDefaultSG": 0}
	for typ, n := range counts {
		if got := len(s.shared.resources(typ)); got != n {
			t.Errorf("%d %s, want %d", got, typ, n)
		}
	}
	for id, sub := range s.shared.resources("AWS::EC2::Subnet") {
		if props(sub)["MapPublicIpOnLaunch"] != true {
			t.Errorf("subnet %s is not public", id)
		}
	}
	_, fl := s.shared.only(t, "AWS::EC2::FlowLog")
	if p := props(fl); p["LogDestinationType"] != "s3" || p["TrafficType"] != "ALL" {
		t.Errorf("flow log = %s", asJSON(p))
	}
	_, bucket := s.shared.only(t, "AWS::S3::Bucket")
	bp := props(bucket)
	if bucket["DeletionPolicy"] != "Retain" ||
		asJSON(bp["BucketEncryption"]) != `{"ServerSideEncryptionConfiguration":[{"ServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}` ||
		asJSON(bp["PublicAccessBlockConfiguration"]) != `{"BlockPublicAcls":true,"BlockPublicPolicy":true,"IgnorePublicAcls":true,"RestrictPublicBuckets":true}` ||
		!strings.Contains(asJSON(bp["LifecycleConfiguration"]), `"ExpirationInDays":30`) {
		t.Errorf("log bucket = %s", asJSON(bucket))
	}
	_, policy := s.shared.only(t, "AWS::S3::BucketPolicy")
	doc := asJSON(props(policy)["PolicyDocument"])
	for _, want := range []string{`"aws:SecureTransport":"false"`, `"Sid":"AlbAccessLogDelivery"`, `"logdelivery.elasticloadbalancing.amazonaws.com"`} {
		if !strings.Contains(doc, want) {
			t.Errorf("bucket policy lacks %s: %s", want, doc)
		}
	}
}

// cellFor returns every cell stack template of s with its cell id.
func TestCellStacks(t *testing.T) {
	for name, s := range appsUnderTest(t) {
		for _, cell := range s.cfg.Cells {
			t.Run(name+"/"+cell.ID, func(t *testing.T) {
				c := s.cells[cell.ID]
				lbID, lb := c.only(t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
				p := props(lb)
				if p["Scheme"] != "internet-facing" || p["Type"] != "application" || p["IpAddressType"] != "ipv4" {
					t.Errorf("load balancer = %s", asJSON(p))
				}
				vpcID, _ := s.shared.only(t, "AWS::EC2::VPC")
				_ = vpcID
				bucketID, _ := s.shared.only(t, "AWS::S3::Bucket")
				attrs := map[string]string{}
				for _, a := range p["LoadBalancerAttributes"].([]any) {
					kv := a.(map[string]any)
					attrs[kv["Key"].(string)] = asJSON(kv["Value"])
				}
				for k, want := range map[string]string{
					"routing.http.drop_invalid_header_fields.enabled": `"true"`,
					"access_logs.s3.enabled":                          `"true"`,
					"access_logs.s3.bucket":                           asJSON(s.sharedRef(t, bucketID)),
					"access_logs.s3.prefix":                           `"` + accessLogPrefix + `"`,
				} {
					if attrs[k] != want {
						t.Errorf("ALB attribute %s = %s, want %s", k, attrs[k], want)
					}
				}
				checkSecurityGroup(t, s.cfg, c)
				checkListeners(t, c, lbID, testCertArn)
			})
		}
	}
}

// checkSecurityGroup: nothing but TCP 443/80 from the allowed CIDRs in, and
// TCP 443 out, in any security group or rule resource.
func checkSecurityGroup(t *testing.T, cfg Config, c *template) {
	t.Helper()
	if n := len(c.resources("AWS::EC2::SecurityGroupIngress")) + len(c.resources("AWS::EC2::SecurityGroupEgress")); n != 0 {
		t.Errorf("%d standalone security group rule resources; want all rules inline and checked here", n)
	}
	_, sg := c.only(t, "AWS::EC2::SecurityGroup")
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
	for _, cidr := range cfg.AllowedCIDRs {
		for _, port := range []float64{443, 80} {
			if !got[asJSON([]any{cidr, port})] {
				t.Errorf("missing ingress TCP %v from %s", port, cidr)
			}
		}
	}
	if len(ingress) != 2*len(cfg.AllowedCIDRs) {
		t.Errorf("%d ingress rules, want %d", len(ingress), 2*len(cfg.AllowedCIDRs))
	}
	egress, _ := p["SecurityGroupEgress"].([]any)
	if len(egress) != 1 {
		t.Fatalf("egress = %s, want exactly one rule", asJSON(egress))
	}
	e := egress[0].(map[string]any)
	if e["IpProtocol"] != "tcp" || e["FromPort"] != 443.0 || e["ToPort"] != 443.0 || e["CidrIp"] != "0.0.0.0/0" {
		t.Errorf("egress = %s, want TCP 443 to 0.0.0.0/0 only", asJSON(e))
	}
}

// sslPolicyName is the HTTPS listener's security policy (TLS 1.3 only).
const sslPolicyName = "ELBSecurityPolicy-TLS13-1-3-2021-06"

func checkListeners(t *testing.T, c *template, lbID string, certArn any) {
	t.Helper()
	listeners := c.resources("AWS::ElasticLoadBalancingV2::Listener")
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
				"SslPolicy":    sslPolicyName,
				"Certificates": []any{map[string]any{"CertificateArn": certArn}},
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

// TestTenantStacks: each tenant's nested stack holds exactly its seven
// resources, wired to the shared pool and client and its cell's listener.
func TestTenantStacks(t *testing.T) {
	for name, s := range appsUnderTest(t) {
		poolID, _ := s.shared.only(t, "AWS::Cognito::UserPool")
		clientID, _ := s.shared.only(t, "AWS::Cognito::UserPoolClient")
		issuer := map[string]any{"Fn::Join": []any{"", []any{"https://cognito-idp.", ref("AWS::Region"), ".amazonaws.com/", s.sharedRef(t, poolID)}}}
		jwks := map[string]any{"Fn::Join": []any{"", []any{"https://cognito-idp.", ref("AWS::Region"), ".amazonaws.com/", s.sharedRef(t, poolID), "/.well-known/jwks.json"}}}
		client := s.sharedRef(t, clientID)
		for _, cell := range s.cfg.Cells {
			// The cell passes its HTTPS listener to each nested stack as a parameter.
			var httpsID string
			for id, l := range s.cells[cell.ID].resources("AWS::ElasticLoadBalancingV2::Listener") {
				if props(l)["Port"] == 443.0 {
					httpsID = id
				}
			}
			nestedParams := map[string]string{} // template hash file -> listener parameter
			for _, ns := range s.cells[cell.ID].resources("AWS::CloudFormation::Stack") {
				for k, v := range props(ns)["Parameters"].(map[string]any) {
					if asJSON(v) != asJSON(ref(httpsID)) {
						t.Errorf("cell %s passes %s = %s to a nested stack, want only its HTTPS listener", cell.ID, k, asJSON(v))
					}
					nestedParams[asJSON(props(ns)["TemplateURL"])] = k
				}
			}
			if len(nestedParams) != len(cell.Tenants) {
				t.Errorf("cell %s: %d nested stacks, want %d", cell.ID, len(nestedParams), len(cell.Tenants))
			}
			for _, tn := range cell.Tenants {
				t.Run(name+"/"+tn.ID, func(t *testing.T) {
					checkTenantStack(t, s, cell, tn, s.nested[cell.ID][tn.ID], issuer, jwks, client)
				})
			}
		}
	}
}

func checkTenantStack(t *testing.T, s *synthesized, cell CellConfig, tn Tenant, ns *template, issuer, jwks, client any) {
	t.Helper()
	if ns == nil {
		t.Fatalf("no nested stack for %s in cell %s", tn.ID, cell.ID)
	}
	for _, typ := range []string{"AWS::Cognito::UserPoolGroup", "AWS::Lambda::Function", "AWS::Lambda::Permission", "AWS::Logs::LogGroup",
		"AWS::ElasticLoadBalancingV2::TargetGroup", "AWS::ElasticLoadBalancingV2::ListenerRule", "AWS::IAM::Role"} {
		if n := len(ns.resources(typ)); n != 1 {
			t.Errorf("%d %s, want 1", n, typ)
		}
	}
	if ns.resourceCount() != tenantStackResources {
		t.Errorf("%d resources, want %d", ns.resourceCount(), tenantStackResources)
	}
	poolID, _ := s.shared.only(t, "AWS::Cognito::UserPool")
	_, group := ns.only(t, "AWS::Cognito::UserPoolGroup")
	if gp := props(group); gp["GroupName"] != tn.ID || asJSON(gp["UserPoolId"]) != asJSON(s.sharedRef(t, poolID)) {
		t.Errorf("group = %s, want %s in the shared pool", asJSON(gp), tn.ID)
	}
	lgID, lg := ns.only(t, "AWS::Logs::LogGroup")
	// An offboarded tenant's logs outlive its removal (until retention expires).
	if lg["DeletionPolicy"] != "Retain" || lg["UpdateReplacePolicy"] != "Retain" || props(lg)["RetentionInDays"] != float64(s.cfg.LogRetentionDays) {
		t.Errorf("log group = %s", asJSON(lg))
	}
	fnID, fn := ns.only(t, "AWS::Lambda::Function")
	fp := props(fn)
	for k, v := range map[string]any{
		"Runtime": "provided.al2023", "Architectures": []any{"arm64"}, "Handler": "bootstrap", "MemorySize": tn.MemorySize,
		"Timeout": 10, "LoggingConfig": map[string]any{"LogFormat": "JSON", "LogGroup": ref(lgID)},
		"Environment": map[string]any{"Variables": map[string]any{
			// The handler's own check (lambda/handler.go) needs the issuer and client.
			"TENANT_ID": tn.ID, "TOKEN_ISSUER": issuer, "APP_CLIENT_ID": client,
		}},
	} {
		if asJSON(fp[k]) != asJSON(v) {
			t.Errorf("function %s = %s, want %s", k, asJSON(fp[k]), asJSON(v))
		}
	}
	// Issue 7 item 3: reserved concurrency only when the tenant asks for it.
	if rc, ok := fp["ReservedConcurrentExecutions"]; (tn.ReservedConcurrency > 0) != ok || (ok && rc != float64(tn.ReservedConcurrency)) {
		t.Errorf("ReservedConcurrentExecutions = %v (present %v), want %d", rc, ok, tn.ReservedConcurrency)
	}
	if d := dependsOn(fn); len(d) != 0 {
		t.Errorf("function DependsOn %v: the role's GetAtt already orders it (cfn-lint W3005)", d)
	}
	roleID, role := ns.only(t, "AWS::IAM::Role")
	if asJSON(fp["Role"]) != asJSON(map[string]any{"Fn::GetAtt": []any{roleID, "Arn"}}) {
		t.Errorf("function role = %s", asJSON(fp["Role"]))
	}
	rp := props(role)
	wantPolicy := []any{map[string]any{"PolicyName": "WriteOwnLogGroup", "PolicyDocument": map[string]any{
		"Statement": []any{map[string]any{
			"Action": []any{"logs:CreateLogStream", "logs:PutLogEvents"}, "Effect": "Allow",
			"Resource": map[string]any{"Fn::GetAtt": []any{lgID, "Arn"}},
		}},
		"Version": "2012-10-17",
	}}}
	if rp["ManagedPolicyArns"] != nil || asJSON(rp["Policies"]) != asJSON(wantPolicy) {
		t.Errorf("role = %s, want write access to its own log group only", asJSON(rp))
	}

	tgID, tg := ns.only(t, "AWS::ElasticLoadBalancingV2::TargetGroup")
	tp := props(tg)
	tgName := targetGroupName(cell.StackName, tn.ID)
	if tp["TargetType"] != "lambda" || tp["Name"] != tgName ||
		asJSON(tp["Targets"]) != asJSON([]any{map[string]any{"Id": map[string]any{"Fn::GetAtt": []any{fnID, "Arn"}}}}) {
		t.Errorf("target group = %s", asJSON(tp))
	}
	permID, perm := ns.only(t, "AWS::Lambda::Permission")
	if !slices.Contains(dependsOn(tg), permID) {
		t.Errorf("target group does not depend on its permission (ELB invokes the function on registration)")
	}
	pp := props(perm)
	wantSource := "arn:${AWS::Partition}:elasticloadbalancing:${AWS::Region}:${AWS::AccountId}:targetgroup/" + tgName + "/*"
	if pp["Principal"] != elbServicePrincipal || pp["Action"] != "lambda:InvokeFunction" ||
		asJSON(pp["SourceArn"]) != asJSON(map[string]any{"Fn::Sub": wantSource}) ||
		asJSON(pp["FunctionName"]) != asJSON(map[string]any{"Fn::GetAtt": []any{fnID, "Arn"}}) {
		t.Errorf("permission = %s", asJSON(pp))
	}

	_, rule := ns.only(t, "AWS::ElasticLoadBalancingV2::ListenerRule")
	params := sortedKeys(ns.tpl["Parameters"].(map[string]any))
	if len(params) != 1 {
		t.Fatalf("nested parameters = %v, want the listener only", params)
	}
	want := map[string]any{
		"ListenerArn": ref(params[0]),
		"Priority":    tn.Priority,
		"Conditions": []any{map[string]any{"Field": "path-pattern", "PathPatternConfig": map[string]any{
			"Values": []any{"/" + tn.ID + "/*", "/" + tn.ID},
		}}},
		"Actions": []any{
			map[string]any{"JwtValidationConfig": map[string]any{
				"AdditionalClaims": []any{
					map[string]any{"Format": "string-array", "Name": "cognito:groups", "Values": []any{tn.ID}},
					map[string]any{"Format": "single-string", "Name": "token_use", "Values": []any{"access"}},
					map[string]any{"Format": "single-string", "Name": "client_id", "Values": []any{client}},
				},
				"Issuer": issuer, "JwksEndpoint": jwks,
			}, "Order": 1, "Type": "jwt-validation"},
			map[string]any{"Order": 2, "TargetGroupArn": ref(tgID), "Type": "forward"},
		},
		"Transforms": []any{map[string]any{"Type": "url-rewrite", "UrlRewriteConfig": map[string]any{
			"Rewrites": []any{map[string]any{"Regex": tn.RewriteRegex(), "Replace": RewriteReplace}},
		}}},
	}
	rprops := props(rule)
	for k, v := range want {
		if asJSON(rprops[k]) != asJSON(v) {
			t.Errorf("rule %s = %s\nwant %s", k, asJSON(rprops[k]), asJSON(v))
		}
	}
	if len(rprops) != len(want) {
		t.Errorf("rule has properties %v, want %v", sortedKeys(rprops), sortedKeys(want))
	}
}

func TestRewriteRegexSemantics(t *testing.T) {
	tn := Tenant{ID: "tenant-A"}
	re := regexp.MustCompile(tn.RewriteRegex())
	for in, want := range map[string]string{
		"/tenant-A": "/", "/tenant-A/": "/", "/tenant-A/orders/7": "/orders/7", "/tenant-A/a/b?x=1": "/a/b?x=1",
	} {
		if got := re.ReplaceAllString(in, strings.ReplaceAll(RewriteReplace, "$1", "${1}")); got != want {
			t.Errorf("rewrite %q = %q, want %q", in, got, want)
		}
	}
}

// TestMultiCellPlacement: each tenant's resources are in its own cell's
// nested stack only, and every cell stack has one nested stack per tenant.
func TestMultiCellPlacement(t *testing.T) {
	s := multiCellApp(t)
	if len(s.cfg.Cells) != 3 {
		t.Fatalf("fixture: %d cells, want 3", len(s.cfg.Cells))
	}
	seen := map[string]string{} // group name -> file
	for _, tp := range s.files {
		for _, g := range tp.resources("AWS::Cognito::UserPoolGroup") {
			name := props(g)["GroupName"].(string)
			if prev, dup := seen[name]; dup {
				t.Errorf("group %s in %s and %s", name, prev, tp.file)
			}
			seen[name] = tp.file
		}
	}
	for _, cell := range s.cfg.Cells {
		if n := len(s.cells[cell.ID].resources("AWS::CloudFormation::Stack")); n != len(cell.Tenants) {
			t.Errorf("cell %s: %d nested stacks, want %d", cell.ID, n, len(cell.Tenants))
		}
		for _, tn := range cell.Tenants {
			if seen[tn.ID] != s.nested[cell.ID][tn.ID].file {
				t.Errorf("tenant %s's group is in %s, want its cell %s's nested stack %s", tn.ID, seen[tn.ID], cell.ID, s.nested[cell.ID][tn.ID].file)
			}
		}
	}
	if len(seen) != len(s.cfg.Tenants) {
		t.Errorf("%d groups for %d tenants", len(seen), len(s.cfg.Tenants))
	}
}

// TestResourceCountConstants verifies the accounting constants against
// synthesized templates: shared, cell base, per tenant, nested stack, domain.
func TestResourceCountConstants(t *testing.T) {
	for name, s := range map[string]*synthesized{"default": defaultApp(t), "multi": multiCellApp(t), "domain": domainApp(t)} {
		t.Run(name, func(t *testing.T) {
			if n := s.shared.resourceCount(); n != sharedStackResources {
				t.Errorf("shared stack: %d resources, want %d", n, sharedStackResources)
			}
			for _, cell := range s.cfg.Cells {
				want := cellBaseResources + cellResourcesPerTenant*len(cell.Tenants)
				if s.cfg.Certificate.Mode == CertificateDNSValidated {
					want += cellDomainResources
				}
				if n := s.cells[cell.ID].resourceCount(); n != want {
					t.Errorf("cell %s: %d resources, want %d", cell.ID, n, want)
				}
				for tn, ns := range s.nested[cell.ID] {
					if n := ns.resourceCount(); n != tenantStackResources {
						t.Errorf("tenant %s: %d resources, want %d", tn, n, tenantStackResources)
					}
				}
			}
		})
	}
}

// TestFullCell: a cell at capacity synthesizes within the stack quotas.
func TestFullCell(t *testing.T) {
	s := fullCellApp(t)
	full := s.cfg.Cells[0]
	if len(full.Tenants) != s.cfg.CellCapacity() {
		t.Fatalf("fixture: cell 1 has %d tenants, want %d", len(full.Tenants), s.cfg.CellCapacity())
	}
	c := s.cells[full.ID]
	if n := c.resourceCount(); n > MaxResourcesPerStack {
		t.Errorf("full cell: %d resources > %d", n, MaxResourcesPerStack)
	}
	if n := len(c.tpl["Outputs"].(map[string]any)); n > MaxOutputsPerStack {
		t.Errorf("full cell: %d outputs > %d", n, MaxOutputsPerStack)
	}
	if len(s.nested[full.ID]) != len(full.Tenants) {
		t.Errorf("%d nested stacks for %d tenants", len(s.nested[full.ID]), len(full.Tenants))
	}
}

func TestDomainCertificatePerCell(t *testing.T) {
	s := domainApp(t)
	for _, cell := range s.cfg.Cells {
		c := s.cells[cell.ID]
		name := "cell-" + cell.ID + ".api.example.com"
		certID, cert := c.only(t, "AWS::CertificateManager::Certificate")
		if cp := props(cert); cp["DomainName"] != name || cp["ValidationMethod"] != "DNS" ||
			!strings.Contains(asJSON(cp["DomainValidationOptions"]), `"HostedZoneId":"Z0123456789ABC"`) {
			t.Errorf("cell %s certificate = %s", cell.ID, asJSON(cp))
		}
		_, rec := c.only(t, "AWS::Route53::RecordSet")
		if rp := props(rec); rp["Name"] != name+"." || rp["Type"] != "A" || rp["HostedZoneId"] != "Z0123456789ABC" {
			t.Errorf("cell %s record = %s", cell.ID, asJSON(rp))
		}
		lbID, _ := c.only(t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
		checkListeners(t, c, lbID, ref(certID))
		outs := c.outputs()
		if outs[contract.OutBaseURL]["Value"] != "https://"+name {
			t.Errorf("cell %s BaseUrl = %v", cell.ID, outs[contract.OutBaseURL]["Value"])
		}
		for _, tn := range cell.Tenants {
			if got := outs[contract.TenantURLOutputKey(tn.ID)]["Value"]; got != "https://"+name+"/"+tn.ID+"/" {
				t.Errorf("tenant %s URL = %v", tn.ID, got)
			}
		}
	}
}

func TestTargetGroupName(t *testing.T) {
	a := targetGroupName("TenantRouting-Cell-1", "tenant-A")
	if a != targetGroupName("TenantRouting-Cell-1", "tenant-A") {
		t.Error("not deterministic")
	}
	for _, other := range []string{targetGroupName("TenantRouting-Cell-2", "tenant-A"), targetGroupName("TenantRouting-Cell-1", "tenant-B")} {
		if other == a {
			t.Errorf("collision: %s", a)
		}
	}
	long := targetGroupName(strings.Repeat("S", 128), strings.Repeat("x", 64))
	if len(long) > 32 || !regexp.MustCompile(`^[a-z0-9-]+$`).MatchString(long) {
		t.Errorf("name %q is not a valid target group name", long)
	}
}

func TestRetentionTableCoversConfig(t *testing.T) {
	if len(retentionByDays) != len(LogRetentionDays) {
		t.Errorf("%d enum values for %d valid day counts", len(retentionByDays), len(LogRetentionDays))
	}
	for _, d := range LogRetentionDays {
		if _, ok := retentionByDays[d]; !ok {
			t.Errorf("no CDK enum for %d days", d)
		}
	}
}

func TestConstructorErrors(t *testing.T) {
	if _, err := NewHandlerAsset(""); err == nil {
		t.Error("empty asset dir accepted")
	}
	if _, err := NewHandlerAsset(t.TempDir()); err == nil {
		t.Error("asset dir without bootstrap accepted")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewHandlerAsset(dir); err == nil {
		t.Error("non-executable bootstrap accepted")
	}
	if _, err := NewSharedStack(nil, SharedStackProps{}); err == nil {
		t.Error("zero Config accepted")
	}
	if _, err := NewCellStack(nil, CellStackProps{}); err == nil {
		t.Error("cell without shared stack accepted")
	}
}

func TestNoCDKMetadataResource(t *testing.T) {
	for _, tp := range multiCellApp(t).files {
		if n := len(tp.resources("AWS::CDK::Metadata")); n != 0 {
			t.Errorf("%s has %d AWS::CDK::Metadata resources", tp.file, n)
		}
	}
}
