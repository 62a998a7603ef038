package strategy_test

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/strategy"
)

func newCanary(name string, mutate func(*v1alpha1.CanaryIntakeSpec)) *v1alpha1.CanaryIntake {
	ci := &v1alpha1.CanaryIntake{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.CanaryIntakeSpec{
			StableMember: "blue",
			Canary:       v1alpha1.NewClusterSpec{ClusterName: "canary", KubernetesVersion: "1.37.2"},
			Manifests:    v1alpha1.ManifestBundle{ConfigMap: "shop"},
			Bake:         "1m",
			Analysis:     errorRate(nil),
		},
	}
	if mutate != nil {
		mutate(&ci.Spec)
	}
	return ci
}

func canaryPhase(e *env, name, phase string) func() bool {
	return func() bool { return e.ci(name).Status.Phase == phase }
}

func TestCanaryGoesTwentyFiftyHundredAndPromotes(t *testing.T) {
	e := newEnv(t, 0)
	e.create(newCanary("in", nil))
	r := &strategy.CanaryReconciler{Client: e.c, Clock: e.clk, Tools: e.tools}
	e.drive(r, "in", "Promoted", canaryPhase(e, "in", v1alpha1.CanaryPromoted))
	ci := e.ci("in")
	var seen []string
	for _, w := range e.router.calls {
		seen = append(seen, w.String())
	}
	if got := strings.Join(seen, ", "); got != "blue=80 canary=20, blue=50 canary=50, blue=0 canary=100" {
		t.Fatalf("router calls: %s", got)
	}
	for i, s := range ci.Status.Steps {
		if s.Phase != v1alpha1.StepSuccessful || s.FinishedAt.Sub(s.StartedAt.Time) < time.Minute {
			t.Errorf("step %d: %s after %s", i, s.Phase, s.FinishedAt.Sub(s.StartedAt.Time))
		}
		if s.Analysis == nil || s.Analysis.MetricResults[0].Count < 6 {
			t.Errorf("step %d analysis %+v", i, s.Analysis)
		}
	}
}

func TestCanaryFailedAnalysisAbortsToStable(t *testing.T) {
	e := newEnv(t, 0)
	e.create(newCanary("in", nil))
	r := &strategy.CanaryReconciler{Client: e.c, Clock: e.clk, Tools: e.tools}
	e.drive(r, "in", "step 2 baking", func() bool {
		ci := e.ci("in")
		return ci.Status.CurrentStep == 1 && ci.Status.Steps[1].Phase == v1alpha1.StepBaking
	})
	e.metric.set(0.2, false)
	e.drive(r, "in", "Aborted", canaryPhase(e, "in", v1alpha1.CanaryAborted))
	ci := e.ci("in")
	if got := weightsOf(e.router.now()); got != "blue=100 canary=0" {
		t.Fatalf("weights after abort = %s", got)
	}
	if ci.Status.Steps[1].Phase != v1alpha1.StepFailed || ci.Status.Steps[2].Phase != v1alpha1.StepPending {
		t.Fatalf("steps %+v", ci.Status.Steps)
	}
	if !strings.Contains(ci.Status.Message, "kept for inspection") || !strings.Contains(ci.Status.AbortReason, "step 2 (50%)") {
		t.Errorf("message %q, reason %q", ci.Status.Message, ci.Status.AbortReason)
	}
}

func TestCanaryKeepsStableForRetainStableForThenDeletesIt(t *testing.T) {
	e := newEnv(t, 0)
	e.create(newCanary("in", func(s *v1alpha1.CanaryIntakeSpec) { s.RetainStableFor = "1h" }))
	r := &strategy.CanaryReconciler{Client: e.c, Clock: e.clk, Tools: e.tools}
	e.drive(r, "in", "Promoted", canaryPhase(e, "in", v1alpha1.CanaryPromoted))
	if got := e.clusters.deletedNames(); len(got) != 0 {
		t.Fatalf("deleted %v at the promotion", got)
	}
	if msg := e.ci("in").Status.Message; !strings.Contains(msg, "retainStableFor 1h") || !strings.Contains(msg, "upshift canary finish in") {
		t.Errorf("message %q", msg)
	}
	e.drive(r, "in", "Finished", canaryPhase(e, "in", v1alpha1.CanaryFinished))
	ci := e.ci("in")
	if got := e.clusters.deletedNames(); len(got) != 1 || got[0] != "blue" {
		t.Fatalf("deleted %v, want the stable cluster blue", got)
	}
	if held := ci.Status.FinishedAt.Sub(ci.Status.PromotedAt.Time); held < time.Hour {
		t.Errorf("stable deleted %s after the promotion, want at least 1h", held)
	}
	if !strings.Contains(ci.Status.Message, "cluster blue deleted") || ci.Status.Stable.DeletedAt == nil {
		t.Errorf("message %q, stable %+v", ci.Status.Message, ci.Status.Stable)
	}
}

