package localfleet

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"upshift.dev/upshift/internal/provider"
	"upshift.dev/upshift/internal/version"
)

// AddNode implements provider.Machines: a new node in pool at target, named
// with the pool's next instance index, as a VMSS scale-out would.
func (f *Fleet) AddNode(ctx context.Context, cluster, pool string, target provider.NodeTarget) (string, error) {
	client, p, err := f.poolClient(ctx, cluster, pool)
	if err != nil {
		return "", err
	}
	if err := f.checkTarget(ctx, cluster, target); err != nil {
		return "", err
	}
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: LabelAgentPool + "=" + pool})
	if err != nil {
		return "", err
	}
	next := 0
	for _, n := range nodes.Items {
		if i := nodeIndex(n.Name); i >= next {
			next = i + 1
		}
	}
	// Callers adding nodes at once (a surge batch) pick the same index; the
	// loser moves on to the next, so n callers need at most n attempts.
	for attempt := 0; attempt < 1000; attempt++ {
		n := newNode(cluster, p, next+attempt, target)
		_, err := client.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("failed to add a node to pool %q: %w", pool, err)
		}
		return n.Name, nil
	}
	return "", fmt.Errorf("failed to add a node to pool %q: no free instance index: %w", pool, provider.ErrConflict)
}

// ReimageNode implements provider.Machines. Like a VMSS reimage, the Node
// object stays: its kubelet comes back at target with the new image label
// and, after the cluster's node-ready delay (the reboot), uncordoned with
// upshift's progress annotations gone. It returns when the node is back.
//
// The node stays Ready throughout: the simulated kubelet cannot mark its
// pods Ready again after a NotReady spell, so the reboot is modelled as the
// time the node stays cordoned. If the process dies during that time the
// node is at target but still cordoned with upshift's annotations on it,
// which the node pool engine recognises and finishes.
func (f *Fleet) ReimageNode(ctx context.Context, cluster, node string, target provider.NodeTarget) error {
	client, err := f.Client(cluster)
	if err != nil {
		return err
	}
	old, err := client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("node %q in %q: %w", node, cluster, provider.ErrNotFound)
	}
	if err != nil {
		return err
	}
	if err := f.checkTarget(ctx, cluster, target); err != nil {
		return err
	}
	kv := "v" + version.Trim(target.KubernetesVersion)
	status := map[string]any{"status": map[string]any{
		"nodeInfo": map[string]any{"kubeletVersion": kv, "kubeProxyVersion": kv, "bootID": string(uuid.NewUUID())},
	}}
	if err := patchNode(ctx, client, node, status, "status"); err != nil {
		return fmt.Errorf("failed to reimage node %q: %w", node, err)
	}
	cordon := map[string]any{
		"metadata": map[string]any{"labels": map[string]any{LabelNodeImageVersion: target.NodeImageVersion}},
		"spec":     map[string]any{"unschedulable": true},
	}
	if err := patchNode(ctx, client, node, cordon); err != nil {
		return fmt.Errorf("failed to reimage node %q: %w", node, err)
	}
	if d := loadDelays(ctx, client).NodeReady; d > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("interrupted while node %q reboots: %w", node, ctx.Err())
		case <-time.After(d):
		}
	}
	annotations := map[string]any{}
	for k := range old.Annotations {
		if strings.HasPrefix(k, "upshift.dev/") {
			annotations[k] = nil
		}
	}
	back := map[string]any{
		"metadata": map[string]any{"annotations": annotations},
		"spec":     map[string]any{"unschedulable": false},
	}
	if err := patchNode(ctx, client, node, back); err != nil {
		return fmt.Errorf("node %q was reimaged but not uncordoned: %w", node, err)
	}
	return nil
}

func patchNode(ctx context.Context, client kubernetes.Interface, node string, patch map[string]any, subresources ...string) error {
	b, err := json.Marshal(patch)
	if err != nil {
		return err
	}
	_, err = client.CoreV1().Nodes().Patch(ctx, node, types.StrategicMergePatchType, b, metav1.PatchOptions{}, subresources...)
	return err
}

// DeleteNode implements provider.Machines.
func (f *Fleet) DeleteNode(ctx context.Context, cluster, node string) error {
	client, err := f.Client(cluster)
	if err != nil {
		return err
	}
	return deleteNodeAndWait(ctx, client, node)
}

func (f *Fleet) poolClient(ctx context.Context, cluster, pool string) (kubernetes.Interface, provider.NodePool, error) {
	client, err := f.Client(cluster)
	if err != nil {
		return nil, provider.NodePool{}, err
	}
	pools, err := loadPools(ctx, client)
	if err != nil {
		return nil, provider.NodePool{}, err
	}
	p, ok := findPool(pools, pool)
	if !ok {
		return nil, provider.NodePool{}, fmt.Errorf("node pool %q in %q: %w", pool, cluster, provider.ErrNotFound)
	}
	return client, p, nil
}

// checkTarget refuses a node the control plane would not accept.
func (f *Fleet) checkTarget(ctx context.Context, cluster string, target provider.NodeTarget) error {
	if !KnownNodeImage(target.NodeImageVersion) {
		return fmt.Errorf("unknown node image %q (local images: %v)", target.NodeImageVersion, nodeImages)
	}
	c, err := f.GetCluster(ctx, cluster)
	if err != nil {
		return err
	}
	return checkNodeVersion(c.KubernetesVersion, target.KubernetesVersion)
}

func deleteNodeAndWait(ctx context.Context, client kubernetes.Interface, node string) error {
	err := client.CoreV1().Nodes().Delete(ctx, node, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("failed to delete node %q: %w", node, err)
	}
	return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
}

func waitNodeReady(ctx context.Context, client kubernetes.Interface, node string, timeout time.Duration) error {
	var last *corev1.Node
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		n, err := client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		last = n
		return NodeReady(n), nil
	})
	if err != nil && last != nil {
		return fmt.Errorf("node %q did not become Ready: %w", node, err)
	}
	return err
}
