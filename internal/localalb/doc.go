// Package localalb is a local Application Load Balancer: it loads the
// listeners, rules and target groups of a synthesized CloudFormation template
// (LoadTemplate) and executes them (New, Start): rule evaluation,
// jwt-validation (package jwtvalidate), url-rewrite/host-header-rewrite
// transforms, forward to Lambda target groups (through an Invoker such as an
// RIE instance, package rie), fixed-response and redirect.
//
// The behaviour follows the AWS documentation collected, with its URLs, in
// docs/alb-behaviour.md (sources: JWT-UG, XFORM-UG, RULES-UG, COND-UG,
// ACTIONS-UG, LAMBDA-UG, QUOTA-UG and the API/CFN references named there;
// "§n" below are its sections). Create-time validation that AWS documents is done
// at load time. Nothing in the listener, rule or target-group configuration
// is silently ignored: an unsupported action, condition, transform, property
// or value is a load-time *FieldError naming the resource logical id and the
// field (all errors are reported together).
//
// # Translations from AWS (the only ones)
//
//   - ALB-T1 Intrinsics: Ref, Fn::GetAtt, Fn::Join, Fn::Sub (both forms),
//     Fn::Select, Fn::Split, Fn::GetAZs, Fn::If with Conditions (Fn::Equals,
//     Fn::And, Fn::Or, Fn::Not, Condition), Fn::FindInMap, Fn::Base64,
//     Fn::ImportValue and Fn::GetStackOutput (in a cloud assembly) and the
//     pseudo parameters resolve to local values: Resolver.Refs/Attrs
//     overrides first, then deterministic fake physical ids (ALB-A14). Resources
//     whose Condition is false are not created. Other intrinsics are errors
//     where they are needed; intrinsics in properties the emulator does not
//     read are never evaluated.
//   - ALB-T2 Listener ports: a template listener port maps to a local address
//     (Options.ListenerAddrs, loopback only).
//   - ALB-T3 JWKS URLs: Options.JWKSRewrites replace a URL prefix (e.g.
//     https://cognito-idp.<region>.amazonaws.com/ → http://127.0.0.1:<port>/).
//     The issuer is NOT rewritten: tokens must carry the AWS-shaped iss.
//   - ALB-T4 Certificates: every HTTPS listener serves Options.TLSCertificate
//     instead of its ACM certificates; SslPolicy selects only the minimum
//     TLS version (ALB-A11).
//   - ALB-T5 Redirect ports: after placeholder substitution, a redirect port
//     equal to a template listener port becomes that listener's bound local
//     port (HTTP 80 → HTTPS 443 redirects to https://host:<local 443 port>).
//
// # Named assumptions (behaviour AWS leaves undocumented; each has a test)
//
//   - ALB-A1 URI normalization ("rule evaluation is performed only after URI
//     normalization", COND-UG): the request target must be origin-form or
//     absolute-form with visible-ASCII characters only (else 400); '%' must
//     start a valid escape (else 400); escapes of unreserved characters are
//     decoded and other escapes get upper-case hex (RFC 3986 §6.2.2); dot
//     segments are removed (so /tenant-A/%2E%2E/tenant-B is /tenant-B);
//     '//' is NOT merged; the path stays percent-encoded. The normalized
//     path is what conditions see and what the target receives.
//   - ALB-A2 Matching: path-pattern Values are case-sensitive globs on the path
//     only, host-header, http-header and query-string Values are
//     case-insensitive; '*' matches any run of characters including '/',
//     '?' exactly one byte; globs are anchored to the whole subject.
//     RegexValues are RE2 searches (unanchored unless the regex anchors
//     itself), case-sensitive as written, on the path only (never the query)
//     or on the host without port. host-header matching uses the Host header
//     without its port. An http-header condition matches if any value of the
//     (possibly repeated) header matches. query-string conditions compare
//     percent-decoded keys and values; '\*', '\?' escape wildcards. Limits:
//     ≤3 match evaluations per condition, ≤5 per rule, ≤5 wildcards per rule
//     (sources disagree 5 vs 6; 5 is the stricter).
//   - ALB-A3 jwt-validation outcome: a rejected token answers 401, a JWKS that
//     cannot be fetched or used answers 500 (Verdict from jwtvalidate), both
//     with the ALB's generated page (ALB-A16) and no WWW-Authenticate header.
//     A valid token is forwarded unchanged (Authorization is passed to the
//     target).
//   - ALB-A4 Order of processing: conditions are evaluated on the normalized
//     original request; the first matching rule by priority wins, else the
//     default actions; then the actions run in Order (jwt-validation first);
//     the rule's transforms are applied just before the routing action (so a
//     401 wins over a transform failure) and never change the routing
//     decision. Redirect placeholders see the transformed path, query and host.
//   - ALB-A5 url-rewrite: the regex subject is the normalized path without the
//     query. Only the first (leftmost) match is replaced; the rest of the
//     subject is kept; no match leaves the request unchanged. If the result
//     contains '?', the part before it is the path and the part after it is
//     the new query, followed by '&' and the original query if there was one
//     (AWS example: /dp/B09G3HRMW → /product.php?id=B09G3HRMW). Without '?' in
//     the result, the original query is kept. A result that does not start
//     with '/' or contains a space, control character, non-ASCII byte or '#'
//     is a failed transform → 500. The result is not normalized again.
//   - ALB-A6 Replace syntax: $0 (whole match) … $9 are single-digit references
//     ("$10" is $1 followed by "0"), ${n} any group, $$ a literal '$', any
//     other '$' is literal. A reference to a group the regex lacks is a
//     load-time error.
//   - ALB-A7 host-header-rewrite: the subject is the Host header without port; the
//     port is re-appended; a result that is not a host name ([A-Za-z0-9.-]) is
//     a failed transform → 500. The target sees the rewritten host.
//   - ALB-A8 drop_invalid_header_fields: when enabled, request headers whose
//     names do not match [-A-Za-z0-9]+ (so names with '_') are removed before
//     rule evaluation and JWT validation. (Go's HTTP server rejects names that
//     are not RFC 7230 tokens with 400 before the ALB sees them, whatever the
//     attribute.)
//   - ALB-A9 Request body to Lambda: "1 MB" is 1,048,576 bytes of the raw body →
//     413 above it. Bodies of text/*, application/json, application/javascript
//     and application/xml are sent as is if they are valid UTF-8; anything
//     else (including no Content-Type) is base64 with isBase64Encoded=true;
//     an empty body is "" with isBase64Encoded=false.
//   - ALB-A10 Event: single-value mode sends headers and queryStringParameters
//     only, multi-value mode multiValueHeaders and
//     multiValueQueryStringParameters only; an empty query is {}; header
//     names are lower-cased; "host" is the (rewritten) Host header;
//     x-forwarded-port is the TEMPLATE listener port (443, what the target
//     would see on AWS) and x-forwarded-proto the listener protocol, both
//     replacing client-supplied values; x-forwarded-for follows
//     routing.http.xff_header_processing.mode (append: existing values, then
//     the TCP peer; with xff_client_port the peer's port too); an incoming
//     X-Amzn-Trace-Id containing Root= is kept, otherwise
//     Root=1-<8 hex epoch seconds>-<24 hex random> is generated.
//   - ALB-A11 TLS: the minimum version comes from the SslPolicy family
//     (ELBSecurityPolicy-TLS13-1-3-* → TLS 1.3 only, -TLS13-1-2-*/-TLS-1-2-*/
//     -FS-1-2-* → 1.2, …); cipher suites are Go's defaults; an HTTPS listener
//     without SslPolicy uses ELBSecurityPolicy-TLS13-1-2-2021-06.
//   - ALB-A12 Lambda response: statusCode must be a JSON integer 100..599;
//     statusDescription is accepted but Go writes the standard reason
//     phrase; single-value mode reads only headers, multi-value mode only
//     multiValueHeaders; an invalid header name or value makes the response
//     invalid; hop-by-hop headers and Content-Length are dropped and
//     Content-Length is computed; no Content-Type is added when the function
//     sets none (Go's content sniffing is disabled). 502 for: a payload with errorType or
//     errorMessage and no statusCode (RIE answers these with HTTP 200), a
//     payload that is not a JSON object or lacks/has a bad statusCode or bad
//     base64 body, a payload over 1,048,576 bytes, an invoker error (dead
//     process, non-200 from RIE) and a timeout (function Timeout +
//     Options.InvokeGrace).
//   - ALB-A13 Properties accepted without local effect: load balancer networking
//     (Name, Scheme, Subnets, SubnetMappings, SecurityGroups, IpAddressType,
//     Tags, …), the load balancer attributes in lbAttributesWithoutLocalEffect
//     (deletion protection, access/connection/health-check logs, …), target
//     group health-check settings (health checks are not emulated; they are
//     off by default for Lambda) and listener Certificates (ALB-T4).
//     routing.http.preserve_host_header.enabled is read but has no effect:
//     the Host header is always forwarded as received (or as rewritten). For
//     AWS::Lambda::Function (not an ALB resource) only FunctionName,
//     Environment, Timeout, MemorySize, Architectures, Runtime and Handler are
//     read.
//   - ALB-A14 Fake physical ids: TargetGroup Ref arn:<p>:elasticloadbalancing:
//     <region>:<acct>:targetgroup/<Name or logical id>/<16 hex>, LoadBalancer
//     …:loadbalancer/app/<name>/<16 hex>, Lambda Ref = FunctionName or logical
//     id and Arn arn:<p>:lambda:<region>:<acct>:function:<name>, Cognito user
//     pool <region>_<9 chars>; the hex comes from sha256(stack/logicalId).
//   - ALB-A15 A forward to a target group without a registered target answers
//     503; a WebSocket upgrade to a Lambda target answers 400 (LAMBDA-UG).
//   - ALB-A16 ALB-generated responses (errors, fixed-response, redirect) carry
//     Server: awselb/2.0 unless routing.http.response.server.enabled=false;
//     Lambda responses are passed without it. Error and redirect pages are
//     nginx's page with nginx's reason phrase, byte for byte what a live ALB
//     sent for 401 (§1.8): "<html>\r\n<head><title>401 Authorization
//     Required</title></head>\r\n<body>\r\n<center><h1>401 Authorization
//     Required</h1></center>\r\n</body>\r\n</html>\r\n". The whitespace of
//     the other pages is not observed; they use the same template.
//   - ALB-A17 Redirect: absent components keep the request's (#{protocol},
//     #{host}, #{port}, /#{path}, #{query}); #{port} is the template listener
//     port (then ALB-T5); the default port of the scheme is omitted from Location.
//   - ALB-A18 Quotas enforced at load: priority 1..50000 and unique per listener;
//     ≤5 target groups per forward; weighted forwarding to more than one
//     target group and stickiness are not supported (load error). The
//     adjustable 100-rules-per-ALB quota is not enforced.
//   - ALB-A19 OPTIONS * (asterisk-form) reaches the ALB's logic (Go's general
//     OPTIONS handler is off) and, as any target that is not origin-form or
//     absolute-form, is a malformed request: 400 (§8; nginx does the same).
//   - ALB-A20 HTTP limits (§8): a request line (METHOD SP target SP proto) or
//     a single header field (Name: value) over 16 KB (16,384 bytes), or the
//     whole header block (request line and fields with their CRLFs, as
//     parsed) over 64 KB → 400. http.Server's MaxHeaderBytes (1 MB) is only
//     a memory bound. A raw '#' in the target → 400.
//
// # Generated pages (ALB-A16) and where each comes from
//
//   - 400 Bad Request: malformed target (ALB-A1, ALB-A19, '#'), oversized
//     request line or header (ALB-A20), a WebSocket upgrade to a Lambda target
//     (ALB-A15), a body that cannot be read; LAMBDA-UG, §8.
//   - 401 Authorization Required: jwt-validation rejected the token (ALB-A3, §1.8).
//   - 413 Request Entity Too Large: request body over 1 MB to Lambda (ALB-A9, §4).
//   - 500 Internal Server Error: JWKS unavailable or invalid (ALB-A3, §1.7), a
//     failed transform (ALB-A5, ALB-A7, §2.2), a redirect whose port is invalid.
//   - 502 Bad Gateway: any Lambda failure (ALB-A12, §4).
//   - 503 Service Temporarily Unavailable: a target group without a
//     registered target (ALB-A15).
//   - 301 Moved Permanently / 302 Found: the body of a redirect action (ALB-A17).
//
// fixed-response bodies are the template's MessageBody, not generated pages.
//
// # Templates and cloud assemblies
//
// LoadTemplate loads one template. LoadAssembly loads a cloud assembly
// (cdk.out) of a shared stack and cell stacks whose tenants live in nested
// stacks: one Model per cell stack, resources of a nested stack qualified as
// "<NestedStackLogicalID>/<LogicalID>", with Fn::GetStackOutput (CDK's weak
// cross-stack references), Fn::ImportValue (exports), nested-stack
// Parameters and Fn::GetAtt [Nested, Outputs.X] resolved (translation
// ALB-T1 across stacks). Fn::GetStackOutput's StackName must name a stack
// of the assembly and OutputName one of its Outputs (evaluated in that
// stack); its Region, when given, must be the Resolver's region; RoleArn
// (cross-account) is a load-time error. A nested stack's fake stack name is
// "<parent>-<logical id>-<hash>"; a function without FunctionName in a
// nested stack gets "<that name>-<logical id>", cut to 64 characters with a
// hash suffix when longer (logical ids repeat across nested stacks). A
// function's Code (an asset or S3 object) is never read: local mode runs
// the local build. ReadAssemblyIdentity reads only the identity facts.
//
// ReadTemplate is the one reader of a synthesized template for other
// packages: Template.Resources(type) lists a type's resources and
// Resource.DecodeProperties decodes their properties as written (local mode
// reads the Cognito user pool, its client and the groups with it).
//
// Request log lines say "GET /tenant-A/x 200 tenant=tenant-A rule=prio-10"
// (+ " cold start 312ms" when invoke.Info reports one); the attributes keep
// the logical ids (listener, rule, target_group, function) and add tenant
// and cold_start_ms. A rule's or target group's tenant is its function's
// TENANT_ID environment variable, else its logical id.
package localalb
