// Package localalb is a local Application Load Balancer: it loads the
// listeners, rules and target groups of a synthesized CloudFormation template
// (LoadTemplate) and executes them (New, Start): rule evaluation,
// jwt-validation (package jwtvalidate), url-rewrite/host-header-rewrite
// transforms, forward to Lambda target groups (through an Invoker such as an
// RIE instance, package rie), fixed-response and redirect.
//
// The behaviour follows the AWS documentation collected in
// /work/shared/reference/alb-behaviour.md (sources: JWT-UG, XFORM-UG,
// RULES-UG, COND-UG, ACTIONS-UG, LAMBDA-UG, QUOTA-UG and the API/CFN
// references named there). Create-time validation that AWS documents is done
// at load time. Nothing in the listener, rule or target-group configuration
// is silently ignored: an unsupported action, condition, transform, property
// or value is a load-time *FieldError naming the resource logical id and the
// field (all errors are reported together).
//
// # Translations from AWS (the only ones)
//
//   - T1 Intrinsics: Ref, Fn::GetAtt, Fn::Join, Fn::Sub (both forms),
//     Fn::Select, Fn::Split, Fn::GetAZs, Fn::If with Conditions (Fn::Equals,
//     Fn::And, Fn::Or, Fn::Not, Condition), Fn::FindInMap, Fn::Base64 and the
//     pseudo parameters resolve to local values: Resolver.Refs/Attrs
//     overrides first, then deterministic fake physical ids (A14). Resources
//     whose Condition is false are not created. Other intrinsics are errors
//     where they are needed; intrinsics in properties the emulator does not
//     read are never evaluated.
//   - T2 Listener ports: a template listener port maps to a local address
//     (Options.ListenerAddrs, loopback only).
//   - T3 JWKS URLs: Options.JWKSRewrites replace a URL prefix (e.g.
//     https://cognito-idp.<region>.amazonaws.com/ → http://127.0.0.1:<port>/).
//     The issuer is NOT rewritten: tokens must carry the AWS-shaped iss.
//   - T4 Certificates: every HTTPS listener serves Options.TLSCertificate
//     instead of its ACM certificates; SslPolicy selects only the minimum
//     TLS version (A11).
//   - T5 Redirect ports: after placeholder substitution, a redirect port
//     equal to a template listener port becomes that listener's bound local
//     port (HTTP 80 → HTTPS 443 redirects to https://host:<local 443 port>).
//
// # Named assumptions (behaviour AWS leaves undocumented; each has a test)
//
//   - A1 URI normalization ("rule evaluation is performed only after URI
//     normalization", COND-UG): the request target must be origin-form or
//     absolute-form with visible-ASCII characters only (else 400); '%' must
//     start a valid escape (else 400); escapes of unreserved characters are
//     decoded and other escapes get upper-case hex (RFC 3986 §6.2.2); dot
//     segments are removed (so /tenant-A/%2E%2E/tenant-B is /tenant-B);
//     '//' is NOT merged; the path stays percent-encoded. The normalized
//     path is what conditions see and what the target receives.
//   - A2 Matching: path-pattern Values are case-sensitive globs on the path
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
//   - A3 jwt-validation outcome: a rejected token answers 401, a JWKS that
//     cannot be fetched or used answers 500 (Verdict from jwtvalidate), both
//     with an ALB-style HTML error page and no WWW-Authenticate header. A valid
//     token is forwarded unchanged (Authorization is passed to the target).
//   - A4 Order of processing: conditions are evaluated on the normalized
//     original request; the first matching rule by priority wins, else the
//     default actions; then the actions run in Order (jwt-validation first);
//     the rule's transforms are applied just before the routing action (so a
//     401 wins over a transform failure) and never change the routing
//     decision. Redirect placeholders see the transformed path, query and host.
//   - A5 url-rewrite: the regex subject is the normalized path without the
//     query. Only the first (leftmost) match is replaced; the rest of the
//     subject is kept; no match leaves the request unchanged. If the result
//     contains '?', the part before it is the path and the part after it is
//     the new query, followed by '&' and the original query if there was one
//     (AWS example: /dp/B09G3HRMW → /product.php?id=B09G3HRMW). Without '?' in
//     the result, the original query is kept. A result that does not start
//     with '/' or contains a space, control character, non-ASCII byte or '#'
//     is a failed transform → 500. The result is not normalized again.
//   - A6 Replace syntax: $0 (whole match) … $9 are single-digit references
//     ("$10" is $1 followed by "0"), ${n} any group, $$ a literal '$', any
//     other '$' is literal. A reference to a group the regex lacks is a
//     load-time error.
//   - A7 host-header-rewrite: the subject is the Host header without port; the
//     port is re-appended; a result that is not a host name ([A-Za-z0-9.-]) is
//     a failed transform → 500. The target sees the rewritten host.
//   - A8 drop_invalid_header_fields: when enabled, request headers whose
//     names do not match [-A-Za-z0-9]+ (so names with '_') are removed before
//     rule evaluation and JWT validation. (Go's HTTP server rejects names that
//     are not RFC 7230 tokens with 400 before the ALB sees them, whatever the
//     attribute.)
//   - A9 Request body to Lambda: "1 MB" is 1,048,576 bytes of the raw body →
//     413 above it. Bodies of text/*, application/json, application/javascript
//     and application/xml are sent as is if they are valid UTF-8; anything
//     else (including no Content-Type) is base64 with isBase64Encoded=true;
//     an empty body is "" with isBase64Encoded=false.
//   - A10 Event: single-value mode sends headers and queryStringParameters
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
//   - A11 TLS: the minimum version comes from the SslPolicy family
//     (ELBSecurityPolicy-TLS13-1-3-* → TLS 1.3 only, -TLS13-1-2-*/-TLS-1-2-*/
//     -FS-1-2-* → 1.2, …); cipher suites are Go's defaults; an HTTPS listener
//     without SslPolicy uses ELBSecurityPolicy-TLS13-1-2-2021-06.
//   - A12 Lambda response: statusCode must be a JSON integer 100..599;
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
//   - A13 Properties accepted without local effect: load balancer networking
//     (Name, Scheme, Subnets, SubnetMappings, SecurityGroups, IpAddressType,
//     Tags, …), the load balancer attributes in lbAttributesWithoutLocalEffect
//     (deletion protection, access/connection/health-check logs, …), target
//     group health-check settings (health checks are not emulated; they are
//     off by default for Lambda) and listener Certificates (T4).
//     routing.http.preserve_host_header.enabled is read but has no effect:
//     the Host header is always forwarded as received (or as rewritten). For
//     AWS::Lambda::Function (not an ALB resource) only FunctionName,
//     Environment, Timeout, MemorySize, Architectures, Runtime and Handler are
//     read.
//   - A14 Fake physical ids: TargetGroup Ref arn:<p>:elasticloadbalancing:
//     <region>:<acct>:targetgroup/<Name or logical id>/<16 hex>, LoadBalancer
//     …:loadbalancer/app/<name>/<16 hex>, Lambda Ref = FunctionName or logical
//     id and Arn arn:<p>:lambda:<region>:<acct>:function:<name>, Cognito user
//     pool <region>_<9 chars>; the hex comes from sha256(stack/logicalId).
//   - A15 A forward to a target group without a registered target answers
//     503; a WebSocket upgrade to a Lambda target answers 400 (LAMBDA-UG).
//   - A16 ALB-generated responses (errors, fixed-response, redirect) carry
//     Server: awselb/2.0 unless routing.http.response.server.enabled=false;
//     Lambda responses are passed without it.
//   - A17 Redirect: absent components keep the request's (#{protocol},
//     #{host}, #{port}, /#{path}, #{query}); #{port} is the template listener
//     port (then T5); the default port of the scheme is omitted from Location.
//   - A18 Quotas enforced at load: priority 1..50000 and unique per listener;
//     ≤5 target groups per forward; weighted forwarding to more than one
//     target group and stickiness are not supported (load error). The
//     adjustable 100-rules-per-ALB quota is not enforced.
package localalb
