package localalb

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/localalb/jwtvalidate"
)

// Invoker invokes one Lambda function with an event payload and returns its
// response payload. *rie.Instance satisfies it. A function error is a normal
// payload ({"errorType":..}); an error return means the invocation failed.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// PrefixRewrite replaces the prefix From of a URL with To.
type PrefixRewrite struct{ From, To string }

// Options configure the local ALB.
type Options struct {
	// ListenerAddrs maps a template listener port to a local address
	// (127.0.0.1:8443; port 0 picks a free port). Translation T2.
	ListenerAddrs map[int]string
	// JWKSRewrites rewrite JwksEndpoint URLs to the local IdP, e.g.
	// https://cognito-idp.us-east-1.amazonaws.com/ → http://127.0.0.1:9229/.
	// The first matching prefix wins. Translation T3.
	JWKSRewrites []PrefixRewrite
	// Invokers maps a Lambda function logical id to its invoker.
	Invokers map[string]Invoker
	// TLSCertificate serves every HTTPS listener (translation T4).
	TLSCertificate *tls.Certificate
	// Logger receives one line per request (default slog.Default()).
	Logger *slog.Logger
	// HTTPClient fetches JWKS documents (default: 5 s timeout, no proxy).
	HTTPClient *http.Client
	// KeySetOptions tune the shared JWKS cache.
	KeySetOptions jwtvalidate.KeySetOptions
	// Now replaces time.Now for token validation (tests).
	Now func() time.Time
	// InvokeGrace is added to the function timeout before an invocation is
	// abandoned as timed out (default 2 s).
	InvokeGrace time.Duration
}

// ALB is a running (or startable) local application load balancer.
type ALB struct {
	model      *Model
	opts       Options
	log        *slog.Logger
	keys       *jwtvalidate.KeySet
	jwksClient *http.Client
	validators map[*Action]*jwtvalidate.Validator
	invokers   map[*Function]Invoker
	listeners  []*listenerServer
	byPort     map[int]*listenerServer

	mu      sync.Mutex
	started bool
	stopped bool
}

type listenerServer struct {
	alb  *ALB
	lis  *Listener
	addr string // configured address

	mu    sync.Mutex
	bound string // actual address once listening
	srv   *http.Server
}

// New prepares an ALB for a model. It checks that every listener has a
// local address, that HTTPS listeners have a certificate, that every Lambda
// target has an invoker, and builds one JWT validator per jwt-validation
// action over one shared key set.
func New(m *Model, o Options) (*ALB, error) {
	if m == nil {
		return nil, errors.New("localalb: nil model")
	}
	a := &ALB{
		model:      m,
		opts:       o,
		log:        o.Logger,
		validators: map[*Action]*jwtvalidate.Validator{},
		invokers:   map[*Function]Invoker{},
		byPort:     map[int]*listenerServer{},
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.opts.InvokeGrace <= 0 {
		a.opts.InvokeGrace = 2 * time.Second
	}
	client := o.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
			Proxy: nil, MaxIdleConnsPerHost: 4, IdleConnTimeout: jwksIdleConnTimeout}}
	}
	a.jwksClient = client
	a.keys = jwtvalidate.NewKeySet(client, o.KeySetOptions)
	var errs []error
	for _, lis := range m.Listeners {
		addr, ok := o.ListenerAddrs[lis.Port]
		if !ok {
			errs = append(errs, fmt.Errorf("listener %s (port %d): no local address in Options.ListenerAddrs", lis.LogicalID, lis.Port))
			continue
		}
		if err := checkLoopback(addr); err != nil {
			errs = append(errs, fmt.Errorf("listener %s (port %d): %w", lis.LogicalID, lis.Port, err))
		}
		if lis.Protocol == "HTTPS" && o.TLSCertificate == nil {
			errs = append(errs, fmt.Errorf("listener %s (port %d): HTTPS needs Options.TLSCertificate", lis.LogicalID, lis.Port))
		}
		ls := &listenerServer{alb: a, lis: lis, addr: addr}
		a.listeners = append(a.listeners, ls)
		a.byPort[lis.Port] = ls
		actionSets := [][]*Action{lis.DefaultActions}
		for _, ru := range lis.Rules {
			actionSets = append(actionSets, ru.Actions)
		}
		for _, set := range actionSets {
			for _, act := range set {
				if err := a.prepareAction(lis, act); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("localalb: %w", err)
	}
	return a, nil
}

func (a *ALB) prepareAction(lis *Listener, act *Action) error {
	switch act.Type {
	case ActionJWTValidation:
		jwksURL := a.rewriteJWKS(act.JWT.JWKSEndpoint)
		if jwksURL == act.JWT.JWKSEndpoint {
			jwksURL = ""
		}
		v, err := jwtvalidate.NewValidator(*act.JWT, a.keys, jwtvalidate.ValidatorOptions{Now: a.opts.Now, JWKSURL: jwksURL})
		if err != nil {
			return fmt.Errorf("listener %s: jwt-validation: %w", lis.LogicalID, err)
		}
		a.validators[act] = v
	case ActionForward:
		fn := act.TargetGroup.Function
		if fn == nil {
			return nil // no registered target: 503 at request time
		}
		inv, ok := a.opts.Invokers[fn.LogicalID]
		if !ok || inv == nil {
			return fmt.Errorf("target group %s: no invoker for function %s in Options.Invokers", act.TargetGroup.LogicalID, fn.LogicalID)
		}
		a.invokers[fn] = inv
	}
	return nil
}

func (a *ALB) rewriteJWKS(u string) string {
	for _, r := range a.opts.JWKSRewrites {
		if r.From != "" && strings.HasPrefix(u, r.From) {
			return r.To + strings.TrimPrefix(u, r.From)
		}
	}
	return u
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return fmt.Errorf("address %q: the local ALB binds only to loopback addresses", addr)
	}
	return nil
}

