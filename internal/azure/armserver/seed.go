package armserver

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Cluster seeds an AKS managed cluster, and is what Cluster returns.
type Cluster struct {
	Subscription  string
	ResourceGroup string
	Name          string
	// Location defaults to "eastus".
	Location string
	// KubernetesVersion is properties.kubernetesVersion, the version asked
	// for. Required when seeding.
	KubernetesVersion string
	// CurrentKubernetesVersion is what the control plane runs; it lags
	// KubernetesVersion during an upgrade. Ignored when seeding.
	CurrentKubernetesVersion string
	// ProvisioningState defaults to Succeeded.
	ProvisioningState string
	// Kubeconfig is what listClusterAdminCredential returns; when empty the
	// server makes one that names the cluster.
	Kubeconfig []byte
	// Pools are the cluster's agent pools; at least one must be System.
	Pools []Pool
	// Tags, Identity and SKU are the resource's; the server keeps them
	// without interpreting them.
	Tags     map[string]string
	Identity json.RawMessage
	SKU      json.RawMessage
	// Properties are more properties of the cluster, a JSON object of the
	// ones the server does not model (networkProfile, addonProfiles, ...),
	// returned as given.
	Properties json.RawMessage
}

// Pool seeds an agent pool, and is what Cluster returns in Pools.
type Pool struct {
	Name string
	// Mode is System or User (default User).
	Mode  string
	Count int
	// VMSize defaults to Standard_D4ds_v5.
	VMSize string
	// OrchestratorVersion defaults to the cluster's version.
	OrchestratorVersion string
	// CurrentOrchestratorVersion is what the nodes run. Ignored when
	// seeding.
	CurrentOrchestratorVersion string
	// NodeImageVersion defaults to DefaultNodeImage.
	NodeImageVersion string
	// LatestNodeImageVersion is what the pool's upgrade profile offers and
	// what upgrades move nodes to; defaults to NodeImageVersion.
	LatestNodeImageVersion string
	UpgradeSettings        UpgradeSettings
	ProvisioningState      string
	// Properties are more properties of the pool (vnetSubnetID,
	// availabilityZones, ...), returned as given.
	Properties json.RawMessage
}

// UpgradeSettings are agentPool.upgradeSettings; zero values are unset.
type UpgradeSettings struct {
	MaxSurge                  string `json:"maxSurge,omitempty"`
	MaxUnavailable            string `json:"maxUnavailable,omitempty"`
	DrainTimeoutInMinutes     int    `json:"drainTimeoutInMinutes,omitempty"`
	NodeSoakDurationInMinutes int    `json:"nodeSoakDurationInMinutes,omitempty"`
	UndrainableNodeBehavior   string `json:"undrainableNodeBehavior,omitempty"`
}

// DefaultNodeImage is the node image of pools seeded without one.
const DefaultNodeImage = "AKSUbuntu-2204gen2containerd-202607.20.0"

