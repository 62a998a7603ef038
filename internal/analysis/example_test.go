package analysis_test

import (
	"context"
	"fmt"
	"time"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/analysis"
)

type frozen struct{}

func (frozen) Now() time.Time { return time.Time{} }

// A controller calls Reconcile on each pass with the status it stored and
// requeues after RequeueAfter; status is all it needs to resume.
func ExampleEngine_Reconcile() {
	count := int32(3)
	spec := v1alpha1.AnalysisSpec{Metrics: []v1alpha1.Metric{{
		Name:             "error-rate",
		Interval:         "30s",
		Count:            &count,
		SuccessCondition: "default(first(result), 0) < 0.05",
		Provider:         v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://prometheus:9090", Query: "..."}},
	}}}
	// For the example, a provider that answers from memory instead of the
	// Prometheus the spec names: no series, then 1%, then 2%.
	answers := [][]float64{{}, {0.01}, {0.02}}
	// The example's clock stands still while measuring; a controller
	// leaves Clock nil (real time) and passes time.Now() to Reconcile.
	e, err := analysis.New(spec, analysis.Options{Clock: frozen{}, NewProvider: func(v1alpha1.Metric) (analysis.Provider, error) {
		return analysis.ProviderFunc(func(context.Context, time.Time) (analysis.Value, error) {
			a := answers[0]
			answers = answers[1:]
			return analysis.Value{Result: a}, nil
		}), nil
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	var status v1alpha1.AnalysisStatus
	now := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	for {
		res, _ := e.Reconcile(context.Background(), &status, now)
		for _, m := range res.Measurements {
			fmt.Printf("%s %s %s\n", now.Format(time.TimeOnly), m.Measurement.Phase, m.Measurement.Value)
		}
		if res.Done {
			break
		}
		now = now.Add(res.RequeueAfter)
	}
	fmt.Println(status.Phase, "-", status.Message)
	// Output:
	// 10:00:00 Successful []
	// 10:00:30 Successful [0.01]
	// 10:01:00 Successful [0.02]
	// Successful - metric "error-rate" Successful: 3 measurements within the limits (3 successful, 0 failed, 0 inconclusive)
}