// KeySet is the JWKS cache shared by every jwt-validation action.
func (a *ALB) KeySet() *jwtvalidate.KeySet { return a.keys }

// Model returns the model the ALB serves.
func (a *ALB) Model() *Model { return a.model }

// Handler returns the HTTP handler of the listener with the given template
// port (nil if there is none). It works without Start (tests).
func (a *ALB) Handler(port int) http.Handler {
	if ls := a.byPort[port]; ls != nil {
		return ls
	}
	return nil
}

// Start binds every listener and serves in the background. A busy port is
// an error naming the listener and the address.
func (a *ALB) Start() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.started {
		return errors.New("localalb: already started")
	}
	var opened []net.Listener
	for _, ls := range a.listeners {
		ln, err := net.Listen("tcp", ls.addr)
		if err != nil {
			for _, o := range opened {
				_ = o.Close()
			}
			return fmt.Errorf("localalb: listener %s (template port %d): cannot listen on %s: %w",
				ls.lis.LogicalID, ls.lis.Port, ls.addr, err)
		}
		opened = append(opened, ln)
	}
	a.started = true
	for i, ls := range a.listeners {
		ls.serve(opened[i])
	}
	return nil
}

func (ls *listenerServer) serve(ln net.Listener) {
	lb := ls.lis.LoadBalancer
	idle := 60 * time.Second
	if lb != nil {
		idle = lb.IdleTimeout
	}
	srv := &http.Server{
		Handler:           ls,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       idle,
		MaxHeaderBytes:    64 << 10, // "whole request header 64K" (QUOTA-UG)
		// OPTIONS * reaches the ALB's own logic (assumption ALB-A19).
		DisableGeneralOptionsHandler: true,
		ErrorLog:                     slog.NewLogLogger(ls.alb.log.Handler(), slog.LevelDebug),
	}
	ls.mu.Lock()
	ls.bound = ln.Addr().String()
	ls.srv = srv
	ls.mu.Unlock()
	go func() {
		var err error
		if ls.lis.Protocol == "HTTPS" {
			srv.TLSConfig = &tls.Config{
				MinVersion:   ls.lis.MinTLSVersion,
				Certificates: []tls.Certificate{*ls.alb.opts.TLSCertificate},
			}
			err = srv.ServeTLS(ln, "", "")
		} else {
			err = srv.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			ls.alb.log.Error("listener stopped", "listener", ls.lis.LogicalID, "error", err.Error())
		}
	}()
}

