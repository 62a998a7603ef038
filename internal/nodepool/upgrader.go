package nodepool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"upshift.dev/upshift/internal/drain"
	"upshift.dev/upshift/internal/observe"
	"upshift.dev/upshift/internal/provider"
	"upshift.dev/upshift/internal/version"
)

// Phase is where an upgrade stands, derived from the nodes on every pass.
type Phase string

// Phases. Surge: Surging, Upgrading, RemovingSurge. Blue-green (GKE's
// names): CreatingGreen, CordoningBlue, DrainingBlue, Soaking, DeletingBlue,
// RollingBack. Final: Succeeded, Failed, RolledBack.
const (
	PhaseSurging       Phase = "Surging"
	PhaseUpgrading     Phase = "Upgrading"
	PhaseRemovingSurge Phase = "RemovingSurge"
	PhaseCreatingGreen Phase = "CreatingGreen"
	PhaseCordoningBlue Phase = "CordoningBlue"
	PhaseDrainingBlue  Phase = "DrainingBlue"
	PhaseSoaking       Phase = "Soaking"
	PhaseDeletingBlue  Phase = "DeletingBlue"
	PhaseRollingBack   Phase = "RollingBack"
	PhaseSucceeded     Phase = "Succeeded"
	PhaseFailed        Phase = "Failed"
	PhaseRolledBack    Phase = "RolledBack"
)

// Status is what a pass saw and did.
type Status struct {
	Cluster  string              `json:"cluster"`
	Pool     string              `json:"pool"`
	Strategy Strategy            `json:"strategy"`
	Target   provider.NodeTarget `json:"target"`
	Phase    Phase               `json:"phase"`
	Message  string              `json:"message,omitempty"`
	Nodes    []Node              `json:"nodes"`
	// Done is true when nothing is left to do (Succeeded, Failed after
	// cleanup, RolledBack).
	Done bool `json:"done"`
}

// FailedError ends an upgrade that could not finish. The nodes it names are
// in the state it describes (uncordoned, or quarantined), never half-done.
type FailedError struct {
	Pool    string
	Reason  string
	Blocked map[string]string // node -> what blocks it
}

func (e *FailedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "upgrade of node pool %q failed: %s", e.Pool, e.Reason)
	for _, n := range slices.Sorted(maps.Keys(e.Blocked)) {
		fmt.Fprintf(&b, "\n  node %s: %s", n, e.Blocked[n])
	}
	return b.String()
}

// Upgrader upgrades node pools of one cluster.
type Upgrader struct {
	Client   kubernetes.Interface
	Pools    provider.NodePools
	Machines provider.Machines
	// Controlplane reports the cluster's version for the skew check.
	Clusters provider.Clusters
	// Drain are the drain options for every node; Timeout is ignored (the
	// spec's drainTimeoutInMinutes applies). DaemonSet pods are always left
	// in place and emptyDir data is always deleted, as AKS drains.
	Drain  drain.Options
	Events *observe.Recorder
	// Metrics, when set, follow every pass.
	Metrics *Metrics
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	drainer *drain.Drainer
}

func (u *Upgrader) now() time.Time {
	if u.Now != nil {
		return u.Now()
	}
	return time.Now()
}

func (u *Upgrader) d() *drain.Drainer {
	if u.drainer == nil {
		opts := u.Drain
		opts.IgnoreDaemonSets, opts.DeleteEmptyDirData, opts.Timeout = true, true, 0
		u.drainer = &drain.Drainer{Client: u.Client, Options: opts, Events: u.Events, Now: u.Now}
	}
	return u.drainer
}

// Preflight checks the spec against the cluster before anything is
// touched: the pool exists, and its nodes at the target would respect the
// kubelet skew policy.
func (u *Upgrader) Preflight(ctx context.Context, spec Spec) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	if u.Machines == nil {
		return fmt.Errorf("the provider of cluster %q cannot operate single nodes; upgrade the pool with the provider's managed upgrade", spec.Cluster)
	}
	pools, err := u.Pools.ListNodePools(ctx, spec.Cluster)
	if err != nil {
		return err
	}
	found := false
	for _, p := range pools {
		found = found || p.Name == spec.Pool
	}
	if !found {
		return fmt.Errorf("node pool %q does not exist in cluster %q (pools: %s)", spec.Pool, spec.Cluster, poolNames(pools))
	}
	c, err := u.Clusters.GetCluster(ctx, spec.Cluster)
	if err != nil {
		return err
	}
	cp, err := version.Parse(c.KubernetesVersion)
	if err != nil {
		return err
	}
	to, err := version.Parse(spec.Target.KubernetesVersion)
	if err != nil {
		return err
	}
	if err := version.CheckNodeSkew(cp, to); err != nil {
		return fmt.Errorf("node pool %q cannot move to %s: %w", spec.Pool, to, err)
	}
	return nil
}

