package localalb

import (
	"net/netip"
	"regexp"
	"strconv"
	"time"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/localalb/jwtvalidate"
)

// CloudFormation resource types the loader models.
const (
	typeLoadBalancer   = "AWS::ElasticLoadBalancingV2::LoadBalancer"
	typeListener       = "AWS::ElasticLoadBalancingV2::Listener"
	typeListenerRule   = "AWS::ElasticLoadBalancingV2::ListenerRule"
	typeTargetGroup    = "AWS::ElasticLoadBalancingV2::TargetGroup"
	typeFunction       = "AWS::Lambda::Function"
	typeNestedStack    = "AWS::CloudFormation::Stack"
	typeUserPool       = "AWS::Cognito::UserPool"
	typeUserPoolClient = "AWS::Cognito::UserPoolClient"
	typeUserPoolGroup  = "AWS::Cognito::UserPoolGroup"
)

// Action types (API_Action).
const (
	ActionForward             = "forward"
	ActionFixedResponse       = "fixed-response"
	ActionRedirect            = "redirect"
	ActionJWTValidation       = "jwt-validation"
	ActionAuthenticateOIDC    = "authenticate-oidc"
	ActionAuthenticateCognito = "authenticate-cognito"
)

// Condition fields (API_RuleCondition).
const (
	FieldPathPattern = "path-pattern"
	FieldHostHeader  = "host-header"
	FieldHTTPHeader  = "http-header"
	FieldHTTPMethod  = "http-request-method"
	FieldQueryString = "query-string"
	FieldSourceIP    = "source-ip"
)

// Transform types (API_RuleTransform).
const (
	TransformURLRewrite        = "url-rewrite"
	TransformHostHeaderRewrite = "host-header-rewrite"
)

// Model is the ALB configuration loaded from a synthesized template.
type Model struct {
	Region, AccountID, Partition, StackName string
	// LoadBalancers, TargetGroups and Functions are keyed by logical id.
	LoadBalancers map[string]*LoadBalancer
	TargetGroups  map[string]*TargetGroup
	Functions     map[string]*Function
	// Listeners are sorted by port.
	Listeners []*Listener
}

// LoadBalancer is an AWS::ElasticLoadBalancingV2::LoadBalancer (type application).
type LoadBalancer struct {
	LogicalID string
	ARN       string
	DNSName   string
	// Attributes are the LoadBalancerAttributes as written in the template.
	Attributes map[string]string
	// DropInvalidHeaderFields: routing.http.drop_invalid_header_fields.enabled.
	DropInvalidHeaderFields bool
	// XFFMode: routing.http.xff_header_processing.mode (append, preserve, remove).
	XFFMode string
	// XFFClientPort: routing.http.xff_client_port.enabled.
	XFFClientPort bool
	// TLSHeaders: routing.http.x_amzn_tls_version_and_cipher_suite.enabled.
	TLSHeaders bool
	// PreserveHostHeader: routing.http.preserve_host_header.enabled.
	PreserveHostHeader bool
	// IdleTimeout: idle_timeout.timeout_seconds (default 60 s).
	IdleTimeout time.Duration
}

// Listener is an AWS::ElasticLoadBalancingV2::Listener.
type Listener struct {
	LogicalID    string
	ARN          string
	LoadBalancer *LoadBalancer
	Port         int
	Protocol     string // HTTP or HTTPS
	SslPolicy    string
	// MinTLSVersion is the tls.Version* the SslPolicy implies (HTTPS only).
	MinTLSVersion uint16
	// ServerHeader: routing.http.response.server.enabled (default true).
	ServerHeader   bool
	DefaultActions []*Action
	// Rules are sorted by priority (lowest first).
	Rules []*Rule
}

// Rule is an AWS::ElasticLoadBalancingV2::ListenerRule.
type Rule struct {
	LogicalID  string
	ARN        string
	Priority   int
	Conditions []*Condition
	// Actions are sorted by Order; the last one is the routing action.
	Actions    []*Action
	Transforms []*Transform
	// Tenant names the rule in request logs: the TENANT_ID environment
	// variable of the function its forward action reaches, else LogicalID.
	Tenant string
}