// Addr returns the bound address of the listener with the given template
// port ("" before Start or for an unknown port).
func (a *ALB) Addr(port int) string {
	ls := a.byPort[port]
	if ls == nil {
		return ""
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.bound
}

// URL returns http(s)://<bound address> of a listener ("" if not bound).
func (a *ALB) URL(port int) string {
	addr := a.Addr(port)
	if addr == "" {
		return ""
	}
	scheme := "http"
	if a.byPort[port].lis.Protocol == "HTTPS" {
		scheme = "https"
	}
	return scheme + "://" + addr
}

// Shutdown stops every listener gracefully (in-flight requests finish until
// ctx ends). It is idempotent.
func (a *ALB) Shutdown(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopped {
		return nil
	}
	a.stopped = true
	var errs []error
	for _, ls := range a.listeners {
		ls.mu.Lock()
		srv := ls.srv
		ls.mu.Unlock()
		if srv != nil {
			if err := srv.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("listener %s: %w", ls.lis.LogicalID, err))
			}
		}
	}
	a.jwksClient.CloseIdleConnections() // no socket outlives the ALB
	return errors.Join(errs...)
}

// jwksIdleConnTimeout closes a kept-alive JWKS connection nobody reuses.
const jwksIdleConnTimeout = 90 * time.Second

// localPort translates a template listener port to the port the matching
// local listener is bound to (translation T5, used by redirects).
func (a *ALB) localPort(templatePort int) int {
	ls := a.byPort[templatePort]
	if ls == nil {
		return templatePort
	}
	addr := a.Addr(templatePort)
	if addr == "" {
		addr = ls.addr
	}
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return templatePort
	}
	n, err := strconv.Atoi(p)
	if err != nil || n == 0 {
		return templatePort
	}
	return n
}

// ----------------------------------------------------------- per request

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

func (ls *listenerServer) serverHeader(w http.ResponseWriter) {
	if ls.lis.ServerHeader {
		w.Header().Set("Server", "awselb/2.0")
	}
}

