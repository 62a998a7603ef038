package nodepool

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"upshift.dev/upshift/internal/drain"
	"upshift.dev/upshift/internal/observe"
)

// surgeLabel is LabelSurge's value for an upgrade: label values cannot
// hold the "/" of an ID, so it is hashed.
func surgeLabel(spec Spec) string {
	sum := sha256.Sum256([]byte(spec.ID()))
	return hex.EncodeToString(sum[:6])
}

// surge performs one pass of the surge strategy and returns the status and
// how soon the next pass is useful.
func (u *Upgrader) surge(ctx context.Context, spec Spec, mem *pass) (Status, time.Duration, error) {
	st := Status{Cluster: spec.Cluster, Pool: spec.Pool, Strategy: StrategySurge, Target: spec.Target}
	nodes, err := listNodes(ctx, u.Client, spec.Pool)
	if err != nil {
		return st, 0, err
	}
	st.Nodes = nodes
	regular := filter(nodes, func(n Node) bool { return !n.Surge })
	surgeNodes := filter(nodes, func(n Node) bool { return n.Surge })
	quarantined := filter(regular, func(n Node) bool { return n.Quarantined })
	pending := filter(regular, func(n Node) bool { return !n.Quarantined && !n.AtTarget(spec.Target) })

	if mem.failed != nil {
		return u.surgeCleanup(ctx, spec, mem, st, regular, surgeNodes, quarantined)
	}
	// A node at the target that still carries our progress (but is not
	// rebooting) was being reimaged when the process died: it only lacks
	// its uncordon.
	for _, n := range regular {
		if n.AtTarget(spec.Target) && n.State != "" && n.State != StateReimaging && !n.Quarantined {
			if err := u.patchNode(ctx, n.Name, patch{annotations: progressAnnotations(), unschedulable: &no}); err != nil {
				return st, 0, err
			}
		}
	}

	size := len(regular)
	surgeCount := mustCount("maxSurge", spec.Settings.MaxSurge, "10%").Of(size)
	batch := surgeCount + mustCount("maxUnavailable", spec.Settings.MaxUnavailable, "0").Of(size)
	if surgeCount > 0 && size+surgeCount > 1000 {
		return st, 0, fmt.Errorf("pool %q has %d nodes and maxSurge adds %d: a VMSS holds at most 1000; lower --max-surge", spec.Pool, size, surgeCount)
	}

	if len(pending) == 0 {
		// Nodes still rebooting hold their capacity until they are back.
		if rebooting := filter(regular, func(n Node) bool { return n.State == StateReimaging }); len(rebooting) > 0 {
			st.Phase, st.Message = PhaseUpgrading, fmt.Sprintf("waiting for %v to come back from reimage", names(rebooting))
			for _, n := range rebooting {
				if !mem.reimagingNow(n.Name) {
					if err := u.startReimage(ctx, spec, mem, n); err != nil {
						return st, 0, err
					}
				}
			}
			return st, time.Second, mem.reimageError()
		}
		return u.surgeFinish(ctx, spec, st, surgeNodes, quarantined)
	}

	// 1. Surge capacity at the target, one node kept per quarantined node.
	want := surgeCount + keptForQuarantine(spec, quarantined, surgeNodes)
	if len(surgeNodes) < want {
		st.Phase = PhaseSurging
		added, err := u.addNodes(ctx, spec, want-len(surgeNodes), map[string]any{LabelSurge: surgeLabel(spec)}, nil)
		for _, name := range added {
			u.Events.Normal(ctx, observe.NodeRef(name), observe.ReasonSurge, "Created surge node %s at %s for the upgrade of pool %s", name, spec.ID(), spec.Pool)
		}
		if err != nil {
			return st, 0, fmt.Errorf("failed to add surge nodes: %w", err)
		}
		st.Message = fmt.Sprintf("adding %d surge nodes", want-len(surgeNodes))
		return st, 200 * time.Millisecond, nil
	}
	// The pool does not move on while a new or reimaged node is not Ready:
	// its capacity is what the next batch's pods move to.
	for _, n := range nodes {
		if !n.Ready && n.State != StateReimaging && (n.Surge || n.AtTarget(spec.Target)) {
			st.Phase = PhaseSurging
			st.Message = fmt.Sprintf("waiting for node %s to be Ready", n.Name)
			return st, 250 * time.Millisecond, nil
		}
	}

	// 2. The window: nodes in progress (draining, soaking, rebooting) hold
	// their slot until they are back; free slots go to pending nodes in
	// name order. Never more than maxSurge+maxUnavailable nodes are out.
	st.Phase = PhaseUpgrading
	if err := mem.reimageError(); err != nil {
		return st, 0, err
	}
	reimaging := filter(regular, func(n Node) bool { return n.State == StateReimaging })
	active := filter(pending, func(n Node) bool { return n.State == StateDraining || n.State == StateSoaking })
	for _, n := range pending {
		if len(active)+len(reimaging) >= batch {
			break
		}
		if n.State != "" {
			continue
		}
		if err := u.patchNode(ctx, n.Name, patch{annotations: map[string]any{AnnotationState: StateDraining, AnnotationTarget: spec.ID()}}); err != nil {
			return st, 0, err
		}
		u.Events.Normal(ctx, observe.NodeRef(n.Name), observe.ReasonDrain, "Draining node %s for the upgrade of pool %s to %s", n.Name, spec.Pool, spec.ID())
		n.State = StateDraining
		active = append(active, n)
	}

	// 3. Move each node along: drain, soak, reimage (in the background).
	requeue := time.Second
	draining := filter(active, func(n Node) bool { return n.State == StateDraining })
	outcomes, err := u.drainNodes(ctx, spec, draining)
	if err != nil {
		return st, 0, err
	}
	for _, n := range draining {
		o := outcomes[n.Name]
		if o.blocked != "" {
			if err := u.undrainable(ctx, spec, mem, n, o.blocked, quarantined, size); err != nil {
				return st, 0, err
			}
			return st, 0, nil
		}
		if o.done {
			if err := u.d().EndDrain(ctx, n.Name); err != nil {
				return st, 0, err
			}
			if err := u.patchNode(ctx, n.Name, patch{annotations: map[string]any{AnnotationState: StateSoaking, AnnotationSoakStarted: stamp(u.now()), AnnotationBlocked: nil}}); err != nil {
				return st, 0, err
			}
			requeue = 0
		}
	}
	for _, n := range active {
		if n.State != StateSoaking {
			continue
		}
		if wait := n.SoakStart.Add(spec.nodeSoak()).Sub(u.now()); wait > 0 {
			requeue = min(requeue, wait)
			continue
		}
		if err := u.startReimage(ctx, spec, mem, n); err != nil {
			return st, 0, err
		}
		requeue = 0
	}
	// Reboots a previous process started and did not see through.
	for _, n := range reimaging {
		if !mem.reimagingNow(n.Name) {
			if err := u.startReimage(ctx, spec, mem, n); err != nil {
				return st, 0, err
			}
		}
	}
	st.Message = fmt.Sprintf("%d of %d nodes upgraded; in progress %v", size-len(pending)-len(quarantined)-len(reimaging), size, names(append(active, reimaging...)))
	return st, requeue, nil
}

