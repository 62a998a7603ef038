package drain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"

	"upshift.dev/upshift/internal/observe"
)

// AnnotationDrainStarted is set on a node when a drain begins and removed
// when it ends, so the timeout is measured from the first attempt even
// across process restarts.
const AnnotationDrainStarted = "upshift.dev/drain-started-at"

// Cordon marks the node unschedulable and records the drain's start time
// (kept if a previous, interrupted drain already recorded one). It returns
// that start time.
func (d *Drainer) Cordon(ctx context.Context, node string) (time.Time, error) {
	n, err := d.Client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if err != nil {
		return time.Time{}, fmt.Errorf("failed to get node %q: %w", node, err)
	}
	started := d.now().UTC().Truncate(time.Second)
	if s, ok := n.Annotations[AnnotationDrainStarted]; ok {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			started = t
		}
	}
	if n.Spec.Unschedulable && n.Annotations[AnnotationDrainStarted] != "" {
		return started, nil
	}
	patch, _ := json.Marshal(map[string]any{
		"metadata": map[string]any{"annotations": map[string]string{AnnotationDrainStarted: started.Format(time.RFC3339)}},
		"spec":     map[string]any{"unschedulable": true},
	})
	if _, err := d.Client.CoreV1().Nodes().Patch(ctx, node, types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return time.Time{}, fmt.Errorf("failed to cordon node %q: %w", node, err)
	}
	return started, nil
}

// Uncordon makes the node schedulable again and clears the drain's start.
func (d *Drainer) Uncordon(ctx context.Context, node string) error {
	return setSchedulable(ctx, d, node, true)
}

// EndDrain clears the drain's start annotation and leaves the node
// cordoned: the drain is over (done or given up), the cordon is the caller's.
func (d *Drainer) EndDrain(ctx context.Context, node string) error {
	patch, _ := json.Marshal(map[string]any{
		"metadata": map[string]any{"annotations": map[string]any{AnnotationDrainStarted: nil}},
	})
	_, err := d.Client.CoreV1().Nodes().Patch(ctx, node, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func setSchedulable(ctx context.Context, d *Drainer, node string, schedulable bool) error {
	patch, _ := json.Marshal(map[string]any{
		"metadata": map[string]any{"annotations": map[string]any{AnnotationDrainStarted: nil}},
		"spec":     map[string]any{"unschedulable": !schedulable},
	})
	_, err := d.Client.CoreV1().Nodes().Patch(ctx, node, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	if err != nil {
		return fmt.Errorf("failed to uncordon node %q: %w", node, err)
	}
	return nil
}

// Drain cordons the node and evicts its pods until none is left, reporting
// every step to onStatus (which may be nil). It returns a *BlockedError when
// Timeout passes with pods still on the node, a *FilterError when kubectl's
// rules refuse the drain, and ctx's error when cancelled. In every failure
// the node stays cordoned and the error says so; running Drain again
// resumes, with the timeout still counted from the first attempt.
func (d *Drainer) Drain(ctx context.Context, node string, onStatus func(Status)) error {
	started, err := d.Cordon(ctx, node)
	if err != nil {
		return err
	}
	d.Events.Normal(ctx, observe.NodeRef(node), observe.ReasonDrain, "Draining node %s", node)
	w := d.watch(ctx, node)
	defer w.stop()
	for {
		st, err := d.Step(ctx, node, started)
		var fe *FilterError
		if errors.As(err, &fe) {
			_ = d.EndDrain(context.WithoutCancel(ctx), node)
			return fmt.Errorf("%w; node %q stays cordoned: add the flag the message names and run again, or 'kubectl uncordon %s'", err, node, node)
		}
		if err == nil && onStatus != nil {
			onStatus(st)
		}
		if err == nil && st.Done {
			if err := d.EndDrain(ctx, node); err != nil {
				return err
			}
			d.Events.Normal(ctx, observe.NodeRef(node), observe.ReasonDrain, "Drained node %s in %s", node, d.now().Sub(started).Round(time.Second))
			return nil
		}
		now := d.now()
		if d.Timeout > 0 && now.Sub(started) >= d.Timeout {
			_ = d.EndDrain(context.WithoutCancel(ctx), node)
			return &BlockedError{Node: node, Timeout: d.Timeout, Blocked: st.Blocked, Remaining: notBlocked(st), At: now}
		}
		wait := d.retryInterval()
		if d.Timeout > 0 {
			wait = min(wait, d.Timeout-now.Sub(started))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("drain of node %q interrupted; it stays cordoned, run again to continue: %w", node, ctx.Err())
		case <-w.changed:
		case <-time.After(wait):
		}
	}
}

func notBlocked(st Status) []types.NamespacedName {
	blocked := map[types.NamespacedName]bool{}
	for _, b := range st.Blocked {
		blocked[b.Pod] = true
	}
	var out []types.NamespacedName
	for _, p := range append(append([]types.NamespacedName(nil), st.Pending...), st.Terminating...) {
		if !blocked[p] {
			out = append(out, p)
		}
	}
	return out
}

// watcher wakes the drain loop when a pod on the node or any PDB changes, so
// an eviction goes out the moment a budget frees up instead of at the next
// retry tick. If a watch cannot be opened, the loop still polls.
type watcher struct {
	changed chan struct{}
	cancel  context.CancelFunc
}

func (w *watcher) stop() { w.cancel() }

func (d *Drainer) watch(ctx context.Context, node string) *watcher {
	ctx, cancel := context.WithCancel(ctx)
	w := &watcher{changed: make(chan struct{}, 1), cancel: cancel}
	poke := func() {
		select {
		case w.changed <- struct{}{}:
		default:
		}
	}
	go func() {
		for ctx.Err() == nil {
			pw, err := d.Client.CoreV1().Pods(metav1.NamespaceAll).Watch(ctx, metav1.ListOptions{
				FieldSelector: fields.OneTermEqualSelector("spec.nodeName", node).String(),
			})
			if err != nil {
				return
			}
			for ev := range pw.ResultChan() {
				if p, ok := ev.Object.(*corev1.Pod); ok && p.Spec.NodeName == node {
					poke()
				}
			}
			pause(ctx)
		}
	}()
	go func() {
		for ctx.Err() == nil {
			bw, err := d.Client.PolicyV1().PodDisruptionBudgets(metav1.NamespaceAll).Watch(ctx, metav1.ListOptions{})
			if err != nil {
				return
			}
			for range bw.ResultChan() {
				poke()
			}
			pause(ctx)
		}
	}()
	return w
}

// pause spaces out re-opened watches so a server that closes them at once
// cannot turn the loop into a busy one.
func pause(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(500 * time.Millisecond):
	}
}
