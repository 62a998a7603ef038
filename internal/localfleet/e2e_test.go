package localfleet_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"upshift.dev/upshift/internal/localfleet"
	"upshift.dev/upshift/internal/localfleet/fleettest"
	"upshift.dev/upshift/internal/provider"
	"upshift.dev/upshift/internal/version"
)

// TestClusterLifecycle walks one cluster through what `upshift local`
// promises: AKS-shaped pools with kubelets at the cluster version, sample
// apps running, a real control-plane upgrade that keeps every object, and
// refusals for a downgrade.
func TestClusterLifecycle(t *testing.T) {
	ctx := context.Background()
	c := fleettest.Start(t, fleettest.Options{
		KubernetesVersion: "1.36.3", Nodes: 2, SampleApps: true, FragileApp: true,
		Delays: localfleet.Delays{PodStart: 500 * time.Millisecond, PodStop: 200 * time.Millisecond},
	})
	f := c.Fleet

	info, err := c.Client.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if info.GitVersion != "v1.36.3" {
		t.Fatalf("server version %q, want v1.36.3 (unstamped binaries report v0.0.0-master)", info.GitVersion)
	}

	nodes, err := c.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pools := map[string]int{}
	for _, n := range nodes.Items {
		if !localfleet.NodeReady(&n) {
			t.Errorf("node %s is not Ready", n.Name)
		}
		if got := n.Status.NodeInfo.KubeletVersion; got != "v1.36.3" {
			t.Errorf("node %s kubelet %s, want v1.36.3", n.Name, got)
		}
		if n.Labels[localfleet.LabelAgentPool] != n.Labels[localfleet.LabelAgentPoolShort] || n.Labels[localfleet.LabelNodeImageVersion] == "" {
			t.Errorf("node %s lacks AKS labels: %v", n.Name, n.Labels)
		}
		pools[n.Labels[localfleet.LabelAgentPool]]++
	}
	if pools["system"] != 2 || pools["apps"] != 2 {
		t.Fatalf("pools = %v, want system:2 apps:2", pools)
	}

	st, err := f.Status(ctx)
	if err != nil || len(st) != 1 {
		t.Fatalf("Status() = %v, %v", st, err)
	}
	if !st[0].Running || st[0].ReadyPods != st[0].Pods || st[0].Pods == 0 {
		t.Fatalf("status %+v: want running with every pod ready", st[0])
	}
	podsBefore := st[0].Pods
	depsBefore, err := c.Client.AppsV1().Deployments("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// A skipped minor and a downgrade are refused before anything stops.
	err = f.UpgradeControlPlane(ctx, c.Name, "1.36.1")
	if err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("upgrade to an unsupported version: %v", err)
	}

	start := time.Now()
	if err := f.UpgradeControlPlane(ctx, c.Name, "1.37.2"); err != nil {
		t.Fatal(err)
	}
	t.Logf("control-plane upgrade took %s", time.Since(start).Round(100*time.Millisecond))
	info, err = c.Client.Discovery().ServerVersion()
	if err != nil || info.GitVersion != "v1.37.2" {
		t.Fatalf("after upgrade: server version %v, %v; want v1.37.2", info, err)
	}
	depsAfter, err := c.Client.AppsV1().Deployments("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(depsAfter.Items) != len(depsBefore.Items) {
		t.Fatalf("deployments %d after upgrade, %d before", len(depsAfter.Items), len(depsBefore.Items))
	}
	// Running again is a no-op.
	if err := f.UpgradeControlPlane(ctx, c.Name, "1.37.2"); err != nil {
		t.Fatalf("repeated upgrade: %v", err)
	}
	err = f.UpgradeControlPlane(ctx, c.Name, "1.36.3")
	if !errors.Is(err, version.ErrDowngrade) {
		t.Fatalf("downgrade: %v, want ErrDowngrade", err)
	}
	st, _ = f.Status(ctx)
	if st[0].Pods != podsBefore {
		t.Errorf("pods %d after upgrade, %d before", st[0].Pods, podsBefore)
	}
}

// TestMachines covers the node operations the surge engine relies on.
func TestMachines(t *testing.T) {
	ctx := context.Background()
	c := fleettest.Start(t, fleettest.Options{KubernetesVersion: "1.37.2", Nodes: 1})
	f := c.Fleet

	target := provider.NodeTarget{KubernetesVersion: "1.37.2", NodeImageVersion: localfleet.LatestNodeImage()}
	name, err := f.AddNode(ctx, c.Name, "apps", target)
	if err != nil {
		t.Fatal(err)
	}
	pools, err := f.ListNodePools(ctx, c.Name)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := findPool(pools, "apps"); p.Count != 2 {
		t.Fatalf("apps pool has %d nodes after AddNode, want 2", p.Count)
	}

	// Reimage keeps the name and clears the cordon.
	node, err := c.Client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	node.Spec.Unschedulable = true
	if _, err := c.Client.CoreV1().Nodes().Update(ctx, node, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	older := provider.NodeTarget{KubernetesVersion: "1.36.3", NodeImageVersion: localfleet.DefaultNodeImage()}
	if err := f.ReimageNode(ctx, c.Name, name, older); err != nil {
		t.Fatal(err)
	}
	node, err = c.Client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if err != nil || !localfleet.NodeReady(node) {
		t.Fatalf("reimaged node is not Ready: %v", err)
	}
	if node.Spec.Unschedulable || node.Status.NodeInfo.KubeletVersion != "v1.36.3" || node.Labels[localfleet.LabelNodeImageVersion] != localfleet.DefaultNodeImage() {
		t.Fatalf("reimaged node: unschedulable=%v kubelet=%s image=%s", node.Spec.Unschedulable, node.Status.NodeInfo.KubeletVersion, node.Labels[localfleet.LabelNodeImageVersion])
	}

	// A node newer than the control plane is refused.
	c137 := provider.NodeTarget{KubernetesVersion: "1.38.0", NodeImageVersion: localfleet.LatestNodeImage()}
	if _, err := f.AddNode(ctx, c.Name, "apps", c137); !errors.Is(err, version.ErrSkew) {
		t.Fatalf("AddNode newer than the control plane: %v, want ErrSkew", err)
	}

	if err := f.DeleteNode(ctx, c.Name, name); err != nil {
		t.Fatal(err)
	}
	pools, _ = f.ListNodePools(ctx, c.Name)
	if p, _ := findPool(pools, "apps"); p.Count != 1 {
		t.Fatalf("apps pool has %d nodes after DeleteNode, want 1", p.Count)
	}
}

func findPool(pools []provider.NodePool, name string) (provider.NodePool, bool) {
	for _, p := range pools {
		if p.Name == name {
			return p, true
		}
	}
	return provider.NodePool{}, false
}
