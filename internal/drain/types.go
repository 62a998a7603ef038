package drain

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// Options are the kubectl drain flags upshift supports. The zero value is
// kubectl's default behaviour.
type Options struct {
	// GracePeriodSeconds overrides each pod's terminationGracePeriodSeconds
	// when set; nil uses the pod's own (kubectl --grace-period -1).
	GracePeriodSeconds *int64
	// IgnoreDaemonSets skips DaemonSet-managed pods instead of refusing the
	// drain (kubectl --ignore-daemonsets).
	IgnoreDaemonSets bool
	// DeleteEmptyDirData allows evicting pods with emptyDir volumes, whose
	// data is lost (kubectl --delete-emptydir-data).
	DeleteEmptyDirData bool
	// Force allows evicting pods that no controller will recreate (kubectl
	// --force). They are still evicted, never deleted: PDBs still apply.
	Force bool
	// Timeout bounds the whole drain; 0 means no limit (kubectl --timeout).
	Timeout time.Duration
	// PodSelector limits the drain to matching pods (kubectl --pod-selector).
	PodSelector string
	// RetryInterval is how long to wait before asking again for a pod whose
	// eviction was refused, when nothing changed in between; 5s (kubectl's
	// interval) when zero. A PDB change wakes the drain earlier.
	RetryInterval time.Duration
}

func (o Options) retryInterval() time.Duration {
	if o.RetryInterval > 0 {
		return o.RetryInterval
	}
	return 5 * time.Second
}

// Block is one pod whose eviction the API server refused.
type Block struct {
	Pod types.NamespacedName `json:"pod"`
	// PDB is the budget that refused it, "" when the refusal named none
	// (for example API priority and fairness throttling).
	PDB                string `json:"pdb,omitempty"`
	DisruptionsAllowed int32  `json:"disruptionsAllowed"`
	CurrentHealthy     int32  `json:"currentHealthy"`
	DesiredHealthy     int32  `json:"desiredHealthy"`
	ExpectedPods       int32  `json:"expectedPods"`
	// Since is when the pod's evictions started being refused.
	Since   time.Time `json:"since"`
	Message string    `json:"message"`
	// Note explains a block that is not what it seems, such as a PDB that
	// still counts a recreated StatefulSet pod as disrupted, and when it
	// clears.
	Note string `json:"note,omitempty"`
}

// Summary renders a block without the elapsed time, so it stays the same
// while the block lasts (upshift writes it on the node).
func (b Block) Summary() string {
	s := fmt.Sprintf("pod %s: eviction refused since %s: %s", b.Pod, b.Since.UTC().Format(time.RFC3339), b.Message)
	if b.PDB != "" {
		s = fmt.Sprintf("pod %s blocked by PodDisruptionBudget %s (disruptionsAllowed=%d, healthy %d/%d, desired %d) since %s",
			b.Pod, b.PDB, b.DisruptionsAllowed, b.CurrentHealthy, b.ExpectedPods, b.DesiredHealthy, b.Since.UTC().Format(time.RFC3339))
	}
	if b.Note != "" {
		s += "; " + b.Note
	}
	return s
}

// Describe renders a block for people.
func (b Block) Describe(now time.Time) string {
	d := now.Sub(b.Since).Round(time.Second)
	if b.PDB == "" {
		return fmt.Sprintf("pod %s: eviction refused for %s: %s", b.Pod, d, b.Message)
	}
	s := fmt.Sprintf("pod %s blocked by PodDisruptionBudget %s for %s (disruptionsAllowed=%d, healthy %d/%d, desired %d)",
		b.Pod, b.PDB, d, b.DisruptionsAllowed, b.CurrentHealthy, b.ExpectedPods, b.DesiredHealthy)
	if b.Note != "" {
		s += "; " + b.Note
	}
	return s
}

// Status is what one Step saw and did.
type Status struct {
	Node string `json:"node"`
	// Done: nothing is left to evict and every evicted pod is gone.
	Done bool `json:"done"`
	// Pending pods still have to be evicted.
	Pending []types.NamespacedName `json:"pending,omitempty"`
	// Terminating pods were evicted and are shutting down.
	Terminating []types.NamespacedName `json:"terminating,omitempty"`
	// Blocked pods had their eviction refused.
	Blocked []Block `json:"blocked,omitempty"`
	// Evicted counts evictions this step issued.
	Evicted int `json:"evicted"`
	// Warnings are kubectl's notes (ignored DaemonSet pods and so on).
	Warnings []string `json:"warnings,omitempty"`
	// StartedAt is when the drain began (from the node's annotation, so it
	// survives restarts).
	StartedAt time.Time `json:"startedAt"`
}

// BlockedError is returned when the drain timed out with pods still on the
// node. It names every blocking pod and PDB.
type BlockedError struct {
	Node    string
	Timeout time.Duration
	Blocked []Block
	// Remaining are pods not blocked but not gone either (still
	// terminating, or never asked).
	Remaining []types.NamespacedName
	At        time.Time
}

func (e *BlockedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "drain of node %q did not finish within %s", e.Node, e.Timeout)
	blocks := append([]Block(nil), e.Blocked...)
	sort.Slice(blocks, func(i, j int) bool { return blocks[i].Pod.String() < blocks[j].Pod.String() })
	for _, bl := range blocks {
		fmt.Fprintf(&b, "\n  %s", bl.Describe(e.At))
	}
	for _, p := range e.Remaining {
		fmt.Fprintf(&b, "\n  pod %s is still terminating", p)
	}
	fmt.Fprintf(&b, "\nnode %q stays cordoned; fix the blocker (scale the workload up, or relax its PDB), then run the drain again, or 'kubectl uncordon %s' to give up", e.Node, e.Node)
	return b.String()
}

// FilterError is kubectl's refusal to drain pods it cannot safely evict
// without a flag (pods without a controller, with local storage, owned by a
// DaemonSet). Nothing was evicted.
type FilterError struct {
	Node   string
	Errors []error
}

func (e *FilterError) Error() string {
	msgs := make([]string, len(e.Errors))
	for i, err := range e.Errors {
		msgs[i] = err.Error()
	}
	return fmt.Sprintf("cannot drain node %q: %s", e.Node, strings.Join(msgs, "; "))
}