// albError writes an ALB-generated error page (assumption A3 for 401/500 of
// jwt-validation).
func (ls *listenerServer) albError(w http.ResponseWriter, e *logEntry, status int) {
	e.status = status
	body := errorPage(status)
	ls.serverHeader(w)
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if status == http.StatusBadRequest {
		w.Header().Set("Connection", "close")
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// nginxReasons are the reason phrases of nginx's generated pages, which the
// ALB's generated pages use (a live ALB answered a rejected token with
// "401 Authorization Required", docs/alb-behaviour.md §1.8).
var nginxReasons = map[int]string{
	301: "Moved Permanently",
	302: "Found",
	400: "Bad Request",
	401: "Authorization Required",
	403: "Forbidden",
	404: "Not Found",
	405: "Not Allowed",
	408: "Request Time-out",
	413: "Request Entity Too Large",
	414: "Request-URI Too Large",
	500: "Internal Server Error",
	501: "Not Implemented",
	502: "Bad Gateway",
	503: "Service Temporarily Unavailable",
	504: "Gateway Time-out",
}

// errorPage is the HTML page the ALB generates for status (nginx's template
// and reason phrase; Go's phrase for a status nginx has none for).
func errorPage(status int) string {
	reason, ok := nginxReasons[status]
	if !ok {
		reason = http.StatusText(status)
	}
	text := strconv.Itoa(status) + " " + reason
	return "<html>\r\n<head><title>" + text + "</title></head>\r\n<body>\r\n<center><h1>" + text +
		"</h1></center>\r\n</body>\r\n</html>\r\n"
}

func (ls *listenerServer) fixedResponse(w http.ResponseWriter, e *logEntry, fr *FixedResponse) {
	e.status = fr.StatusCode
	ls.serverHeader(w)
	if fr.ContentType != "" {
		w.Header().Set("Content-Type", fr.ContentType)
	} else {
		w.Header()["Content-Type"] = nil // no content sniffing
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(fr.MessageBody)))
	w.WriteHeader(fr.StatusCode)
	_, _ = io.WriteString(w, fr.MessageBody)
}

// redirectLocation builds the Location of a redirect action. Placeholders:
// #{protocol} (the listener protocol), #{host} (Host header without port),
// #{port} (the TEMPLATE listener port), #{path} (path without its leading
// '/'), #{query} (raw query without '?'). The resulting port is then
// translated to the bound local port of the template listener with that port
// (translation T5) and omitted when it is the scheme's default.
func (ls *listenerServer) redirectLocation(rd *Redirect, hostHeader, path, query string) (string, error) {
	host, _ := splitHostPort(hostHeader)
	pathNoSlash := strings.TrimPrefix(path, "/")
	listenerPort := strconv.Itoa(ls.lis.Port)
	sub := func(v, def string) string {
		if v == "" {
			v = def
		}
		return strings.NewReplacer("#{protocol}", ls.lis.Protocol, "#{host}", host, "#{port}", listenerPort,
			"#{path}", pathNoSlash, "#{query}", query).Replace(v)
	}
	proto := strings.ToLower(sub(rd.Protocol, "#{protocol}"))
	newHost := sub(rd.Host, "#{host}")
	portStr := sub(rd.Port, "#{port}")
	newPath := sub(rd.Path, "/#{path}")
	newQuery := sub(rd.Query, "#{query}")
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 1 || port > 65535 {
		return "", fmt.Errorf("redirect port %q", portStr)
	}
	port = ls.alb.localPort(port)
	loc := proto + "://" + newHost
	if !(proto == "https" && port == 443 || proto == "http" && port == 80) {
		loc += ":" + strconv.Itoa(port)
	}
	if !strings.HasPrefix(newPath, "/") {
		newPath = "/" + newPath
	}
	loc += newPath
	if newQuery != "" {
		loc += "?" + newQuery
	}
	return loc, nil
}

func (ls *listenerServer) redirect(w http.ResponseWriter, r *http.Request, e *logEntry, rd *Redirect, hostHeader, path, query string) {
	loc, err := ls.redirectLocation(rd, hostHeader, path, query)
	if err != nil {
		e.errorReason = "RedirectFailed"
		ls.albError(w, e, http.StatusInternalServerError)
		return
	}
	e.status = rd.StatusCode
	ls.serverHeader(w)
	body := errorPage(rd.StatusCode)
	w.Header().Set("Location", loc)
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rd.StatusCode)
	_, _ = io.WriteString(w, body)
}

// newTraceID returns Root=1-<8 hex epoch seconds>-<24 hex random>.
func newTraceID(now time.Time) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%x", now.Unix(), b)
}

// forwardHeaders builds the event headers (lower-case, arrival order per
// name): the client's headers, host, then the X-Forwarded-* and trace
// headers the ALB adds (LAMBDA-UG, x-forwarded-headers.html).
func (ls *listenerServer) forwardHeaders(r *http.Request, header http.Header, hostHeader string) []headerField {
	lb := ls.lis.LoadBalancer
	xffMode := "append"
	clientPort := false
	tlsHeaders := false
	if lb != nil {
		xffMode, clientPort, tlsHeaders = lb.XFFMode, lb.XFFClientPort, lb.TLSHeaders
	}
	fields := make([]headerField, 0, len(header)+6)
	fields = append(fields, headerField{"host", hostHeader})
	var xff []string
	trace := ""
	for name, values := range header {
		lname := strings.ToLower(name)
		switch lname {
		case "host", "x-forwarded-port", "x-forwarded-proto":
			continue // set by the ALB
		case "x-forwarded-for":
			xff = append(xff, values...)
			continue
		case "x-amzn-trace-id":
			if len(values) > 0 {
				trace = values[len(values)-1]
			}
			continue
		case "x-amzn-tls-version", "x-amzn-tls-cipher-suite":
			if tlsHeaders {
				continue
			}
		}
		for _, v := range values {
			fields = append(fields, headerField{lname, v})
		}
	}
	client := r.RemoteAddr
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		client = ap.Addr().Unmap().String()
		if clientPort {
			if ap.Addr().Is6() && !ap.Addr().Is4In6() {
				client = "[" + client + "]:" + strconv.Itoa(int(ap.Port()))
			} else {
				client += ":" + strconv.Itoa(int(ap.Port()))
			}
		}
	}
	switch xffMode {
	case "append":
		if len(xff) > 0 {
			fields = append(fields, headerField{"x-forwarded-for", strings.Join(xff, ", ") + ", " + client})
		} else {
			fields = append(fields, headerField{"x-forwarded-for", client})
		}
	case "preserve":
		if len(xff) > 0 {
			fields = append(fields, headerField{"x-forwarded-for", strings.Join(xff, ", ")})
		}
	case "remove":
	}
	proto := "http"
	if ls.lis.Protocol == "HTTPS" {
		proto = "https"
	}
	fields = append(fields,
		headerField{"x-forwarded-port", strconv.Itoa(ls.lis.Port)},
		headerField{"x-forwarded-proto", proto})
	if trace == "" || !strings.Contains(trace, "Root=") {
		trace = newTraceID(time.Now())
	}
	fields = append(fields, headerField{"x-amzn-trace-id", trace})
	if tlsHeaders && r.TLS != nil {
		fields = append(fields,
			headerField{"x-amzn-tls-version", tlsVersionName(r.TLS.Version)},
			headerField{"x-amzn-tls-cipher-suite", tls.CipherSuiteName(r.TLS.CipherSuite)})
	}
	return fields
}

