package strategy

import (
	"context"
	"errors"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/analysis"
	"upshift.dev/upshift/internal/apply"
	"upshift.dev/upshift/internal/fleet"
	"upshift.dev/upshift/internal/provider"
	"upshift.dev/upshift/internal/traffic"
)

// Tools are what the strategies need from outside the hub. Both reconcilers
// take the same set; tests swap single tools for fakes.
type Tools struct {
	// Resolver reaches the cluster of a Member (blue, stable).
	Resolver fleet.Resolver
	// Clusters creates and deletes the clusters strategies bring up.
	Clusters Provisioner
	// Routers builds the router of a traffic spec.
	Routers RouterFactory
	// Preflight scans the cluster serving traffic for the target version;
	// DefaultPreflight when nil.
	Preflight Preflighter
	// Deploy applies the manifests to the new cluster and tells when they
	// are ready; DefaultDeployer when nil.
	Deploy Deployer
	// Analysis configures the analysis engine (HTTP client, providers); its
	// clock is the reconciler's when nil.
	Analysis analysis.Options
}

// NewCluster is a cluster to create.
type NewCluster struct {
	Provider          string
	Name              string
	KubernetesVersion string
	Pools             []provider.NodePool
	// CloneFrom is the provider's name of the serving cluster the new one
	// is made in the image of (its pools; on AKS its network, identity
	// and add-ons; on the local fleet its simulated kubelet timing).
	CloneFrom string
	// For names the strategy that creates the cluster ("BlueGreenUpgrade
	// upshift-system/shop"); AKS records it in a tag.
	For string
}

// Provisioner creates and deletes clusters. Errors wrap provider.ErrNotFound
// where a cluster does not exist.
type Provisioner interface {
	// Exists reports whether a cluster of that name exists.
	Exists(ctx context.Context, providerName, name string) (bool, error)
	// Create creates the cluster and returns once it serves, with its
	// version. A cluster of that name that an earlier attempt left
	// half-created is completed or made again: callers only call Create for
	// a name they own.
	Create(ctx context.Context, c NewCluster, progress func(string)) (version string, err error)
	// Delete deletes the cluster; one that does not exist is not an error.
	// It wraps ErrCannotDelete for clusters upshift cannot delete.
	Delete(ctx context.Context, providerName, name string) error
	// RESTConfig reaches the cluster's API server.
	RESTConfig(ctx context.Context, providerName, name string) (*rest.Config, error)
}

// ErrCannotDelete is wrapped by Provisioner.Delete for clusters upshift
// does not run (a kubeconfig member).
var ErrCannotDelete = errors.New("upshift cannot delete this cluster")

// RouterFactory builds the traffic.Router of a strategy. backends are the
// two clusters' names, the one serving traffic first.
type RouterFactory interface {
	Router(ctx context.Context, spec v1alpha1.TrafficSpec, backends []string) (traffic.Router, error)
}

// Preflighter checks a cluster and the manifests to deploy for what breaks
// at the target version. It returns an error only when it could not check
// (the cluster does not answer); what it finds is in the result.
type Preflighter interface {
	Preflight(ctx context.Context, cfg *rest.Config, target string, bundle *Bundle) (v1alpha1.PreflightResult, error)
}

// Deployer applies a bundle's objects to a cluster and reports what of
// them is not ready yet (empty when everything is).
type Deployer interface {
	Apply(ctx context.Context, cfg *rest.Config, objs []*unstructured.Unstructured) error
	NotReady(ctx context.Context, cfg *rest.Config, objs []*unstructured.Unstructured) ([]string, error)
}

// DefaultDeployer applies with server-side apply in dependency order
// (package apply) and checks workloads and Service endpoints.
type DefaultDeployer struct{}

var _ Deployer = DefaultDeployer{}

// Apply implements Deployer.
func (DefaultDeployer) Apply(ctx context.Context, cfg *rest.Config, objs []*unstructured.Unstructured) error {
	a, err := apply.New(cfg)
	if err != nil {
		return err
	}
	return a.Apply(ctx, objs)
}

// NotReady implements Deployer.
func (DefaultDeployer) NotReady(ctx context.Context, cfg *rest.Config, objs []*unstructured.Unstructured) ([]string, error) {
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return notReady(ctx, c, objs)
}

func (t *Tools) deployer() Deployer {
	if t.Deploy != nil {
		return t.Deploy
	}
	return DefaultDeployer{}
}

func (t *Tools) preflighter() Preflighter {
	if t.Preflight != nil {
		return t.Preflight
	}
	return DefaultPreflight{}
}

// check reports a tool the reconcilers cannot work without.
func (t *Tools) check() error {
	switch {
	case t.Resolver == nil:
		return errors.New("strategy tools: no Resolver for members")
	case t.Clusters == nil:
		return errors.New("strategy tools: no Provisioner for new clusters")
	case t.Routers == nil:
		return errors.New("strategy tools: no RouterFactory")
	}
	return nil
}

// clonePools turns the pools of the cluster serving traffic, or the pools
// the spec gives, into the new cluster's, at its version.
func clonePools(spec []v1alpha1.ClusterPool, from []provider.NodePool, version string) ([]provider.NodePool, error) {
	var out []provider.NodePool
	if len(spec) > 0 {
		for _, p := range spec {
			mode := p.Mode
			if mode == "" {
				mode = provider.ModeUser
			}
			out = append(out, provider.NodePool{Name: p.Name, Mode: mode, Count: int(p.Count), VMSize: p.VMSize, OrchestratorVersion: version})
		}
		return out, nil
	}
	if len(from) == 0 {
		return nil, errors.New("the cluster serving traffic has no node pools to clone; give the new cluster's pools in spec (pools)")
	}
	for _, p := range from {
		// The node image of the new version is the provider's choice; the
		// upgrade settings go along, since the new cluster will be upgraded
		// the same way one day.
		out = append(out, provider.NodePool{Name: p.Name, Mode: p.Mode, Count: p.Count, VMSize: p.VMSize,
			OrchestratorVersion: version, UpgradeSettings: p.UpgradeSettings})
	}
	return out, nil
}

// poolFacts records pools in status.
func poolFacts(pools []provider.NodePool) []v1alpha1.ClusterPool {
	out := make([]v1alpha1.ClusterPool, 0, len(pools))
	for _, p := range pools {
		out = append(out, v1alpha1.ClusterPool{Name: p.Name, Mode: p.Mode, Count: int32(p.Count), VMSize: p.VMSize})
	}
	return out
}
