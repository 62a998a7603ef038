package nodepool

import (
	"context"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"upshift.dev/upshift/internal/drain"
	"upshift.dev/upshift/internal/provider"
	"upshift.dev/upshift/internal/version"
)

// What the engine writes on nodes. Annotations under upshift.dev/ are
// cleared when a node is reimaged, so an upgraded node carries none.
const (
	// LabelAgentPool is the pool label AKS puts on every node.
	LabelAgentPool = "kubernetes.azure.com/agentpool"
	// LabelNodeImage is AKS's node image label.
	LabelNodeImage = "kubernetes.azure.com/node-image-version"
	// LabelUpgradeStatus is AKS's quarantine label (undrainableNodeBehavior
	// Cordon).
	LabelUpgradeStatus = "kubernetes.azure.com/upgrade-status"
	// Quarantined is LabelUpgradeStatus's value on a blocked node.
	Quarantined = "Quarantined"

	// LabelSurge marks surge nodes; its value is the upgrade's ID, hashed
	// to fit a label value.
	LabelSurge = "upshift.dev/surge"
	// LabelGeneration marks a blue-green upgrade's nodes: "green" on the
	// new ones, "blue" on the old ones once cordoned.
	LabelGeneration = "upshift.dev/generation"

	// AnnotationState is a node's step in the upgrade.
	AnnotationState = "upshift.dev/upgrade-state"
	// AnnotationTarget is the upgrade ID ("1.37.2/AKSUbuntu-...") a node
	// is worked on for.
	AnnotationTarget = "upshift.dev/upgrade-target"
	// AnnotationSoakStarted is when a node's (or batch's) soak began.
	AnnotationSoakStarted = "upshift.dev/soak-started-at"
	// AnnotationBlocked says what blocks a node's drain, for people and
	// for `upshift nodepool status` in another process.
	AnnotationBlocked = "upshift.dev/drain-blocked"
	// AnnotationPoolSize is a blue-green upgrade's original pool size, on
	// green nodes.
	AnnotationPoolSize = "upshift.dev/pool-size"
)

// Node states in AnnotationState.
const (
	StateDraining    = "draining"
	StateSoaking     = "soaking"
	StateRemoving    = "removing" // surge or green node being drained for deletion
	StateQuarantined = "quarantined"
	StateBlue        = "blue"    // cordoned, waiting for its batch
	StateDrained     = "drained" // blue node emptied, kept until blue is deleted
	StateRollback    = "rollback"
)

// Node is one node of the pool as the engine sees it.
type Node struct {
	Name        string    `json:"name"`
	Version     string    `json:"version"`
	Image       string    `json:"image"`
	Ready       bool      `json:"ready"`
	Cordoned    bool      `json:"cordoned"`
	Surge       bool      `json:"surge,omitempty"`
	Generation  string    `json:"generation,omitempty"`
	State       string    `json:"state,omitempty"`
	Target      string    `json:"target,omitempty"`
	Quarantined bool      `json:"quarantined,omitempty"`
	Blocked     string    `json:"blocked,omitempty"`
	DrainStart  time.Time `json:"drainStartedAt,omitzero"`
	SoakStart   time.Time `json:"soakStartedAt,omitzero"`
	PoolSize    int       `json:"-"`
	raw         *corev1.Node
}

// Display names the node's place in an upgrade for people: surging,
// removing, draining, soaking, quarantined, blue, drained, green, rollback,
// upgraded (at target), pending (not yet) or not-ready.
func (n Node) Display(target provider.NodeTarget) string {
	switch {
	case n.Quarantined:
		return "quarantined"
	case n.State == StateRemoving:
		return "removing"
	case n.Surge:
		return "surging"
	case n.State == StateDraining || n.State == StateSoaking || n.State == StateReimaging || n.State == StateDrained || n.State == StateRollback:
		return n.State
	case n.Generation == generationGreen:
		return "green"
	case n.Generation == generationBlue:
		return "blue"
	case !n.Ready:
		return "not-ready"
	case n.AtTarget(target):
		return "upgraded"
	}
	return "pending"
}

// Observe returns the pool's nodes as the engine sees them, sorted by name.
func Observe(ctx context.Context, client kubernetes.Interface, pool string) ([]Node, error) {
	return listNodes(ctx, client, pool)
}

// AtTarget reports whether the node runs the spec's version and image.
func (n Node) AtTarget(t provider.NodeTarget) bool {
	return version.Trim(n.Version) == version.Trim(t.KubernetesVersion) && n.Image == t.NodeImageVersion
}

// listNodes lists the pool's nodes, sorted by name.
func listNodes(ctx context.Context, client kubernetes.Interface, pool string) ([]Node, error) {
	list, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: LabelAgentPool + "=" + pool})
	if err != nil {
		return nil, fmt.Errorf("failed to list the nodes of pool %q: %w", pool, err)
	}
	nodes := make([]Node, 0, len(list.Items))
	for i := range list.Items {
		nodes = append(nodes, toNode(&list.Items[i]))
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	return nodes, nil
}

func toNode(n *corev1.Node) Node {
	a := n.Annotations
	out := Node{
		Name: n.Name, Version: version.Trim(n.Status.NodeInfo.KubeletVersion), Image: n.Labels[LabelNodeImage],
		Ready: nodeReady(n), Cordoned: n.Spec.Unschedulable,
		Surge: n.Labels[LabelSurge] != "", Generation: n.Labels[LabelGeneration],
		State: a[AnnotationState], Target: a[AnnotationTarget], Blocked: a[AnnotationBlocked],
		Quarantined: n.Labels[LabelUpgradeStatus] == Quarantined,
		DrainStart:  parseTime(a[drain.AnnotationDrainStarted]),
		SoakStart:   parseTime(a[AnnotationSoakStarted]),
		raw:         n,
	}
	fmt.Sscan(a[AnnotationPoolSize], &out.PoolSize) //nolint:errcheck // absent means 0
	return out
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// filter returns the nodes for which keep is true.
func filter(nodes []Node, keep func(Node) bool) []Node {
	var out []Node
	for _, n := range nodes {
		if keep(n) {
			out = append(out, n)
		}
	}
	return out
}

func names(nodes []Node) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = n.Name
	}
	return out
}
