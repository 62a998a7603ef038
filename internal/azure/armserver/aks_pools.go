package armserver

import (
	"fmt"
	"net/http"
)

type pool struct {
	name, mode, vmSize string
	count              int
	// version is orchestratorVersion (asked for); current is
	// currentOrchestratorVersion (what the nodes run).
	version, current   string
	image, latestImage string
	settings           settingsJSON
	state, etag        string
	extra              extras
}

type poolPropsJSON struct {
	Count                      *int          `json:"count,omitempty"`
	VMSize                     string        `json:"vmSize,omitempty"`
	OSType                     string        `json:"osType,omitempty"`
	Type                       string        `json:"type,omitempty"`
	Mode                       string        `json:"mode,omitempty"`
	OrchestratorVersion        string        `json:"orchestratorVersion,omitempty"`
	CurrentOrchestratorVersion string        `json:"currentOrchestratorVersion,omitempty"`
	NodeImageVersion           string        `json:"nodeImageVersion,omitempty"`
	UpgradeSettings            *settingsJSON `json:"upgradeSettings,omitempty"`
	ProvisioningState          string        `json:"provisioningState,omitempty"`
	ETag                       string        `json:"eTag,omitempty"`
	Extra                      extras        `json:"-"`
}

// poolProfileJSON is an entry of a cluster's agentPoolProfiles: the pool's
// properties flattened next to its name.
type poolProfileJSON struct {
	Name string `json:"name"`
	poolPropsJSON
}

type poolJSON struct {
	ID         string         `json:"id,omitempty"`
	Name       string         `json:"name,omitempty"`
	Type       string         `json:"type,omitempty"`
	Properties *poolPropsJSON `json:"properties,omitempty"`
}

type settingsJSON struct {
	MaxSurge                  string `json:"maxSurge,omitempty"`
	MaxUnavailable            string `json:"maxUnavailable,omitempty"`
	DrainTimeoutInMinutes     *int   `json:"drainTimeoutInMinutes,omitempty"`
	NodeSoakDurationInMinutes *int   `json:"nodeSoakDurationInMinutes,omitempty"`
	UndrainableNodeBehavior   string `json:"undrainableNodeBehavior,omitempty"`
}

func (p *pool) props() poolPropsJSON {
	settings := p.settings
	return poolPropsJSON{
		Count: ptr(p.count), VMSize: p.vmSize, OSType: "Linux", Type: "VirtualMachineScaleSets", Mode: p.mode,
		OrchestratorVersion: p.version, CurrentOrchestratorVersion: p.current, NodeImageVersion: p.image,
		UpgradeSettings: &settings, ProvisioningState: p.state, ETag: p.etag, Extra: p.extra,
	}
}

func (p *pool) toJSON(cl *cluster) poolJSON {
	props := p.props()
	return poolJSON{
		ID: cl.id() + "/agentPools/" + p.name, Name: p.name,
		Type: "Microsoft.ContainerService/managedClusters/agentPools", Properties: &props,
	}
}

// lookupPool finds the cluster and pool named by the path or writes 404.
func (s *Server) lookupPool(w http.ResponseWriter, c *call) (*cluster, *pool) {
	cl := s.lookupCluster(w, c)
	if cl == nil {
		return nil, nil
	}
	p := cl.pools[key(c.args[3])]
	if p == nil {
		notFound(w, "Microsoft.ContainerService/managedClusters/agentPools", cl.name+"/"+c.args[3], cl.rg)
	}
	return cl, p
}

func (s *Server) getPool(w http.ResponseWriter, c *call) {
	cl, p := s.lookupPool(w, c)
	if p == nil {
		return
	}
	s.observeCluster(cl.key(), c.now)
	writeJSON(w, http.StatusOK, p.toJSON(cl))
}

