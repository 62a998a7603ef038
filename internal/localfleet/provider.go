package localfleet

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"upshift.dev/upshift/internal/provider"
	"upshift.dev/upshift/internal/toolchain"
	"upshift.dev/upshift/internal/version"
)

// GetCluster implements provider.Clusters.
func (f *Fleet) GetCluster(ctx context.Context, name string) (provider.Cluster, error) {
	client, err := f.Client(name)
	if err != nil {
		return provider.Cluster{}, err
	}
	info, err := client.Discovery().ServerVersion()
	if err != nil {
		return provider.Cluster{Name: name, ProvisioningState: "Stopped", Location: "local"},
			fmt.Errorf("local cluster %q does not answer: %w", name, err)
	}
	return provider.Cluster{Name: name, KubernetesVersion: version.Trim(info.GitVersion), ProvisioningState: "Succeeded", Location: "local"}, nil
}

// AvailableUpgrades implements provider.Clusters: the newer versions the
// toolchain offers within one minor (the local fleet never skips a minor).
func (f *Fleet) AvailableUpgrades(ctx context.Context, name string) ([]string, error) {
	c, err := f.GetCluster(ctx, name)
	if err != nil {
		return nil, err
	}
	cur, err := version.Parse(c.KubernetesVersion)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, v := range toolchain.KubernetesVersions {
		to := version.MustParse(v)
		if cur.Less(to) && version.CheckControlPlaneUpgrade(cur, to, false) == nil {
			out = append(out, v)
		}
	}
	return out, nil
}

// Kubeconfig implements provider.Clusters: a standalone kubeconfig whose
// current context is the cluster's.
func (f *Fleet) Kubeconfig(_ context.Context, name string) ([]byte, error) {
	if !f.Exists(name) {
		return nil, fmt.Errorf("local cluster %q: %w", name, provider.ErrNotFound)
	}
	all, err := clientcmd.LoadFromFile(f.KubeconfigPath())
	if err != nil {
		return nil, err
	}
	ctx := ContextName(name)
	c, ok := all.Contexts[ctx]
	if !ok {
		return nil, fmt.Errorf("local cluster %q has no context in %s: %w", name, f.KubeconfigPath(), provider.ErrNotFound)
	}
	out := clientcmdapi.NewConfig()
	out.Clusters[ctx] = all.Clusters[c.Cluster]
	out.AuthInfos[ctx] = all.AuthInfos[c.AuthInfo]
	out.Contexts[ctx] = c
	out.CurrentContext = ctx
	// Inline certificate files so the kubeconfig works anywhere, for
	// example as a Secret on the hub.
	if err := clientcmdapi.FlattenConfig(out); err != nil {
		return nil, err
	}
	return clientcmd.Write(*out)
}

// ListNodePools implements provider.NodePools.
func (f *Fleet) ListNodePools(ctx context.Context, cluster string) ([]provider.NodePool, error) {
	client, err := f.Client(cluster)
	if err != nil {
		return nil, err
	}
	return loadPools(ctx, client)
}

// CreateNodePool implements provider.NodePools.
func (f *Fleet) CreateNodePool(ctx context.Context, cluster string, pool provider.NodePool) error {
	if err := validatePool(pool); err != nil {
		return err
	}
	client, err := f.Client(cluster)
	if err != nil {
		return err
	}
	pools, err := loadPools(ctx, client)
	if err != nil {
		return err
	}
	if _, ok := findPool(pools, pool.Name); ok {
		return fmt.Errorf("node pool %q already exists in %q: %w", pool.Name, cluster, provider.ErrConflict)
	}
	c, err := f.GetCluster(ctx, cluster)
	if err != nil {
		return err
	}
	if pool.OrchestratorVersion == "" {
		pool.OrchestratorVersion = c.KubernetesVersion
	}
	if err := checkNodeVersion(c.KubernetesVersion, pool.OrchestratorVersion); err != nil {
		return fmt.Errorf("node pool %q: %w", pool.Name, err)
	}
	before, err := countReady(ctx, f, cluster)
	if err != nil {
		return err
	}
	spec := ClusterSpec{Name: cluster, KubernetesVersion: c.KubernetesVersion, Pools: []provider.NodePool{pool}}
	if err := f.createPools(ctx, client, spec, nil); err != nil {
		return err
	}
	return waitNodesReady(ctx, client, before+pool.Count, 5*time.Minute)
}

// DeleteNodePool implements provider.NodePools.
func (f *Fleet) DeleteNodePool(ctx context.Context, cluster, pool string) error {
	client, err := f.Client(cluster)
	if err != nil {
		return err
	}
	sel := metav1.ListOptions{LabelSelector: LabelAgentPool + "=" + pool}
	if err := client.CoreV1().Nodes().DeleteCollection(ctx, metav1.DeleteOptions{}, sel); err != nil {
		return fmt.Errorf("failed to delete the nodes of pool %q: %w", pool, err)
	}
	err = client.CoreV1().ConfigMaps(metav1.NamespaceSystem).Delete(ctx, poolConfigMapPrefix+pool, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("node pool %q in %q: %w", pool, cluster, provider.ErrNotFound)
	}
	return err
}

// LatestNodeImage implements provider.NodePools.
func (f *Fleet) LatestNodeImage(context.Context, string, string) (string, error) {
	return LatestNodeImage(), nil
}

// SetPoolTarget implements provider.NodePools.
func (f *Fleet) SetPoolTarget(ctx context.Context, cluster, pool string, target provider.NodeTarget) error {
	client, err := f.Client(cluster)
	if err != nil {
		return err
	}
	pools, err := loadPools(ctx, client)
	if err != nil {
		return err
	}
	p, ok := findPool(pools, pool)
	if !ok {
		return fmt.Errorf("node pool %q in %q: %w", pool, cluster, provider.ErrNotFound)
	}
	if target.KubernetesVersion != "" {
		p.OrchestratorVersion = version.Trim(target.KubernetesVersion)
	}
	if target.NodeImageVersion != "" {
		p.NodeImageVersion = target.NodeImageVersion
	}
	return savePool(ctx, client, p)
}

func checkNodeVersion(controlPlane, node string) error {
	cp, err := version.Parse(controlPlane)
	if err != nil {
		return err
	}
	n, err := version.Parse(node)
	if err != nil {
		return err
	}
	return version.CheckNodeSkew(cp, n)
}

func countReady(ctx context.Context, f *Fleet, cluster string) (int, error) {
	client, err := f.Client(cluster)
	if err != nil {
		return 0, err
	}
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	n := 0
	for i := range nodes.Items {
		if NodeReady(&nodes.Items[i]) {
			n++
		}
	}
	return n, nil
}

// SetUpgradeSettings replaces a pool's upgradeSettings, as an AKS agentPool
// update does; the next upgrade of the pool uses them.
func (f *Fleet) SetUpgradeSettings(ctx context.Context, cluster, pool string, s provider.UpgradeSettings) error {
	client, err := f.Client(cluster)
	if err != nil {
		return err
	}
	pools, err := loadPools(ctx, client)
	if err != nil {
		return err
	}
	p, ok := findPool(pools, pool)
	if !ok {
		return fmt.Errorf("node pool %q in %q: %w", pool, cluster, provider.ErrNotFound)
	}
	p.UpgradeSettings = s
	return savePool(ctx, client, p)
}
