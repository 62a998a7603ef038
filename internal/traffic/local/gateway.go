package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"upshift.dev/upshift/internal/traffic"
)

// HeaderBackend names the backend that answered (on responses), or pins a
// request to one (on requests).
const HeaderBackend = "X-Upshift-Backend"

// ErrUnknownBackend is wrapped when weights give a share to a backend the
// gateway does not have.
var ErrUnknownBackend = errors.New("unknown backend")

// GatewayOptions configure a Gateway. Zero values take the defaults given.
type GatewayOptions struct {
	// WeightsFile keeps the weights across restarts; they live in memory
	// only when empty.
	WeightsFile string
	// Discover, when set, is called once when weights give a share to a
	// backend the gateway does not know yet, so a cluster created a moment
	// ago is found before the change is refused. It is expected to call
	// SetBackends.
	Discover func(ctx context.Context) error
	// Transport reaches the backends; a pooled transport sized for a few
	// thousand requests per second on loopback when nil.
	Transport http.RoundTripper
	// Logger receives weight changes and backend failures; discarded when
	// nil.
	Logger *slog.Logger
}

// Gateway is the weighted L7 proxy in front of the ingresses; see the
// package documentation for its routing and retry rules.
type Gateway struct {
	opts     GatewayOptions
	log      *slog.Logger
	metrics  *gatewayMetrics
	metricsH http.Handler
	proxy    *httputil.ReverseProxy

	// mu serialises changes; requests read table without locking.
	mu       sync.Mutex
	weights  traffic.Weights
	backends map[string]*url.URL
	table    atomic.Pointer[table]
}

// NewGateway returns a gateway with no backends and the weights of
// o.WeightsFile, if it exists.
func NewGateway(o GatewayOptions) (*Gateway, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Transport == nil {
		o.Transport = &http.Transport{
			Proxy:               nil, // loopback backends: never through $HTTP_PROXY
			DialContext:         (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        1024,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     90 * time.Second,
		}
	}
	w, err := loadWeights(o.WeightsFile)
	if err != nil {
		return nil, err
	}
	g := &Gateway{opts: o, log: o.Logger, metrics: newGatewayMetrics(), weights: w, backends: map[string]*url.URL{}}
	g.metricsH = g.metrics.handler()
	g.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetXForwarded()
			// The transport picks the backend per attempt.
			pr.Out.URL.Scheme, pr.Out.URL.Host, pr.Out.Host = "http", "backend.invalid", ""
		},
		Transport: &pickTransport{g: g, base: o.Transport},
		ModifyResponse: func(resp *http.Response) error {
			if rt := routeFrom(resp.Request.Context()); rt != nil {
				resp.Header.Set(HeaderBackend, rt.backend)
			}
			return nil
		},
		ErrorHandler: g.proxyError,
		ErrorLog:     slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn),
	}
	g.rebuild()
	return g, nil
}

