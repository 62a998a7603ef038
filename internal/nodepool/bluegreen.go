package nodepool

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"upshift.dev/upshift/internal/observe"
)

// Generations of a blue-green upgrade.
const (
	generationBlue  = "blue"
	generationGreen = "green"
)

// ErrNoBlueGreen is returned by Rollback when the pool has no blue-green
// upgrade to roll back.
var ErrNoBlueGreen = errors.New("no blue-green upgrade in progress")

func splitGenerations(nodes []Node) (blue, green []Node) {
	for _, n := range nodes {
		if n.Generation == generationGreen {
			green = append(green, n)
		} else {
			blue = append(blue, n)
		}
	}
	return blue, green
}

// blueGreen performs one pass of the blue-green strategy.
func (u *Upgrader) blueGreen(ctx context.Context, spec Spec, mem *pass) (Status, time.Duration, error) {
	st := Status{Cluster: spec.Cluster, Pool: spec.Pool, Strategy: StrategyBlueGreen, Target: spec.Target}
	nodes, err := listNodes(ctx, u.Client, spec.Pool)
	if err != nil {
		return st, 0, err
	}
	st.Nodes = nodes
	blue, green := splitGenerations(nodes)
	for _, g := range green {
		if g.State == StateRollback {
			return st, 0, fmt.Errorf("a rollback of pool %q is in progress; finish it with 'upshift nodepool rollback' before upgrading again", spec.Pool)
		}
	}
	if len(green) == 0 && len(filter(blue, func(n Node) bool { return !n.AtTarget(spec.Target) })) == 0 {
		st.Phase, st.Done, st.Message = PhaseSucceeded, true, "every node is at "+spec.ID()
		return st, 0, nil
	}
	// Blue is gone: green becomes the pool.
	if len(blue) == 0 && len(green) > 0 {
		for _, g := range green {
			ann := progressAnnotations()
			ann[AnnotationPoolSize] = nil
			if err := u.patchNode(ctx, g.Name, patch{labels: map[string]any{LabelGeneration: nil}, annotations: ann}); err != nil {
				return st, 0, err
			}
		}
		st.Phase, st.Done, st.Message = PhaseSucceeded, true, "every node is at "+spec.ID()
		return st, 0, nil
	}
	size := len(blue)
	if len(green) > 0 && green[0].PoolSize > 0 {
		size = green[0].PoolSize
	}

	// 1. Green nodes at the target, as many as blue had.
	if len(green) < size {
		st.Phase = PhaseCreatingGreen
		added, err := u.addNodes(ctx, spec, size-len(green),
			map[string]any{LabelGeneration: generationGreen},
			map[string]any{AnnotationPoolSize: strconv.Itoa(size), AnnotationTarget: spec.ID()})
		for _, name := range added {
			u.Events.Normal(ctx, observe.NodeRef(name), observe.ReasonSurge, "Created green node %s at %s for the blue-green upgrade of pool %s", name, spec.ID(), spec.Pool)
		}
		if err != nil {
			return st, 0, fmt.Errorf("failed to add green nodes: %w", err)
		}
		st.Message = fmt.Sprintf("creating %d green nodes", size-len(green))
		return st, 200 * time.Millisecond, nil
	}
	for _, g := range green {
		if !g.Ready {
			st.Phase, st.Message = PhaseCreatingGreen, "waiting for green node "+g.Name+" to be Ready"
			return st, 250 * time.Millisecond, nil
		}
	}

	// 2. Cordon every blue node at once: new pods go to green only.
	cordoned := false
	for _, b := range blue {
		if b.Generation == generationBlue && b.Cordoned {
			continue
		}
		if err := u.patchNode(ctx, b.Name, patch{
			labels:        map[string]any{LabelGeneration: generationBlue},
			annotations:   map[string]any{AnnotationState: StateBlue, AnnotationTarget: spec.ID()},
			unschedulable: &yes,
		}); err != nil {
			return st, 0, err
		}
		cordoned = true
	}
	if cordoned {
		st.Phase, st.Message = PhaseCordoningBlue, fmt.Sprintf("cordoned %d blue nodes", len(blue))
		return st, 0, nil
	}

	// 3. Drain blue in batches, soaking after each.
	now := u.now()
	draining := filter(blue, func(n Node) bool { return n.State == StateDraining })
	waiting := filter(blue, func(n Node) bool { return n.State == StateBlue || n.State == "" })
	drained := filter(blue, func(n Node) bool { return n.State == StateDrained })
	lastSoak := latestSoak(drained)
	st.Phase = PhaseDrainingBlue
	if len(draining) > 0 {
		requeue := time.Second
		outcomes, err := u.drainNodes(ctx, spec, draining)
		if err != nil {
			return st, 0, err
		}
		for _, n := range draining {
			done, blocked := outcomes[n.Name].done, outcomes[n.Name].blocked
			if blocked != "" {
				st.Phase, st.Done = PhaseFailed, true
				return st, 0, &FailedError{Pool: spec.Pool, Blocked: map[string]string{n.Name: blocked},
					Reason: "a blue node could not be drained; green and blue both stay. Fix the blocker and run the upgrade again, or move everything back with 'upshift nodepool rollback'"}
			}
			if done {
				if err := u.d().EndDrain(ctx, n.Name); err != nil {
					return st, 0, err
				}
				if err := u.patchNode(ctx, n.Name, patch{annotations: map[string]any{AnnotationState: StateDrained, AnnotationSoakStarted: stamp(u.now()), AnnotationBlocked: nil}}); err != nil {
					return st, 0, err
				}
				requeue = 0
			}
		}
		st.Message = fmt.Sprintf("draining %v; %d of %d blue nodes drained", names(draining), len(drained), len(blue))
		return st, requeue, nil
	}
	if len(waiting) > 0 {
		if wait := lastSoak.Add(spec.BlueGreen.BatchSoak).Sub(now); !lastSoak.IsZero() && wait > 0 {
			st.Message = fmt.Sprintf("batch soak: %s left; %d of %d blue nodes drained", wait.Round(time.Second), len(drained), len(blue))
			return st, wait, nil
		}
		batch := max(1, mustCount("drainBatchSize", spec.BlueGreen.DrainBatchSize, "10%").Of(size))
		next := waiting[:min(batch, len(waiting))]
		for _, n := range next {
			if err := u.patchNode(ctx, n.Name, patch{annotations: map[string]any{AnnotationState: StateDraining}}); err != nil {
				return st, 0, err
			}
			u.Events.Normal(ctx, observe.NodeRef(n.Name), observe.ReasonDrain, "Draining blue node %s", n.Name)
		}
		st.Message = fmt.Sprintf("starting batch %v", names(next))
		return st, 0, nil
	}

	// 4. Final soak, then delete blue. Rollback is possible until here.
	if wait := lastSoak.Add(spec.BlueGreen.FinalSoak).Sub(now); wait > 0 {
		st.Phase, st.Message = PhaseSoaking, fmt.Sprintf("final soak: %s left before blue is deleted (rollback possible until then)", wait.Round(time.Second))
		return st, wait, nil
	}
	st.Phase = PhaseDeletingBlue
	for _, b := range blue {
		if err := u.Machines.DeleteNode(ctx, spec.Cluster, b.Name); err != nil {
			return st, 0, fmt.Errorf("failed to delete blue node %q: %w", b.Name, err)
		}
		u.Events.Normal(ctx, observe.NodeRef(b.Name), observe.ReasonUpgrade, "Deleted blue node %s", b.Name)
	}
	st.Message = fmt.Sprintf("deleted %d blue nodes", len(blue))
	return st, 0, nil
}

