package analysis

import (
	"context"
	"fmt"
	"testing"
	"time"

	"upshift.dev/upshift/api/v1alpha1"
)

// BenchmarkReconcile measures the engine itself: a provider that answers at
// once, metrics that never end (no count), and a fake clock moved by the
// interval each pass, so every pass takes one measurement per metric,
// judges it with a compiled condition, records it (trimming the history)
// and reschedules. It reports measurements per second.
//
//	go test ./internal/analysis/ -run '^$' -bench BenchmarkReconcile -benchmem
func BenchmarkReconcile(b *testing.B) {
	for _, n := range []int{1, 10} {
		b.Run(fmt.Sprintf("metrics=%d", n), func(b *testing.B) {
			spec := v1alpha1.AnalysisSpec{}
			for i := range n {
				m := scriptMetric(fmt.Sprintf("m%d", i))
				m.Interval = "1s"
				m.SuccessCondition = "len(result) > 0 && !isNaN(result[0]) && result[0] < 0.05"
				m.FailureCondition = ""
				spec.Metrics = append(spec.Metrics, m)
			}
			value := Value{Result: []float64{0.01}}
			e, err := New(spec, Options{Clock: newFakeClock(), NewProvider: func(v1alpha1.Metric) (Provider, error) {
				return ProviderFunc(func(context.Context, time.Time) (Value, error) { return value, nil }), nil
			}})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			var st v1alpha1.AnalysisStatus
			now := t0()
			b.ReportAllocs()
			for b.Loop() {
				res, err := e.Reconcile(ctx, &st, now)
				if err != nil || len(res.Measurements) != n {
					b.Fatalf("pass took %d measurements: %v", len(res.Measurements), err)
				}
				now = now.Add(res.RequeueAfter)
			}
			if st.MetricResults[0].Phase != v1alpha1.AnalysisPhaseRunning {
				b.Fatalf("phase %s", st.MetricResults[0].Phase)
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "measurements/s")
		})
	}
}
