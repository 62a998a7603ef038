package drain_test

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
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"

	"upshift.dev/upshift/internal/drain"
	"upshift.dev/upshift/internal/localfleet"
	"upshift.dev/upshift/internal/localfleet/fleettest"
	"upshift.dev/upshift/internal/observe"
)

var fastPods = localfleet.Delays{PodStart: 400 * time.Millisecond, PodStop: 200 * time.Millisecond}

// startCluster starts a cluster with 3 apps nodes and the sample apps.
func startCluster(t *testing.T, fragile bool) *fleettest.Cluster {
	t.Helper()
	return fleettest.Start(t, fleettest.Options{Nodes: 3, SampleApps: true, FragileApp: fragile, Delays: fastPods})
}

// podsOn lists the pods bound to node.
func podsOn(t *testing.T, c kubernetes.Interface, node string) []corev1.Pod {
	t.Helper()
	pods, err := c.CoreV1().Pods("").List(context.Background(), metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("spec.nodeName", node).String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return pods.Items
}

// appsNodes returns the apps pool's nodes.
func appsNodes(t *testing.T, c kubernetes.Interface) []string {
	t.Helper()
	nodes, err := c.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{LabelSelector: "agentpool=apps"})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range nodes.Items {
		out = append(out, n.Name)
	}
	return out
}

func nodeOf(t *testing.T, c kubernetes.Interface, ns, labelSel string) string {
	t.Helper()
	pods, err := c.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: labelSel})
	if err != nil || len(pods.Items) == 0 {
		t.Fatalf("no pod %s in %s: %v", labelSel, ns, err)
	}
	return pods.Items[0].Spec.NodeName
}

// pdbGuard watches every PDB while a test runs and records each moment a
// budget is broken (fewer healthy pods than required).
type pdbGuard struct {
	mu         sync.Mutex
	violations []string
	seen       int
	stop       context.CancelFunc
	done       chan struct{}
}

func guardPDBs(t *testing.T, c kubernetes.Interface) *pdbGuard {
	ctx, cancel := context.WithCancel(context.Background())
	g := &pdbGuard{stop: cancel, done: make(chan struct{})}
	w, err := c.PolicyV1().PodDisruptionBudgets("").Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(g.done)
		for ev := range w.ResultChan() {
			if pdb, ok := ev.Object.(*policyv1.PodDisruptionBudget); ok {
				g.check(pdb)
			}
		}
	}()
	t.Cleanup(func() { g.stop(); <-g.done })
	return g
}

// check flags a PDB whose status, once the disruption controller has caught
// up with its spec, shows fewer healthy pods than it requires.
func (g *pdbGuard) check(pdb *policyv1.PodDisruptionBudget) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.seen++
	st := pdb.Status
	if st.ObservedGeneration == pdb.Generation && st.ExpectedPods > 0 && st.CurrentHealthy < st.DesiredHealthy {
		g.violations = append(g.violations, fmt.Sprintf("%s/%s healthy %d < desired %d", pdb.Namespace, pdb.Name, st.CurrentHealthy, st.DesiredHealthy))
	}
}

func (g *pdbGuard) result() (int, []string) {
	g.stop()
	<-g.done
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.seen, g.violations
}

func TestDrainHonoursPDBs(t *testing.T) {
	t.Parallel()
	c := startCluster(t, false)
	ctx := context.Background()
	node := nodeOf(t, c.Client, "shop", "app=web")
	before := len(podsOn(t, c.Client, node))
	guard := guardPDBs(t, c.Client)

	d := &drain.Drainer{Client: c.Client, Options: drain.Options{IgnoreDaemonSets: true, Timeout: 2 * time.Minute}, Events: &observe.Recorder{Client: c.Client}}
	var steps int
	start := time.Now()
	if err := d.Drain(ctx, node, func(drain.Status) { steps++ }); err != nil {
		t.Fatal(err)
	}
	t.Logf("drained %d pods from %s in %s (%d steps)", before, node, time.Since(start).Round(10*time.Millisecond), steps)

	for _, p := range podsOn(t, c.Client, node) {
		if !isDaemonSetPod(&p) {
			t.Errorf("pod %s/%s is still on the drained node", p.Namespace, p.Name)
		}
	}
	n, err := c.Client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !n.Spec.Unschedulable {
		t.Error("drained node is not cordoned")
	}
	if _, ok := n.Annotations[drain.AnnotationDrainStarted]; ok {
		t.Error("a finished drain left its start annotation")
	}
	seen, violations := guard.result()
	if seen == 0 {
		t.Fatal("the PDB guard saw no PDB update; it did not watch")
	}
	for _, v := range violations {
		t.Errorf("PDB broken during the drain: %s", v)
	}
}

