package localfleet

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"upshift.dev/upshift/internal/provider"
	"upshift.dev/upshift/internal/version"
)

// A pool's settings live in a ConfigMap in kube-system, the local stand-in
// for the AKS agentPool resource; its nodes are the Nodes labelled with the
// pool name. Counts and versions are always read from the nodes themselves.
const (
	poolConfigMapPrefix = "upshift-agentpool-"
	poolConfigKey       = "agentpool.json"
	labelPoolConfig     = "upshift.dev/agentpool"
)

var poolNameRE = regexp.MustCompile(`^[a-z][a-z0-9]{0,11}$`)

func validatePool(p provider.NodePool) error {
	if !poolNameRE.MatchString(p.Name) {
		return fmt.Errorf("invalid node pool name %q: use 1-12 lowercase letters and digits, starting with a letter (AKS rule)", p.Name)
	}
	if p.Count < 0 || p.Count > 1000 {
		return fmt.Errorf("node pool %q: count %d is out of range 0..1000", p.Name, p.Count)
	}
	if p.Mode != provider.ModeSystem && p.Mode != provider.ModeUser {
		return fmt.Errorf("node pool %q: mode %q must be System or User", p.Name, p.Mode)
	}
	if p.NodeImageVersion != "" && !KnownNodeImage(p.NodeImageVersion) {
		return fmt.Errorf("node pool %q: unknown node image %q", p.Name, p.NodeImageVersion)
	}
	return nil
}

func (f *Fleet) createPools(ctx context.Context, client kubernetes.Interface, s ClusterSpec, progress ProgressFunc) error {
	total := 0
	for _, p := range s.Pools {
		if p.NodeImageVersion == "" {
			p.NodeImageVersion = DefaultNodeImage()
		}
		if p.OrchestratorVersion == "" {
			p.OrchestratorVersion = version.Trim(s.KubernetesVersion)
		}
		if err := savePool(ctx, client, p); err != nil {
			return err
		}
		target := provider.NodeTarget{KubernetesVersion: p.OrchestratorVersion, NodeImageVersion: p.NodeImageVersion}
		for i := 0; i < p.Count; i++ {
			if _, err := client.CoreV1().Nodes().Create(ctx, newNode(s.Name, p, i, target), metav1.CreateOptions{}); err != nil {
				return fmt.Errorf("failed to create node %d of pool %q: %w", i, p.Name, err)
			}
		}
		total += p.Count
	}
	if total == 0 {
		return nil
	}
	progress.emit(s.Name, "nodes", "waiting for %d nodes to be Ready", total)
	return waitNodesReady(ctx, client, total, 2*time.Minute)
}

func waitNodesReady(ctx context.Context, client kubernetes.Interface, want int, timeout time.Duration) error {
	var ready int
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		ready = 0
		for i := range nodes.Items {
			if NodeReady(&nodes.Items[i]) {
				ready++
			}
		}
		return ready >= want, nil
	})
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted while waiting for nodes: %w", ctx.Err())
	}
	if err != nil {
		return fmt.Errorf("only %d of %d nodes became Ready: %w (is the kwok controller running? see 'kwokctl logs kwok-controller')", ready, want, err)
	}
	return nil
}

// NodeReady reports the Ready condition.
func NodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func savePool(ctx context.Context, client kubernetes.Interface, p provider.NodePool) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{
			Name: poolConfigMapPrefix + p.Name, Namespace: metav1.NamespaceSystem,
			Labels: map[string]string{labelPoolConfig: p.Name},
		},
		Data: map[string]string{poolConfigKey: string(b)},
	}
	_, err = client.CoreV1().ConfigMaps(metav1.NamespaceSystem).Create(ctx, cm, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		_, err = client.CoreV1().ConfigMaps(metav1.NamespaceSystem).Update(ctx, cm, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("failed to save node pool %q: %w", p.Name, err)
	}
	return nil
}

// loadPools reads every pool's settings and fills in what the nodes say:
// count, and the current version (the oldest kubelet in the pool).
func loadPools(ctx context.Context, client kubernetes.Interface) ([]provider.NodePool, error) {
	cms, err := client.CoreV1().ConfigMaps(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{LabelSelector: labelPoolConfig})
	if err != nil {
		return nil, err
	}
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: LabelAgentPool})
	if err != nil {
		return nil, err
	}
	var pools []provider.NodePool
	for _, cm := range cms.Items {
		var p provider.NodePool
		if err := json.Unmarshal([]byte(cm.Data[poolConfigKey]), &p); err != nil {
			return nil, fmt.Errorf("node pool record %s is corrupt: %w", cm.Name, err)
		}
		p.Count = 0
		var oldest *version.Version
		for i := range nodes.Items {
			n := &nodes.Items[i]
			if n.Labels[LabelAgentPool] != p.Name {
				continue
			}
			p.Count++
			if v, err := version.Parse(n.Status.NodeInfo.KubeletVersion); err == nil && (oldest == nil || v.Less(*oldest)) {
				oldest = &v
			}
		}
		p.CurrentOrchestratorVersion = p.OrchestratorVersion
		if oldest != nil {
			p.CurrentOrchestratorVersion = oldest.String()
		}
		p.ProvisioningState = "Succeeded"
		if p.CurrentOrchestratorVersion != p.OrchestratorVersion {
			p.ProvisioningState = "Upgrading"
		}
		pools = append(pools, p)
	}
	sort.Slice(pools, func(i, j int) bool { return pools[i].Name < pools[j].Name })
	return pools, nil
}

func findPool(pools []provider.NodePool, name string) (provider.NodePool, bool) {
	for _, p := range pools {
		if p.Name == name {
			return p, true
		}
	}
	return provider.NodePool{}, false
}