// Condition is one rule condition. Values within a condition are OR-ed;
// the conditions of a rule are AND-ed.
type Condition struct {
	Field string
	// Values are wildcard patterns (path-pattern, host-header, http-header)
	// or exact strings (http-request-method).
	Values []string
	// RegexValues are RE2 expressions (path-pattern, host-header, http-header).
	RegexValues []string
	// HeaderName is the header of an http-header condition.
	HeaderName string
	// QueryValues are the key/value patterns of a query-string condition.
	QueryValues []QueryKeyValue
	// SourceIPs are the CIDR blocks of a source-ip condition.
	SourceIPs []netip.Prefix

	globs   []glob
	regexes []*regexp.Regexp
	kvs     []queryMatcher
}

// QueryKeyValue is one query-string condition value; an empty Key matches any key.
type QueryKeyValue struct{ Key, Value string }

// Action is one listener or rule action.
type Action struct {
	Type  string
	Order int // 0 when the template omits it (single action)

	TargetGroup   *TargetGroup        // forward
	FixedResponse *FixedResponse      // fixed-response
	Redirect      *Redirect           // redirect
	JWT           *jwtvalidate.Config // jwt-validation
}

// FixedResponse is a FixedResponseConfig.
type FixedResponse struct {
	StatusCode  int
	ContentType string
	MessageBody string
}

// Redirect is a RedirectConfig; empty fields keep the request's component.
type Redirect struct {
	Protocol, Host, Port, Path, Query string
	StatusCode                        int // 301 or 302
}

// Transform is a url-rewrite or host-header-rewrite transform.
type Transform struct {
	Type    string
	Regex   string
	Replace string
	re      *regexp.Regexp
	repl    []replPart
}

// TargetGroup is an AWS::ElasticLoadBalancingV2::TargetGroup of type lambda.
type TargetGroup struct {
	LogicalID string
	ARN       string
	Name      string
	// Function is the registered Lambda function (nil: no targets → 503).
	Function *Function
	// MultiValueHeaders: lambda.multi_value_headers.enabled.
	MultiValueHeaders bool
	// Tenant is the TENANT_ID environment variable of the registered
	// function, else LogicalID (request logs name tenants by id).
	Tenant string
}

// TenantEnv is the function environment variable that names a tenant.
const TenantEnv = "TENANT_ID"

// tenantOf derives the tenant id of a target group from its function.
func (tg *TargetGroup) tenantOf() string {
	if tg.Function != nil && tg.Function.Env[TenantEnv] != "" {
		return tg.Function.Env[TenantEnv]
	}
	return tg.LogicalID
}

// nameTenants sets Tenant on every target group and rule of m.
func (m *Model) nameTenants() {
	for _, tg := range m.TargetGroups {
		tg.Tenant = tg.tenantOf()
	}
	for _, lis := range m.Listeners {
		for _, ru := range lis.Rules {
			ru.Tenant = ru.LogicalID
			for _, act := range ru.Actions {
				if act.Type == ActionForward && act.TargetGroup != nil {
					if t := act.TargetGroup.tenantOf(); t != act.TargetGroup.LogicalID {
						ru.Tenant = t
					}
				}
			}
		}
	}
}

// Function is an AWS::Lambda::Function with its environment resolved.
type Function struct {
	LogicalID     string
	Name          string
	ARN           string
	Runtime       string
	Handler       string
	Architectures []string
	// Env is Environment.Variables with intrinsics resolved.
	Env map[string]string
	// Timeout defaults to 3 s, MemorySize to 128 MB (the Lambda defaults).
	Timeout    time.Duration
	MemorySize int
}

// RuntimeEnv is the environment a local runtime (RIE) should give the
// function: Env plus the AWS_LAMBDA_* variables Lambda sets. It never
// contains credentials.
func (f *Function) RuntimeEnv(region string) map[string]string {
	env := make(map[string]string, len(f.Env)+7)
	for k, v := range f.Env {
		env[k] = v
	}
	env["AWS_LAMBDA_FUNCTION_NAME"] = f.Name
	env["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST"
	env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = strconv.Itoa(f.MemorySize)
	env["AWS_LAMBDA_FUNCTION_TIMEOUT"] = strconv.Itoa(int(f.Timeout / time.Second))
	if region != "" {
		env["AWS_REGION"] = region
		env["AWS_DEFAULT_REGION"] = region
	}
	return env
}

// isRouting reports whether an action type is a routing (final) action.
func isRouting(t string) bool {
	return t == ActionForward || t == ActionFixedResponse || t == ActionRedirect
}

// isAuth reports whether an action type is an authentication action.
func isAuth(t string) bool {
	return t == ActionJWTValidation || t == ActionAuthenticateOIDC || t == ActionAuthenticateCognito
}