func TestDrainBlockedNamesPodAndPDB(t *testing.T) {
	t.Parallel()
	c := startCluster(t, true)
	ctx := context.Background()
	node := nodeOf(t, c.Client, "legacy", "app=ledger")

	// The timeout leaves the other PDBs time to let their pods go one by
	// one (a replacement must be ready first; on a loaded machine 3 s was
	// not enough for shop/api's second pod), so only the ledger remains.
	d := &drain.Drainer{Client: c.Client, Options: drain.Options{IgnoreDaemonSets: true, Timeout: 15 * time.Second, RetryInterval: time.Second}, Events: &observe.Recorder{Client: c.Client}}
	var last drain.Status
	err := d.Drain(ctx, node, func(s drain.Status) { last = s })
	var be *drain.BlockedError
	if !errors.As(err, &be) {
		t.Fatalf("Drain = %v, want a *BlockedError", err)
	}
	t.Logf("error:\n%v", err)
	if len(be.Blocked) != 1 || be.Blocked[0].PDB != "legacy/ledger" || be.Blocked[0].DisruptionsAllowed != 0 || be.Blocked[0].Pod.Namespace != "legacy" {
		t.Fatalf("blocked = %+v, want pod legacy/ledger-* blocked by PDB legacy/ledger with 0 disruptions allowed", be.Blocked)
	}
	for _, want := range []string{"legacy/ledger", "disruptionsAllowed=0", "stays cordoned"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q", want)
		}
	}
	if len(last.Blocked) == 0 {
		t.Error("progress never reported the block")
	}
	// Everything else moved off the node.
	for _, p := range podsOn(t, c.Client, node) {
		if p.Namespace != "legacy" && !isDaemonSetPod(&p) && p.DeletionTimestamp == nil {
			t.Errorf("pod %s/%s was not evicted although its PDB allowed it", p.Namespace, p.Name)
		}
	}
	events, err := c.Client.CoreV1().Events(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{
		FieldSelector: "involvedObject.name=" + node + ",reason=" + observe.ReasonEvictionBlocked,
	})
	if err != nil || len(events.Items) == 0 {
		t.Fatalf("no EvictionBlocked event on node %s: %v", node, err)
	}
	// Other PDBs may have held a pod for a moment too (each block is an
	// event); the ledger's must be there.
	named := false
	for _, e := range events.Items {
		named = named || strings.Contains(e.Message, "legacy/ledger")
	}
	if !named {
		t.Errorf("no EvictionBlocked event names PodDisruptionBudget legacy/ledger: %+v", events.Items)
	}
}

func TestDrainRefusalsMatchKubectl(t *testing.T) {
	t.Parallel()
	c := startCluster(t, false)
	ctx := context.Background()
	node := appsNodes(t, c.Client)[0]
	bare := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "bare", Namespace: "shop", Labels: map[string]string{"app": "bare"}},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "c", Image: "busybox"}},
			Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}}},
	}
	if _, err := c.Client.CoreV1().Pods("shop").Create(ctx, bare, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts drain.Options
		want string
	}{
		{"daemonset pods", drain.Options{Force: true}, "--ignore-daemonsets"},
		{"pod without controller", drain.Options{IgnoreDaemonSets: true}, "--force"},
	}
	for _, tt := range tests {
		d := &drain.Drainer{Client: c.Client, Options: tt.opts}
		err := d.Drain(ctx, node, nil)
		var fe *drain.FilterError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Drain = %v, want a FilterError naming %s", tt.name, err, tt.want)
		}
	}
	d := &drain.Drainer{Client: c.Client, Options: drain.Options{IgnoreDaemonSets: true, Force: true, Timeout: time.Minute}}
	if err := d.Drain(ctx, node, nil); err != nil {
		t.Fatalf("Drain with --force --ignore-daemonsets: %v", err)
	}
	if _, err := c.Client.CoreV1().Pods("shop").Get(ctx, "bare", metav1.GetOptions{}); err == nil {
		t.Error("the bare pod survived a forced drain")
	}
}

func TestDrainResumesAfterInterrupt(t *testing.T) {
	t.Parallel()
	c := startCluster(t, false)
	node := nodeOf(t, c.Client, "shop", "app=api")
	d := &drain.Drainer{Client: c.Client, Options: drain.Options{IgnoreDaemonSets: true, Timeout: 2 * time.Minute}}

	ctx, cancel := context.WithCancel(context.Background())
	var first time.Time
	err := d.Drain(ctx, node, func(s drain.Status) {
		first = s.StartedAt
		if s.Evicted > 0 {
			cancel() // the process dies after its first evictions
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted Drain = %v, want context.Canceled", err)
	}
	n, _ := c.Client.CoreV1().Nodes().Get(context.Background(), node, metav1.GetOptions{})
	if !n.Spec.Unschedulable || n.Annotations[drain.AnnotationDrainStarted] == "" {
		t.Fatalf("after the interrupt: unschedulable=%v annotations=%v; the drain must stay recorded", n.Spec.Unschedulable, n.Annotations)
	}

	fresh := &drain.Drainer{Client: c.Client, Options: d.Options} // a new process
	var resumed time.Time
	if err := fresh.Drain(context.Background(), node, func(s drain.Status) { resumed = s.StartedAt }); err != nil {
		t.Fatal(err)
	}
	if !resumed.Equal(first.Truncate(time.Second)) && !resumed.Equal(first) {
		t.Errorf("resumed drain started at %s, the first at %s: the timeout must count from the first attempt", resumed, first)
	}
}

func isDaemonSetPod(p *corev1.Pod) bool {
	for _, o := range p.OwnerReferences {
		if o.Kind == "DaemonSet" {
			return true
		}
	}
	return false
}
