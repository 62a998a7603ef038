package strategy

import (
	"context"
	"fmt"
	"strings"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/traffic"
	"upshift.dev/upshift/internal/traffic/azure"
	"upshift.dev/upshift/internal/traffic/local"
)

// Routers builds the routers upshift ships.
type Routers struct {
	// DataPlaneDir is the local fleet's data plane directory
	// (localfleet.Fleet.DataPlaneDir); the local router is refused when
	// empty.
	DataPlaneDir string
	// Azure configures the Azure routers (credential, cloud, clock).
	Azure azure.Options
}

var _ RouterFactory = (*Routers)(nil)

// Router implements RouterFactory.
func (r *Routers) Router(_ context.Context, spec v1alpha1.TrafficSpec, backends []string) (traffic.Router, error) {
	switch spec.Router {
	case v1alpha1.RouterLocal, "":
		if r.DataPlaneDir == "" {
			return nil, fmt.Errorf("traffic.router local: this controller has no local fleet; start it with --local-fleet-dir")
		}
		return local.RouterFor(r.DataPlaneDir, backends...)
	case v1alpha1.RouterAzureTrafficManager:
		tm := spec.TrafficManager
		if tm == nil {
			return nil, fmt.Errorf("traffic.router %s needs traffic.trafficManager (subscription, resourceGroup, profile, endpoints)", spec.Router)
		}
		cfg := azure.TrafficManagerConfig{Subscription: tm.Subscription, ResourceGroup: tm.ResourceGroup, Profile: tm.Profile, Endpoints: map[string]azure.Endpoint{}}
		for _, ep := range tm.Endpoints {
			cfg.Endpoints[ep.Backend] = azure.Endpoint{Type: ep.Type, Name: ep.Name}
		}
		if err := covers(backends, keys(cfg.Endpoints), "traffic.trafficManager.endpoints"); err != nil {
			return nil, err
		}
		return azure.NewTrafficManager(cfg, r.Azure)
	case v1alpha1.RouterAzureDNS:
		d := spec.DNS
		if d == nil {
			return nil, fmt.Errorf("traffic.router %s needs traffic.dns (subscription, resourceGroup, zone, recordSet, targets)", spec.Router)
		}
		low, err := d.LowTTL.Parse()
		if err != nil {
			return nil, fmt.Errorf("traffic.dns.lowTTL: %w", err)
		}
		cfg := azure.DNSConfig{Subscription: d.Subscription, ResourceGroup: d.ResourceGroup, Zone: d.Zone, RecordSet: d.RecordSet, LowTTL: low, Targets: map[string]string{}}
		for _, t := range d.Targets {
			cfg.Targets[t.Backend] = t.Host
		}
		if err := covers(backends, keys(cfg.Targets), "traffic.dns.targets"); err != nil {
			return nil, err
		}
		return azure.NewDNS(cfg, r.Azure)
	}
	return nil, fmt.Errorf("traffic.router %q: use local, azure-traffic-manager or azure-dns", spec.Router)
}

// covers checks that the router's settings name exactly the strategy's
// clusters, so a typo is reported where it is, not as a failed switch.
func covers(backends, named []string, field string) error {
	have := map[string]bool{}
	for _, n := range named {
		have[n] = true
	}
	var missing []string
	for _, b := range backends {
		if !have[b] {
			missing = append(missing, b)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s has no entry for cluster %s; add one with backend: %s", field, strings.Join(missing, ", "), missing[0])
	}
	if len(named) != len(backends) {
		return fmt.Errorf("%s names %d backends; name exactly the two clusters, %s", field, len(named), strings.Join(backends, " and "))
	}
	return nil
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
