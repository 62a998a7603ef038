package analysis

import (
	"encoding/json"
	"math"
	"testing"

	"upshift.dev/upshift/api/v1alpha1"
)

// FuzzConditions compiles success and failure conditions (user input that
// the controller runs) for each provider's result shape and judges results
// with them: nothing may panic, and a condition that compiles judges every
// result to one of the phases.
//
//	go test ./internal/analysis -run '^$' -fuzz FuzzConditions -fuzztime 60s
func FuzzConditions(f *testing.F) {
	for _, seed := range []struct {
		success, failure, result string
		value                    float64
	}{
		{"result[0] < 0.05", "result[0] >= 0.05", `[0.01]`, 0.01},
		{"len(result) == 0 || result[0] < 0.05", "", `[]`, math.NaN()},
		{"default(first(result), 0) < 0.05", "isNaN(result[0])", `[null]`, math.Inf(1)},
		{"result.exitCode == 0", "", `{"exitCode": 1, "stdout": "x"}`, 0},
		{"all(result, {# < 1})", "any(result, {# > 2})", `[1, 2, 3]`, -1},
		{"result[0][0] > 1", "", `[[1, 2]]`, 2},
		{"asInt(result) % 0 == 1", "", `"7"`, 7},
		{"result[9999999999]", "", `[1]`, 1},
		{"1..10000000 | len() > 0", "", `1`, 1},
	} {
		f.Add(seed.success, seed.failure, []byte(seed.result), seed.value)
	}
	f.Fuzz(func(t *testing.T, success, failure string, raw []byte, value float64) {
		var decoded any
		_ = json.Unmarshal(raw, &decoded)
		results := []any{[]float64{value}, []float64{}, [][]float64{{value, value}}, decoded,
			map[string]any{"exitCode": int(value) % 256, "stdout": string(raw), "stderr": ""}}
		for _, p := range []v1alpha1.MetricProvider{
			{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://prometheus:9090", Query: "q"}},
			{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://prometheus:9090", Query: "q", Range: &v1alpha1.PrometheusRange{Start: "now() - duration(\"5m\")", Step: "10s"}}},
			{Web: &v1alpha1.WebMetric{URL: "http://127.0.0.1:1/x"}},
			{Command: &v1alpha1.CommandMetric{Command: []string{"true"}}},
		} {
			m := v1alpha1.Metric{Name: "m", SuccessCondition: success, FailureCondition: failure, Provider: p}
			c, errs := compileConditions(m, nil)
			if len(errs) > 0 {
				continue
			}
			for _, r := range results {
				phase, _ := c.judge(r)
				switch phase {
				case v1alpha1.AnalysisPhaseSuccessful, v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseInconclusive, v1alpha1.AnalysisPhaseError:
				default:
					t.Fatalf("judge(%v) with %q / %q = %q", r, success, failure, phase)
				}
			}
		}
	})
}
