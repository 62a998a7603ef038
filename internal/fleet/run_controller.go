package fleet

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/analysis"
)

// The controller's least privilege on the hub: read the fleet's objects,
// write only their status, create Gates (people move them), read member
// kubeconfig Secrets, write events and its leader-election lease.
// +kubebuilder:rbac:groups=upshift.dev,resources=updateruns;updatestrategies;members,verbs=get;list;watch
// +kubebuilder:rbac:groups=upshift.dev,resources=updateruns/status;members/status;gates/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=upshift.dev,resources=gates,verbs=get;list;watch;create
// +kubebuilder:rbac:groups=upshift.dev,resources=members,verbs=patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch;create;update;patch

// RunReconciler reconciles UpdateRuns.
type RunReconciler struct {
	Client client.Client
	// Reader reads runs afresh from the API server (the manager's
	// APIReader). Deciding from a cached, stale run could start a member
	// twice; Client is used when nil.
	Reader client.Reader
	// Clock is the reconciler's clock; a real one when nil. Tests move a
	// fake one to open maintenance windows and scheduled gates.
	Clock clock.PassiveClock
	// Upgrader upgrades members.
	Upgrader MemberUpgrader
	// Recorder records events on runs; nil for none.
	Recorder record.EventRecorder
	// AnalysisOptions configure Validation gates' analysis (HTTP client,
	// clock); the reconciler's clock is used when Clock is nil.
	AnalysisOptions analysis.Options
	// Metrics records run, stage, member and gate metrics; nil for none.
	Metrics *Metrics

	workers *Workers
	wake    chan event.GenericEvent
}

// reader returns the fresh reader: every decision of the run is made from
// what the API server says now.
func (r *RunReconciler) reader() client.Reader {
	if r.Reader != nil {
		return r.Reader
	}
	return r.Client
}

func (r *RunReconciler) now() time.Time {
	if r.Clock == nil {
		return time.Now()
	}
	return r.Clock.Now()
}

// SetupWithManager registers the reconciler. Runs are reconciled on their
// own changes, on changes of the Gates they own, and whenever one of their
// member upgrades reports progress.
func (r *RunReconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.init()
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.UpdateRun{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Owns(&v1alpha1.Gate{}).
		WatchesRawSource(source.Channel(r.wake, &handler.EnqueueRequestForObject{})).
		Complete(r)
}

func (r *RunReconciler) init() {
	if r.workers != nil {
		return
	}
	r.wake = make(chan event.GenericEvent, 1024)
	r.workers = &Workers{Notify: func(namespace, name string) {
		run := &v1alpha1.UpdateRun{}
		run.Namespace, run.Name = namespace, name
		select {
		case r.wake <- event.GenericEvent{Object: run}:
		default: // a wake-up is already queued
		}
	}}
}

// Reconcile advances one run as far as it can go now.
func (r *RunReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	r.init()
	run := &v1alpha1.UpdateRun{}
	if err := r.reader().Get(ctx, req.NamespacedName, run); err != nil {
		if apierrors.IsNotFound(err) {
			r.workers.StopRun(req.Namespace, req.Name)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if !run.DeletionTimestamp.IsZero() {
		r.workers.StopRun(req.Namespace, req.Name)
		return ctrl.Result{}, nil
	}
	before := run.Status.DeepCopy()
	fx := &effects{}
	requeue, err := r.advance(ctx, run, fx)
	if err != nil {
		return ctrl.Result{}, err
	}
	run.Status.ObservedGeneration = run.Generation
	summarize(run)
	if !equality.Semantic.DeepEqual(before, &run.Status) {
		// The status is the run's memory: a write that loses a race is
		// retried from a fresh read rather than merged blindly.
		if err := r.Client.Status().Update(ctx, run); err != nil {
			if apierrors.IsConflict(err) {
				return ctrl.Result{Requeue: true}, nil
			}
			return ctrl.Result{}, fmt.Errorf("failed to write the status of update run %s: %w", req.NamespacedName, err)
		}
		r.Metrics.observe(run)
	}
	// Only now, with the decisions persisted, act on them: a reconcile
	// whose write lost a race has done nothing.
	fx.apply(r, run)
	return ctrl.Result{RequeueAfter: requeue}, nil
}

// effects are what a reconcile decided to do outside the status: start
// member upgrades, forget finished workers. They run after the status
// write succeeds.
type effects struct {
	start  []*v1alpha1.MemberRunStatus
	forget []v1alpha1.MemberRunStatus
}

func (fx *effects) apply(r *RunReconciler, run *v1alpha1.UpdateRun) {
	for _, m := range fx.forget {
		r.workers.Forget(run.Namespace, run.Name, m.Name, m.Attempt)
	}
	for _, m := range fx.start {
		r.startWorker(run, m)
	}
}

// runKey names a run for logs and errors.
func runKey(run *v1alpha1.UpdateRun) types.NamespacedName {
	return types.NamespacedName{Namespace: run.Namespace, Name: run.Name}
}

func (r *RunReconciler) event(run *v1alpha1.UpdateRun, warning bool, reason, format string, args ...any) {
	if r.Recorder == nil {
		return
	}
	typ := "Normal"
	if warning {
		typ = "Warning"
	}
	r.Recorder.Eventf(run, typ, reason, format, args...)
}
