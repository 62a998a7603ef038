package nodepool

import (
	"context"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"upshift.dev/upshift/internal/drain"
	"upshift.dev/upshift/internal/provider"
)

// reconcile performs one pass of the upgrade. mem carries whether the run
// is failing between passes of one Run.
func (u *Upgrader) reconcile(ctx context.Context, spec Spec, mem *pass) (Status, time.Duration, error) {
	if spec.Strategy == StrategyBlueGreen {
		return u.blueGreen(ctx, spec, mem)
	}
	return u.surge(ctx, spec, mem)
}

// Run upgrades the pool and returns when every node is at the target
// (nil), when the upgrade failed (a *FailedError, after unwinding what the
// undrainable node behaviour unwinds), or when ctx ends. onStatus, which
// may be nil, sees every pass. Running it again after any interruption
// continues the same upgrade.
func (u *Upgrader) Run(ctx context.Context, spec Spec, onStatus func(Status)) error {
	if err := u.Preflight(ctx, spec); err != nil {
		return err
	}
	if err := u.Pools.SetPoolTarget(ctx, spec.Cluster, spec.Pool, spec.Target); err != nil {
		return err
	}
	if err := u.retryQuarantined(ctx, spec); err != nil {
		return err
	}
	return u.loop(ctx, spec.Pool, func(ctx context.Context, mem *pass) (Status, time.Duration, error) {
		return u.reconcile(ctx, spec, mem)
	}, onStatus)
}

// Rollback undoes a blue-green upgrade that has not deleted blue yet, and
// sets the pool's target back to what its nodes run.
func (u *Upgrader) Rollback(ctx context.Context, spec Spec, onStatus func(Status)) error {
	err := u.loop(ctx, spec.Pool, func(ctx context.Context, mem *pass) (Status, time.Duration, error) {
		return u.rollback(ctx, spec, mem)
	}, onStatus)
	if err != nil {
		return err
	}
	nodes, err := listNodes(ctx, u.Client, spec.Pool)
	if err != nil || len(nodes) == 0 {
		return err
	}
	return u.Pools.SetPoolTarget(ctx, spec.Cluster, spec.Pool, provider.NodeTarget{KubernetesVersion: nodes[0].Version, NodeImageVersion: nodes[0].Image})
}

func (u *Upgrader) loop(ctx context.Context, pool string, step func(context.Context, *pass) (Status, time.Duration, error), onStatus func(Status)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Drain steps read pods from a cache for the length of the run.
	podCache := drain.NewCache(u.Client)
	if err := podCache.Start(ctx); err != nil {
		return err
	}
	u.d().Cache = podCache
	defer func() { u.d().Cache = nil }()
	wake := u.watch(ctx, pool)
	mem := &pass{wake: func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}}
	for {
		st, requeue, err := step(ctx, mem)
		if err == nil && !st.Done {
			st.Message = withBlocker(st)
		}
		u.Metrics.observe(st)
		if onStatus != nil && (err == nil || st.Done) {
			onStatus(st)
		}
		if err != nil || st.Done {
			return err
		}
		if requeue <= 0 {
			requeue = 50 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
			// Several events usually come together (a pod evicted, its
			// PDB updated, its replacement created); one pass handles them.
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(min(requeue, 200*time.Millisecond)):
			}
		case <-time.After(min(requeue, 2*time.Second)):
		}
	}
}

// retryQuarantined gives nodes quarantined by an earlier run another try:
// re-running an upgrade is how AKS retries blocked nodes too.
func (u *Upgrader) retryQuarantined(ctx context.Context, spec Spec) error {
	nodes, err := listNodes(ctx, u.Client, spec.Pool)
	if err != nil {
		return err
	}
	for _, n := range nodes {
		if n.Quarantined && n.Target == spec.ID() {
			if err := u.patchNode(ctx, n.Name, patch{
				labels:      map[string]any{LabelUpgradeStatus: nil},
				annotations: map[string]any{AnnotationState: StateDraining, AnnotationBlocked: nil},
			}); err != nil {
				return err
			}
		}
	}
	return nil
}

// watch signals node, pod and PDB changes; it never blocks the sender. If a
// watch cannot be (re)opened the loop still runs on its requeue timer.
func (u *Upgrader) watch(ctx context.Context, pool string) chan struct{} {
	ch := make(chan struct{}, 1)
	poke := func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	opens := []func(context.Context) (watch.Interface, error){
		func(ctx context.Context) (watch.Interface, error) {
			return u.Client.CoreV1().Nodes().Watch(ctx, metav1.ListOptions{LabelSelector: LabelAgentPool + "=" + pool})
		},
		func(ctx context.Context) (watch.Interface, error) {
			return u.Client.CoreV1().Pods(metav1.NamespaceAll).Watch(ctx, metav1.ListOptions{})
		},
		func(ctx context.Context) (watch.Interface, error) {
			return u.Client.PolicyV1().PodDisruptionBudgets(metav1.NamespaceAll).Watch(ctx, metav1.ListOptions{})
		},
	}
	for _, open := range opens {
		go func() {
			for ctx.Err() == nil {
				w, err := open(ctx)
				if err != nil {
					return
				}
				for range w.ResultChan() {
					poke()
				}
				w.Stop()
				select {
				case <-ctx.Done():
				case <-time.After(500 * time.Millisecond):
				}
			}
		}()
	}
	return ch
}

// withBlocker adds what blocks a drain to the status message, so whoever
// shows the message (a run's member status) says what the upgrade waits
// for.
func withBlocker(st Status) string {
	for _, n := range st.Nodes {
		if n.Blocked != "" {
			return st.Message + "; node " + n.Name + ": " + n.Blocked
		}
	}
	return st.Message
}
