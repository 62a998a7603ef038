package nodepool_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"upshift.dev/upshift/internal/localfleet"
	"upshift.dev/upshift/internal/localfleet/fleettest"
	"upshift.dev/upshift/internal/nodepool"
	"upshift.dev/upshift/internal/observe"
	"upshift.dev/upshift/internal/provider"
)

var (
	fast   = localfleet.Delays{PodStart: 300 * time.Millisecond, PodStop: 200 * time.Millisecond, NodeReady: 300 * time.Millisecond}
	target = provider.NodeTarget{KubernetesVersion: "1.37.2", NodeImageVersion: localfleet.LatestNodeImage()}
)

// startOld starts a cluster whose control plane is at 1.37.2 and whose
// nodes still run 1.36.3: the state after a control-plane-only upgrade.
func startOld(t *testing.T, nodes int, fragile bool) *fleettest.Cluster {
	t.Helper()
	c := fleettest.Start(t, fleettest.Options{KubernetesVersion: "1.36.3", Nodes: nodes, SampleApps: true, FragileApp: fragile, Delays: fast})
	if err := c.Fleet.UpgradeControlPlane(context.Background(), c.Name, "1.37.2"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			dumpPods(t, c.Client)
		}
	})
	return c
}

// withoutStatefulSet removes the sample StatefulSet, for tests where only
// the fragile app may block a drain.
func withoutStatefulSet(t *testing.T, c *fleettest.Cluster) {
	t.Helper()
	ctx := context.Background()
	if err := c.Client.AppsV1().StatefulSets("shop").Delete(ctx, "cart", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Client.PolicyV1().PodDisruptionBudgets("shop").Delete(ctx, "cart", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
}

func upgrader(c *fleettest.Cluster) *nodepool.Upgrader {
	return &nodepool.Upgrader{Client: c.Client, Pools: c.Fleet, Machines: c.Fleet, Clusters: c.Fleet, Events: &observe.Recorder{Client: c.Client}}
}

func spec(c *fleettest.Cluster, strategy nodepool.Strategy) nodepool.Spec {
	return nodepool.Spec{Cluster: c.Name, Pool: "apps", Target: target, Strategy: strategy,
		// A StatefulSet pod recreated under its old name counts as disrupted
		// for up to two minutes (see drain.Block.Note), so drains that move
		// one get more than that.
		Settings: provider.UpgradeSettings{MaxSurge: "1"}, DrainTimeout: 3 * time.Minute}
}

func poolNodes(t *testing.T, c kubernetes.Interface) []corev1.Node {
	t.Helper()
	nodes, err := c.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{LabelSelector: "agentpool=apps"})
	if err != nil {
		t.Fatal(err)
	}
	return nodes.Items
}

// pdbGuard records every moment a PDB has fewer healthy pods than it
// requires, for the whole test.
type pdbGuard struct {
	mu         sync.Mutex
	seen       int
	violations []string
	cancel     context.CancelFunc
	done       chan struct{}
}

func guardPDBs(t *testing.T, c kubernetes.Interface) *pdbGuard {
	ctx, cancel := context.WithCancel(context.Background())
	g := &pdbGuard{cancel: cancel, done: make(chan struct{})}
	w, err := c.PolicyV1().PodDisruptionBudgets("").Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(g.done)
		for ev := range w.ResultChan() {
			pdb, ok := ev.Object.(*policyv1.PodDisruptionBudget)
			if !ok {
				continue
			}
			s := pdb.Status
			g.mu.Lock()
			g.seen++
			if s.ObservedGeneration == pdb.Generation && s.ExpectedPods > 0 && s.CurrentHealthy < s.DesiredHealthy {
				g.violations = append(g.violations, fmt.Sprintf("%s/%s healthy %d < desired %d", pdb.Namespace, pdb.Name, s.CurrentHealthy, s.DesiredHealthy))
			}
			g.mu.Unlock()
		}
	}()
	t.Cleanup(func() { cancel(); <-g.done })
	return g
}

func (g *pdbGuard) check(t *testing.T) {
	t.Helper()
	g.cancel()
	<-g.done
	if g.seen == 0 {
		t.Fatal("the PDB guard saw no update: it was not watching")
	}
	for _, v := range g.violations {
		t.Errorf("PDB broken during the upgrade: %s", v)
	}
}

