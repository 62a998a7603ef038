package strategy_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/traffic"
	"upshift.dev/upshift/internal/traffic/local"
	"upshift.dev/upshift/internal/traffic/local/loadgen"
)

// analysisInterval is the error-rate metric's interval in these tests; the
// rollback bound is stated in it.
const analysisInterval = 2 * time.Second

// TestCanaryIntake takes 1.37.2 in with canary clusters next to a 1.36.3
// stable one, under load: a healthy canary goes 20/50/100 and is promoted;
// one whose app fails 20% of requests is aborted within one analysis
// interval plus a second of its error rate crossing the threshold, with all
// traffic back on stable; and a controller killed with SIGKILL during a
// bake resumes the same step with its measurements.
func TestCanaryIntake(t *testing.T) {
	w := startWorld(t, "stable", false, "canary-a", "canary-b", "canary-c")
	stop := w.runController()
	t.Run("healthy canary promotes", func(t *testing.T) { testHealthyCanary(t, w) })
	t.Run("failing canary aborts", func(t *testing.T) { testFailingCanary(t, w) })
	stop()
	t.Run("kill -9 during a bake", func(t *testing.T) { testCanaryKill9(t, w) })
}

func newIntake(name, canary string, steps []v1alpha1.CanaryStep, bake string, an *v1alpha1.AnalysisSpec) *v1alpha1.CanaryIntake {
	return &v1alpha1.CanaryIntake{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: worldNS},
		Spec: v1alpha1.CanaryIntakeSpec{
			StableMember: "stable",
			Canary:       v1alpha1.NewClusterSpec{ClusterName: canary, KubernetesVersion: newVersion},
			Manifests:    v1alpha1.ManifestBundle{ConfigMap: "shop"},
			Steps:        steps, Bake: v1alpha1.Duration(bake), Analysis: an,
		},
	}
}

func canaryIn(phases ...string) func(*v1alpha1.CanaryIntake) bool {
	return func(ci *v1alpha1.CanaryIntake) bool {
		for _, p := range phases {
			if ci.Status.Phase == p {
				return true
			}
		}
		return false
	}
}

// reset puts all traffic back on the serving cluster between subtests and
// deletes the canary the last one left.
func (w *world) reset(canary string) {
	w.t.Helper()
	if err := w.dp.Gateway().SetWeights(context.Background(), traffic.Weights{w.serving: 100}); err != nil {
		w.t.Fatal(err)
	}
	w.down(canary)
}

func testHealthyCanary(t *testing.T, w *world) {
	defer w.reset("canary-a")
	stopLoad := w.load(100)
	ci := newIntake("healthy", "canary-a", nil, "6s", ingressErrorRate(w.prom.URL(), "canary-a", analysisInterval.String()))
	w.mustCreate(ci)
	ci = waitFor(w, ci, 5*time.Minute, "Promoted", canaryIn(v1alpha1.CanaryPromoted, v1alpha1.CanaryAborted, v1alpha1.CanaryFailed, v1alpha1.CanaryPaused))
	res := stopLoad()
	if ci.Status.Phase != v1alpha1.CanaryPromoted {
		t.Fatalf("phase %s: %s", ci.Status.Phase, ci.Status.Message)
	}
	for i, s := range ci.Status.Steps {
		ok := int32(0)
		if s.Analysis != nil && len(s.Analysis.MetricResults) > 0 {
			ok = s.Analysis.MetricResults[0].Successful
		}
		t.Logf("step %d: %d%% %s from %s to %s, %d successful measurements", i+1, s.Weight, s.Phase, s.StartedAt.Format(time.TimeOnly), s.FinishedAt.Format(time.TimeOnly), ok)
		if s.Phase != v1alpha1.StepSuccessful || ok == 0 {
			t.Errorf("step %d: %s with %d successful measurements", i+1, s.Phase, ok)
		}
	}
	if got := w.dp.Gateway().Weights()["canary-a"]; got != 100 {
		t.Errorf("canary-a has %d%% after the promotion", got)
	}
	sum := loadgen.Summarize(res.Samples, res.Elapsed)
	t.Logf("load: %s", sum)
	if sum.Failed > 0 {
		t.Errorf("%d requests failed during a healthy canary: %v", sum.Failed, sum.Codes)
	}
	if sum.Clusters["canary-a"] == 0 || sum.Clusters["stable"] == 0 {
		t.Errorf("answers by cluster %v: both should have served", sum.Clusters)
	}
	promoted := res.Offset(ci.Status.PromotedAt.Add(time.Second))
	for _, s := range res.Window(promoted, res.Elapsed) {
		if s.Cluster != "canary-a" {
			t.Fatalf("a request sent %s after the promotion was answered by %q", s.Start-promoted+time.Second, s.Cluster)
		}
	}
}