func latestSoak(nodes []Node) time.Time {
	var t time.Time
	for _, n := range nodes {
		if n.SoakStart.After(t) {
			t = n.SoakStart
		}
	}
	return t
}

// rollback performs one pass of a blue-green rollback: blue is uncordoned
// so workloads can return, green is drained and deleted. The intent is
// written on the green nodes first, so a rollback that is interrupted is
// finished, not mistaken for an upgrade, when run again.
func (u *Upgrader) rollback(ctx context.Context, spec Spec, mem *pass) (Status, time.Duration, error) {
	st := Status{Cluster: spec.Cluster, Pool: spec.Pool, Strategy: StrategyBlueGreen, Target: spec.Target, Phase: PhaseRollingBack}
	nodes, err := listNodes(ctx, u.Client, spec.Pool)
	if err != nil {
		return st, 0, err
	}
	st.Nodes = nodes
	blue, green := splitGenerations(nodes)
	if len(green) == 0 {
		leftover := filter(blue, func(n Node) bool { return n.Generation != "" || n.State != "" })
		if len(leftover) == 0 && !mem.rollingBack {
			return st, 0, fmt.Errorf("pool %q: %w", spec.Pool, ErrNoBlueGreen)
		}
		if err := u.restoreBlue(ctx, leftover); err != nil {
			return st, 0, err
		}
		st.Phase, st.Done, st.Message = PhaseRolledBack, true, "green removed; workloads are back on blue"
		return st, 0, nil
	}
	mem.rollingBack = true
	if size := green[0].PoolSize; size > 0 && len(blue) < size {
		return st, 0, fmt.Errorf("pool %q cannot be rolled back: only %d of its %d blue nodes are left (blue is deleted at the end of the upgrade)", spec.Pool, len(blue), size)
	}
	for _, g := range green {
		if g.State != StateRollback && g.State != StateRemoving {
			if err := u.patchNode(ctx, g.Name, patch{annotations: map[string]any{AnnotationState: StateRollback}}); err != nil {
				return st, 0, err
			}
			u.Events.Warning(ctx, observe.NodeRef(g.Name), observe.ReasonRollback, "Rolling back the blue-green upgrade of pool %s: removing green node %s", spec.Pool, g.Name)
		}
	}
	if err := u.restoreBlue(ctx, filter(blue, func(n Node) bool { return n.Cordoned || n.State != "" })); err != nil {
		return st, 0, err
	}
	requeue := time.Second
	outcomes, err := u.drainNodes(ctx, spec, green)
	if err != nil {
		return st, 0, err
	}
	for _, g := range green {
		done, blocked := outcomes[g.Name].done, outcomes[g.Name].blocked
		if blocked != "" {
			return st, 0, &FailedError{Pool: spec.Pool, Reason: "a green node could not be drained during rollback; run the rollback again once the blocker is fixed", Blocked: map[string]string{g.Name: blocked}}
		}
		if done {
			if err := u.Machines.DeleteNode(ctx, spec.Cluster, g.Name); err != nil {
				return st, 0, err
			}
			requeue = 0
		}
	}
	st.Message = fmt.Sprintf("moving workloads back to %d blue nodes; draining %d green nodes", len(blue), len(green))
	return st, requeue, nil
}

// restoreBlue makes blue nodes plain, schedulable pool members again.
func (u *Upgrader) restoreBlue(ctx context.Context, blue []Node) error {
	for _, b := range blue {
		ann := progressAnnotations()
		if err := u.patchNode(ctx, b.Name, patch{labels: map[string]any{LabelGeneration: nil}, annotations: ann, unschedulable: &no}); err != nil {
			return err
		}
	}
	return nil
}