// assertSettled checks the end state every successful upgrade must reach.
func assertSettled(t *testing.T, c *fleettest.Cluster, size int) {
	t.Helper()
	nodes := poolNodes(t, c.Client)
	if len(nodes) != size {
		t.Errorf("pool has %d nodes, want its original %d", len(nodes), size)
	}
	for _, n := range nodes {
		if n.Spec.Unschedulable {
			t.Errorf("node %s is left cordoned", n.Name)
		}
		if n.Status.NodeInfo.KubeletVersion != "v1.37.2" || n.Labels[nodepool.LabelNodeImage] != target.NodeImageVersion {
			t.Errorf("node %s at %s/%s, want the target", n.Name, n.Status.NodeInfo.KubeletVersion, n.Labels[nodepool.LabelNodeImage])
		}
		for k := range n.Annotations {
			if strings.HasPrefix(k, "upshift.dev/") {
				t.Errorf("node %s keeps progress annotation %s", n.Name, k)
			}
		}
		for k := range n.Labels {
			if strings.HasPrefix(k, "upshift.dev/") {
				t.Errorf("node %s keeps label %s", n.Name, k)
			}
		}
	}
	waitPodsReady(t, c.Client)
}

func waitPodsReady(t *testing.T, c kubernetes.Interface) {
	t.Helper()
	var notReady []string
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		pods, err := c.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		notReady = nil
		for _, p := range pods.Items {
			if p.Status.Phase != corev1.PodRunning || !localfleet.PodReady(&p) {
				notReady = append(notReady, p.Namespace+"/"+p.Name+"("+string(p.Status.Phase)+")")
			}
		}
		return len(notReady) == 0, nil
	})
	if err != nil {
		t.Fatalf("pods not Running and Ready: %v", notReady)
	}
}

func TestSurgeUpgrade(t *testing.T) {
	t.Parallel()
	c := startOld(t, 3, false)
	guard := guardPDBs(t, c.Client)
	phases := map[nodepool.Phase]bool{}
	start := time.Now()
	err := upgrader(c).Run(context.Background(), spec(c, nodepool.StrategySurge), func(s nodepool.Status) { phases[s.Phase] = true })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("surge upgrade of 3 nodes took %s; phases %v", time.Since(start).Round(100*time.Millisecond), phases)
	for _, p := range []nodepool.Phase{nodepool.PhaseSurging, nodepool.PhaseUpgrading, nodepool.PhaseRemovingSurge, nodepool.PhaseSucceeded} {
		if !phases[p] {
			t.Errorf("never went through phase %s", p)
		}
	}
	assertSettled(t, c, 3)
	guard.check(t)

	events, _ := c.Client.CoreV1().Events(metav1.NamespaceDefault).List(context.Background(), metav1.ListOptions{})
	reasons := map[string]bool{}
	for _, e := range events.Items {
		reasons[e.Reason] = true
	}
	for _, r := range []string{observe.ReasonSurge, observe.ReasonDrain, observe.ReasonUpgrade} {
		if !reasons[r] {
			t.Errorf("no %s event on any node (AKS emits Surge, Drain and Upgrade)", r)
		}
	}
}

func TestSurgeUndrainableSchedule(t *testing.T) {
	t.Parallel()
	c := startOld(t, 3, true)
	withoutStatefulSet(t, c)
	s := spec(c, nodepool.StrategySurge)
	s.DrainTimeout = 45 * time.Second // long enough for healthy drains on a loaded machine
	err := upgrader(c).Run(context.Background(), s, nil)
	var fe *nodepool.FailedError
	if !errors.As(err, &fe) {
		t.Fatalf("Run = %v, want a *FailedError", err)
	}
	t.Logf("error:\n%v", err)
	for _, want := range []string{"legacy/ledger", "PodDisruptionBudget legacy/ledger", "disruptionsAllowed=0"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %q", want)
		}
	}
	nodes := poolNodes(t, c.Client)
	if len(nodes) != 3 {
		t.Errorf("pool has %d nodes after a failed upgrade, want 3: surge nodes must be removed", len(nodes))
	}
	for _, n := range nodes {
		if n.Spec.Unschedulable {
			t.Errorf("node %s is left cordoned after Schedule", n.Name)
		}
		if n.Labels[nodepool.LabelSurge] != "" {
			t.Errorf("surge node %s left behind", n.Name)
		}
	}
}