func tlsVersionName(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "TLSv1.3"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS11:
		return "TLSv1.1"
	default:
		return "TLSv1"
	}
}

func (ls *listenerServer) forward(w http.ResponseWriter, r *http.Request, e *logEntry, tg *TargetGroup,
	header http.Header, hostHeader, path, query string) {
	e.targetGroup = tg.LogicalID
	fn := tg.Function
	if fn == nil {
		e.errorReason = "NoRegisteredTargets"
		ls.albError(w, e, http.StatusServiceUnavailable)
		return
	}
	e.function = fn.LogicalID
	if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		e.errorReason = "WebSocketToLambda"
		ls.albError(w, e, http.StatusBadRequest)
		return
	}
	if r.ContentLength > maxLambdaRequestBody {
		e.errorReason = "LambdaRequestTooLarge"
		ls.albError(w, e, http.StatusRequestEntityTooLarge)
		return
	}
	var body []byte
	var err error
	if r.Body != nil && r.Body != http.NoBody {
		body, err = io.ReadAll(io.LimitReader(r.Body, maxLambdaRequestBody+1))
	}
	if err != nil {
		e.errorReason = "ClientReadError"
		ls.albError(w, e, http.StatusBadRequest)
		return
	}
	if len(body) > maxLambdaRequestBody {
		e.errorReason = "LambdaRequestTooLarge"
		ls.albError(w, e, http.StatusRequestEntityTooLarge)
		return
	}
	payload, err := buildEvent(tg, r.Method, path, query, ls.forwardHeaders(r, header, hostHeader), body, header.Get("Content-Type"))
	if err != nil {
		e.errorReason = "EventEncoding"
		ls.albError(w, e, http.StatusInternalServerError)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), fn.Timeout+ls.alb.opts.InvokeGrace)
	defer cancel()
	out, err := ls.alb.invokers[fn].Invoke(ctx, payload)
	if err != nil {
		e.errorReason = reasonLambdaInvokeError
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			e.errorReason = reasonLambdaTimeout
		}
		ls.albError(w, e, http.StatusBadGateway)
		return
	}
	res, err := parseLambdaResponse(out, tg.MultiValueHeaders)
	if err != nil {
		var te *targetError
		if errors.As(err, &te) {
			e.errorReason = te.reason
		}
		ls.albError(w, e, http.StatusBadGateway)
		return
	}
	e.status = res.status
	h := w.Header()
	for k, v := range res.header {
		h[k] = v
	}
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = nil // no content sniffing: the ALB adds no Content-Type
	}
	if bodyAllowed(res.status) {
		h.Set("Content-Length", strconv.Itoa(len(res.body)))
	} else {
		res.body = nil
	}
	w.WriteHeader(res.status)
	_, _ = w.Write(res.body)
}

func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}
