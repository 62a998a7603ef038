package cluster

import (
	"context"
	"fmt"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"upshift.dev/upshift/internal/preflight"
	"upshift.dev/upshift/internal/version"
)

// poolLabels name a node's pool, first match wins: AKS, GKE, EKS,
// Karpenter. Nodes with none of them form the pool "nodes".
func poolLabels() []string {
	return []string{
		"kubernetes.azure.com/agentpool", "agentpool",
		"cloud.google.com/gke-nodepool", "eks.amazonaws.com/nodegroup", "karpenter.sh/nodepool",
	}
}

// versionInfo reads the API server's version and the kubelet versions per
// node pool, listing nodes page by page.
func versionInfo(ctx context.Context, kube kubernetes.Interface, pageSize int64) (preflight.VersionInfo, error) {
	sv, err := kube.Discovery().ServerVersion()
	if err != nil {
		return preflight.VersionInfo{}, fmt.Errorf("cannot reach the cluster: %w (check --kubeconfig and --context)", err)
	}
	cp, err := version.Parse(sv.GitVersion)
	if err != nil {
		return preflight.VersionInfo{}, fmt.Errorf("the API server reports version %q: %w", sv.GitVersion, err)
	}
	info := preflight.VersionInfo{ControlPlane: cp}
	pools := map[string]*preflight.NodePool{}
	seen := map[string]map[version.Version]bool{}
	opts := metav1.ListOptions{Limit: pageSize}
	for {
		nodes, err := kube.CoreV1().Nodes().List(ctx, opts)
		if err != nil {
			return info, fmt.Errorf("cannot list nodes: %w (the version checks need get/list on nodes)", err)
		}
		for _, n := range nodes.Items {
			name := "nodes"
			for _, l := range poolLabels() {
				if v := n.Labels[l]; v != "" {
					name = v
					break
				}
			}
			p := pools[name]
			if p == nil {
				p = &preflight.NodePool{Name: name}
				pools[name] = p
				seen[name] = map[version.Version]bool{}
			}
			p.Nodes++
			v, err := version.Parse(n.Status.NodeInfo.KubeletVersion)
			if err != nil || seen[name][v] {
				continue
			}
			seen[name][v] = true
			p.Versions = append(p.Versions, v)
		}
		if nodes.Continue == "" {
			break
		}
		opts.Continue = nodes.Continue
	}
	for _, p := range pools {
		sort.Slice(p.Versions, func(i, j int) bool { return p.Versions[i].Less(p.Versions[j]) })
		info.Pools = append(info.Pools, *p)
	}
	sort.Slice(info.Pools, func(i, j int) bool { return info.Pools[i].Name < info.Pools[j].Name })
	return info, nil
}
