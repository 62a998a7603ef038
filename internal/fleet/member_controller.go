package fleet

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"upshift.dev/upshift/api/v1alpha1"
)

// probeInterval is how often a member's cluster is looked at.
const probeInterval = 30 * time.Second

// MemberReconciler keeps each Member's status current: the control
// plane's version, its node pools, and whether it answers.
type MemberReconciler struct {
	Client   client.Client
	Resolver Resolver
	Clock    clock.PassiveClock
}

// SetupWithManager registers the reconciler. Members are probed on their
// own changes, every probeInterval, and as soon as an update run finishes
// with them, so their status shows the new versions at once.
func (r *MemberReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).For(&v1alpha1.Member{}).
		Watches(&v1alpha1.UpdateRun{}, handler.EnqueueRequestsFromMapFunc(finishedMembers)).
		Complete(r)
}

// finishedMembers maps a run to its members that have finished.
func finishedMembers(_ context.Context, obj client.Object) []reconcile.Request {
	run, ok := obj.(*v1alpha1.UpdateRun)
	if !ok {
		return nil
	}
	var out []reconcile.Request
	eachMember(run, func(_ *v1alpha1.StageStatus, _ *v1alpha1.GroupStatus, m *v1alpha1.MemberRunStatus) {
		if m.State == v1alpha1.StateCompleted || m.State == v1alpha1.StateFailed {
			out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: run.Namespace, Name: m.Name}})
		}
	})
	return out
}

// Reconcile probes one member.
func (r *MemberReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	m := &v1alpha1.Member{}
	if err := r.Client.Get(ctx, req.NamespacedName, m); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	before := m.Status.DeepCopy()
	now := time.Now()
	if r.Clock != nil {
		now = r.Clock.Now()
	}
	cond := metav1.Condition{Type: v1alpha1.ConditionReachable, Status: metav1.ConditionTrue, Reason: "Probed", Message: "the API server answered", ObservedGeneration: m.Generation}
	if err := r.probe(ctx, m); err != nil {
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, "ProbeFailed", err.Error()
	} else {
		t := metav1.NewTime(now.UTC().Truncate(time.Second))
		m.Status.LastProbeTime = &t
	}
	meta.SetStatusCondition(&m.Status.Conditions, cond)
	if !equality.Semantic.DeepEqual(before, &m.Status) {
		if err := r.Client.Status().Update(ctx, m); err != nil && !apierrors.IsConflict(err) {
			return ctrl.Result{}, err
		}
	}
	return ctrl.Result{RequeueAfter: probeInterval}, nil
}

func (r *MemberReconciler) probe(ctx context.Context, m *v1alpha1.Member) error {
	c, err := r.Resolver.Resolve(ctx, m)
	if err != nil {
		return err
	}
	cl, err := c.Clusters.GetCluster(ctx, c.Name)
	if err != nil {
		return err
	}
	pools, err := c.Pools.ListNodePools(ctx, c.Name)
	if err != nil {
		return err
	}
	m.Status.KubernetesVersion = cl.KubernetesVersion
	m.Status.NodePools = nil
	for _, p := range pools {
		m.Status.NodePools = append(m.Status.NodePools, v1alpha1.MemberNodePool{
			Name: p.Name, KubernetesVersion: p.CurrentOrchestratorVersion, NodeImageVersion: p.NodeImageVersion, Count: int32(p.Count),
		})
	}
	return nil
}