// SetBackends replaces the backends: cluster name to ingress base URL.
// Weights of backends that go stay on file and count again if they return.
func (g *Gateway) SetBackends(backends map[string]string) error {
	parsed := map[string]*url.URL{}
	for name, raw := range backends {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "http" || u.Host == "" {
			return fmt.Errorf("backend %q: URL %q is not http://host:port", name, raw)
		}
		parsed[name] = u
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.backends = parsed
	g.rebuild()
	return nil
}

// Backends returns each backend's base URL.
func (g *Gateway) Backends() map[string]string {
	t := g.table.Load()
	out := make(map[string]string, len(t.all))
	for n, u := range t.all {
		out[n] = u.String()
	}
	return out
}

// Weights returns the share of every backend, 0 for those not given one.
func (g *Gateway) Weights() traffic.Weights {
	t := g.table.Load()
	out := traffic.Weights{}
	for n := range t.all {
		out[n] = 0
	}
	for _, b := range t.live {
		out[b.name] = b.weight
	}
	return out
}

// SetWeights gives each named backend its share and every other one 0. The
// shares must be 0..100 and sum to 100; a backend given a share must exist
// (after one call of GatewayOptions.Discover), else the error wraps
// ErrUnknownBackend. The weights are on file before SetWeights returns, and
// the very next request follows them.
func (g *Gateway) SetWeights(ctx context.Context, w traffic.Weights) error {
	if err := validShares(w); err != nil {
		return err
	}
	if missing := g.unknown(w); len(missing) > 0 && g.opts.Discover != nil {
		if err := g.opts.Discover(ctx); err != nil {
			g.log.Warn("discovering backends failed", "err", err)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if missing := g.unknownLocked(w); len(missing) > 0 {
		return fmt.Errorf("%w %s: the gateway's backends are %s; is the cluster up and the data plane running?",
			ErrUnknownBackend, strings.Join(missing, ", "), strings.Join(sortedKeys(g.backends), ", "))
	}
	if err := saveWeights(g.opts.WeightsFile, w); err != nil {
		return err
	}
	g.weights = maps.Clone(w)
	g.rebuild()
	g.log.Info("weights set", "weights", w.String())
	return nil
}

// invalidError marks weights that can never be applied, as opposed to a
// failure to apply them.
type invalidError struct{ error }

func (e *invalidError) Unwrap() error { return e.error }

func validShares(w traffic.Weights) error {
	if len(w) == 0 {
		return &invalidError{errors.New("no weights given; give each backend a share in percent, summing to 100")}
	}
	sum := 0
	for _, n := range sortedKeys(w) {
		if w[n] < 0 || w[n] > 100 {
			return &invalidError{fmt.Errorf("weight of %q is %d; use 0..100", n, w[n])}
		}
		sum += w[n]
	}
	if sum != 100 {
		return &invalidError{fmt.Errorf("weights %s sum to %d, want 100", w, sum)}
	}
	return nil
}

func (g *Gateway) unknown(w traffic.Weights) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.unknownLocked(w)
}

func (g *Gateway) unknownLocked(w traffic.Weights) []string {
	var out []string
	for _, n := range sortedKeys(w) {
		if _, ok := g.backends[n]; !ok && w[n] > 0 {
			out = append(out, n)
		}
	}
	return out
}

// table is an immutable snapshot for picking; rebuilt on every change.
type table struct {
	all  map[string]*url.URL
	live []weighted // present backends with weight > 0, in name order
}

type weighted struct {
	name   string
	url    *url.URL
	weight int
}

// rebuild publishes a new table; g.mu must be held (or g unshared).
func (g *Gateway) rebuild() {
	t := &table{all: g.backends}
	for _, n := range sortedKeys(g.backends) {
		if w := g.weights[n]; w > 0 {
			t.live = append(t.live, weighted{name: n, url: g.backends[n], weight: w})
		}
	}
	g.table.Store(t)
	// A scrape between Reset and Set misses a series for an instant; it
	// never sees one of a backend that is gone.
	g.metrics.weight.Reset()
	for _, n := range sortedKeys(g.backends) {
		g.metrics.weight.WithLabelValues(n).Set(float64(g.weights[n]))
	}
}

// pick draws a backend by weight, leaving out exclude. Backends that are
// gone are left out too, so the rest keep their relative shares.
func (t *table) pick(exclude string) (weighted, bool) {
	total := 0
	for _, b := range t.live {
		if b.name != exclude {
			total += b.weight
		}
	}
	if total == 0 {
		return weighted{}, false
	}
	n := rand.IntN(total)
	for _, b := range t.live {
		if b.name == exclude {
			continue
		}
		if n < b.weight {
			return b, true
		}
		n -= b.weight
	}
	return weighted{}, false
}

// ServeHTTP implements http.Handler: /metrics and /admin/ are the
// gateway's own, everything else is proxied.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/metrics":
		g.metricsH.ServeHTTP(w, r)
	case strings.HasPrefix(r.URL.Path, "/admin/"):
		g.admin(w, r)
	default:
		g.forward(w, r)
	}
}

// Serve answers on l until ctx ends, then lets requests in flight finish
// (at most 5s).
func (g *Gateway) Serve(ctx context.Context, l net.Listener) error {
	return serve(ctx, l, g)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
