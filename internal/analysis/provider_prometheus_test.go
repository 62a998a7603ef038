package analysis

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	client "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"

	"upshift.dev/upshift/api/v1alpha1"
	promtest "upshift.dev/upshift/internal/testenv/prometheus"
)

// ingress is what a canary's local ingress exports: requests by app and
// status code.
type ingress struct {
	requests *client.CounterVec
	target   string
}

func newIngress(t *testing.T) *ingress {
	reg := client.NewRegistry()
	in := &ingress{requests: client.NewCounterVec(client.CounterOpts{
		Name: "upshift_ingress_requests_total", Help: "Requests served, by app and status code.",
	}, []string{"app", "code"})}
	reg.MustRegister(in.requests)
	in.target = promtest.Serve(t, reg)
	return in
}

func errorRatio(app string) string {
	return fmt.Sprintf(`sum(upshift_ingress_requests_total{app=%q,code=~"5.."}) / sum(upshift_ingress_requests_total{app=%q})`, app, app)
}

func TestPrometheusProvider(t *testing.T) {
	in := newIngress(t)
	in.requests.WithLabelValues("shop", "200").Add(95)
	in.requests.WithLabelValues("shop", "500").Add(5)
	// An app that served nothing: its ratio is 0/0.
	in.requests.WithLabelValues("idle", "200").Add(0)
	in.requests.WithLabelValues("idle", "500").Add(0)

	prom := promtest.Start(t, promtest.Options{Targets: []string{in.target}})
	prom.WaitForTargets(t)
	prom.WaitFor(t, `sum(upshift_ingress_requests_total{app="shop"})`, 30*time.Second, func(v model.Value) bool {
		vec, ok := v.(model.Vector)
		return ok && len(vec) == 1 && vec[0].Value == 100
	})

	// A proxy that wants a tenant header, as a multi-tenant Prometheus does.
	target, _ := url.Parse(prom.URL())
	proxy := httputil.NewSingleHostReverseProxy(target)
	tenant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Scope-OrgID") != "team-a" {
			http.Error(w, "no tenant", http.StatusUnauthorized)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(tenant.Close)

	tests := []struct {
		name             string
		prom             v1alpha1.PrometheusMetric
		success, failure string
		want             v1alpha1.AnalysisPhase
		value, message   string
	}{
		{"healthy", v1alpha1.PrometheusMetric{Query: errorRatio("shop")}, "result[0] < 0.1", "", v1alpha1.AnalysisPhaseSuccessful, "[0.05]", ""},
		{"over the threshold", v1alpha1.PrometheusMetric{Query: errorRatio("shop")}, "result[0] < 0.01", "", v1alpha1.AnalysisPhaseFailed, "[0.05]", ""},
		{"0/0 is NaN, not a pass", v1alpha1.PrometheusMetric{Query: errorRatio("idle")}, "", "result[0] > 0.1", v1alpha1.AnalysisPhaseInconclusive, "[NaN]", "the result is NaN"},
		{"NaN decided by the condition", v1alpha1.PrometheusMetric{Query: errorRatio("idle")}, "", "isNaN(result[0]) || result[0] > 0.1", v1alpha1.AnalysisPhaseFailed, "[NaN]", ""},
		{"no series", v1alpha1.PrometheusMetric{Query: errorRatio("nope")}, "result[0] < 0.1", "", v1alpha1.AnalysisPhaseInconclusive, "[]", "the query returned no series"},
		{"no series decided by default", v1alpha1.PrometheusMetric{Query: errorRatio("nope")}, "default(first(result), 0) < 0.1", "", v1alpha1.AnalysisPhaseSuccessful, "[]", ""},
		{"scalar", v1alpha1.PrometheusMetric{Query: "scalar(" + errorRatio("shop") + ")"}, "result < 0.1", "", v1alpha1.AnalysisPhaseSuccessful, "0.05", ""},
		{"range", v1alpha1.PrometheusMetric{
			Query: `upshift_ingress_requests_total{app="shop",code="200"}`,
			Range: &v1alpha1.PrometheusRange{Start: `now() - duration("2s")`, End: "now()", Step: "1s"},
		}, "len(result) == 1 && len(result[0]) > 0 && all(result[0], # == 95)", "", v1alpha1.AnalysisPhaseSuccessful, "[[95", ""},
		{"headers", v1alpha1.PrometheusMetric{Address: tenant.URL, Query: errorRatio("shop"),
			Headers: []v1alpha1.Header{{Key: "X-Scope-OrgID", Value: "team-a"}}}, "result[0] < 0.1", "", v1alpha1.AnalysisPhaseSuccessful, "[0.05]", ""},
		{"missing header", v1alpha1.PrometheusMetric{Address: tenant.URL, Query: errorRatio("shop")}, "result[0] < 0.1", "", v1alpha1.AnalysisPhaseError, "", "401"},
		{"bad PromQL", v1alpha1.PrometheusMetric{Query: "sum(("}, "true", "", v1alpha1.AnalysisPhaseError, "", "bad_data"},
		{"unreachable", v1alpha1.PrometheusMetric{Address: "http://127.0.0.1:1", Query: "up", Timeout: "2s"}, "true", "", v1alpha1.AnalysisPhaseError, "", "http://127.0.0.1:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.prom
			if p.Address == "" {
				p.Address = prom.URL()
			}
			m := v1alpha1.Metric{Name: "prom", SuccessCondition: tt.success, FailureCondition: tt.failure,
				Provider: v1alpha1.MetricProvider{Prometheus: &p}}
			got := measureOnce(t, m)
			if got.Phase != tt.want || !strings.Contains(got.Value, tt.value) || !strings.Contains(got.Message, tt.message) {
				t.Fatalf("got %s value %q message %q; want %s value ~%q message ~%q", got.Phase, got.Value, got.Message, tt.want, tt.value, tt.message)
			}
		})
	}
}

