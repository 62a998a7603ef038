package provider

import (
	"context"
	"errors"
)

// Errors a provider wraps so engines can branch on them.
var (
	// ErrNotFound: the cluster, pool or node does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: another operation is in progress on the same object
	// (AKS: OperationNotAllowed / 409), or the object already exists.
	ErrConflict = errors.New("conflict")
)

// Cluster is a managed cluster as the provider sees it.
type Cluster struct {
	Name string `json:"name"`
	// KubernetesVersion is the control plane's current version (AKS
	// currentKubernetesVersion).
	KubernetesVersion string `json:"kubernetesVersion"`
	// ProvisioningState mirrors AKS: Succeeded, Upgrading, Updating, Failed...
	ProvisioningState string `json:"provisioningState"`
	// Location is the region (local: "local").
	Location string `json:"location,omitempty"`
}

// Clusters is a provider's control-plane API.
type Clusters interface {
	// GetCluster returns the cluster or an error wrapping ErrNotFound.
	GetCluster(ctx context.Context, name string) (Cluster, error)
	// AvailableUpgrades lists the versions the control plane may move to
	// next (AKS upgradeProfile), oldest first.
	AvailableUpgrades(ctx context.Context, name string) ([]string, error)
	// UpgradeControlPlane moves the control plane to version and returns
	// when it serves that version. Node pools are not touched.
	UpgradeControlPlane(ctx context.Context, name, version string) error
	// Kubeconfig returns admin credentials for the cluster.
	Kubeconfig(ctx context.Context, name string) ([]byte, error)
}

// Pool modes, as AKS names them.
const (
	ModeSystem = "System"
	ModeUser   = "User"
)

// NodePool is an AKS agentPool's upgrade-relevant shape.
type NodePool struct {
	Name  string `json:"name"`
	Mode  string `json:"mode"`
	Count int    `json:"count"`
	// OrchestratorVersion is the pool's target Kubernetes version; during an
	// upgrade nodes may still run CurrentOrchestratorVersion.
	OrchestratorVersion        string          `json:"orchestratorVersion"`
	CurrentOrchestratorVersion string          `json:"currentOrchestratorVersion,omitempty"`
	NodeImageVersion           string          `json:"nodeImageVersion"`
	VMSize                     string          `json:"vmSize,omitempty"`
	UpgradeSettings            UpgradeSettings `json:"upgradeSettings"`
	ProvisioningState          string          `json:"provisioningState,omitempty"`
}

// UpgradeSettings are AKS agentPool.upgradeSettings, with the same names,
// ranges and defaults (see docs/ANCHORS or the AKS API reference).
type UpgradeSettings struct {
	// MaxSurge is a count ("1") or a percentage of the pool ("33%",
	// rounded up). Empty means the AKS API default "10%".
	MaxSurge string `json:"maxSurge,omitempty"`
	// MaxUnavailable is a count or percentage of existing nodes cordoned at
	// once without surge. Empty means "0".
	MaxUnavailable string `json:"maxUnavailable,omitempty"`
	// DrainTimeoutInMinutes is the per-node eviction wait, 1..1440; 0 means
	// the default 30.
	DrainTimeoutInMinutes int `json:"drainTimeoutInMinutes,omitempty"`
	// NodeSoakDurationInMinutes is the wait after draining a node before it
	// is reimaged, 0..30.
	NodeSoakDurationInMinutes int `json:"nodeSoakDurationInMinutes,omitempty"`
	// UndrainableNodeBehavior is "Schedule" (default) or "Cordon".
	UndrainableNodeBehavior string `json:"undrainableNodeBehavior,omitempty"`
	// MaxBlockedNodes is a count or percentage; empty means equal to
	// MaxSurge. Only used with Cordon.
	MaxBlockedNodes string `json:"maxBlockedNodes,omitempty"`
}

// NodePools is a provider's node pool API.
type NodePools interface {
	// ListNodePools returns the cluster's pools sorted by name.
	ListNodePools(ctx context.Context, cluster string) ([]NodePool, error)
	// CreateNodePool creates a pool of pool.Count nodes at
	// pool.OrchestratorVersion and pool.NodeImageVersion, and returns when
	// they are Ready. It wraps ErrConflict when the pool exists.
	CreateNodePool(ctx context.Context, cluster string, pool NodePool) error
	// DeleteNodePool deletes a pool and its nodes without draining them;
	// callers drain first.
	DeleteNodePool(ctx context.Context, cluster, pool string) error
	// LatestNodeImage returns the newest node image the pool can move to
	// (AKS agentPool upgradeProfile latestNodeImageVersion).
	LatestNodeImage(ctx context.Context, cluster, pool string) (string, error)
	// SetPoolTarget records a pool's target version and image (AKS:
	// orchestratorVersion on the agentPool) without touching nodes.
	SetPoolTarget(ctx context.Context, cluster, pool string, target NodeTarget) error
}

// NodeTarget is what a node is (re)built as.
type NodeTarget struct {
	KubernetesVersion string `json:"kubernetesVersion"`
	NodeImageVersion  string `json:"nodeImageVersion"`
}

// Machines are node-level operations for upshift's own surge and
// blue-green engines. Node names are Kubernetes Node names.
type Machines interface {
	// AddNode creates a node in pool at target and returns its name once the
	// Node object exists (it may not be Ready yet).
	AddNode(ctx context.Context, cluster, pool string, target NodeTarget) (string, error)
	// ReimageNode rebuilds node at target, keeping its name: the Node comes
	// back uncordoned and empty, as after an AKS reimage. Callers drain first.
	ReimageNode(ctx context.Context, cluster, node string, target NodeTarget) error
	// DeleteNode removes the node from its pool. Callers drain first.
	DeleteNode(ctx context.Context, cluster, node string) error
}
