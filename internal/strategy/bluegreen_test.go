package strategy_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/strategy"
)

func newBlueGreen(name string, mutate func(*v1alpha1.BlueGreenUpgradeSpec)) *v1alpha1.BlueGreenUpgrade {
	bg := &v1alpha1.BlueGreenUpgrade{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.BlueGreenUpgradeSpec{
			BlueMember: "blue",
			Green:      v1alpha1.NewClusterSpec{ClusterName: "green", KubernetesVersion: "1.37.2"},
			Manifests:  v1alpha1.ManifestBundle{ConfigMap: "shop"},
			BakeTime:   "2m",
			PostSwitch: errorRate(nil),
		},
	}
	if mutate != nil {
		mutate(&bg.Spec)
	}
	return bg
}

func phaseIs(e *env, name, phase string) func() bool {
	return func() bool { return e.bg(name).Status.Phase == phase }
}

func TestBlueGreenPromotesThenRetentionDeletesBlue(t *testing.T) {
	e := newEnv(t, 0)
	e.create(newBlueGreen("up", func(s *v1alpha1.BlueGreenUpgradeSpec) { s.RetainBlueFor = "1h" }))
	r := &strategy.BlueGreenReconciler{Client: e.c, Clock: e.clk, Tools: e.tools}
	e.drive(r, "up", "Baking", phaseIs(e, "up", v1alpha1.BlueGreenBaking))
	bg := e.bg("up")
	if got := weightsOf(e.router.now()); got != "blue=0 green=100" {
		t.Fatalf("weights at Baking = %s", got)
	}
	if len(e.clusters.created) != 1 || len(e.clusters.created[0].Pools) != 2 || e.clusters.created[0].Pools[1].OrchestratorVersion != "1.37.2" {
		t.Fatalf("green was not created with blue's pools at 1.37.2: %+v", e.clusters.created)
	}
	if e.deployer.applied != 1 {
		t.Fatalf("manifests applied %d times", e.deployer.applied)
	}
	if c := meta.FindStatusCondition(bg.Status.Conditions, v1alpha1.ConditionClusterReady); c == nil || c.Status != metav1.ConditionTrue {
		t.Fatalf("ClusterReady = %+v", c)
	}
	e.drive(r, "up", "Promoted", phaseIs(e, "up", v1alpha1.BlueGreenPromoted))
	bg = e.bg("up")
	if bake := bg.Status.PromotedAt.Sub(bg.Status.BakeStartedAt.Time); bake < 2*time.Minute {
		t.Fatalf("promoted after a bake of %s, want 2m", bake)
	}
	if n := bg.Status.PostSwitch.MetricResults[0].Count; n < 10 {
		t.Fatalf("post-switch analysis took %d measurements over a 2m bake at 10s", n)
	}
	if len(e.clusters.deletedNames()) != 0 {
		t.Fatalf("deleted %v before retainBlueFor passed", e.clusters.deletedNames())
	}
	e.drive(r, "up", "Finished", phaseIs(e, "up", v1alpha1.BlueGreenFinished))
	bg = e.bg("up")
	if got := e.clusters.deletedNames(); len(got) != 1 || got[0] != "blue" {
		t.Fatalf("deleted %v, want blue", got)
	}
	if held := bg.Status.FinishedAt.Sub(bg.Status.PromotedAt.Time); held < time.Hour {
		t.Fatalf("blue deleted %s after the promotion, want at least retainBlueFor 1h", held)
	}
	if !strings.Contains(bg.Status.Message, "blue deleted") {
		t.Errorf("message %q", bg.Status.Message)
	}
}

