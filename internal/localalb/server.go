package localalb

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
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
	// (127.0.0.1:8443; port 0 picks a free port). Translation ALB-T2.
	ListenerAddrs map[int]string
	// JWKSRewrites rewrite JwksEndpoint URLs to the local IdP, e.g.
	// https://cognito-idp.us-east-1.amazonaws.com/ → http://127.0.0.1:9229/.
	// The first matching prefix wins. Translation ALB-T3.
	JWKSRewrites []PrefixRewrite
	// Invokers maps a Lambda function logical id to its invoker.
	Invokers map[string]Invoker
	// TLSCertificate serves every HTTPS listener (translation ALB-T4).
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
		// A memory bound only: the ALB's 64 KB header limit is answered
		// with the ALB's 400 by the handler (assumption ALB-A20).
		MaxHeaderBytes: 1 << 20,
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
// local listener is bound to (translation ALB-T5, used by redirects).
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
