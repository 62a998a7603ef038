package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"upshift.dev/upshift/internal/azure/armclient"
	"upshift.dev/upshift/internal/traffic"
)

// TrafficManagerAPIVersion is the Traffic Manager REST API the router
// speaks.
const TrafficManagerAPIVersion = "2022-04-01"

// TrafficManagerConfig names a Traffic Manager profile and the endpoint of
// each backend in it.
type TrafficManagerConfig struct {
	Subscription  string
	ResourceGroup string
	// Profile is the profile's name; its trafficRoutingMethod must be
	// Weighted.
	Profile string
	// Endpoints maps each backend (a cluster name, as the strategy calls
	// it) to its endpoint in the profile.
	Endpoints map[string]Endpoint
}

// Endpoint is a Traffic Manager endpoint.
type Endpoint struct {
	// Type is AzureEndpoints (the default), ExternalEndpoints or
	// NestedEndpoints.
	Type string
	Name string
}

// TrafficManager is the azure-traffic-manager router. It keeps no state
// between calls: the profile is the only memory.
type TrafficManager struct {
	cfg      TrafficManagerConfig
	backends []string
	conn     *conn
}

var _ traffic.Router = (*TrafficManager)(nil)

// NewTrafficManager checks cfg and returns the router.
func NewTrafficManager(cfg TrafficManagerConfig, o Options) (*TrafficManager, error) {
	switch {
	case cfg.Subscription == "" || cfg.ResourceGroup == "" || cfg.Profile == "":
		return nil, errors.New("azure-traffic-manager router: set the profile's subscription, resource group and name")
	case len(cfg.Endpoints) == 0:
		return nil, errors.New("azure-traffic-manager router: map each backend to its endpoint in the profile (Endpoints)")
	}
	seen := map[string]string{}
	backends := make([]string, 0, len(cfg.Endpoints))
	normalized := map[string]Endpoint{}
	for b, ep := range cfg.Endpoints {
		typ, ok := endpointType(ep.Type)
		if !ok || ep.Name == "" {
			return nil, fmt.Errorf("azure-traffic-manager router: backend %q: endpoint %q of type %q; give a name and a type of AzureEndpoints, ExternalEndpoints or NestedEndpoints", b, ep.Name, ep.Type)
		}
		k := strings.ToLower(typ + "/" + ep.Name)
		if other, dup := seen[k]; dup {
			return nil, fmt.Errorf("azure-traffic-manager router: backends %q and %q both map to endpoint %s/%s; give each backend its own endpoint", other, b, typ, ep.Name)
		}
		seen[k] = b
		normalized[b] = Endpoint{Type: typ, Name: ep.Name}
		backends = append(backends, b)
	}
	slices.Sort(backends)
	cfg.Endpoints = normalized
	c, err := newConn(o)
	if err != nil {
		return nil, err
	}
	return &TrafficManager{cfg: cfg, backends: backends, conn: c}, nil
}

func endpointType(t string) (string, bool) {
	if t == "" {
		return "AzureEndpoints", true
	}
	for _, v := range []string{"AzureEndpoints", "ExternalEndpoints", "NestedEndpoints"} {
		if strings.EqualFold(t, v) {
			return v, true
		}
	}
	return "", false
}

// Backends returns the backend names, sorted.
func (tm *TrafficManager) Backends() []string { return slices.Clone(tm.backends) }

func (tm *TrafficManager) profilePath() string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/trafficmanagerprofiles/%s",
		tm.cfg.Subscription, tm.cfg.ResourceGroup, tm.cfg.Profile)
}

func (tm *TrafficManager) endpointPath(ep Endpoint) string {
	return tm.profilePath() + "/" + ep.Type + "/" + ep.Name
}

func (tm *TrafficManager) profileName() string {
	return fmt.Sprintf("Traffic Manager profile %s/%s", tm.cfg.ResourceGroup, tm.cfg.Profile)
}

// tmProfile is the part of a profile the router reads.
type tmProfile struct {
	Properties struct {
		TrafficRoutingMethod string `json:"trafficRoutingMethod"`
		DNSConfig            struct {
			TTL int64 `json:"ttl"`
		} `json:"dnsConfig"`
		Endpoints []tmEndpoint `json:"endpoints"`
	} `json:"properties"`
}

type tmEndpoint struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Properties endpointSetting `json:"properties"`
}

// endpointSetting is what the router owns on an endpoint.
type endpointSetting struct {
	Weight         int64  `json:"weight,omitempty"`
	EndpointStatus string `json:"endpointStatus,omitempty"`
}

func (s endpointSetting) String() string {
	if s.EndpointStatus == "Disabled" {
		return fmt.Sprintf("Disabled (weight %d)", s.Weight)
	}
	return fmt.Sprintf("weight %d", s.Weight)
}