// TestPrometheusAnalysisCatchesErrors runs an analysis in real time against
// the real Prometheus: healthy at first, then the app starts failing a
// fifth of its requests, and the analysis ends Failed.
func TestPrometheusAnalysisCatchesErrors(t *testing.T) {
	in := newIngress(t)
	in.requests.WithLabelValues("shop", "200").Add(100)
	in.requests.WithLabelValues("shop", "500").Add(0)
	prom := promtest.Start(t, promtest.Options{Targets: []string{in.target}})
	prom.WaitForTargets(t)

	spec := v1alpha1.AnalysisSpec{Metrics: []v1alpha1.Metric{{
		Name:             "error-rate",
		Interval:         "1s",
		FailureCondition: "result[0] >= 0.1",
		FailureLimit:     1,
		Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{
			Address: prom.URL(), Query: errorRatio("shop"),
		}},
	}}}
	e, err := New(spec, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var st v1alpha1.AnalysisStatus
	injected := false
	err = e.Run(ctx, &st, RunOptions{OnUpdate: func(s *v1alpha1.AnalysisStatus, r Result) {
		for _, m := range r.Measurements {
			t.Logf("%s %s %s %s", m.Measurement.StartedAt.Format(time.TimeOnly), m.Measurement.Phase, m.Measurement.Value, m.Measurement.Message)
		}
		if !injected && s.MetricResults[0].Successful >= 2 {
			injected = true
			in.requests.WithLabelValues("shop", "500").Add(25) // 25/125 = 20%
		}
	}})
	if err != nil {
		t.Fatalf("Run: %v (status %+v)", err, st)
	}
	r := st.MetricResults[0]
	if st.Phase != v1alpha1.AnalysisPhaseFailed || r.Failed != 2 || r.Successful < 2 {
		t.Fatalf("phase %s: %s (successful %d, failed %d)", st.Phase, st.Message, r.Successful, r.Failed)
	}
}
