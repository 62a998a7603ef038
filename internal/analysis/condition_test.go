package analysis

import (
	"math"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"upshift.dev/upshift/api/v1alpha1"
)

func TestJudge(t *testing.T) {
	prom := v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{}}
	web := v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{}}
	cmd := v1alpha1.MetricProvider{Command: &v1alpha1.CommandMetric{}}
	nan := math.NaN()
	tests := []struct {
		name             string
		provider         v1alpha1.MetricProvider
		success, failure string
		result           any
		want             v1alpha1.AnalysisPhase
		message          string // a part of the measurement's message
	}{
		// Argo Rollouts' rules.
		{"no conditions", prom, "", "", []float64{7}, v1alpha1.AnalysisPhaseSuccessful, ""},
		{"success only, true", prom, "result[0] < 0.05", "", []float64{0.01}, v1alpha1.AnalysisPhaseSuccessful, ""},
		{"success only, false", prom, "result[0] < 0.05", "", []float64{0.2}, v1alpha1.AnalysisPhaseFailed, ""},
		{"failure only, true", prom, "", "result[0] >= 0.05", []float64{0.2}, v1alpha1.AnalysisPhaseFailed, ""},
		{"failure only, false", prom, "", "result[0] >= 0.05", []float64{0.01}, v1alpha1.AnalysisPhaseSuccessful, ""},
		{"both, failure wins", prom, "result[0] < 0.5", "result[0] > 0.1", []float64{0.2}, v1alpha1.AnalysisPhaseFailed, ""},
		{"both, success", prom, "result[0] < 0.05", "result[0] > 0.1", []float64{0.01}, v1alpha1.AnalysisPhaseSuccessful, ""},
		{"both, neither", prom, "result[0] < 0.05", "result[0] > 0.1", []float64{0.07}, v1alpha1.AnalysisPhaseInconclusive, "neither"},
		{"scalar", prom, "result < 1", "", 0.5, v1alpha1.AnalysisPhaseSuccessful, ""},
		{"aggregate builtins", prom, "all(result, # < 1) && sum(result) < 2", "", []float64{0.5, 0.7}, v1alpha1.AnalysisPhaseSuccessful, ""},
		{"range result", prom, "all(result[0], # < 1)", "", [][]float64{{0.1, 0.2}}, v1alpha1.AnalysisPhaseSuccessful, ""},
		{"runtime error", prom, "result[3] < 1", "", []float64{0.1}, v1alpha1.AnalysisPhaseError, "successCondition `result[3] < 1` could not be evaluated on result [0.1]"},

		// Empty results: Inconclusive unless a condition handles them.
		{"empty vector", prom, "result[0] < 0.05", "", []float64{}, v1alpha1.AnalysisPhaseInconclusive, "the query returned no series"},
		{"empty vector, failure only", prom, "", "sum(result) > 5", []float64{}, v1alpha1.AnalysisPhaseInconclusive, "no series"},
		{"empty vector, no conditions", prom, "", "", []float64{}, v1alpha1.AnalysisPhaseInconclusive, "no series"},
		{"empty vector handled by len", prom, "len(result) == 0 || result[0] < 0.05", "", []float64{}, v1alpha1.AnalysisPhaseSuccessful, ""},
		{"empty vector failed by len", prom, "len(result) > 0 && result[0] < 0.05", "", []float64{}, v1alpha1.AnalysisPhaseFailed, ""},
		{"empty vector handled by default", prom, "default(first(result), 0) < 0.05", "", []float64{}, v1alpha1.AnalysisPhaseSuccessful, ""},
		{"empty vector handled by ??", prom, "(first(result) ?? 0) < 0.05", "", []float64{}, v1alpha1.AnalysisPhaseSuccessful, ""},
		{"empty vector handled by isEmpty", prom, "", "isEmpty(result)", []float64{}, v1alpha1.AnalysisPhaseFailed, ""},
		{"handled, but indexes anyway", prom, "len(result) >= 0 && result[0] < 1", "", []float64{}, v1alpha1.AnalysisPhaseError, "guard the condition with `len(result) > 0`"},
		{"web: nothing selected", web, "result > 1", "", nil, v1alpha1.AnalysisPhaseInconclusive, "jsonPath selected nothing"},
		{"web: string value", web, "asFloat(result) < 1", "", "0.5", v1alpha1.AnalysisPhaseSuccessful, ""},
		{"web: not a number", web, "asFloat(result) < 1", "", "n/a", v1alpha1.AnalysisPhaseError, `"n/a" is not a number`},

		// NaN: Inconclusive unless a condition handles it.
		{"NaN would pass a failureCondition", prom, "", "result[0] > 0.05", []float64{nan}, v1alpha1.AnalysisPhaseInconclusive, "the result is NaN"},
		{"NaN among series", prom, "all(result, # < 0.05)", "", []float64{0.01, nan}, v1alpha1.AnalysisPhaseInconclusive, "NaN"},
		{"NaN scalar", prom, "result < 0.05", "", nan, v1alpha1.AnalysisPhaseInconclusive, "NaN"},
		{"NaN in a range", prom, "true", "", [][]float64{{0.1, nan}}, v1alpha1.AnalysisPhaseInconclusive, "NaN"},
		{"NaN handled by isNaN", prom, "isNaN(result[0]) || result[0] < 0.05", "", []float64{nan}, v1alpha1.AnalysisPhaseSuccessful, ""},
		{"NaN failed by isNaN", prom, "", "isNaN(result) || result[0] > 0.05", []float64{nan}, v1alpha1.AnalysisPhaseFailed, ""},
		{"NaN handled by default", prom, "default(result, 0) < 0.05", "", nan, v1alpha1.AnalysisPhaseSuccessful, ""},
		{"Inf", prom, "!isInf(result)", "", []float64{math.Inf(1)}, v1alpha1.AnalysisPhaseFailed, ""},

		// Commands judge themselves by exit code without conditions.
		{"command exit 0", cmd, "", "", map[string]any{"exitCode": 0, "stdout": ""}, v1alpha1.AnalysisPhaseSuccessful, ""},
		{"command exit 1", cmd, "", "", map[string]any{"exitCode": 1, "stdout": ""}, v1alpha1.AnalysisPhaseFailed, ""},
		{"command stdout", cmd, `asFloat(result.stdout) < 0.05`, "", map[string]any{"exitCode": 0, "stdout": "0.01"}, v1alpha1.AnalysisPhaseSuccessful, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := v1alpha1.Metric{Name: "m", SuccessCondition: tt.success, FailureCondition: tt.failure, Provider: tt.provider}
			c, errs := compileConditions(m, field.NewPath("metrics").Index(0))
			if len(errs) > 0 {
				t.Fatalf("compile: %v", errs)
			}
			phase, msg := c.judge(tt.result)
			if phase != tt.want {
				t.Fatalf("phase %s (%s), want %s", phase, msg, tt.want)
			}
			if !strings.Contains(msg, tt.message) {
				t.Errorf("message %q does not contain %q", msg, tt.message)
			}
		})
	}
}