// readProfile GETs the profile and checks it can carry weights.
func (tm *TrafficManager) readProfile(ctx context.Context) (tmProfile, error) {
	resp, err := tm.conn.do(ctx, http.MethodGet, tm.profilePath(), TrafficManagerAPIVersion, nil, "")
	if err != nil {
		return tmProfile{}, armclient.Wrap("read "+tm.profileName(), err)
	}
	var p tmProfile
	if err := json.Unmarshal(resp.body, &p); err != nil {
		return tmProfile{}, fmt.Errorf("read %s: %w", tm.profileName(), err)
	}
	if m := p.Properties.TrafficRoutingMethod; !strings.EqualFold(m, "Weighted") {
		return tmProfile{}, fmt.Errorf("%s routes by %s; the azure-traffic-manager router needs trafficRoutingMethod Weighted (az network traffic-manager profile update --routing-method Weighted)", tm.profileName(), m)
	}
	return p, nil
}

// find returns the profile's entry for ep.
func (p tmProfile) find(ep Endpoint) (tmEndpoint, bool) {
	for _, e := range p.Properties.Endpoints {
		if strings.EqualFold(e.Name, ep.Name) && strings.HasSuffix(strings.ToLower(e.Type), "/"+strings.ToLower(ep.Type)) {
			return e, true
		}
	}
	return tmEndpoint{}, false
}

// Weights implements traffic.Router: each backend's share of the weight of
// all Enabled endpoints in the profile, in whole percent. An Enabled
// endpoint that is no backend takes a share too, so the result then sums
// to less than 100.
func (tm *TrafficManager) Weights(ctx context.Context) (traffic.Weights, error) {
	p, err := tm.readProfile(ctx)
	if err != nil {
		return nil, err
	}
	current := map[string]endpointSetting{}
	for _, b := range tm.backends {
		e, ok := p.find(tm.cfg.Endpoints[b])
		if !ok {
			return nil, tm.missing(b)
		}
		current[b] = e.Properties
	}
	return shares(tm.backends, current, tm.others(p)), nil
}

func (tm *TrafficManager) missing(backend string) error {
	ep := tm.cfg.Endpoints[backend]
	return fmt.Errorf("%s has no endpoint %s/%s for backend %q; create it (az network traffic-manager endpoint create --type %s) or fix the router's endpoint map",
		tm.profileName(), ep.Type, ep.Name, backend, strings.ToLower(strings.TrimSuffix(ep.Type, "Endpoints"))+"Endpoints")
}

// others returns the Enabled endpoints of the profile that are no backend.
func (tm *TrafficManager) others(p tmProfile) []tmEndpoint {
	var out []tmEndpoint
	for _, e := range p.Properties.Endpoints {
		mine := false
		for _, b := range tm.backends {
			ep := tm.cfg.Endpoints[b]
			if strings.EqualFold(e.Name, ep.Name) && strings.HasSuffix(strings.ToLower(e.Type), "/"+strings.ToLower(ep.Type)) {
				mine = true
			}
		}
		if !mine && e.Properties.EndpointStatus != "Disabled" {
			out = append(out, e)
		}
	}
	return out
}

// SetWeights implements traffic.Router and returns the profile's DNS TTL.
func (tm *TrafficManager) SetWeights(ctx context.Context, w traffic.Weights) (time.Duration, error) {
	if err := w.Validate(tm.backends); err != nil {
		return 0, fmt.Errorf("azure-traffic-manager router: %w", err)
	}
	p, err := tm.readProfile(ctx)
	if err != nil {
		return 0, err
	}
	current := map[string]endpointSetting{}
	for _, b := range tm.backends {
		e, ok := p.find(tm.cfg.Endpoints[b])
		if !ok {
			return 0, tm.missing(b)
		}
		current[b] = e.Properties
	}
	if others := tm.others(p); len(others) > 0 {
		return 0, fmt.Errorf("%s has Enabled endpoint %q that is no backend, so it would take a share the router cannot control: disable it (az network traffic-manager endpoint update --endpoint-status Disabled) or add it as a backend: %w",
			tm.profileName(), others[0].Name, traffic.ErrUnsupported)
	}
	ttl := time.Duration(p.Properties.DNSConfig.TTL) * time.Second
	var done []applied
	for _, step := range plan(tm.backends, current, w) {
		prev, err := tm.setEndpoint(ctx, step.backend, step.want)
		if err != nil {
			return 0, tm.rollback(ctx, err, done)
		}
		done = append(done, applied{backend: step.backend, prev: prev})
	}
	return ttl, nil
}
