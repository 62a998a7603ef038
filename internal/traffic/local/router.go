package local

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"upshift.dev/upshift/internal/traffic"
)

// Router is the "local" traffic.Router: it sets the weights of a Gateway,
// in this process or in another one through the gateway's admin endpoint.
// It keeps no state between calls; the gateway (and its weights file) is
// the only memory.
//
// A gateway has one set of weights for every app. A Router made for some
// of the gateway's backends (a blue and a green cluster out of a fleet)
// gives every other backend 0 when it sets weights, since its shares
// already sum to 100; its Weights reports its own backends only, so they
// sum to less than 100 while another backend still has a share.
type Router struct {
	api      weightsAPI
	backends []string
}

var _ traffic.Router = (*Router)(nil)

// weightsAPI is what a Router needs of a gateway.
type weightsAPI interface {
	get(ctx context.Context) (WeightsDocument, error)
	put(ctx context.Context, w traffic.Weights) error
}

// NewRouter drives g in this process. With no backends, the router's
// backends are the gateway's at the time of each call.
func NewRouter(g *Gateway, backends ...string) *Router {
	return &Router{api: inProcess{g}, backends: sorted(backends)}
}

// NewRemoteRouter drives the gateway at gatewayURL (http://127.0.0.1:8080)
// through its admin endpoint. The URL must be on loopback: the admin
// endpoint answers nothing else.
func NewRemoteRouter(gatewayURL string, backends ...string) (*Router, error) {
	u, err := url.Parse(strings.TrimSuffix(gatewayURL, "/"))
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("local router: gateway URL %q is not http://host:port", gatewayURL)
	}
	if !loopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("local router: gateway URL %q is not on loopback; the local gateway's admin endpoint answers loopback clients only", gatewayURL)
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil}}
	return &Router{api: &remote{base: u.String(), client: c}, backends: sorted(backends)}, nil
}

// RouterFor drives the data plane that serves a fleet (dir is the fleet's
// localfleet.Fleet.DataPlaneDir), through its gateway's admin endpoint.
// It fails, naming the command that starts one, when none runs.
func RouterFor(dir string, backends ...string) (*Router, error) {
	st, running, err := ReadStatus(dir)
	if err != nil {
		return nil, err
	}
	if !running || st.Gateway == "" {
		return nil, fmt.Errorf("local router: no data plane runs for %s; start it with 'upshift local up' or 'upshift local dataplane'", dir)
	}
	return NewRemoteRouter(st.Gateway, backends...)
}

func sorted(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// Backends returns the router's backends; nil when it follows the
// gateway's.
func (r *Router) Backends() []string { return slices.Clone(r.backends) }

// Weights implements traffic.Router.
func (r *Router) Weights(ctx context.Context) (traffic.Weights, error) {
	doc, err := r.api.get(ctx)
	if err != nil {
		return nil, err
	}
	if r.backends == nil {
		return doc.Weights, nil
	}
	out := traffic.Weights{}
	for _, b := range r.backends {
		out[b] = doc.Weights[b]
	}
	return out, nil
}

// SetWeights implements traffic.Router. The gateway follows the weights
// from the next request on, so the propagation delay is 0. Giving a share
// to a backend the gateway does not have wraps ErrUnknownBackend.
func (r *Router) SetWeights(ctx context.Context, w traffic.Weights) (time.Duration, error) {
	backends := r.backends
	if backends == nil {
		doc, err := r.api.get(ctx)
		if err != nil {
			return 0, err
		}
		backends = sortedKeys(doc.Backends)
	}
	if err := w.Validate(backends); err != nil {
		return 0, fmt.Errorf("local router: %w", err)
	}
	if err := r.api.put(ctx, w); err != nil {
		return 0, err
	}
	return 0, nil
}

type inProcess struct{ g *Gateway }

func (p inProcess) get(context.Context) (WeightsDocument, error) {
	return WeightsDocument{Weights: p.g.Weights(), Backends: p.g.Backends()}, nil
}

func (p inProcess) put(ctx context.Context, w traffic.Weights) error {
	if err := p.g.SetWeights(ctx, w); err != nil {
		return fmt.Errorf("local router: %w", err)
	}
	return nil
}

// remote speaks to the admin endpoint of a gateway in another process.
type remote struct {
	base   string
	client *http.Client
}

func (c *remote) get(ctx context.Context) (WeightsDocument, error) {
	return c.do(ctx, http.MethodGet, nil)
}

func (c *remote) put(ctx context.Context, w traffic.Weights) error {
	body, err := json.Marshal(WeightsDocument{Weights: w})
	if err != nil {
		return err
	}
	_, err = c.do(ctx, http.MethodPut, body)
	return err
}

func (c *remote) do(ctx context.Context, method string, body []byte) (WeightsDocument, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+WeightsPath, bytes.NewReader(body))
	if err != nil {
		return WeightsDocument{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return WeightsDocument{}, fmt.Errorf("local router: the gateway at %s does not answer (%w); is the data plane running? ('upshift local status' shows it, 'upshift local up' starts it)", c.base, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return WeightsDocument{}, fmt.Errorf("local router: reading the gateway's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e adminError
		msg := strings.TrimSpace(string(raw))
		if json.Unmarshal(raw, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		if resp.StatusCode == http.StatusConflict {
			return WeightsDocument{}, fmt.Errorf("local router: %w%s", ErrUnknownBackend, strings.TrimPrefix(msg, ErrUnknownBackend.Error()))
		}
		return WeightsDocument{}, fmt.Errorf("local router: gateway %s answered %s: %s", c.base, resp.Status, msg)
	}
	var doc WeightsDocument
	if err := json.Unmarshal(raw, &doc); err != nil {
		return WeightsDocument{}, fmt.Errorf("local router: decoding the gateway's answer: %w", err)
	}
	if doc.Weights == nil {
		doc.Weights = traffic.Weights{}
	}
	return doc, nil
}