// keptForQuarantine is how many surge nodes stay for quarantined nodes:
// one each with Cordon (AKS keeps the surge node so the pool keeps its
// capacity), none otherwise.
func keptForQuarantine(spec Spec, quarantined, _ []Node) int {
	if spec.undrainable() != BehaviorCordon {
		return 0
	}
	return len(quarantined)
}

// undrainable applies undrainableNodeBehavior to a node whose drain timed
// out.
func (u *Upgrader) undrainable(ctx context.Context, spec Spec, mem *pass, n Node, blocked string, quarantined []Node, size int) error {
	// maxBlockedNodes defaults to maxSurge, which defaults to 10%.
	budget := mustCount("maxBlockedNodes", spec.Settings.MaxBlockedNodes, spec.Settings.MaxSurge)
	if spec.Settings.MaxBlockedNodes == "" && spec.Settings.MaxSurge == "" {
		budget = mustCount("maxBlockedNodes", "10%", "")
	}
	if spec.undrainable() == BehaviorCordon && len(quarantined)+1 <= budget.Of(size) {
		err := u.patchNode(ctx, n.Name, patch{
			labels:      map[string]any{LabelUpgradeStatus: Quarantined},
			annotations: map[string]any{AnnotationState: StateQuarantined, AnnotationBlocked: blocked, drain.AnnotationDrainStarted: nil},
		})
		if err == nil {
			u.Events.Warning(ctx, observe.NodeRef(n.Name), observe.ReasonQuarantined, "Quarantined node %s: %s", n.Name, blocked)
		}
		return err
	}
	reason := "a node could not be drained (undrainableNodeBehavior Schedule): blocked nodes are uncordoned and surge nodes removed; fix the blocker and run the upgrade again"
	if spec.undrainable() == BehaviorCordon {
		reason = "more nodes blocked than maxBlockedNodes allows; blocked nodes beyond the budget are uncordoned and surge nodes removed"
	}
	mem.failed = &FailedError{Pool: spec.Pool, Reason: reason, Blocked: map[string]string{n.Name: blocked}}
	for _, q := range quarantined {
		mem.failed.Blocked[q.Name] = "quarantined: " + q.Blocked
	}
	return nil
}

