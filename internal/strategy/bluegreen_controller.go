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

// The strategies' rights on the hub: read their objects and the Members
// and manifest ConfigMaps they name, write only their status, write events.
// +kubebuilder:rbac:groups=upshift.dev,resources=bluegreenupgrades;canaryintakes;members,verbs=get;list;watch
// +kubebuilder:rbac:groups=upshift.dev,resources=bluegreenupgrades/status;canaryintakes/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=configmaps;secrets,verbs=get
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

// BlueGreenReconciler reconciles BlueGreenUpgrades.
type BlueGreenReconciler struct {
	Client client.Client
	// Reader reads upgrades afresh from the API server (the manager's
	// APIReader): deciding from a stale copy could switch traffic twice.
	// Client is used when nil.
	Reader client.Reader
	// Clock is the reconciler's clock; a real one when nil.
	Clock clock.PassiveClock
	// Recorder records events on upgrades; nil for none.
	Recorder record.EventRecorder
	// Tools reach clusters, routers and the preflight.
	Tools Tools

	core *core
}

func (r *BlueGreenReconciler) init() *core {
	if r.core == nil {
		r.core = newCore(r.Client, r.Reader, r.Clock, r.Recorder, &r.Tools, func() client.Object { return &v1alpha1.BlueGreenUpgrade{} })
	}
	return r.core
}

// SetupWithManager registers the reconciler: upgrades are looked at when
// their spec or annotations change, and when one of their jobs reports.
func (r *BlueGreenReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return r.init().setup(mgr, &v1alpha1.BlueGreenUpgrade{}, r)
}

// Reconcile moves one upgrade as far as it can go now: read it fresh,
// decide from its status, write the status, and only then act.
func (r *BlueGreenReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	bg := &v1alpha1.BlueGreenUpgrade{}
	return r.init().reconcile(ctx, req, bg, "blue-green upgrade", func(p *pass) (time.Duration, error) {
		after, err := (&blueGreen{pass: p, bg: bg}).advance(ctx)
		if err != nil {
			return 0, err
		}
		st := &bg.Status
		st.ObservedGeneration = bg.Generation
		setConditions(&st.Conditions, conditionInputs{
			gen: bg.Generation, now: p.now, policy: bg.Spec.Preflight, preflight: st.Preflight,
			inPreflight: st.Phase == v1alpha1.BlueGreenPreflight, cluster: st.Green,
			clusterError: st.Phase == v1alpha1.BlueGreenFailed && st.FailedPhase != v1alpha1.BlueGreenPreflight && st.FailedPhase != v1alpha1.BlueGreenPending,
			traffic:      st.Traffic, analysis: currentBlueGreenAnalysis(st),
		})
		return after, nil
	})
}

// currentBlueGreenAnalysis is the analysis the AnalysisHealthy condition
// reports: the post-switch one once traffic moved, else the pre-switch one.
func currentBlueGreenAnalysis(st *v1alpha1.BlueGreenUpgradeStatus) *v1alpha1.AnalysisStatus {
	if st.PostSwitch != nil {
		return st.PostSwitch
	}
	return st.PreSwitch
}

// durationOr parses d (validated when the upgrade started), or returns def
// for an empty one.
func durationOr(d v1alpha1.Duration, def time.Duration) time.Duration {
	v, err := d.Parse()
	if err != nil || d == "" {
		return def
	}
	return v
}
