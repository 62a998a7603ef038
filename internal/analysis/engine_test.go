package analysis

import (
	"context"
	"strings"
	"testing"
	"time"

	"upshift.dev/upshift/api/v1alpha1"
)

func TestMetricLimits(t *testing.T) {
	type counts struct{ count, successful, failed, inconclusive, errors int32 }
	tests := []struct {
		name   string
		metric func(*v1alpha1.Metric)
		steps  string
		want   v1alpha1.AnalysisPhase
		counts counts
	}{
		{"count reached", withCount(3), "SSS", v1alpha1.AnalysisPhaseSuccessful, counts{3, 3, 0, 0, 0}},
		{"one failure over failureLimit 0", withCount(3), "SF", v1alpha1.AnalysisPhaseFailed, counts{2, 1, 1, 0, 0}},
		{"failure within failureLimit 1", withLimits(3, 1, 0), "SFS", v1alpha1.AnalysisPhaseSuccessful, counts{3, 2, 1, 0, 0}},
		{"failures over failureLimit 1", withLimits(5, 1, 0), "SFF", v1alpha1.AnalysisPhaseFailed, counts{3, 1, 2, 0, 0}},
		{"inconclusive over inconclusiveLimit 0", withCount(3), "I", v1alpha1.AnalysisPhaseInconclusive, counts{1, 0, 0, 1, 0}},
		{"inconclusive within inconclusiveLimit 1", withLimits(3, 0, 1), "ISS", v1alpha1.AnalysisPhaseSuccessful, counts{3, 2, 0, 1, 0}},
		{"inconclusive over inconclusiveLimit 1", withLimits(3, 0, 1), "II", v1alpha1.AnalysisPhaseInconclusive, counts{2, 0, 0, 2, 0}},
		{"5 errors over default consecutiveErrorLimit 4", withCount(3), "EEEEE", v1alpha1.AnalysisPhaseError, counts{0, 0, 0, 0, 5}},
		{"errors are reset by a measurement", withCount(2), "EEEESEEEES", v1alpha1.AnalysisPhaseSuccessful, counts{2, 2, 0, 0, 8}},
		{"errors do not count toward count", withCount(2), "ESES", v1alpha1.AnalysisPhaseSuccessful, counts{2, 2, 0, 0, 2}},
		{"consecutiveErrorLimit 0", func(m *v1alpha1.Metric) {
			withCount(3)(m)
			m.ConsecutiveErrorLimit = ptr(int32(0))
		}, "E", v1alpha1.AnalysisPhaseError, counts{0, 0, 0, 0, 1}},
		{"no count, no interval: one measurement", func(m *v1alpha1.Metric) {}, "S", v1alpha1.AnalysisPhaseSuccessful, counts{1, 1, 0, 0, 0}},
		{"no count, no interval, retried after an error", func(m *v1alpha1.Metric) {}, "ES", v1alpha1.AnalysisPhaseSuccessful, counts{1, 1, 0, 0, 1}},
		{"failed is checked before count", withLimits(2, 0, 0), "SF", v1alpha1.AnalysisPhaseFailed, counts{2, 1, 1, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := scriptMetric("m")
			tt.metric(&m)
			clock := newFakeClock()
			e := newScripted(t, v1alpha1.AnalysisSpec{Metrics: []v1alpha1.Metric{m}}, clock, map[string]string{"m": tt.steps})
			var st v1alpha1.AnalysisStatus
			passes := runToEnd(t, e, &st, clock, 50)
			r := st.MetricResults[0]
			if st.Phase != tt.want || r.Phase != tt.want {
				t.Fatalf("phase: analysis %s, metric %s (%s); want %s", st.Phase, r.Phase, r.Message, tt.want)
			}
			got := counts{r.Count, r.Successful, r.Failed, r.Inconclusive, r.Error}
			if got != tt.counts {
				t.Errorf("counters %+v, want %+v", got, tt.counts)
			}
			if passes != len(tt.steps) {
				t.Errorf("took %d passes for %d scripted measurements", passes, len(tt.steps))
			}
		})
	}
}

func TestIndefiniteMetricRunsUntilTerminated(t *testing.T) {
	m := scriptMetric("bake")
	m.Interval = "30s"
	clock := newFakeClock()
	e := newScripted(t, v1alpha1.AnalysisSpec{Metrics: []v1alpha1.Metric{m}}, clock, map[string]string{"bake": "S"})
	var st v1alpha1.AnalysisStatus
	if passes := runToEnd(t, e, &st, clock, 20); passes != 20 || st.Phase != v1alpha1.AnalysisPhaseRunning {
		t.Fatalf("after %d passes phase %s; want still Running after 20", passes, st.Phase)
	}
	e.Terminate(&st, clock.Now(), "bake time over")
	r := st.MetricResults[0]
	if st.Phase != v1alpha1.AnalysisPhaseSuccessful || !st.Terminated || r.Count != 20 {
		t.Fatalf("after Terminate: phase %s terminated %v count %d", st.Phase, st.Terminated, r.Count)
	}
	if !strings.HasPrefix(st.Message, "terminated: bake time over") {
		t.Errorf("message %q does not say it was terminated", st.Message)
	}
	if len(r.Measurements) != DefaultMeasurementRetention {
		t.Errorf("kept %d measurements, want the retention %d", len(r.Measurements), DefaultMeasurementRetention)
	}
	// A finished analysis measures nothing more.
	res, _ := e.Reconcile(context.Background(), &st, clock.Now().Add(time.Hour))
	if !res.Done || len(res.Measurements) != 0 {
		t.Errorf("Reconcile after the verdict measured %d", len(res.Measurements))
	}
}

