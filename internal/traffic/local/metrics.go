package local

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// latencyBuckets resolve the few milliseconds an ingress takes as well as
// the seconds of a stalled backend.
func latencyBuckets() []float64 {
	return []float64{.001, .002, .003, .004, .005, .006, .008, .01, .015, .02, .03, .05, .1, .25, .5, 1, 2.5, 5}
}

// ingressMetrics live in a registry of their own per ingress, so several
// ingresses in one process (tests, the data plane) never collide.
type ingressMetrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newIngressMetrics(cluster string, reachable func() bool) *ingressMetrics {
	cl := prometheus.Labels{"cluster": cluster}
	m := &ingressMetrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "upshift_ingress_requests_total", ConstLabels: cl,
			Help: "Requests answered by the local ingress, by app (namespace, service) and HTTP status code.",
		}, []string{"namespace", "service", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "upshift_ingress_request_duration_seconds", ConstLabels: cl, Buckets: latencyBuckets(),
			Help: "Time the local ingress took to answer, by app.",
		}, []string{"namespace", "service"}),
	}
	up := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "upshift_ingress_api_reachable", ConstLabels: cl,
		Help: "1 while the cluster's API server answers the ingress's probes, else 0 (and every app gets 503).",
	}, func() float64 {
		if reachable() {
			return 1
		}
		return 0
	})
	m.reg.MustRegister(m.requests, m.duration, up)
	return m
}

func (m *ingressMetrics) observe(namespace, service string, code int, d time.Duration) {
	m.requests.WithLabelValues(namespace, service, strconv.Itoa(code)).Inc()
	m.duration.WithLabelValues(namespace, service).Observe(d.Seconds())
}

func (m *ingressMetrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// gatewayMetrics are the gateway's, with the Go runtime's of its process.
type gatewayMetrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	retries  *prometheus.CounterVec
	weight   *prometheus.GaugeVec
}

func newGatewayMetrics() *gatewayMetrics {
	m := &gatewayMetrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "upshift_gateway_requests_total",
			Help: "Requests through the local gateway, by backend (cluster) and HTTP status code; backend is empty when none could be picked.",
		}, []string{"backend", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "upshift_gateway_request_duration_seconds", Buckets: latencyBuckets(),
			Help: "Time from the gateway receiving a request to the end of the backend's answer, by backend.",
		}, []string{"backend"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "upshift_gateway_retries_total",
			Help: "Requests retried on another backend after the connection to the first failed before any response byte.",
		}, []string{"from", "to"}),
		weight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "upshift_gateway_backend_weight",
			Help: "Share of new requests, in percent, that the gateway sends to each backend.",
		}, []string{"backend"}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.retries, m.weight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *gatewayMetrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}