func TestBlueGreenRollsBackOnFailedAnalysisAndKeepsGreen(t *testing.T) {
	e := newEnv(t, 0)
	e.create(newBlueGreen("up", nil))
	r := &strategy.BlueGreenReconciler{Client: e.c, Clock: e.clk, Tools: e.tools}
	e.drive(r, "up", "Baking with 2 measurements", func() bool {
		bg := e.bg("up")
		return bg.Status.PostSwitch != nil && len(bg.Status.PostSwitch.MetricResults) > 0 && bg.Status.PostSwitch.MetricResults[0].Count >= 2
	})
	e.metric.set(0.2, false)
	e.drive(r, "up", "RolledBack", phaseIs(e, "up", v1alpha1.BlueGreenRolledBack))
	bg := e.bg("up")
	if got := weightsOf(e.router.now()); got != "blue=100 green=0" {
		t.Fatalf("weights after rollback = %s", got)
	}
	if !strings.Contains(bg.Status.RollbackReason, "Failed") {
		t.Errorf("rollback reason %q", bg.Status.RollbackReason)
	}
	// The rollback came with the first failing measurement, not later.
	ms := bg.Status.PostSwitch.MetricResults[0].Measurements
	last := ms[len(ms)-1]
	if last.Phase != v1alpha1.AnalysisPhaseFailed || bg.Status.RollbackStartedAt.Sub(last.FinishedAt.Time) > time.Second {
		t.Errorf("rollback at %s, failing measurement %+v", bg.Status.RollbackStartedAt, last)
	}
	if len(e.clusters.deletedNames()) != 0 {
		t.Fatalf("green deleted on rollback: %v", e.clusters.deletedNames())
	}
	// Finish after a rollback deletes green, never blue.
	e.act(bg, func() { bg.Spec.Action = v1alpha1.ActionFinish })
	e.drive(r, "up", "Finished", phaseIs(e, "up", v1alpha1.BlueGreenFinished))
	if got := e.clusters.deletedNames(); len(got) != 1 || got[0] != "green" {
		t.Fatalf("deleted %v, want green", got)
	}
}

func TestBlueGreenWaitsForDNSPropagationBeforeJudging(t *testing.T) {
	e := newEnv(t, 0)
	e.router.propagation = 90 * time.Second
	e.create(newBlueGreen("up", nil))
	r := &strategy.BlueGreenReconciler{Client: e.c, Clock: e.clk, Tools: e.tools}
	e.drive(r, "up", "Baking", phaseIs(e, "up", v1alpha1.BlueGreenBaking))
	bg := e.bg("up")
	tr := bg.Status.Traffic
	if tr.PropagationSeconds != 90 || tr.SettledAt.Sub(tr.AppliedAt.Time) < 90*time.Second {
		t.Fatalf("traffic %+v: settledAt must be at least 90s after appliedAt", tr)
	}
	if !bg.Status.BakeStartedAt.Equal(tr.SettledAt) {
		t.Fatalf("bake starts %s, settled %s", bg.Status.BakeStartedAt, tr.SettledAt)
	}
	e.drive(r, "up", "a measurement", func() bool {
		a := e.bg("up").Status.PostSwitch
		return a != nil && len(a.MetricResults) > 0 && a.MetricResults[0].Count > 0
	})
	first := e.bg("up").Status.PostSwitch.MetricResults[0].Measurements[0]
	if first.StartedAt.Before(tr.SettledAt) {
		t.Fatalf("green judged at %s, before the switch propagated at %s", first.StartedAt, tr.SettledAt)
	}
}