func TestSurgeUndrainableCordon(t *testing.T) {
	t.Parallel()
	c := startOld(t, 3, true)
	withoutStatefulSet(t, c)
	s := spec(c, nodepool.StrategySurge)
	s.DrainTimeout = 45 * time.Second // long enough for healthy drains on a loaded machine
	s.Settings.UndrainableNodeBehavior = nodepool.BehaviorCordon
	err := upgrader(c).Run(context.Background(), s, nil)
	var fe *nodepool.FailedError
	if !errors.As(err, &fe) || len(fe.Blocked) != 1 {
		t.Fatalf("Run = %v, want a *FailedError naming one quarantined node", err)
	}
	var quarantined, upgraded, surge int
	for _, n := range poolNodes(t, c.Client) {
		switch {
		case n.Labels[nodepool.LabelSurge] != "":
			surge++
		case n.Labels[nodepool.LabelUpgradeStatus] == nodepool.Quarantined:
			quarantined++
			if !n.Spec.Unschedulable {
				t.Errorf("quarantined node %s is schedulable", n.Name)
			}
		case n.Status.NodeInfo.KubeletVersion == "v1.37.2":
			upgraded++
		}
	}
	if quarantined != 1 || upgraded != 2 || surge != 1 {
		t.Errorf("quarantined=%d upgraded=%d surge=%d, want 1, 2 and 1 (one surge node kept per blocked node)", quarantined, upgraded, surge)
	}
}

func TestBlueGreenUpgrade(t *testing.T) {
	t.Parallel()
	c := startOld(t, 3, false)
	guard := guardPDBs(t, c.Client)
	s := spec(c, nodepool.StrategyBlueGreen)
	s.BlueGreen = nodepool.BlueGreenSettings{DrainBatchSize: "2", BatchSoak: 200 * time.Millisecond}
	phases := map[nodepool.Phase]bool{}
	if err := upgrader(c).Run(context.Background(), s, func(st nodepool.Status) { phases[st.Phase] = true }); err != nil {
		t.Fatal(err)
	}
	for _, p := range []nodepool.Phase{nodepool.PhaseCreatingGreen, nodepool.PhaseCordoningBlue, nodepool.PhaseDrainingBlue, nodepool.PhaseDeletingBlue, nodepool.PhaseSucceeded} {
		if !phases[p] {
			t.Errorf("never went through phase %s", p)
		}
	}
	assertSettled(t, c, 3)
	guard.check(t)
}

func TestBlueGreenRollbackDuringFinalSoak(t *testing.T) {
	t.Parallel()
	c := startOld(t, 3, false)
	before := map[string]bool{}
	for _, n := range poolNodes(t, c.Client) {
		before[n.Name] = true
	}
	s := spec(c, nodepool.StrategyBlueGreen)
	s.BlueGreen = nodepool.BlueGreenSettings{DrainBatchSize: "2", FinalSoak: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	err := upgrader(c).Run(ctx, s, func(st nodepool.Status) {
		if st.Phase == nodepool.PhaseSoaking {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v; want it stopped in the final soak", err)
	}
	guard := guardPDBs(t, c.Client)
	if err := upgrader(c).Rollback(context.Background(), s, nil); err != nil {
		t.Fatal(err)
	}
	nodes := poolNodes(t, c.Client)
	if len(nodes) != len(before) {
		t.Fatalf("pool has %d nodes after rollback, want %d", len(nodes), len(before))
	}
	for _, n := range nodes {
		if !before[n.Name] {
			t.Errorf("green node %s survived the rollback", n.Name)
		}
		if n.Spec.Unschedulable || n.Status.NodeInfo.KubeletVersion != "v1.36.3" {
			t.Errorf("blue node %s: unschedulable=%v kubelet=%s, want schedulable at v1.36.3", n.Name, n.Spec.Unschedulable, n.Status.NodeInfo.KubeletVersion)
		}
	}
	waitPodsReady(t, c.Client)
	guard.check(t)
	pools, err := c.Fleet.ListNodePools(context.Background(), c.Name)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pools {
		if p.Name == "apps" && (p.OrchestratorVersion != "1.36.3" || p.ProvisioningState != "Succeeded") {
			t.Errorf("after rollback the pool targets %s (%s), want 1.36.3 and Succeeded", p.OrchestratorVersion, p.ProvisioningState)
		}
	}
	if err := upgrader(c).Rollback(context.Background(), s, nil); !errors.Is(err, nodepool.ErrNoBlueGreen) {
		t.Errorf("second rollback = %v, want ErrNoBlueGreen", err)
	}
}

func dumpPods(t *testing.T, c kubernetes.Interface) {
	pods, _ := c.CoreV1().Pods("").List(context.Background(), metav1.ListOptions{})
	for _, p := range pods.Items {
		t.Logf("pod %s/%s node=%s phase=%s ready=%v deleting=%v", p.Namespace, p.Name, p.Spec.NodeName, p.Status.Phase, localfleet.PodReady(&p), p.DeletionTimestamp != nil)
	}
	nodes, _ := c.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	for _, n := range nodes.Items {
		t.Logf("node %s ready=%v unschedulable=%v taints=%v kubelet=%s", n.Name, localfleet.NodeReady(&n), n.Spec.Unschedulable, n.Spec.Taints, n.Status.NodeInfo.KubeletVersion)
	}
}
