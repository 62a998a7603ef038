package analysis

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"upshift.dev/upshift/api/v1alpha1"
)

func TestWebProvider(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/metrics":
			if r.Header.Get("Authorization") != "Bearer s3cret" {
				http.Error(w, "who are you", http.StatusUnauthorized)
				return
			}
			io.WriteString(w, `{"data": {"errorRate": 0.01, "p99": "0.250", "series": [1, 2], "none": null}}`)
		case "/echo":
			body, _ := io.ReadAll(r.Body)
			io.WriteString(w, `{"method": "`+r.Method+`", "body": `+string(body)+`}`)
		case "/html":
			io.WriteString(w, "<html>oops</html>")
		case "/down":
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
		case "/slow":
			<-r.Context().Done()
		}
	}))
	t.Cleanup(srv.Close)
	auth := []v1alpha1.Header{{Key: "Authorization", Value: "Bearer s3cret"}}

	tests := []struct {
		name    string
		web     v1alpha1.WebMetric
		success string
		want    v1alpha1.AnalysisPhase
		value   string
		message string
	}{
		{"number", v1alpha1.WebMetric{URL: srv.URL + "/metrics", Headers: auth, JSONPath: "{$.data.errorRate}"}, "result < 0.05", v1alpha1.AnalysisPhaseSuccessful, "0.01", ""},
		{"without braces", v1alpha1.WebMetric{URL: srv.URL + "/metrics", Headers: auth, JSONPath: "$.data.errorRate"}, "result < 0.005", v1alpha1.AnalysisPhaseFailed, "0.01", ""},
		{"string as number", v1alpha1.WebMetric{URL: srv.URL + "/metrics", Headers: auth, JSONPath: "{.data.p99}"}, "asFloat(result) < 0.3", v1alpha1.AnalysisPhaseSuccessful, "0.250", ""},
		{"several values", v1alpha1.WebMetric{URL: srv.URL + "/metrics", Headers: auth, JSONPath: "{.data.series[*]}"}, "len(result) == 2 && all(result, # < 3)", v1alpha1.AnalysisPhaseSuccessful, "[1,2]", ""},
		{"whole document", v1alpha1.WebMetric{URL: srv.URL + "/metrics", Headers: auth}, "result.data.errorRate < 0.05", v1alpha1.AnalysisPhaseSuccessful, `{"data":`, ""},
		{"missing key", v1alpha1.WebMetric{URL: srv.URL + "/metrics", Headers: auth, JSONPath: "{.data.errorRatio}"}, "result < 0.05", v1alpha1.AnalysisPhaseInconclusive, "null", "jsonPath selected nothing"},
		{"null", v1alpha1.WebMetric{URL: srv.URL + "/metrics", Headers: auth, JSONPath: "{.data.none}"}, "result < 0.05", v1alpha1.AnalysisPhaseInconclusive, "null", "jsonPath selected nothing"},
		{"POST with a body", v1alpha1.WebMetric{URL: srv.URL + "/echo", Method: "POST", Body: `{"q": 1}`, JSONPath: "{$}"}, `result.method == "POST" && result.body.q == 1`, v1alpha1.AnalysisPhaseSuccessful, "", ""},
		{"no credentials", v1alpha1.WebMetric{URL: srv.URL + "/metrics"}, "true", v1alpha1.AnalysisPhaseError, "", "answered 401 Unauthorized: who are you"},
		{"not JSON", v1alpha1.WebMetric{URL: srv.URL + "/html"}, "true", v1alpha1.AnalysisPhaseError, "", "not JSON"},
		{"5xx", v1alpha1.WebMetric{URL: srv.URL + "/down"}, "true", v1alpha1.AnalysisPhaseError, "", "503"},
		{"timeout", v1alpha1.WebMetric{URL: srv.URL + "/slow", TimeoutSeconds: 1}, "true", v1alpha1.AnalysisPhaseError, "", "did not answer within 1s"},
		{"unreachable", v1alpha1.WebMetric{URL: "http://127.0.0.1:1/x"}, "true", v1alpha1.AnalysisPhaseError, "", "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			web := tt.web
			m := v1alpha1.Metric{Name: "web", SuccessCondition: tt.success, Provider: v1alpha1.MetricProvider{Web: &web}}
			got := measureOnce(t, m)
			if got.Phase != tt.want || !strings.Contains(got.Value, tt.value) || !strings.Contains(got.Message, tt.message) {
				t.Fatalf("got %s value %q message %q; want %s value ~%q message ~%q", got.Phase, got.Value, got.Message, tt.want, tt.value, tt.message)
			}
		})
	}
}

// measureOnce takes one measurement of m through a real engine.
func measureOnce(t *testing.T, m v1alpha1.Metric) v1alpha1.Measurement {
	t.Helper()
	e, err := New(v1alpha1.AnalysisSpec{Metrics: []v1alpha1.Metric{m}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var st v1alpha1.AnalysisStatus
	res, err := e.Reconcile(context.Background(), &st, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Measurements) != 1 {
		t.Fatalf("took %d measurements", len(res.Measurements))
	}
	return res.Measurements[0].Measurement
}
