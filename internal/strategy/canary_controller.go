package strategy

import (
	"context"
	"time"

	"k8s.io/client-go/tools/record"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
)

// CanaryReconciler reconciles CanaryIntakes.
type CanaryReconciler struct {
	Client client.Client
	// Reader reads intakes afresh from the API server (the manager's
	// APIReader); Client is used when nil.
	Reader client.Reader
	// Clock is the reconciler's clock; a real one when nil.
	Clock clock.PassiveClock
	// Recorder records events on intakes; nil for none.
	Recorder record.EventRecorder
	// Tools reach clusters, routers and the preflight.
	Tools Tools

	core *core
}

func (r *CanaryReconciler) init() *core {
	if r.core == nil {
		r.core = newCore(r.Client, r.Reader, r.Clock, r.Recorder, &r.Tools, func() client.Object { return &v1alpha1.CanaryIntake{} })
	}
	return r.core
}

// SetupWithManager registers the reconciler: intakes are looked at when
// their spec or annotations change, and when one of their jobs reports.
func (r *CanaryReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return r.init().setup(mgr, &v1alpha1.CanaryIntake{}, r)
}

// Reconcile moves one intake as far as it can go now: read it fresh,
// decide from its status, write the status, and only then act.
func (r *CanaryReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ci := &v1alpha1.CanaryIntake{}
	return r.init().reconcile(ctx, req, ci, "canary intake", func(p *pass) (time.Duration, error) {
		after, err := (&canary{pass: p, ci: ci}).advance(ctx)
		if err != nil {
			return 0, err
		}
		st := &ci.Status
		st.ObservedGeneration = ci.Generation
		var current *v1alpha1.AnalysisStatus
		if i := int(st.CurrentStep); i < len(st.Steps) {
			current = st.Steps[i].Analysis
		}
		setConditions(&st.Conditions, conditionInputs{
			gen: ci.Generation, now: p.now, policy: ci.Spec.Preflight, preflight: st.Preflight,
			inPreflight: st.Phase == v1alpha1.CanaryPreflight, cluster: st.Canary,
			clusterError: st.Phase == v1alpha1.CanaryFailed && st.FailedPhase != v1alpha1.CanaryPreflight && st.FailedPhase != "",
			traffic:      st.Traffic, analysis: current,
		})
		return after, nil
	})
}

// DefaultSteps are the seed's canary steps: 20%, 50%, 100%.
func DefaultSteps() []v1alpha1.CanaryStep {
	return []v1alpha1.CanaryStep{{Weight: 20}, {Weight: 50}, {Weight: 100}}
}