func TestConditionCompileErrors(t *testing.T) {
	tests := []struct {
		success, failure string
		want             []string
	}{
		{"result", "", []string{"metrics[0].successCondition", "not true or false"}},
		{"result[0] <", "", []string{"metrics[0].successCondition", "does not compile"}},
		{"", "reslt > 1", []string{"metrics[0].failureCondition", "unknown name reslt"}},
		{"result[0] + 1", "", []string{"metrics[0].successCondition", "not true or false on a result like [1]"}},
		{"", "result.exitCode", []string{"metrics[0].failureCondition", "not true or false"}},
		{"noSuchHelper(result)", "len(result)", []string{"metrics[0].successCondition", "metrics[0].failureCondition"}},
	}
	for _, tt := range tests {
		t.Run(tt.success+tt.failure, func(t *testing.T) {
			m := scriptMetric("m")
			m.SuccessCondition, m.FailureCondition = tt.success, tt.failure
			if !strings.Contains(tt.failure, "exitCode") {
				m.Provider = v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://127.0.0.1:9090", Query: "up"}}
			}
			_, err := New(v1alpha1.AnalysisSpec{Metrics: []v1alpha1.Metric{m}}, Options{})
			if err == nil {
				t.Fatal("New accepted a condition that does not compile")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n  |") {
				t.Errorf("error keeps expr's source excerpt: %q", err)
			}
		})
	}
}

func TestFormatValue(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{[]float64{0.5, math.NaN()}, "[0.5,NaN]"},
		{[][]float64{{1}, {2, 3}}, "[[1],[2,3]]"},
		{math.Inf(1), "+Inf"},
		{nil, "null"},
		{map[string]any{"b": 1, "a": "x"}, `{"a":"x","b":1}`},
		{strings.Repeat("x", 600), strings.Repeat("x", maxValueText-len("…")) + "…"},
	}
	for _, tt := range tests {
		if got := formatValue(tt.in); got != tt.want {
			t.Errorf("formatValue(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