func TestTerminateBeforeFirstMeasurement(t *testing.T) {
	m := scriptMetric("late")
	m.InitialDelay, m.Interval = "5m", "1m"
	clock := newFakeClock()
	e := newScripted(t, v1alpha1.AnalysisSpec{Metrics: []v1alpha1.Metric{m}}, clock, map[string]string{"late": "F"})
	var st v1alpha1.AnalysisStatus
	res, _ := e.Reconcile(context.Background(), &st, clock.Now())
	if st.Phase != v1alpha1.AnalysisPhasePending || res.RequeueAfter != 5*time.Minute {
		t.Fatalf("phase %s requeue %s; want Pending for 5m", st.Phase, res.RequeueAfter)
	}
	e.Terminate(&st, clock.Now(), "")
	if st.Phase != v1alpha1.AnalysisPhaseSuccessful || !st.Terminated || st.MetricResults[0].Count != 0 {
		t.Fatalf("phase %s terminated %v: %s", st.Phase, st.Terminated, st.Message)
	}
}

func TestAnalysisPhasePrecedence(t *testing.T) {
	// Two metrics measured in the same pass; the analysis takes the worst.
	tests := []struct {
		a, b string
		want v1alpha1.AnalysisPhase
	}{
		{"S", "S", v1alpha1.AnalysisPhaseSuccessful},
		{"S", "I", v1alpha1.AnalysisPhaseInconclusive},
		{"I", "E", v1alpha1.AnalysisPhaseError},
		{"E", "F", v1alpha1.AnalysisPhaseFailed},
		{"F", "I", v1alpha1.AnalysisPhaseFailed},
		{"I", "S", v1alpha1.AnalysisPhaseInconclusive},
	}
	for _, tt := range tests {
		t.Run(tt.a+tt.b, func(t *testing.T) {
			a, b := scriptMetric("a"), scriptMetric("b")
			for _, m := range []*v1alpha1.Metric{&a, &b} {
				m.ConsecutiveErrorLimit = ptr(int32(0))
			}
			clock := newFakeClock()
			e := newScripted(t, v1alpha1.AnalysisSpec{Metrics: []v1alpha1.Metric{a, b}}, clock, map[string]string{"a": tt.a, "b": tt.b})
			var st v1alpha1.AnalysisStatus
			if passes := runToEnd(t, e, &st, clock, 5); passes != 1 {
				t.Fatalf("took %d passes", passes)
			}
			if st.Phase != tt.want {
				t.Fatalf("phase %s (%s), want %s", st.Phase, st.Message, tt.want)
			}
		})
	}
	if got := Worst(v1alpha1.AnalysisPhaseRunning, v1alpha1.AnalysisPhasePending); got != v1alpha1.AnalysisPhasePending {
		t.Errorf("Worst(Running, Pending) = %s", got)
	}
}

func TestFailedMetricStopsTheOthers(t *testing.T) {
	errRate := scriptMetric("error-rate")
	errRate.Interval, errRate.Count = "10s", ptr(int32(10))
	latency := scriptMetric("latency")
	latency.Interval = "10s"
	clock := newFakeClock()
	e := newScripted(t, v1alpha1.AnalysisSpec{Metrics: []v1alpha1.Metric{errRate, latency}}, clock,
		map[string]string{"error-rate": "SSF", "latency": "S"})
	var st v1alpha1.AnalysisStatus
	if passes := runToEnd(t, e, &st, clock, 20); passes != 3 {
		t.Fatalf("took %d passes, want 3 (stop at the first Failed)", passes)
	}
	if st.Phase != v1alpha1.AnalysisPhaseFailed || !strings.Contains(st.Message, `metric "error-rate" Failed`) {
		t.Fatalf("phase %s message %q", st.Phase, st.Message)
	}
	lat := st.MetricResults[1]
	if lat.Phase != v1alpha1.AnalysisPhaseSuccessful || lat.Count != 3 || !strings.Contains(lat.Message, `"error-rate" became Failed`) {
		t.Errorf("latency: %s after %d: %s", lat.Phase, lat.Count, lat.Message)
	}
	if st.Terminated {
		t.Errorf("a verdict reached on its own is not Terminated")
	}
}

