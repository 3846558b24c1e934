package localalb

import (
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// logEntry accumulates the fields of the one log line per request.
type logEntry struct {
	path, rule, jwt, jwtReason, rewritten, targetGroup, function, errorReason string
	priority, status                                                          int
	// tenant names the tenant the request went to (Rule.Tenant or
	// TargetGroup.Tenant), "" when it went to none.
	tenant string
	// coldStart is how long the function's runtime took to start for this
	// request (invoke.Info), zero when a warm runtime served it.
	coldStart time.Duration
}

// message is the human-readable request line: the tenant and the rule by
// tenant id and priority (the logical ids are in the attributes).
func (e *logEntry) message(method string) string {
	rule := e.rule
	switch {
	case e.rule == "default" || e.rule == "-":
	case e.priority > 0:
		rule = "prio-" + strconv.Itoa(e.priority)
	}
	tenant := e.tenant
	if tenant == "" {
		tenant = "-"
	}
	msg := method + " " + e.path + " " + strconv.Itoa(e.status) + " tenant=" + tenant + " rule=" + rule
	if e.coldStart > 0 {
		msg += " cold start " + e.coldStart.Round(time.Millisecond).String()
	}
	return msg
}

// exchange is one request on its way through a listener, carried through
// every stage (rules, jwt-validation, transforms, the routing action): the
// client's request and response writer, the headers the ALB reads, the
// Host, path and query the target gets (after the transforms) and the
// fields of the request's log line.
type exchange struct {
	w http.ResponseWriter
	r *http.Request
	// header is r.Header after drop_invalid_header_fields (assumption ALB-A8).
	header http.Header
	// host, path and query are what the target sees: the Host header, the
	// normalized path and the raw query, rewritten by the rule's transforms.
	host, path, query string
	log               logEntry
}

func (ls *listenerServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	x := &exchange{w: w, r: r, header: r.Header, host: r.Host, log: logEntry{rule: "-", jwt: "none"}}
	if reason := oversizeRequest(r); reason != "" {
		x.log.errorReason = reason
		ls.albError(x, http.StatusBadRequest)
	} else {
		ls.handle(x)
	}
	e := &x.log
	ls.alb.log.LogAttrs(r.Context(), slog.LevelInfo, e.message(r.Method),
		slog.String("listener", ls.lis.LogicalID),
		slog.String("tenant", e.tenant),
		slog.Int("port", ls.lis.Port),
		slog.String("method", r.Method),
		slog.String("path", e.path),
		slog.String("rule", e.rule),
		slog.Int("priority", e.priority),
		slog.String("jwt", e.jwt),
		slog.String("jwt_reason", e.jwtReason),
		slog.String("rewritten_path", e.rewritten),
		slog.String("target_group", e.targetGroup),
		slog.String("function", e.function),
		slog.Int("status", e.status),
		slog.String("error_reason", e.errorReason),
		slog.Float64("cold_start_ms", float64(e.coldStart.Microseconds())/1000),
		slog.Float64("latency_ms", float64(time.Since(start).Microseconds())/1000),
	)
}

// HTTP limits of the ALB (QUOTA-UG): "request line 16K, single header 16K,
// whole request header 64K"; above them the ALB answers 400
// (load-balancer-troubleshooting.html, assumption ALB-A20).
const (
	maxRequestLine  = 16 << 10
	maxSingleHeader = 16 << 10
	maxHeaderBlock  = 64 << 10
)

// oversizeRequest returns the error reason of a request whose request line,
// one of whose header fields (name: value) or whose whole header block
// (request line and fields with their CRLFs) exceeds the ALB's limits.
func oversizeRequest(r *http.Request) string {
	line := len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto)
	if line > maxRequestLine {
		return "RequestLineTooLong"
	}
	field := len("Host") + 2 + len(r.Host)
	if field > maxSingleHeader {
		return "HeaderTooLong"
	}
	block := line + 2 + field + 2
	for name, values := range r.Header {
		for _, v := range values {
			field := len(name) + 2 + len(v)
			if field > maxSingleHeader {
				return "HeaderTooLong"
			}
			block += field + 2
		}
	}
	if block > maxHeaderBlock {
		return "HeaderBlockTooLarge"
	}
	return ""
}

