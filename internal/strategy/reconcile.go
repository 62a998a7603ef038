package strategy

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// setup registers a reconciler of kind: objects are looked at when their
// spec or annotations change, and when one of their jobs reports.
func (co *core) setup(mgr ctrl.Manager, kind client.Object, r reconcile.Reconciler) error {
	if err := co.tools.check(); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(kind, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		WatchesRawSource(source.Channel(co.wake, &handler.EnqueueRequestForObject{})).
		Complete(r)
}

// reconcile moves one object as far as it can go now: read it fresh
// (into obj), decide from its status (advance, which also sets the
// conditions), write the status, and only then act. A write that loses a
// race has done nothing and is tried again from a fresh read. noun names
// the kind in errors.
func (co *core) reconcile(ctx context.Context, req ctrl.Request, obj client.Object, noun string, advance func(*pass) (time.Duration, error)) (ctrl.Result, error) {
	if err := co.reader.Get(ctx, req.NamespacedName, obj); err != nil {
		if apierrors.IsNotFound(err) {
			co.workers.Stop(req.Namespace, req.Name)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if !obj.GetDeletionTimestamp().IsZero() {
		// Clusters are never deleted with the object: finish first.
		co.workers.Stop(req.Namespace, req.Name)
		return ctrl.Result{}, nil
	}
	before := obj.DeepCopyObject()
	p := &pass{core: co, obj: obj, now: co.clock.Now()}
	after, err := advance(p)
	if err != nil {
		return ctrl.Result{}, err
	}
	// advance changes only the status.
	if !equality.Semantic.DeepEqual(before, obj) {
		if err := co.writeStatus(ctx, obj); err != nil {
			if apierrors.IsConflict(err) {
				return ctrl.Result{Requeue: true}, nil
			}
			return ctrl.Result{}, fmt.Errorf("failed to write the status of %s %s: %w", noun, req.NamespacedName, err)
		}
	}
	p.fx.apply(co.workers, obj.GetNamespace(), obj.GetName())
	if after == 0 {
		return ctrl.Result{}, nil
	}
	return ctrl.Result{RequeueAfter: requeue(after)}, nil
}