func (s *Server) listPools(w http.ResponseWriter, c *call) {
	cl := s.lookupCluster(w, c)
	if cl == nil {
		return
	}
	s.observeCluster(cl.key(), c.now)
	out := []poolJSON{}
	for _, p := range cl.sortedPools() {
		out = append(out, p.toJSON(cl))
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": out})
}

// newPool builds a pool from request properties with AKS's defaults, or
// returns what is wrong with them.
func (s *Server) newPool(cl *cluster, name string, in poolPropsJSON) (*pool, string) {
	if name == "" {
		return nil, "name is required"
	}
	p := &pool{name: name, mode: or(in.Mode, "User"), count: 3, vmSize: or(in.VMSize, "Standard_D4ds_v5"),
		version: or(in.OrchestratorVersion, cl.current), image: DefaultNodeImage, latestImage: DefaultNodeImage, extra: in.Extra}
	if in.Count != nil {
		p.count = *in.Count
	}
	if in.UpgradeSettings != nil {
		p.settings = *in.UpgradeSettings
	}
	if msg := s.checkPoolSpec(p, cl); msg != "" {
		return nil, msg
	}
	if msg := s.checkPoolVersion(p.name, "", p.version, cl.current); msg != "" {
		return nil, msg
	}
	p.current = p.version
	return p, ""
}

func (s *Server) putPool(w http.ResponseWriter, c *call) {
	cl := s.lookupCluster(w, c)
	if cl == nil {
		return
	}
	name := c.args[3]
	p := cl.pools[key(name)]
	etag := ""
	if p != nil {
		etag = p.etag
	}
	if !checkPreconditions(w, c.r, etag, p != nil) || s.conflict(w, cl.key(), cl.name) {
		return
	}
	var in poolJSON
	if !decode(w, c.body, &in) {
		return
	}
	if in.Properties == nil {
		badParameter(w, "The value of parameter properties is required; send the agent pool's properties.")
		return
	}
	if p == nil {
		np, msg := s.newPool(cl, name, *in.Properties)
		if msg != "" {
			badParameter(w, "agent pool %q: %s", name, msg)
			return
		}
		np.state, np.etag = "Creating", s.newID()
		cl.pools[key(name)] = np
		s.start(w, c, lro{
			sub: cl.sub, location: cl.location, cluster: cl.key(), what: "create agent pool " + name,
			status: http.StatusCreated, body: np.toJSON(cl),
			succeed: func() { np.state, np.etag = "Succeeded", s.newID() },
			fail:    func() { np.state = "Failed" },
		})
		return
	}
	// nodeImageVersion is read-only in API 2025-02-01 and ignored here;
	// node images move with upgradeNodeImageVersion or a version upgrade.
	next := *p
	if in.Properties.Count != nil {
		next.count = *in.Properties.Count
	}
	if in.Properties.Mode != "" {
		next.mode = in.Properties.Mode
	}
	if in.Properties.VMSize != "" && in.Properties.VMSize != p.vmSize {
		badParameter(w, "agent pool %q: vmSize cannot be changed (%s to %s); create a new pool and move workloads.", name, p.vmSize, in.Properties.VMSize)
		return
	}
	if in.Properties.UpgradeSettings != nil {
		next.settings = *in.Properties.UpgradeSettings
	}
	next.version = or(in.Properties.OrchestratorVersion, p.version)
	if msg := s.checkPoolSpec(&next, cl); msg != "" {
		badParameter(w, "agent pool %q: %s", name, msg)
		return
	}
	if msg := s.checkPoolVersion(name, p.current, next.version, cl.current); msg != "" {
		badParameter(w, "%s", msg)
		return
	}
	upgrade := next.version != p.current
	if upgrade {
		if msg := checkSurgeCapacity(&next); msg != "" {
			badParameter(w, "agent pool %q: %s", name, msg)
			return
		}
	}
	what, state := "update agent pool "+name, "Updating"
	if upgrade {
		what, state = "upgrade agent pool "+name, "Upgrading"
	}
	*p = next
	p.state, p.etag = state, s.newID()
	s.start(w, c, lro{
		sub: cl.sub, location: cl.location, cluster: cl.key(), what: what, status: http.StatusOK, body: p.toJSON(cl),
		succeed: func() {
			if upgrade {
				p.current, p.image = p.version, p.latestImage
			}
			p.state, p.etag = "Succeeded", s.newID()
		},
		fail: func() { p.state = "Failed" },
	})
}

func (s *Server) deletePool(w http.ResponseWriter, c *call) {
	cl := s.lookupCluster(w, c)
	if cl == nil {
		return
	}
	p := cl.pools[key(c.args[3])]
	if p == nil {
		writeJSON(w, http.StatusNoContent, nil)
		return
	}
	if s.conflict(w, cl.key(), cl.name) {
		return
	}
	if p.mode == "System" {
		systems := 0
		for _, q := range cl.pools {
			if q.mode == "System" {
				systems++
			}
		}
		if systems == 1 {
			writeError(w, http.StatusBadRequest, "OperationNotAllowed", fmt.Sprintf("Agent pool %q is the cluster's only System pool and cannot be deleted; add another System pool first.", p.name))
			return
		}
	}
	p.state = "Deleting"
	s.start(w, c, lro{
		sub: cl.sub, location: cl.location, cluster: cl.key(), what: "delete agent pool " + p.name, status: http.StatusAccepted,
		succeed: func() { delete(cl.pools, key(p.name)) },
		fail:    func() { p.state = "Failed" },
	})
}

func (s *Server) upgradeNodeImage(w http.ResponseWriter, c *call) {
	cl, p := s.lookupPool(w, c)
	if p == nil || s.conflict(w, cl.key(), cl.name) {
		return
	}
	p.state, p.etag = "UpgradingNodeImageVersion", s.newID()
	s.start(w, c, lro{
		sub: cl.sub, location: cl.location, cluster: cl.key(), what: "upgrade node image of agent pool " + p.name,
		status: http.StatusAccepted, body: p.toJSON(cl),
		succeed: func() { p.image, p.state, p.etag = p.latestImage, "Succeeded", s.newID() },
		fail:    func() { p.state = "Failed" },
		result:  func() any { return p.toJSON(cl) },
	})
}

func (s *Server) getPoolUpgradeProfile(w http.ResponseWriter, c *call) {
	cl, p := s.lookupPool(w, c)
	if p == nil {
		return
	}
	ups := []map[string]string{}
	for _, v := range s.poolUpgrades(p.current, cl.current) {
		ups = append(ups, map[string]string{"kubernetesVersion": v})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id":   cl.id() + "/agentPools/" + p.name + "/upgradeProfiles/default",
		"name": "default",
		"type": "Microsoft.ContainerService/managedClusters/agentPools/upgradeProfiles",
		"properties": map[string]any{
			"kubernetesVersion":      p.current,
			"osType":                 "Linux",
			"latestNodeImageVersion": p.latestImage,
			"upgrades":               ups,
		},
	})
}