// surgeCleanup unwinds a failed surge upgrade: nodes in progress are
// uncordoned (their upgrade never started), surge nodes are drained and
// deleted, except one per quarantined node.
func (u *Upgrader) surgeCleanup(ctx context.Context, spec Spec, mem *pass, st Status, regular, surgeNodes, quarantined []Node) (Status, time.Duration, error) {
	st.Phase = PhaseFailed
	for _, n := range regular {
		if n.Quarantined || n.State == "" {
			continue
		}
		if err := u.patchNode(ctx, n.Name, patch{annotations: progressAnnotations(), unschedulable: &no}); err != nil {
			return st, 0, err
		}
	}
	done, requeue, err := u.removeNodes(ctx, spec, surgeNodes, keptForQuarantine(spec, quarantined, surgeNodes))
	var stuck *FailedError
	if errors.As(err, &stuck) {
		// The original failure stays the headline; a surge node that could
		// not be drained for removal is added to it, cordoned and named.
		for n, why := range stuck.Blocked {
			mem.failed.Blocked[n] = "surge node kept, cordoned: " + why
		}
		st.Done = true
		return st, 0, mem.failed
	}
	if err != nil {
		return st, 0, err
	}
	if !done {
		st.Message = "upgrade failed; removing surge nodes"
		return st, requeue, nil
	}
	st.Done = true
	return st, 0, mem.failed
}

// surgeFinish removes the surge nodes once every regular node is upgraded or
// quarantined.
func (u *Upgrader) surgeFinish(ctx context.Context, spec Spec, st Status, surgeNodes, quarantined []Node) (Status, time.Duration, error) {
	st.Phase = PhaseRemovingSurge
	done, requeue, err := u.removeNodes(ctx, spec, surgeNodes, keptForQuarantine(spec, quarantined, surgeNodes))
	if err != nil || !done {
		st.Message = fmt.Sprintf("removing %d surge nodes", len(surgeNodes))
		return st, requeue, err
	}
	st.Done = true
	if len(quarantined) == 0 {
		st.Phase = PhaseSucceeded
		st.Message = "every node is at " + spec.ID()
		return st, 0, nil
	}
	st.Phase = PhaseFailed
	failed := &FailedError{Pool: spec.Pool, Reason: fmt.Sprintf("%d nodes could not be drained and are quarantined (undrainableNodeBehavior Cordon); each keeps a surge node; fix the blocker and run the upgrade again", len(quarantined)), Blocked: map[string]string{}}
	for _, q := range quarantined {
		failed.Blocked[q.Name] = q.Blocked
	}
	return st, 0, failed
}

// removeNodes drains and deletes all but keep of nodes (the last ones by
// name stay). It reports done when nothing more is to be removed.
func (u *Upgrader) removeNodes(ctx context.Context, spec Spec, nodes []Node, keep int) (bool, time.Duration, error) {
	if len(nodes) <= keep {
		return true, 0, nil
	}
	remove := nodes[:len(nodes)-keep]
	for i, n := range remove {
		if n.State != StateRemoving {
			if err := u.patchNode(ctx, n.Name, patch{annotations: map[string]any{AnnotationState: StateRemoving}}); err != nil {
				return false, 0, err
			}
			remove[i].State = StateRemoving
		}
	}
	outcomes, err := u.drainNodes(ctx, spec, remove)
	if err != nil {
		return false, 0, err
	}
	for _, n := range remove {
		o := outcomes[n.Name]
		if o.blocked != "" {
			return false, 0, &FailedError{Pool: spec.Pool, Reason: "a surge node could not be drained for removal; it stays cordoned", Blocked: map[string]string{n.Name: o.blocked}}
		}
		if o.done {
			if err := u.Machines.DeleteNode(ctx, spec.Cluster, n.Name); err != nil {
				return false, 0, fmt.Errorf("failed to delete node %q: %w", n.Name, err)
			}
		}
	}
	return false, 200 * time.Millisecond, nil
}