func TestCanaryFinishAfterAnAbortDeletesTheCanary(t *testing.T) {
	e := newEnv(t, 0)
	e.create(newCanary("in", nil))
	r := &strategy.CanaryReconciler{Client: e.c, Clock: e.clk, Tools: e.tools}
	e.drive(r, "in", "step 1 baking", func() bool { return e.ci("in").Status.Steps[0].Phase == v1alpha1.StepBaking })
	e.metric.set(0.5, false)
	e.drive(r, "in", "Aborted", canaryPhase(e, "in", v1alpha1.CanaryAborted))
	if msg := e.ci("in").Status.Message; !strings.Contains(msg, "'upshift canary finish in' deletes it") {
		t.Errorf("message %q does not say how to delete the canary", msg)
	}
	e.clk.Step(24 * time.Hour)
	e.drive(r, "in", "a pass", func() bool { return true })
	if got := e.clusters.deletedNames(); len(got) != 0 {
		t.Fatalf("deleted %v without a finish", got)
	}
	ci := e.ci("in")
	e.act(ci, func() { ci.Spec.Action = v1alpha1.ActionFinish })
	e.drive(r, "in", "Finished", canaryPhase(e, "in", v1alpha1.CanaryFinished))
	if got := e.clusters.deletedNames(); len(got) != 1 || got[0] != "canary" {
		t.Fatalf("deleted %v, want the canary", got)
	}
	// Finished is final: abort has nothing to do.
	ci = e.ci("in")
	e.act(ci, func() { ci.Spec.Action = v1alpha1.ActionAbort })
	e.drive(r, "in", "a pass", func() bool { return true })
	if ci := e.ci("in"); ci.Status.Phase != v1alpha1.CanaryFinished || !strings.Contains(ci.Status.Message, "cluster canary deleted") {
		t.Errorf("after an abort of a finished intake: %s, %q", ci.Status.Phase, ci.Status.Message)
	}
}

func TestCanaryInconclusivePausesForAPerson(t *testing.T) {
	for _, decision := range []string{v1alpha1.ActionPromote, v1alpha1.ActionAbort} {
		t.Run(decision, func(t *testing.T) {
			e := newEnv(t, 0)
			e.create(newCanary("in", nil))
			r := &strategy.CanaryReconciler{Client: e.c, Clock: e.clk, Tools: e.tools}
			e.drive(r, "in", "step 1 baking", func() bool { return e.ci("in").Status.Steps[0].Phase == v1alpha1.StepBaking })
			e.metric.set(0, true) // no data: Inconclusive
			e.drive(r, "in", "Paused", canaryPhase(e, "in", v1alpha1.CanaryPaused))
			ci := e.ci("in")
			if !strings.Contains(ci.Status.Message, "upshift canary promote in") {
				t.Errorf("message %q does not say how to go on", ci.Status.Message)
			}
			// Nothing moves while paused, however long it waits.
			calls := len(e.router.calls)
			e.clk.Step(time.Hour)
			e.drive(r, "in", "a pass", func() bool { return true })
			if e.ci("in").Status.Phase != v1alpha1.CanaryPaused || len(e.router.calls) != calls {
				t.Fatalf("moved while paused")
			}
			e.metric.set(0, false)
			ci = e.ci("in")
			e.act(ci, func() { ci.Spec.Action = decision })
			if decision == v1alpha1.ActionAbort {
				e.drive(r, "in", "Aborted", canaryPhase(e, "in", v1alpha1.CanaryAborted))
				return
			}
			e.drive(r, "in", "Promoted", canaryPhase(e, "in", v1alpha1.CanaryPromoted))
			if s := e.ci("in").Status.Steps; s[0].Phase != v1alpha1.StepPromoted || s[1].Phase != v1alpha1.StepSuccessful {
				t.Fatalf("steps %+v", s)
			}
		})
	}
}

func TestCanaryRefusesDNSRouterAndBadSteps(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*v1alpha1.CanaryIntakeSpec)
		want   string
	}{
		{"dns", func(s *v1alpha1.CanaryIntakeSpec) {
			s.Traffic = v1alpha1.TrafficSpec{Router: v1alpha1.RouterAzureDNS, DNS: &v1alpha1.DNSRouter{
				Subscription: "sub", ResourceGroup: "rg", Zone: "example.com", RecordSet: "shop",
				Targets: []v1alpha1.DNSTarget{{Backend: "blue", Host: "blue.example.com"}, {Backend: "canary", Host: "canary.example.com"}}}}
		}, "use azure-traffic-manager"},
		{"falling", func(s *v1alpha1.CanaryIntakeSpec) {
			s.Steps = []v1alpha1.CanaryStep{{Weight: 50}, {Weight: 20}, {Weight: 100}}
		}, "spec.steps[1].weight"},
		{"no 100", func(s *v1alpha1.CanaryIntakeSpec) { s.Steps = []v1alpha1.CanaryStep{{Weight: 50}} }, "add a step with weight 100"},
		{"aks canary for a local stable", func(s *v1alpha1.CanaryIntakeSpec) { s.Canary.Provider = v1alpha1.ProviderAKS }, "in the image of stable's AKS cluster"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, 0)
			e.create(newCanary("in", tc.mutate))
			r := &strategy.CanaryReconciler{Client: e.c, Clock: e.clk, Tools: e.tools}
			e.drive(r, "in", "Failed", canaryPhase(e, "in", v1alpha1.CanaryFailed))
			if msg := e.ci("in").Status.Message; !strings.Contains(msg, tc.want) {
				t.Errorf("message %q does not say %q", msg, tc.want)
			}
		})
	}
}