func poolNames(pools []provider.NodePool) string {
	var n []string
	for _, p := range pools {
		n = append(n, p.Name)
	}
	return strings.Join(n, ", ")
}

// patch is a node metadata/spec change; nil values delete.
type patch struct {
	labels        map[string]any
	annotations   map[string]any
	unschedulable *bool
}

func (u *Upgrader) patchNode(ctx context.Context, node string, p patch) error {
	body := map[string]any{}
	meta := map[string]any{}
	if len(p.labels) > 0 {
		meta["labels"] = p.labels
	}
	if len(p.annotations) > 0 {
		meta["annotations"] = p.annotations
	}
	if len(meta) > 0 {
		body["metadata"] = meta
	}
	if p.unschedulable != nil {
		body["spec"] = map[string]any{"unschedulable": *p.unschedulable}
	}
	b, _ := json.Marshal(body)
	_, err := u.Client.CoreV1().Nodes().Patch(ctx, node, types.MergePatchType, b, metav1.PatchOptions{})
	if err != nil {
		return fmt.Errorf("failed to update node %q: %w", node, err)
	}
	return nil
}

// progressAnnotations clears everything the engine writes on a node.
func progressAnnotations() map[string]any {
	return map[string]any{
		AnnotationState: nil, AnnotationTarget: nil, AnnotationSoakStarted: nil,
		AnnotationBlocked: nil, drain.AnnotationDrainStarted: nil,
	}
}

// blockReportDelay is how long a refused eviction lasts before the node
// carries it as its blocker.
const blockReportDelay = 5 * time.Second

var (
	yes = true
	no  = false
)

// drained is one node's drain outcome in a pass.
type drained struct {
	done bool
	// blocked says why the drain gave up (timeout), "" while it goes on.
	blocked string
}

// drainNodes advances the drains of several nodes in one step: one PDB
// list for all of them and budgets shared across nodes, so a batch never
// overspends a PDB and costs the API server one list per pass, not one per
// node.
func (u *Upgrader) drainNodes(ctx context.Context, spec Spec, nodes []Node) (map[string]drained, error) {
	out := map[string]drained{}
	if len(nodes) == 0 {
		return out, nil
	}
	targets := make([]drain.Target, len(nodes))
	for i, n := range nodes {
		start := n.DrainStart
		if !n.Cordoned || start.IsZero() {
			var err error
			if start, err = u.d().Cordon(ctx, n.Name); err != nil {
				return nil, err
			}
		}
		targets[i] = drain.Target{Node: n.Name, StartedAt: start}
	}
	now := u.now()
	for i, r := range u.d().StepNodes(ctx, targets) {
		n := nodes[i]
		var fe *drain.FilterError
		switch {
		case errors.As(r.Err, &fe):
			out[n.Name] = drained{blocked: fe.Error() + " (upshift never force-drains; fix the pod or run 'upshift drain --force' on the node yourself)"}
			continue
		case r.Err != nil:
			return nil, r.Err
		case r.Status.Done:
			out[n.Name] = drained{done: true}
			continue
		}
		st := r.Status
		// A PDB pacing evictions for a few seconds is how drains work, not
		// a block worth reporting; one that lasts is written on the node.
		desc := ""
		if len(st.Blocked) > 0 && now.Sub(st.Blocked[0].Since) >= blockReportDelay {
			desc = st.Blocked[0].Summary()
		}
		if desc != n.Blocked {
			_ = u.patchNode(ctx, n.Name, patch{annotations: map[string]any{AnnotationBlocked: nilIfEmpty(desc)}})
		}
		if now.Sub(targets[i].StartedAt) >= spec.drainTimeout() {
			why := fmt.Sprintf("%d pods still terminating", len(st.Terminating))
			if len(st.Blocked) > 0 {
				why = st.Blocked[0].Describe(now)
			}
			out[n.Name] = drained{blocked: fmt.Sprintf("drain did not finish within %s: %s", spec.drainTimeout(), why)}
			continue
		}
		out[n.Name] = drained{}
	}
	return out, nil
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
