package fleet

import (
	"context"
	"errors"
	"fmt"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"upshift.dev/upshift/internal/nodepool"
	"upshift.dev/upshift/internal/provider"
	"upshift.dev/upshift/internal/version"
)

// errReadOnly is returned for operations a kubeconfig member's provider
// cannot perform.
var errReadOnly = errors.New("a cluster joined by kubeconfig can be checked and drained but not upgraded by upshift; join it with its provider (local or aks)")

// readOnly is the provider of clusters joined by kubeconfig: it reads the
// version from the API server and derives node pools from the nodes' AKS
// pool labels.
type readOnly struct{ client kubernetes.Interface }

var (
	_ provider.Clusters  = (*readOnly)(nil)
	_ provider.NodePools = (*readOnly)(nil)
)

func (r *readOnly) GetCluster(ctx context.Context, name string) (provider.Cluster, error) {
	info, err := r.client.Discovery().ServerVersion()
	if err != nil {
		return provider.Cluster{}, fmt.Errorf("cluster %s does not answer: %w", name, err)
	}
	return provider.Cluster{Name: name, KubernetesVersion: version.Trim(info.GitVersion), ProvisioningState: "Succeeded"}, nil
}

func (r *readOnly) AvailableUpgrades(context.Context, string) ([]string, error) { return nil, nil }

func (r *readOnly) UpgradeControlPlane(context.Context, string, string) error { return errReadOnly }

func (r *readOnly) Kubeconfig(context.Context, string) ([]byte, error) { return nil, errReadOnly }

func (r *readOnly) ListNodePools(ctx context.Context, _ string) ([]provider.NodePool, error) {
	nodes, err := r.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: nodepool.LabelAgentPool})
	if err != nil {
		return nil, err
	}
	pools := map[string]*provider.NodePool{}
	for _, n := range nodes.Items {
		name := n.Labels[nodepool.LabelAgentPool]
		p := pools[name]
		if p == nil {
			p = &provider.NodePool{Name: name, ProvisioningState: "Succeeded", Mode: provider.ModeUser}
			pools[name] = p
		}
		p.Count++
		v := version.Trim(n.Status.NodeInfo.KubeletVersion)
		if p.CurrentOrchestratorVersion == "" || v < p.CurrentOrchestratorVersion {
			p.CurrentOrchestratorVersion, p.OrchestratorVersion = v, v
		}
		p.NodeImageVersion = n.Labels[nodepool.LabelNodeImage]
	}
	var out []provider.NodePool
	for _, p := range pools {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (r *readOnly) CreateNodePool(context.Context, string, provider.NodePool) error {
	return errReadOnly
}

func (r *readOnly) DeleteNodePool(context.Context, string, string) error { return errReadOnly }

func (r *readOnly) LatestNodeImage(ctx context.Context, cluster, pool string) (string, error) {
	pools, err := r.ListNodePools(ctx, cluster)
	if err != nil {
		return "", err
	}
	for _, p := range pools {
		if p.Name == pool {
			return p.NodeImageVersion, nil
		}
	}
	return "", fmt.Errorf("node pool %q: %w", pool, provider.ErrNotFound)
}

func (r *readOnly) SetPoolTarget(context.Context, string, string, provider.NodeTarget) error {
	return errReadOnly
}
