package drain

import (
	"context"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/types"

	"upshift.dev/upshift/internal/observe"
)

// What a Drainer remembers between steps: which pods' evictions were
// refused, since when, and when they were last asked for.

func (d *Drainer) dueForRetry(node string, uid types.UID, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	m, ok := d.memory[node][uid]
	return !ok || now.Sub(m.lastAsked) >= d.retryInterval()
}

// markBlocked records a refused eviction and reports it as a Warning event
// on the node (one event per distinct PDB state; repeats bump its count).
func (d *Drainer) markBlocked(ctx context.Context, node string, pod *corev1.Pod, pdbs map[string]*policyv1.PodDisruptionBudget, err error, now time.Time) {
	b := Block{Pod: types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}, Since: now, Message: err.Error()}
	if keys := matchingPDBs(pod, pdbs); len(keys) > 0 {
		pdb := pdbs[keys[0]]
		b.PDB = keys[0]
		b.DisruptionsAllowed = pdb.Status.DisruptionsAllowed
		b.CurrentHealthy, b.DesiredHealthy, b.ExpectedPods = pdb.Status.CurrentHealthy, pdb.Status.DesiredHealthy, pdb.Status.ExpectedPods
		b.Note = d.staleDisruptions(ctx, pdb)
	}
	d.mu.Lock()
	if d.memory == nil {
		d.memory = map[string]map[types.UID]*podMemory{}
	}
	if d.memory[node] == nil {
		d.memory[node] = map[types.UID]*podMemory{}
	}
	if prev, ok := d.memory[node][pod.UID]; ok {
		b.Since = prev.block.Since
	}
	d.memory[node][pod.UID] = &podMemory{block: b, lastAsked: now}
	d.mu.Unlock()

	if b.PDB != "" {
		d.Events.Warning(ctx, observe.NodeRef(node), observe.ReasonEvictionBlocked,
			"Cannot evict pod %s: PodDisruptionBudget %s allows %d disruptions (%d of %d pods healthy, %d required)",
			b.Pod, b.PDB, b.DisruptionsAllowed, b.CurrentHealthy, b.ExpectedPods, b.DesiredHealthy)
	} else {
		d.Events.Warning(ctx, observe.NodeRef(node), observe.ReasonEvictionBlocked, "Cannot evict pod %s: %s", b.Pod, b.Message)
	}
}

// blocks returns the current blocks among pods, sorted.
func (d *Drainer) blocks(node string, pods []corev1.Pod) []Block {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Block
	for _, p := range pods {
		if m, ok := d.memory[node][p.UID]; ok {
			out = append(out, m.block)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Pod.String() < out[j].Pod.String() })
	return out
}

// prune forgets pods that are no longer waiting for eviction on node, so a
// long-lived controller's memory stays bounded by what is blocked now.
func (d *Drainer) prune(node string, waiting []corev1.Pod) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(waiting) == 0 {
		delete(d.memory, node)
		return
	}
	keep := map[types.UID]bool{}
	for _, p := range waiting {
		keep[p.UID] = true
	}
	for uid := range d.memory[node] {
		if !keep[uid] {
			delete(d.memory[node], uid)
		}
	}
}