// AddCluster adds or replaces a cluster and its pools.
func (s *Server) AddCluster(c Cluster) error {
	if c.Subscription == "" || c.ResourceGroup == "" || c.Name == "" || c.KubernetesVersion == "" {
		return fmt.Errorf("armserver.Cluster needs Subscription, ResourceGroup, Name and KubernetesVersion; got %+v", c)
	}
	cl := &cluster{
		sub: c.Subscription, rg: c.ResourceGroup, name: c.Name, location: or(c.Location, "eastus"),
		version: c.KubernetesVersion, current: c.KubernetesVersion, state: or(c.ProvisioningState, "Succeeded"),
		kubeconfig: c.Kubeconfig, pools: map[string]*pool{},
		tags: c.Tags, identity: c.Identity, sku: c.SKU,
	}
	var err error
	if cl.extra, err = seedExtras(c.Properties, clusterPropsKnown); err != nil {
		return fmt.Errorf("armserver.Cluster %q: Properties: %w", c.Name, err)
	}
	system := false
	for i, p := range c.Pools {
		if p.Name == "" {
			return fmt.Errorf("armserver.Cluster %q: Pools[%d] has no Name", c.Name, i)
		}
		np := &pool{
			name: p.Name, mode: or(p.Mode, "User"), count: p.Count, vmSize: or(p.VMSize, "Standard_D4ds_v5"),
			version: or(p.OrchestratorVersion, c.KubernetesVersion), image: or(p.NodeImageVersion, DefaultNodeImage),
			settings: settingsToJSON(p.UpgradeSettings), state: or(p.ProvisioningState, "Succeeded"),
		}
		np.current = np.version
		if np.extra, err = seedExtras(p.Properties, poolPropsKnown); err != nil {
			return fmt.Errorf("armserver.Cluster %q: Pools[%d].Properties: %w", c.Name, i, err)
		}
		np.latestImage = or(p.LatestNodeImageVersion, np.image)
		system = system || np.mode == "System"
		cl.pools[key(p.Name)] = np
	}
	if !system {
		return fmt.Errorf("armserver.Cluster %q needs a pool with Mode System, as AKS does", c.Name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cl.etag = s.newID()
	for _, p := range cl.pools {
		p.etag = s.newID()
	}
	s.clusters[key(c.Subscription, c.ResourceGroup, c.Name)] = cl
	return nil
}

// Cluster returns the cluster as the server holds it now.
func (s *Server) Cluster(subscription, resourceGroup, name string) (Cluster, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cl := s.clusters[key(subscription, resourceGroup, name)]
	if cl == nil {
		return Cluster{}, false
	}
	out := Cluster{
		Subscription: cl.sub, ResourceGroup: cl.rg, Name: cl.name, Location: cl.location,
		KubernetesVersion: cl.version, CurrentKubernetesVersion: cl.current,
		ProvisioningState: cl.state, Kubeconfig: cl.kubeconfig,
		Tags: cl.tags, Identity: cl.identity, SKU: cl.sku, Properties: rawExtras(cl.extra),
	}
	for _, p := range cl.sortedPools() {
		out.Pools = append(out.Pools, Pool{
			Name: p.name, Mode: p.mode, Count: p.count, VMSize: p.vmSize,
			OrchestratorVersion: p.version, CurrentOrchestratorVersion: p.current,
			NodeImageVersion: p.image, LatestNodeImageVersion: p.latestImage,
			UpgradeSettings: settingsFromJSON(p.settings), ProvisioningState: p.state,
			Properties: rawExtras(p.extra),
		})
	}
	return out, true
}

// SetLatestNodeImage sets what a pool's upgrade profile offers, as when
// AKS publishes the weekly image.
func (s *Server) SetLatestNodeImage(subscription, resourceGroup, clusterName, poolName, image string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cl := s.clusters[key(subscription, resourceGroup, clusterName)]
	if cl == nil || cl.pools[key(poolName)] == nil {
		return fmt.Errorf("armserver: no agent pool %q in cluster %s/%s/%s", poolName, subscription, resourceGroup, clusterName)
	}
	cl.pools[key(poolName)].latestImage = image
	return nil
}

func settingsToJSON(u UpgradeSettings) settingsJSON {
	out := settingsJSON{MaxSurge: u.MaxSurge, MaxUnavailable: u.MaxUnavailable, UndrainableNodeBehavior: u.UndrainableNodeBehavior}
	if u.DrainTimeoutInMinutes != 0 {
		out.DrainTimeoutInMinutes = ptr(u.DrainTimeoutInMinutes)
	}
	if u.NodeSoakDurationInMinutes != 0 {
		out.NodeSoakDurationInMinutes = ptr(u.NodeSoakDurationInMinutes)
	}
	return out
}

func settingsFromJSON(j settingsJSON) UpgradeSettings {
	out := UpgradeSettings{MaxSurge: j.MaxSurge, MaxUnavailable: j.MaxUnavailable, UndrainableNodeBehavior: j.UndrainableNodeBehavior}
	if j.DrainTimeoutInMinutes != nil {
		out.DrainTimeoutInMinutes = *j.DrainTimeoutInMinutes
	}
	if j.NodeSoakDurationInMinutes != nil {
		out.NodeSoakDurationInMinutes = *j.NodeSoakDurationInMinutes
	}
	return out
}

func (cl *cluster) sortedPools() []*pool {
	keys := slices.Sorted(maps.Keys(cl.pools))
	out := make([]*pool, len(keys))
	for i, k := range keys {
		out[i] = cl.pools[k]
	}
	return out
}

func or(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return v
}

func ptr[T any](v T) *T { return &v }

// seedExtras reads a seed's extra properties, refusing ones the server
// models (they have fields of their own).
func seedExtras(raw json.RawMessage, known map[string]bool) (extras, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(raw, &all); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	for k := range all {
		if known[strings.ToLower(k)] {
			return nil, fmt.Errorf("%q has a field of its own; set that instead", k)
		}
	}
	return extras(all), nil
}

func rawExtras(e extras) json.RawMessage {
	if len(e) == 0 {
		return nil
	}
	b, _ := json.Marshal(map[string]json.RawMessage(e))
	return b
}
