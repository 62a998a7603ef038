package local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// route records, per request, the backend that got it, for the metrics
// and the response header. The proxy calls the transport on the request's
// own goroutine, so no locking is needed.
type route struct{ backend string }

type routeKey struct{}

func routeFrom(ctx context.Context) *route {
	rt, _ := ctx.Value(routeKey{}).(*route)
	return rt
}

// forward proxies one request and records what happened to it.
func (g *Gateway) forward(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rt := &route{}
	rec := &statusRecorder{ResponseWriter: w}
	g.proxy.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), routeKey{}, rt)))
	code := rec.code
	if code == 0 {
		code = http.StatusOK
	}
	g.metrics.requests.WithLabelValues(rt.backend, strconv.Itoa(code)).Inc()
	g.metrics.duration.WithLabelValues(rt.backend).Observe(time.Since(start).Seconds())
}

// routeError is an answer the gateway gives itself, without a backend.
type routeError struct {
	code int
	msg  string
}

func (e *routeError) Error() string { return e.msg }

// pickTransport chooses the backend of each attempt: the pinned one, or one
// drawn by weight, and once more from the weights of that moment when the
// connection failed before any response byte.
type pickTransport struct {
	g    *Gateway
	base http.RoundTripper
}

func (p *pickTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rt := routeFrom(req.Context())
	if rt == nil {
		rt = &route{}
	}
	t := p.g.table.Load()
	if pin := req.Header.Get(HeaderBackend); pin != "" {
		u, ok := t.all[pin]
		if !ok {
			return nil, &routeError{http.StatusBadRequest, fmt.Sprintf("gateway: %s names backend %q, which the gateway does not have (backends: %s)",
				HeaderBackend, pin, strings.Join(sortedKeys(t.all), ", "))}
		}
		rt.backend = pin
		return p.base.RoundTrip(retarget(req, u))
	}
	first, ok := t.pick("")
	if !ok {
		return nil, &routeError{http.StatusServiceUnavailable, fmt.Sprintf("gateway: no backend has a weight (backends: %s); set them with 'upshift local weights CLUSTER=100' or PUT /admin/weights",
			strings.Join(sortedKeys(t.all), ", "))}
	}
	rt.backend = first.name
	resp, err := p.base.RoundTrip(retarget(req, first.url))
	if err == nil || !retryable(req, err) {
		return resp, err
	}
	next, ok := p.g.table.Load().pick(first.name)
	if !ok {
		return nil, err
	}
	p.g.metrics.retries.WithLabelValues(first.name, next.name).Inc()
	p.g.log.Debug("retrying on another backend", "from", first.name, "to", next.name, "err", err)
	rt.backend = next.name
	return p.base.RoundTrip(retarget(req, next.url))
}

// retarget returns a shallow copy of req addressed to backend u; RoundTrip
// must not change the request it was given.
func retarget(req *http.Request, u *url.URL) *http.Request {
	out := req.WithContext(req.Context())
	to := *req.URL
	to.Scheme, to.Host = u.Scheme, u.Host
	out.URL, out.Host = &to, ""
	return out
}

// retryable reports whether a failed attempt may go to another backend: the
// client still waits, there is no body to replay, and the backend cannot
// have acted on it (the dial failed) or acting twice is harmless (an
// idempotent method).
func retryable(req *http.Request, err error) bool {
	if req.Context().Err() != nil || (req.Body != nil && req.Body != http.NoBody) {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return req.Header.Get("Idempotency-Key") != ""
}

// proxyError answers when no backend gave a response.
func (g *Gateway) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	var re *routeError
	code, msg := http.StatusBadGateway, ""
	switch {
	case errors.As(err, &re):
		code, msg = re.code, re.msg
	case r.Context().Err() != nil:
		// The client has gone; nobody reads this answer. 499 is what
		// proxies count such requests as.
		code, msg = 499, "gateway: client closed the request"
	default:
		backend := ""
		if rt := routeFrom(r.Context()); rt != nil {
			backend = rt.backend
		}
		msg = fmt.Sprintf("gateway: backend %s did not answer: %v", backend, err)
		g.log.Warn("backend failed", "backend", backend, "err", err)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = fmt.Fprintln(w, msg)
}

// statusRecorder remembers the status code; Unwrap keeps the proxy's
// flushes working through http.ResponseController.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.code == 0 && code >= 200 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
