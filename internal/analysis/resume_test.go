package analysis

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"upshift.dev/upshift/api/v1alpha1"
)

// resumeSpec has two metrics on different intervals, one with an initial
// delay, errors and a tolerated failure, so that a restart can fall between
// any two of their measurements.
func resumeSpec() v1alpha1.AnalysisSpec {
	errRate := scriptMetric("error-rate")
	errRate.Interval, errRate.Count, errRate.FailureLimit = "10s", ptr(int32(8)), 2
	latency := scriptMetric("latency")
	latency.InitialDelay, latency.Interval, latency.Count = "5s", "15s", ptr(int32(5))
	return v1alpha1.AnalysisSpec{Metrics: []v1alpha1.Metric{errRate, latency}, MeasurementRetention: ptr(int32(4))}
}

// newTimed builds an engine whose providers answer according to the time
// of the measurement, not to how many calls they had: what a real metric
// does, and what lets a fresh engine continue where another stopped.
func newTimed(t *testing.T, clock Clock) *Engine {
	t.Helper()
	steps := map[string]string{"error-rate": "SSFSESFSSSS", "latency": "SESSSS"}
	every := map[string]time.Duration{"error-rate": 10 * time.Second, "latency": 15 * time.Second}
	e, err := New(resumeSpec(), Options{Clock: clock, NewProvider: func(m v1alpha1.Metric) (Provider, error) {
		s, d := steps[m.Name], every[m.Name]
		return ProviderFunc(func(_ context.Context, now time.Time) (Value, error) {
			k := int(now.Sub(t0()) / d)
			return scriptValue(s[min(k, len(s)-1)])
		}), nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// throughAPIServer copies a status the way a controller sees it after a
// restart: written as JSON, read back.
func throughAPIServer(t *testing.T, st v1alpha1.AnalysisStatus) v1alpha1.AnalysisStatus {
	t.Helper()
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var out v1alpha1.AnalysisStatus
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestResumeEqualsUninterruptedRun(t *testing.T) {
	clock := newFakeClock()
	var want v1alpha1.AnalysisStatus
	passes := runToEnd(t, newTimed(t, clock), &want, clock, 100)
	if want.Phase != v1alpha1.AnalysisPhaseSuccessful {
		t.Fatalf("uninterrupted run: %s: %s", want.Phase, want.Message)
	}
	wantJSON := mustJSON(t, want)
	t.Logf("uninterrupted: %d passes: %s", passes, want.Message)

	// Kill the "controller" after each pass in turn, restart it with a
	// fresh engine, the status read back, and a clock that moved on while
	// it was down (but not past the next due measurement).
	for kill := 1; kill < passes; kill++ {
		clock := newFakeClock()
		e := newTimed(t, clock)
		var st v1alpha1.AnalysisStatus
		var res Result
		for range kill {
			var err error
			if res, err = e.Reconcile(context.Background(), &st, clock.Now()); err != nil {
				t.Fatal(err)
			}
			clock.Step(res.RequeueAfter)
		}
		clock.Step(-res.RequeueAfter / 2) // down for half of the wait

		restarted := newFakeClock()
		restarted.t = clock.Now()
		resumed := throughAPIServer(t, st)
		runToEnd(t, newTimed(t, restarted), &resumed, restarted, 100)
		if got := mustJSON(t, resumed); got != wantJSON {
			t.Fatalf("killed after pass %d: resumed status differs\n got: %s\nwant: %s", kill, got, wantJSON)
		}
	}
}

func TestResumeAfterLongOutage(t *testing.T) {
	clock := newFakeClock()
	e := newTimed(t, clock)
	var st v1alpha1.AnalysisStatus
	for range 3 {
		res, err := e.Reconcile(context.Background(), &st, clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		clock.Step(res.RequeueAfter)
	}
	before := throughAPIServer(t, st)
	// Down for a minute: several intervals are missed. The overdue
	// measurements are taken at once, one per metric, not one per missed
	// interval, and count still ends exactly at count.
	clock.Step(time.Minute)
	resumed := throughAPIServer(t, before)
	res, err := newTimed(t, clock).Reconcile(context.Background(), &resumed, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Measurements) != 2 {
		t.Fatalf("took %d measurements after the outage, want one per metric", len(res.Measurements))
	}
	runToEnd(t, newTimed(t, clock), &resumed, clock, 100)
	for i, r := range resumed.MetricResults {
		if want := *resumeSpec().Metrics[i].Count; r.Count != want {
			t.Errorf("%s: count %d, want exactly %d", r.Name, r.Count, want)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
