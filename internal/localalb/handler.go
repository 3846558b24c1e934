package localalb

import (
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// logEntry accumulates the fields of the one log line per request.
type logEntry struct {
	path, rule, jwt, jwtReason, rewritten, targetGroup, function, errorReason string
	priority, status                                                          int
}

func (ls *listenerServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	e := &logEntry{rule: "-", jwt: "none"}
	if reason := oversizeRequest(r); reason != "" {
		e.errorReason = reason
		ls.albError(w, e, http.StatusBadRequest)
	} else {
		ls.handle(w, r, e)
	}
	ls.alb.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
		slog.String("listener", ls.lis.LogicalID),
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
		slog.Float64("latency_ms", float64(time.Since(start).Microseconds())/1000),
	)
}

// HTTP limits of the ALB (QUOTA-UG): "request line 16K, single header 16K";
// above them the ALB answers 400 (load-balancer-troubleshooting.html).
const (
	maxRequestLine  = 16 << 10
	maxSingleHeader = 16 << 10
)

// oversizeRequest returns the error reason of a request whose request line
// or one of whose header fields (name: value) exceeds the ALB's limits.
func oversizeRequest(r *http.Request) string {
	if len(r.Method)+1+len(r.RequestURI)+1+len(r.Proto) > maxRequestLine {
		return "RequestLineTooLong"
	}
	if len("Host")+2+len(r.Host) > maxSingleHeader {
		return "HeaderTooLong"
	}
	for name, values := range r.Header {
		for _, v := range values {
			if len(name)+2+len(v) > maxSingleHeader {
				return "HeaderTooLong"
			}
		}
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

func (ls *listenerServer) handle(w http.ResponseWriter, r *http.Request, e *logEntry) {
	a := ls.alb
	lis := ls.lis
	rawPath, rawQuery, err := requestTarget(r)
	if err == nil {
		e.path, err = normalizePath(rawPath)
	}
	if err != nil {
		e.errorReason = "InvalidRequestTarget"
		ls.albError(w, e, http.StatusBadRequest)
		return
	}
	header := r.Header
	if lb := lis.LoadBalancer; lb != nil && lb.DropInvalidHeaderFields {
		header = dropInvalidHeaders(header)
	}
	host, _ := splitHostPort(r.Host)
	req := &request{
		method:   r.Method,
		path:     e.path,
		rawQuery: rawQuery,
		query:    parseQuery(rawQuery),
		host:     host,
		header:   header,
	}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		req.sourceIP = ap.Addr().Unmap()
	}
	var rule *Rule
	for _, ru := range lis.Rules {
		if ru.matches(req) {
			rule = ru
			break
		}
	}
	actions := lis.DefaultActions
	if rule != nil {
		actions = rule.Actions
		e.rule, e.priority = rule.LogicalID, rule.Priority
	} else {
		e.rule = "default"
	}
	for _, act := range actions {
		switch act.Type {
		case ActionJWTValidation:
			v := a.validators[act].Check(r.Context(), header)
			if v.Status != 0 {
				e.jwt, e.jwtReason = "reject", v.Reason
				if v.Status >= 500 {
					e.jwt = "error"
				}
				ls.albError(w, e, v.Status)
				return
			}
			e.jwt = "pass"
			continue
		}
		// The routing action: transforms first (assumption A4).
		hostHeader := r.Host
		path := e.path
		query := rawQuery
		if rule != nil {
			for _, t := range rule.Transforms {
				var err error
				switch t.Type {
				case TransformURLRewrite:
					path, query, _, err = rewriteURL(t, path, query)
				case TransformHostHeaderRewrite:
					hostHeader, _, err = rewriteHost(t, hostHeader)
				}
				if err != nil {
					e.errorReason = "TransformFailed"
					ls.albError(w, e, http.StatusInternalServerError)
					return
				}
			}
		}
		e.rewritten = path
		switch act.Type {
		case ActionFixedResponse:
			ls.fixedResponse(w, e, act.FixedResponse)
		case ActionRedirect:
			ls.redirect(w, r, e, act.Redirect, hostHeader, path, query)
		case ActionForward:
			ls.forward(w, r, e, act.TargetGroup, header, hostHeader, path, query)
		}
		return
	}
	// Unreachable for a loaded model (a routing action is always last).
	ls.albError(w, e, http.StatusInternalServerError)
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
