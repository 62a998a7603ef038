package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"upshift.dev/upshift/internal/localfleet"
	"upshift.dev/upshift/internal/provider"
)

// verdict is the end state after one upgrade.
type verdict struct {
	Problems []string
	// Settle is how long after the upgrade returned the end state took to
	// hold (pods still starting on the last nodes), not part of the makespan.
	Settle time.Duration
	// Orphans are DaemonSet pods still bound to deleted surge nodes, which
	// the pod garbage collector removes later, as on a real cluster.
	Orphans int
}

// OK reports whether the upgrade ended correctly.
func (v verdict) OK() bool { return len(v.Problems) == 0 }

// verify waits up to timeout for the end state every correct upgrade
// reaches: every pool node at target, the pool at its original size, no node
// cordoned and no upshift progress left on one, every pod Running and Ready,
// every Deployment at its full replica count.
func verify(ctx context.Context, client kubernetes.Interface, poolSize int, target provider.NodeTarget, timeout time.Duration) verdict {
	start := time.Now()
	var v verdict
	err := wait.PollUntilContextTimeout(ctx, time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		v = check(ctx, client, poolSize, target)
		return v.OK(), nil
	})
	v.Settle = time.Since(start)
	if err != nil && v.OK() {
		v.Problems = append(v.Problems, err.Error())
	}
	return v
}

func check(ctx context.Context, client kubernetes.Interface, poolSize int, target provider.NodeTarget) verdict {
	var v verdict
	bad := func(format string, args ...any) { v.Problems = append(v.Problems, fmt.Sprintf(format, args...)) }
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		bad("list nodes: %v", err)
		return v
	}
	exists := map[string]bool{}
	pool := 0
	for _, n := range nodes.Items {
		exists[n.Name] = true
		if n.Spec.Unschedulable {
			bad("node %s is cordoned", n.Name)
		}
		for k := range n.Annotations {
			if strings.HasPrefix(k, "upshift.dev/") {
				bad("node %s keeps annotation %s", n.Name, k)
			}
		}
		if n.Labels[localfleet.LabelAgentPool] != "apps" {
			continue
		}
		pool++
		if n.Status.NodeInfo.KubeletVersion != "v"+target.KubernetesVersion || n.Labels[localfleet.LabelNodeImageVersion] != target.NodeImageVersion {
			bad("node %s at %s/%s, not at the target", n.Name, n.Status.NodeInfo.KubeletVersion, n.Labels[localfleet.LabelNodeImageVersion])
		}
		if !localfleet.NodeReady(&n) {
			bad("node %s is not Ready", n.Name)
		}
	}
	if pool != poolSize {
		bad("pool has %d nodes, want its original %d", pool, poolSize)
	}
	pods, err := client.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		bad("list pods: %v", err)
		return v
	}
	notReady := 0
	var example string
	for _, p := range pods.Items {
		if !exists[p.Spec.NodeName] && p.Spec.NodeName != "" {
			v.Orphans++
			continue
		}
		if p.Status.Phase != corev1.PodRunning || !localfleet.PodReady(&p) || p.DeletionTimestamp != nil {
			notReady++
			example = fmt.Sprintf("%s/%s (%s on %q)", p.Namespace, p.Name, p.Status.Phase, p.Spec.NodeName)
		}
	}
	if notReady > 0 {
		bad("%d pods not Running and Ready, e.g. %s", notReady, example)
	}
	deps, err := client.AppsV1().Deployments(benchNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		bad("list deployments: %v", err)
		return v
	}
	for _, d := range deps.Items {
		if d.Status.ReadyReplicas != *d.Spec.Replicas || d.Status.Replicas != *d.Spec.Replicas {
			bad("deployment %s has %d/%d ready (%d total)", d.Name, d.Status.ReadyReplicas, *d.Spec.Replicas, d.Status.Replicas)
		}
	}
	return v
}