func TestBlueGreenPreflightErrorsStopUnlessIgnored(t *testing.T) {
	for _, ignore := range []bool{false, true} {
		t.Run(map[bool]string{false: "stop", true: "ignored"}[ignore], func(t *testing.T) {
			e := newEnv(t, 2)
			e.create(newBlueGreen("up", func(s *v1alpha1.BlueGreenUpgradeSpec) { s.Preflight.IgnoreErrors = ignore }))
			r := &strategy.BlueGreenReconciler{Client: e.c, Clock: e.clk, Tools: e.tools}
			if !ignore {
				e.drive(r, "up", "Failed", phaseIs(e, "up", v1alpha1.BlueGreenFailed))
				bg := e.bg("up")
				for _, want := range []string{"2 errors", "legacy/ledger", "ignoreErrors"} {
					if !strings.Contains(bg.Status.Message, want) {
						t.Errorf("message %q does not say %q", bg.Status.Message, want)
					}
				}
				if len(e.clusters.created) != 0 || bg.Status.FailedPhase != v1alpha1.BlueGreenPreflight {
					t.Errorf("created %v, failed in %s", e.clusters.created, bg.Status.FailedPhase)
				}
				c := meta.FindStatusCondition(bg.Status.Conditions, v1alpha1.ConditionPreflightPassed)
				if c == nil || c.Status != metav1.ConditionFalse || c.Reason != "Blocked" {
					t.Errorf("PreflightPassed = %+v", c)
				}
				return
			}
			e.drive(r, "up", "Baking", phaseIs(e, "up", v1alpha1.BlueGreenBaking))
			c := meta.FindStatusCondition(e.bg("up").Status.Conditions, v1alpha1.ConditionPreflightPassed)
			if c == nil || c.Reason != "ErrorsIgnored" {
				t.Errorf("PreflightPassed = %+v", c)
			}
		})
	}
}

func TestBlueGreenRefusesWhatItCannotDo(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*v1alpha1.BlueGreenUpgradeSpec)
		want   string
		// byServer: the CRD's schema refuses it before any reconcile.
		byServer bool
	}{
		{"aks green for a local blue", func(s *v1alpha1.BlueGreenUpgradeSpec) { s.Green.Provider = v1alpha1.ProviderAKS }, "in the image of blue's AKS cluster", false},
		{"existing cluster", func(s *v1alpha1.BlueGreenUpgradeSpec) { s.Green.ClusterName = "blue" }, "blue's own cluster", false},
		{"bad bake", func(s *v1alpha1.BlueGreenUpgradeSpec) { s.BakeTime = "soon" }, "spec.bakeTime", true},
		{"unsupported version", func(s *v1alpha1.BlueGreenUpgradeSpec) { s.Green.KubernetesVersion = "1.20.0" }, "spec.green.kubernetesVersion", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, 0)
			if tc.byServer {
				bg := newBlueGreen("up", tc.mutate)
				bg.Namespace = e.ns
				if err := e.c.Create(context.Background(), bg); err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("create: %v, want a refusal naming %s", err, tc.want)
				}
				return
			}
			e.create(newBlueGreen("up", tc.mutate))
			r := &strategy.BlueGreenReconciler{Client: e.c, Clock: e.clk, Tools: e.tools}
			e.drive(r, "up", "Failed", phaseIs(e, "up", v1alpha1.BlueGreenFailed))
			if msg := e.bg("up").Status.Message; !strings.Contains(msg, tc.want) {
				t.Errorf("message %q does not name %q", msg, tc.want)
			}
		})
	}
}

func TestBlueGreenPersonRollsBackAfterPromotion(t *testing.T) {
	e := newEnv(t, 0)
	e.create(newBlueGreen("up", func(s *v1alpha1.BlueGreenUpgradeSpec) { s.PostSwitch = nil }))
	r := &strategy.BlueGreenReconciler{Client: e.c, Clock: e.clk, Tools: e.tools}
	e.drive(r, "up", "Promoted", phaseIs(e, "up", v1alpha1.BlueGreenPromoted))
	bg := e.bg("up")
	e.act(bg, func() { bg.Spec.Action = v1alpha1.ActionRollback })
	e.drive(r, "up", "RolledBack", phaseIs(e, "up", v1alpha1.BlueGreenRolledBack))
	if got := weightsOf(e.router.now()); got != "blue=100 green=0" {
		t.Fatalf("weights = %s", got)
	}
	// A second Rollback with no new generation does nothing more.
	before := len(e.router.calls)
	e.drive(r, "up", "a pass", func() bool { return true })
	if len(e.router.calls) != before {
		t.Fatalf("router called again")
	}
}