// requestTarget splits r.RequestURI into the raw path and raw query.
func requestTarget(r *http.Request) (string, string, error) {
	raw := r.RequestURI
	if !strings.HasPrefix(raw, "/") {
		// absolute-form: scheme://authority/path?query
		i := strings.Index(raw, "://")
		if i < 0 {
			return "", "", errBadTarget
		}
		rest := raw[i+3:]
		j := strings.IndexAny(rest, "/?")
		switch {
		case j < 0:
			raw = "/"
		case rest[j] == '?':
			raw = "/" + rest[j:]
		default:
			raw = rest[j:]
		}
	}
	if strings.IndexByte(raw, '#') >= 0 {
		return "", "", errBadTarget // a fragment is not part of a request target (RFC 9112 §3.2)
	}
	path, query, _ := strings.Cut(raw, "?")
	if !validQuery(query) {
		return "", "", errBadTarget
	}
	return path, query, nil
}

func (ls *listenerServer) handle(x *exchange) {
	lis := ls.lis
	rawPath, rawQuery, err := requestTarget(x.r)
	if err == nil {
		x.path, err = normalizePath(rawPath)
	}
	if err != nil {
		x.log.errorReason = "InvalidRequestTarget"
		ls.albError(x, http.StatusBadRequest)
		return
	}
	x.log.path, x.query = x.path, rawQuery
	if lb := lis.LoadBalancer; lb != nil && lb.DropInvalidHeaderFields {
		x.header = dropInvalidHeaders(x.header)
	}
	rule := ls.match(x)
	actions := lis.DefaultActions
	if rule != nil {
		actions = rule.Actions
		x.log.rule, x.log.priority, x.log.tenant = rule.LogicalID, rule.Priority, rule.Tenant
	} else {
		x.log.rule = "default"
	}
	for _, act := range actions {
		if act.Type == ActionJWTValidation {
			if !ls.validateJWT(x, act) {
				return
			}
			continue
		}
		// The routing action: transforms first (assumption ALB-A4).
		if rule != nil && !ls.transform(x, rule) {
			return
		}
		x.log.rewritten = x.path
		switch act.Type {
		case ActionFixedResponse:
			ls.fixedResponse(x, act.FixedResponse)
		case ActionRedirect:
			ls.redirect(x, act.Redirect)
		case ActionForward:
			ls.forward(x, act.TargetGroup)
		}
		return
	}
	// Unreachable for a loaded model (a routing action is always last).
	ls.albError(x, http.StatusInternalServerError)
}

// match returns the first rule by priority whose conditions match the
// normalized original request, nil for the default actions.
func (ls *listenerServer) match(x *exchange) *Rule {
	host, _ := splitHostPort(x.r.Host)
	req := &request{
		method:   x.r.Method,
		path:     x.path,
		rawQuery: x.query,
		query:    parseQuery(x.query),
		host:     host,
		header:   x.header,
	}
	if ap, err := netip.ParseAddrPort(x.r.RemoteAddr); err == nil {
		req.sourceIP = ap.Addr().Unmap()
	}
	for _, ru := range ls.lis.Rules {
		if ru.matches(req) {
			return ru
		}
	}
	return nil
}

// validateJWT runs a jwt-validation action; on a rejection it answers and
// returns false.
func (ls *listenerServer) validateJWT(x *exchange, act *Action) bool {
	v := ls.alb.validators[act].Check(x.r.Context(), x.header)
	if v.Status == 0 {
		x.log.jwt = "pass"
		return true
	}
	x.log.jwt, x.log.jwtReason = "reject", v.Reason
	if v.Status >= 500 {
		x.log.jwt = "error"
	}
	ls.albError(x, v.Status)
	return false
}

// transform applies the rule's transforms to the exchange's host, path and
// query; on a failure it answers 500 and returns false.
func (ls *listenerServer) transform(x *exchange, rule *Rule) bool {
	for _, t := range rule.Transforms {
		var err error
		switch t.Type {
		case TransformURLRewrite:
			x.path, x.query, _, err = rewriteURL(t, x.path, x.query)
		case TransformHostHeaderRewrite:
			x.host, _, err = rewriteHost(t, x.host)
		}
		if err != nil {
			x.log.errorReason = "TransformFailed"
			ls.albError(x, http.StatusInternalServerError)
			return false
		}
	}
	return true
}

func dropInvalidHeaders(h http.Header) http.Header {
	valid := true
	for k := range h {
		if !validALBHeaderName(k) {
			valid = false
			break
		}
	}
	if valid {
		return h // nothing to drop (the header is only read)
	}
	out := make(http.Header, len(h))
	for k, v := range h {
		if validALBHeaderName(k) {
			out[k] = v
		}
	}
	return out
}