func testFailingCanary(t *testing.T, w *world) {
	defer w.reset("canary-b")
	stopLoad := w.load(100)
	steps := []v1alpha1.CanaryStep{{Weight: 20, Bake: "5m"}, {Weight: 50}, {Weight: 100}}
	ci := newIntake("faulty", "canary-b", steps, "30s", ingressErrorRate(w.prom.URL(), "canary-b", analysisInterval.String()))
	w.mustCreate(ci)
	ci = waitFor(w, ci, 5*time.Minute, "step 1 baking with 2 good measurements", func(ci *v1alpha1.CanaryIntake) bool {
		if ci.Status.Phase != v1alpha1.CanaryProgressing || len(ci.Status.Steps) == 0 {
			return canaryIn(v1alpha1.CanaryAborted, v1alpha1.CanaryFailed, v1alpha1.CanaryPaused)(ci)
		}
		a := ci.Status.Steps[0].Analysis
		return a != nil && len(a.MetricResults) > 0 && a.MetricResults[0].Successful >= 2
	})
	if ci.Status.Phase != v1alpha1.CanaryProgressing {
		t.Fatalf("phase %s before the fault: %s", ci.Status.Phase, ci.Status.Message)
	}
	injected := time.Now()
	w.annotate("canary-b", local.AnnotationFailPercent, "20")
	ci = waitFor(w, ci, time.Minute, "Aborted", canaryIn(v1alpha1.CanaryAborted, v1alpha1.CanaryFailed, v1alpha1.CanaryPromoted))
	time.Sleep(2 * time.Second) // load after the rollback, to see where it goes
	res := stopLoad()
	if ci.Status.Phase != v1alpha1.CanaryAborted || ci.Status.Steps[0].Phase != v1alpha1.StepFailed {
		t.Fatalf("phase %s, step 1 %s: %s", ci.Status.Phase, ci.Status.Steps[0].Phase, ci.Status.Message)
	}
	t.Logf("abort reason: %s", ci.Status.AbortReason)

	crossed := crossing(t, w, "canary-b", injected.Add(-time.Second), time.Now())
	last, ok := lastAnsweredBy(res, "canary-b")
	if !ok {
		t.Fatal("canary-b never answered")
	}
	latency := last.Sub(crossed)
	t.Logf("fault injected %s; error rate crossed 5%% in Prometheus %s later; last request to canary-b sent %s after the crossing (bound: interval %s + 1s = %s); abort decided %s, router done %s (whole seconds)",
		injected.Format("15:04:05.000"), crossed.Sub(injected).Round(time.Millisecond), latency.Round(time.Millisecond), analysisInterval,
		analysisInterval+time.Second, ci.Status.AbortStartedAt.Format(time.TimeOnly), ci.Status.AbortedAt.Format(time.TimeOnly))
	logMeasurements(t, ci.Status.Steps[0].Analysis)
	if latency > analysisInterval+time.Second {
		t.Errorf("rolled back %s after the error rate crossed the threshold, more than one analysis interval (%s) plus a second", latency, analysisInterval)
	}
	if got := w.dp.Gateway().Weights(); got["stable"] != 100 || got["canary-b"] != 0 {
		t.Errorf("gateway weights after the abort: %v", got)
	}
	after := res.Offset(last) + time.Millisecond
	tail := loadgen.Summarize(res.Window(after, res.Elapsed), res.Elapsed-after)
	t.Logf("after the rollback: %s", tail)
	if tail.Failed > 0 || tail.Clusters["stable"] != tail.Requests || tail.Requests == 0 {
		t.Errorf("after the rollback not every request was answered by stable: %s", tail)
	}
}

// crossing is when the canary's error rate, as the analysis queries it,
// first reached 5%: the expression evaluated every 50ms over the window.
func crossing(t *testing.T, w *world, cluster string, from, to time.Time) time.Time {
	t.Helper()
	q := ingressErrorRate(w.prom.URL(), cluster, "1s").Metrics[0].Provider.Prometheus.Query
	v, _, _, err := w.prom.API().QueryRange(context.Background(), q, promv1.Range{Start: from, End: to, Step: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	m, ok := v.(model.Matrix)
	if !ok || len(m) == 0 {
		t.Fatalf("range query gave %v", v)
	}
	for _, p := range m[0].Values {
		if float64(p.Value) >= 0.05 {
			return p.Timestamp.Time()
		}
	}
	t.Fatalf("the error rate of %s never reached 5%%: %v", cluster, m)
	return time.Time{}
}

// lastAnsweredBy is when the last request the cluster answered was sent.
func lastAnsweredBy(res *loadgen.Result, cluster string) (time.Time, bool) {
	d, ok := res.LastOn(cluster)
	return res.Start.Add(d), ok
}

func logMeasurements(t *testing.T, a *v1alpha1.AnalysisStatus) {
	if a == nil || len(a.MetricResults) == 0 {
		return
	}
	var lines []string
	for _, m := range a.MetricResults[0].Measurements {
		lines = append(lines, fmt.Sprintf("%s %s %s", m.StartedAt.Format(time.TimeOnly), m.Phase, m.Value))
	}
	t.Logf("measurements: %s", strings.Join(lines, "; "))
}
