package localalb

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/invoke"
)

// newTraceID returns Root=1-<8 hex epoch seconds>-<24 hex random>.
func newTraceID(now time.Time) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%x", now.Unix(), b)
}

// forwardHeaders builds the event headers (lower-case, arrival order per
// name): the client's headers, host, then the X-Forwarded-* and trace
// headers the ALB adds (LAMBDA-UG, x-forwarded-headers.html).
func (ls *listenerServer) forwardHeaders(x *exchange) []headerField {
	r, header := x.r, x.header
	lb := ls.lis.LoadBalancer
	xffMode := "append"
	clientPort := false
	tlsHeaders := false
	if lb != nil {
		xffMode, clientPort, tlsHeaders = lb.XFFMode, lb.XFFClientPort, lb.TLSHeaders
	}
	fields := make([]headerField, 0, len(header)+6)
	fields = append(fields, headerField{"host", x.host})
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

func (ls *listenerServer) forward(x *exchange, tg *TargetGroup) {
	w, r, e := x.w, x.r, &x.log
	e.targetGroup = tg.LogicalID
	if e.tenant == "" {
		e.tenant = tg.Tenant
	}
	fn := tg.Function
	if fn == nil {
		e.errorReason = "NoRegisteredTargets"
		ls.albError(x, http.StatusServiceUnavailable)
		return
	}
	e.function = fn.LogicalID
	if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		e.errorReason = "WebSocketToLambda"
		ls.albError(x, http.StatusBadRequest)
		return
	}
	if r.ContentLength > maxLambdaRequestBody {
		e.errorReason = "LambdaRequestTooLarge"
		ls.albError(x, http.StatusRequestEntityTooLarge)
		return
	}
	var body []byte
	var err error
	if r.Body != nil && r.Body != http.NoBody {
		body, err = io.ReadAll(io.LimitReader(r.Body, maxLambdaRequestBody+1))
	}
	if err != nil {
		e.errorReason = "ClientReadError"
		ls.albError(x, http.StatusBadRequest)
		return
	}
	if len(body) > maxLambdaRequestBody {
		e.errorReason = "LambdaRequestTooLarge"
		ls.albError(x, http.StatusRequestEntityTooLarge)
		return
	}
	payload, err := buildEvent(tg, r.Method, x.path, x.query, ls.forwardHeaders(x), body, x.header.Get("Content-Type"))
	if err != nil {
		e.errorReason = "EventEncoding"
		ls.albError(x, http.StatusInternalServerError)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), fn.Timeout+ls.alb.opts.InvokeGrace)
	defer cancel()
	ctx, info := invoke.WithInfo(ctx)
	out, err := ls.alb.invokers[fn].Invoke(ctx, payload)
	e.coldStart = info.ColdStart
	if err != nil {
		e.errorReason = reasonLambdaInvokeError
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			e.errorReason = reasonLambdaTimeout
		}
		ls.albError(x, http.StatusBadGateway)
		return
	}
	res, err := parseLambdaResponse(out, tg.MultiValueHeaders)
	if err != nil {
		var te *targetError
		if errors.As(err, &te) {
			e.errorReason = te.reason
		}
		ls.albError(x, http.StatusBadGateway)
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
