package analysis

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"upshift.dev/upshift/api/v1alpha1"
)

func promMetric(name string) v1alpha1.Metric {
	return v1alpha1.Metric{
		Name:             name,
		SuccessCondition: "result[0] < 0.05",
		Provider:         v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://127.0.0.1:9090", Query: "up"}},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*v1alpha1.AnalysisSpec)
		want   []string // parts of the error; none means valid
	}{
		{"valid", func(*v1alpha1.AnalysisSpec) {}, nil},
		{"no metrics", func(s *v1alpha1.AnalysisSpec) { s.Metrics = nil }, []string{"metrics: Required value: add at least one metric"}},
		{"no name", func(s *v1alpha1.AnalysisSpec) { s.Metrics[0].Name = "" }, []string{"metrics[0].name: Required value"}},
		{"duplicate names", func(s *v1alpha1.AnalysisSpec) { s.Metrics = append(s.Metrics, promMetric("m")) }, []string{`metrics[1].name: Duplicate value: "m"`}},
		{"bad interval", func(s *v1alpha1.AnalysisSpec) { s.Metrics[0].Interval = "5x" }, []string{"metrics[0].interval", `write it like "30s"`}},
		{"bad initialDelay", func(s *v1alpha1.AnalysisSpec) { s.Metrics[0].InitialDelay = "-1m" }, []string{"metrics[0].initialDelay", "negative"}},
		{"count without interval", func(s *v1alpha1.AnalysisSpec) { s.Metrics[0].Count = ptr(int32(3)) }, []string{"metrics[0].interval: Required value: count 3 needs an interval"}},
		{"count 0", func(s *v1alpha1.AnalysisSpec) { s.Metrics[0].Count = ptr(int32(0)) }, []string{"metrics[0].count", "at least 1"}},
		{"failureLimit over count", func(s *v1alpha1.AnalysisSpec) {
			s.Metrics[0].Count, s.Metrics[0].Interval, s.Metrics[0].FailureLimit = ptr(int32(2)), "10s", 3
		}, []string{"metrics[0].failureLimit", "can never be crossed"}},
		{"negative limits", func(s *v1alpha1.AnalysisSpec) {
			s.Metrics[0].InconclusiveLimit, s.Metrics[0].ConsecutiveErrorLimit = -1, ptr(int32(-1))
		}, []string{"metrics[0].inconclusiveLimit", "metrics[0].consecutiveErrorLimit"}},
		{"no provider", func(s *v1alpha1.AnalysisSpec) { s.Metrics[0].Provider = v1alpha1.MetricProvider{} }, []string{"metrics[0].provider", "exactly one of prometheus, web or command"}},
		{"two providers", func(s *v1alpha1.AnalysisSpec) {
			s.Metrics[0].Provider.Command = &v1alpha1.CommandMetric{Command: []string{"true"}}
		}, []string{"metrics[0].provider", "2 providers"}},
		{"prometheus address without scheme", func(s *v1alpha1.AnalysisSpec) { s.Metrics[0].Provider.Prometheus.Address = "prometheus:9090" }, []string{"metrics[0].provider.prometheus.address", "http or https URL"}},
		{"prometheus without query", func(s *v1alpha1.AnalysisSpec) { s.Metrics[0].Provider.Prometheus.Query = " " }, []string{"metrics[0].provider.prometheus.query: Required value"}},
		{"prometheus bad timeout", func(s *v1alpha1.AnalysisSpec) { s.Metrics[0].Provider.Prometheus.Timeout = "soon" }, []string{"metrics[0].provider.prometheus.timeout"}},
		{"prometheus header without key", func(s *v1alpha1.AnalysisSpec) {
			s.Metrics[0].Provider.Prometheus.Headers = []v1alpha1.Header{{Value: "x"}}
		}, []string{"metrics[0].provider.prometheus.headers[0].key: Required value"}},
		{"range", func(s *v1alpha1.AnalysisSpec) {
			s.Metrics[0].Provider.Prometheus.Range = &v1alpha1.PrometheusRange{Start: `now() - duration("5m")`, Step: "30s"}
			s.Metrics[0].SuccessCondition = "all(result[0], # < 1)"
		}, nil},
		{"range without step, with a number for start", func(s *v1alpha1.AnalysisSpec) {
			s.Metrics[0].Provider.Prometheus.Range = &v1alpha1.PrometheusRange{Start: "5"}
		}, []string{"metrics[0].provider.prometheus.range.start", "not a time", "metrics[0].provider.prometheus.range.step: Required value"}},
		{"web", func(s *v1alpha1.AnalysisSpec) {
			s.Metrics[0].Provider = v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{URL: "http://127.0.0.1/x", JSONPath: "$.a"}}
			s.Metrics[0].SuccessCondition = "result > 1"
		}, nil},
		{"web bad method and jsonPath", func(s *v1alpha1.AnalysisSpec) {
			s.Metrics[0].Provider = v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{URL: "ftp://x", Method: "DELETE", JSONPath: "{.a[}"}}
		}, []string{"metrics[0].provider.web.url", "metrics[0].provider.web.method: Unsupported value", "metrics[0].provider.web.jsonPath"}},
		{"command without program", func(s *v1alpha1.AnalysisSpec) {
			s.Metrics[0].Provider = v1alpha1.MetricProvider{Command: &v1alpha1.CommandMetric{Timeout: "1y"}}
		}, []string{"metrics[0].provider.command.command: Required value", "metrics[0].provider.command.timeout"}},
		{"retention", func(s *v1alpha1.AnalysisSpec) { s.MeasurementRetention = ptr(int32(0)) }, []string{"measurementRetention", "between 1 and 1000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := v1alpha1.AnalysisSpec{Metrics: []v1alpha1.Metric{promMetric("m")}}
			tt.mutate(&spec)
			_, err := New(spec, Options{})
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("New returned %v, want a *SpecError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestValidateUnderAPath(t *testing.T) {
	spec := v1alpha1.AnalysisSpec{Metrics: []v1alpha1.Metric{promMetric("")}}
	errs := Validate(spec, field.NewPath("spec", "validation", "analysis"))
	if len(errs) != 1 || errs[0].Field != "spec.validation.analysis.metrics[0].name" {
		t.Fatalf("errors %v", errs)
	}
}
