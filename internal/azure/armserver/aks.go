package armserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

type cluster struct {
	sub, rg, name, location string
	// version is properties.kubernetesVersion (asked for); current is
	// currentKubernetesVersion (running).
	version, current, state, etag string
	kubeconfig                    []byte
	pools                         map[string]*pool
	dnsPrefix                     string
	// What the server keeps without modelling it: tags, identity, sku and
	// the properties it does not interpret.
	tags          map[string]string
	identity, sku json.RawMessage
	extra         extras
}

// Wire shapes of Microsoft.ContainerService, the fields the server models.
type clusterJSON struct {
	ID         string            `json:"id,omitempty"`
	Name       string            `json:"name,omitempty"`
	Type       string            `json:"type,omitempty"`
	Location   string            `json:"location,omitempty"`
	ETag       string            `json:"eTag,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
	Identity   json.RawMessage   `json:"identity,omitempty"`
	SKU        json.RawMessage   `json:"sku,omitempty"`
	Properties *clusterPropsJSON `json:"properties,omitempty"`
}

type clusterPropsJSON struct {
	KubernetesVersion        string            `json:"kubernetesVersion,omitempty"`
	CurrentKubernetesVersion string            `json:"currentKubernetesVersion,omitempty"`
	ProvisioningState        string            `json:"provisioningState,omitempty"`
	DNSPrefix                string            `json:"dnsPrefix,omitempty"`
	Fqdn                     string            `json:"fqdn,omitempty"`
	AgentPoolProfiles        []poolProfileJSON `json:"agentPoolProfiles,omitempty"`
	Extra                    extras            `json:"-"`
}

func (cl *cluster) id() string {
	return fmt.Sprintf("/subscriptions/%s/resourcegroups/%s/providers/Microsoft.ContainerService/managedClusters/%s", cl.sub, cl.rg, cl.name)
}

func (cl *cluster) prefix() string { return or(cl.dnsPrefix, cl.name+"-dns") }

func (cl *cluster) fqdn() string {
	return strings.ToLower(cl.prefix()) + ".hcp." + cl.location + ".azmk8s.io"
}

func (cl *cluster) toJSON() clusterJSON {
	props := &clusterPropsJSON{
		KubernetesVersion: cl.version, CurrentKubernetesVersion: cl.current, ProvisioningState: cl.state,
		DNSPrefix: cl.prefix(), Fqdn: cl.fqdn(), Extra: cl.extra,
	}
	for _, p := range cl.sortedPools() {
		props.AgentPoolProfiles = append(props.AgentPoolProfiles, poolProfileJSON{Name: p.name, poolPropsJSON: p.props()})
	}
	return clusterJSON{
		ID: cl.id(), Name: cl.name, Type: "Microsoft.ContainerService/ManagedClusters",
		Location: cl.location, ETag: cl.etag, Tags: cl.tags, Identity: cl.identity, SKU: cl.sku, Properties: props,
	}
}

// lookupCluster finds the cluster named by the first three path arguments
// or writes 404.
func (s *Server) lookupCluster(w http.ResponseWriter, c *call) *cluster {
	cl := s.clusters[key(c.args[0], c.args[1], c.args[2])]
	if cl == nil {
		notFound(w, "Microsoft.ContainerService/managedClusters", c.args[2], c.args[1])
	}
	return cl
}

func (cl *cluster) key() string { return key(cl.sub, cl.rg, cl.name) }

func (s *Server) getCluster(w http.ResponseWriter, c *call) {
	cl := s.lookupCluster(w, c)
	if cl == nil {
		return
	}
	s.observeCluster(cl.key(), c.now)
	writeJSON(w, http.StatusOK, cl.toJSON())
}

func (s *Server) putCluster(w http.ResponseWriter, c *call) {
	sub, rg, name := c.args[0], c.args[1], c.args[2]
	cl := s.clusters[key(sub, rg, name)]
	etag := ""
	if cl != nil {
		etag = cl.etag
	}
	if !checkPreconditions(w, c.r, etag, cl != nil) {
		return
	}
	var in clusterJSON
	if !decode(w, c.body, &in) {
		return
	}
	if in.Properties == nil {
		badParameter(w, "The value of parameter properties is required; send the managed cluster's properties.")
		return
	}
	if cl == nil {
		s.createCluster(w, c, in)
		return
	}
	if s.conflict(w, cl.key(), cl.name) {
		return
	}
	target := or(in.Properties.KubernetesVersion, cl.version)
	if msg := s.checkControlPlaneTarget(cl.current, target); msg != "" {
		badParameter(w, "%s", msg)
		return
	}
	// Pools named in agentPoolProfiles with another orchestratorVersion
	// are upgraded along; pools left out, or sent with their own version,
	// are untouched (a control-plane-only upgrade).
	changed := map[*pool]string{}
	for i, pp := range in.Properties.AgentPoolProfiles {
		p := cl.pools[key(pp.Name)]
		if p == nil {
			badParameter(w, "agentPoolProfiles[%d].name %q is not an agent pool of cluster %q; create pools with PUT .../agentPools/{name}.", i, pp.Name, cl.name)
			return
		}
		if pp.OrchestratorVersion != "" && pp.OrchestratorVersion != p.version {
			changed[p] = pp.OrchestratorVersion
		}
	}
	for _, p := range cl.sortedPools() {
		v := p.version
		if nv, ok := changed[p]; ok {
			v = nv
		}
		if msg := s.checkPoolVersion(p.name, p.current, v, target); msg != "" {
			badParameter(w, "%s", msg)
			return
		}
	}
	what, state := "update managed cluster", "Updating"
	if target != cl.current {
		what, state = "upgrade managed cluster", "Upgrading"
	}
	cl.version, cl.state, cl.etag = target, state, s.newID()
	for p, v := range changed {
		p.version, p.state = v, "Upgrading"
	}
	s.start(w, c, lro{
		sub: cl.sub, location: cl.location, cluster: cl.key(), what: what, status: http.StatusOK, body: cl.toJSON(),
		succeed: func() {
			cl.current, cl.state, cl.etag = cl.version, "Succeeded", s.newID()
			for p := range changed {
				p.current, p.image, p.state, p.etag = p.version, p.latestImage, "Succeeded", s.newID()
			}
		},
		fail: func() {
			cl.state, cl.etag = "Failed", s.newID()
			for p := range changed {
				p.state = "Failed"
			}
		},
	})
}

func (s *Server) createCluster(w http.ResponseWriter, c *call, in clusterJSON) {
	sub, rg, name := c.args[0], c.args[1], c.args[2]
	if in.Location == "" {
		badParameter(w, "The value of parameter location is required, for example \"eastus\".")
		return
	}
	v := in.Properties.KubernetesVersion
	if v == "" || !s.offered(v) {
		badParameter(w, "The value of parameter kubernetesVersion %q is invalid; use one of %s.", v, strings.Join(s.opts.Versions, ", "))
		return
	}
	cl := &cluster{sub: sub, rg: rg, name: name, location: in.Location, version: v, current: v, state: "Creating", pools: map[string]*pool{},
		tags: in.Tags, identity: in.Identity, sku: in.SKU, extra: in.Properties.Extra, dnsPrefix: in.Properties.DNSPrefix}
	system := false
	for i, pp := range in.Properties.AgentPoolProfiles {
		p, msg := s.newPool(cl, pp.Name, pp.poolPropsJSON)
		if msg != "" {
			badParameter(w, "agentPoolProfiles[%d]: %s", i, msg)
			return
		}
		p.state = "Creating"
		system = system || p.mode == "System"
		cl.pools[key(p.name)] = p
	}
	if !system {
		badParameter(w, "A managed cluster needs at least one agent pool with mode System in agentPoolProfiles.")
		return
	}
	cl.etag = s.newID()
	s.clusters[cl.key()] = cl
	s.start(w, c, lro{
		sub: sub, location: cl.location, cluster: cl.key(), what: "create managed cluster", status: http.StatusCreated, body: cl.toJSON(),
		succeed: func() {
			cl.state = "Succeeded"
			for _, p := range cl.pools {
				p.current, p.state = p.version, "Succeeded"
			}
		},
		fail: func() { cl.state = "Failed" },
	})
}

// deleteCluster deletes a managed cluster with its pools: 202 and an
// operation, or 204 when there is no such cluster, as ARM answers.
func (s *Server) deleteCluster(w http.ResponseWriter, c *call) {
	cl := s.clusters[key(c.args[0], c.args[1], c.args[2])]
	if cl == nil {
		writeJSON(w, http.StatusNoContent, nil)
		return
	}
	if s.conflict(w, cl.key(), cl.name) {
		return
	}
	cl.state, cl.etag = "Deleting", s.newID()
	s.start(w, c, lro{
		sub: cl.sub, location: cl.location, cluster: cl.key(), what: "delete managed cluster", status: http.StatusAccepted,
		succeed: func() { delete(s.clusters, cl.key()) },
		fail:    func() { cl.state = "Failed" },
	})
}

func (s *Server) getClusterUpgradeProfile(w http.ResponseWriter, c *call) {
	cl := s.lookupCluster(w, c)
	if cl == nil {
		return
	}
	type item struct {
		KubernetesVersion string `json:"kubernetesVersion"`
	}
	type profile struct {
		Name              string `json:"name,omitempty"`
		KubernetesVersion string `json:"kubernetesVersion"`
		OSType            string `json:"osType"`
		Upgrades          []item `json:"upgrades,omitempty"`
	}
	items := func(vs []string) []item {
		out := make([]item, len(vs))
		for i, v := range vs {
			out[i] = item{v}
		}
		return out
	}
	cp := profile{Name: "", KubernetesVersion: cl.current, OSType: "Linux", Upgrades: items(s.controlPlaneUpgrades(cl.current))}
	var pools []profile
	for _, p := range cl.sortedPools() {
		pools = append(pools, profile{Name: p.name, KubernetesVersion: p.current, OSType: "Linux", Upgrades: items(s.poolUpgrades(p.current, cl.current))})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id":   cl.id() + "/upgradeprofiles/default",
		"name": "default",
		"type": "Microsoft.ContainerService/managedClusters/upgradeprofiles",
		"properties": map[string]any{
			"controlPlaneProfile": cp,
			"agentPoolProfiles":   pools,
		},
	})
}

func (s *Server) listAdminCredential(w http.ResponseWriter, c *call) {
	cl := s.lookupCluster(w, c)
	if cl == nil {
		return
	}
	kc := cl.kubeconfig
	if len(kc) == 0 {
		kc = []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: %[1]s
  cluster:
    server: https://%[2]s:443
contexts:
- name: %[1]s-admin
  context:
    cluster: %[1]s
    user: clusterAdmin_%[3]s_%[1]s
current-context: %[1]s-admin
users:
- name: clusterAdmin_%[3]s_%[1]s
  user:
    token: armserver-admin-token
`, cl.name, cl.fqdn(), cl.rg))
	}
	// []byte marshals as base64, which is what ARM sends in value.
	writeJSON(w, http.StatusOK, map[string]any{
		"kubeconfigs": []map[string]any{{"name": "clusterAdmin", "value": kc}},
	})
}
