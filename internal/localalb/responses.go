package localalb

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

func (ls *listenerServer) serverHeader(w http.ResponseWriter) {
	if ls.lis.ServerHeader {
		w.Header().Set("Server", "awselb/2.0")
	}
}

// albError writes an ALB-generated error page (assumption ALB-A3 for 401/500 of
// jwt-validation).
func (ls *listenerServer) albError(x *exchange, status int) {
	w := x.w
	x.log.status = status
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

func (ls *listenerServer) fixedResponse(x *exchange, fr *FixedResponse) {
	w := x.w
	x.log.status = fr.StatusCode
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
// (translation ALB-T5) and omitted when it is the scheme's default.
func (ls *listenerServer) redirectLocation(x *exchange, rd *Redirect) (string, error) {
	host, _ := splitHostPort(x.host)
	pathNoSlash := strings.TrimPrefix(x.path, "/")
	query := x.query
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

func (ls *listenerServer) redirect(x *exchange, rd *Redirect) {
	loc, err := ls.redirectLocation(x, rd)
	if err != nil {
		x.log.errorReason = "RedirectFailed"
		ls.albError(x, http.StatusInternalServerError)
		return
	}
	w := x.w
	x.log.status = rd.StatusCode
	ls.serverHeader(w)
	body := errorPage(rd.StatusCode)
	w.Header().Set("Location", loc)
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rd.StatusCode)
	_, _ = io.WriteString(w, body)
}