func TestSchedule(t *testing.T) {
	m := scriptMetric("m")
	m.InitialDelay, m.Interval, m.Count = "1m", "30s", ptr(int32(3))
	clock := newFakeClock()
	e := newScripted(t, v1alpha1.AnalysisSpec{Metrics: []v1alpha1.Metric{m}}, clock, map[string]string{"m": "SES"})
	var st v1alpha1.AnalysisStatus
	var at []time.Duration
	for range 10 {
		res, err := e.Reconcile(context.Background(), &st, clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Measurements) > 0 {
			at = append(at, clock.Now().Sub(t0()))
		}
		if res.Done {
			break
		}
		// Early calls must not measure early.
		res2, _ := e.Reconcile(context.Background(), &st, clock.Now().Add(res.RequeueAfter-time.Second))
		if len(res2.Measurements) > 0 {
			t.Fatalf("measured a second before it was due")
		}
		clock.Step(res.RequeueAfter)
	}
	want := []time.Duration{60 * time.Second, 90 * time.Second, 120 * time.Second, 150 * time.Second}
	if !equalDurations(at, want) {
		t.Fatalf("measured at %v, want %v (initialDelay, then interval after each, errors included)", at, want)
	}
	if r := st.MetricResults[0]; st.Phase != v1alpha1.AnalysisPhaseSuccessful || r.Count != 3 || r.Error != 1 {
		t.Fatalf("phase %s count %d errors %d", st.Phase, r.Count, r.Error)
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRetentionKeepsCountersExact(t *testing.T) {
	m := scriptMetric("m")
	m.Interval, m.Count = "1s", ptr(int32(25))
	clock := newFakeClock()
	spec := v1alpha1.AnalysisSpec{Metrics: []v1alpha1.Metric{m}, MeasurementRetention: ptr(int32(3))}
	e := newScripted(t, spec, clock, map[string]string{"m": "S"})
	var st v1alpha1.AnalysisStatus
	runToEnd(t, e, &st, clock, 100)
	r := st.MetricResults[0]
	if r.Count != 25 || r.Successful != 25 || len(r.Measurements) != 3 {
		t.Fatalf("count %d successful %d measurements %d", r.Count, r.Successful, len(r.Measurements))
	}
	if last := r.Measurements[2].StartedAt.Time; !last.Equal(t0().Add(24 * time.Second)) {
		t.Errorf("kept measurements are not the latest: last started %s", last)
	}
}

func TestCancelledMeasurementIsNotRecorded(t *testing.T) {
	m := scriptMetric("m")
	block := make(chan struct{})
	e, err := New(v1alpha1.AnalysisSpec{Metrics: []v1alpha1.Metric{m}}, Options{NewProvider: func(v1alpha1.Metric) (Provider, error) {
		return ProviderFunc(func(ctx context.Context, _ time.Time) (Value, error) {
			select {
			case <-ctx.Done():
				return Value{}, ctx.Err()
			case <-block:
				return Value{Result: []float64{0.5}}, nil
			}
		}), nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var st v1alpha1.AnalysisStatus
	if _, err := e.Reconcile(ctx, &st, t0()); err == nil {
		t.Fatal("Reconcile with a cancelled context returned no error")
	}
	if r := st.MetricResults[0]; r.Error != 0 || len(r.Measurements) != 0 {
		t.Fatalf("an interrupted measurement was recorded: %+v", r)
	}
	close(block)
	res, err := e.Reconcile(context.Background(), &st, t0().Add(time.Second))
	if err != nil || !res.Done || st.Phase != v1alpha1.AnalysisPhaseSuccessful {
		t.Fatalf("retry: err %v phase %s", err, st.Phase)
	}
}

func TestRunWithDuration(t *testing.T) {
	m := scriptMetric("bake")
	m.Interval = "1m"
	clock := newFakeClock()
	e := newScripted(t, v1alpha1.AnalysisSpec{Metrics: []v1alpha1.Metric{m}}, clock, map[string]string{"bake": "S"})
	var st v1alpha1.AnalysisStatus
	updates := 0
	err := e.Run(context.Background(), &st, RunOptions{Clock: clock, Duration: 5 * time.Minute, OnUpdate: func(*v1alpha1.AnalysisStatus, Result) { updates++ }})
	if err != nil {
		t.Fatal(err)
	}
	r := st.MetricResults[0]
	if st.Phase != v1alpha1.AnalysisPhaseSuccessful || !st.Terminated || r.Count != 5 {
		t.Fatalf("phase %s terminated %v count %d: %s", st.Phase, st.Terminated, r.Count, st.Message)
	}
	if got := clock.Now().Sub(t0()); got != 5*time.Minute || updates != 6 {
		t.Errorf("ran for %s with %d updates, want 5m and 6", got, updates)
	}
}

func withCount(n int32) func(*v1alpha1.Metric) {
	return withLimits(n, 0, 0)
}

func withLimits(count, failure, inconclusive int32) func(*v1alpha1.Metric) {
	return func(m *v1alpha1.Metric) {
		m.Count, m.Interval = ptr(count), "10s"
		m.FailureLimit, m.InconclusiveLimit = failure, inconclusive
	}
}
