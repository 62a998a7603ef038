package local

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// AppResponse is the JSON body of a 200 from an ingress.
type AppResponse struct {
	Cluster           string `json:"cluster"`
	KubernetesVersion string `json:"kubernetesVersion"`
	// Service is namespace/name.
	Service        string `json:"service"`
	ReadyEndpoints int    `json:"readyEndpoints"`
	Path           string `json:"path"`
}

// answer is what the ingress decided to say, before the delay.
type answer struct {
	code int
	body []byte
	json bool
	// namespace and service label the metrics; empty unless the Service
	// exists, so arbitrary paths cannot create time series.
	namespace, service string
	extra              time.Duration // from AnnotationLatency
	warning            string
}

// ServeHTTP implements http.Handler.
func (in *Ingress) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/metrics" {
		in.metricsH.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	a := in.answer(r.URL.Path)
	sleep(r.Context(), in.delay()+a.extra)

	h := w.Header()
	h.Set(HeaderCluster, in.opts.Cluster)
	if v := *in.version.Load(); v != "" {
		h.Set(HeaderKubernetesVersion, v)
	}
	if a.warning != "" {
		h.Set(HeaderWarning, a.warning)
	}
	if a.json {
		h.Set("Content-Type", "application/json")
	} else {
		h.Set("Content-Type", "text/plain; charset=utf-8")
	}
	h.Set("Content-Length", strconv.Itoa(len(a.body)))
	w.WriteHeader(a.code)
	_, _ = w.Write(a.body)
	in.metrics.observe(a.namespace, a.service, a.code, time.Since(start))
}

func (in *Ingress) answer(path string) answer {
	c := in.opts.Cluster
	ns, name, ok := parseApp(path)
	if !ok {
		return text(http.StatusNotFound, "cluster %s: address an app as /<namespace>/<service>/..., for example /shop/web/", c)
	}
	if !in.reachable() {
		if last := in.lastOK.Load(); last != 0 {
			return text(http.StatusServiceUnavailable, "cluster %s: its API server has not answered for %s; not serving",
				c, time.Since(time.Unix(0, last)).Round(100*time.Millisecond))
		}
		return text(http.StatusServiceUnavailable, "cluster %s: its API server has not answered yet; not serving", c)
	}
	if !in.ready.Load() {
		return text(http.StatusServiceUnavailable, "cluster %s: not synced with its API server yet", c)
	}
	svc, err := in.services.Services(ns).Get(name)
	if err != nil {
		return text(http.StatusNotFound, "cluster %s has no Service %s/%s", c, ns, name)
	}
	var warnings []string
	extra, warn := annotationLatency(svc)
	if warn != "" {
		warnings = append(warnings, warn)
	}
	failPct, warn := annotationFailPercent(svc)
	if warn != "" {
		warnings = append(warnings, warn)
	}
	var a answer
	n := in.readyEndpoints(ns, name)
	switch {
	case n == 0:
		a = text(http.StatusServiceUnavailable, "cluster %s: Service %s/%s has no ready endpoints", c, ns, name)
	case failPct > 0 && rand.Float64()*100 < failPct:
		a = text(http.StatusInternalServerError, "cluster %s: injected fault (%s=%q on Service %s/%s)",
			c, AnnotationFailPercent, svc.Annotations[AnnotationFailPercent], ns, name)
	default:
		body, _ := json.Marshal(AppResponse{
			Cluster: c, KubernetesVersion: *in.version.Load(), Service: ns + "/" + name, ReadyEndpoints: n, Path: path,
		})
		a = answer{code: http.StatusOK, body: append(body, '\n'), json: true}
	}
	a.namespace, a.service, a.extra = ns, name, extra
	a.warning = strings.Join(warnings, "; ")
	return a
}

func text(code int, format string, args ...any) answer {
	return answer{code: code, body: []byte(fmt.Sprintf(format, args...) + "\n")}
}

// parseApp splits /<namespace>/<service>/... .
func parseApp(path string) (namespace, service string, ok bool) {
	parts := strings.SplitN(strings.TrimPrefix(path, "/"), "/", 3)
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// readyEndpoints counts the Service's distinct ready endpoints over all its
// EndpointSlices (a dual-stack Service lists each pod in two slices).
func (in *Ingress) readyEndpoints(namespace, service string) int {
	objs, err := in.slices.ByIndex(sliceIndex, namespace+"/"+service)
	if err != nil {
		return 0
	}
	seen := map[string]bool{}
	for _, o := range objs {
		s, ok := o.(*discoveryv1.EndpointSlice)
		if !ok {
			continue
		}
		for _, ep := range s.Endpoints {
			if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
				continue
			}
			key := strings.Join(ep.Addresses, ",")
			if ep.TargetRef != nil {
				key = ep.TargetRef.Namespace + "/" + ep.TargetRef.Name
			}
			seen[key] = true
		}
	}
	return len(seen)
}

// annotationFailPercent reads AnnotationFailPercent; a bad value counts as
// no faults and comes back as a warning.
func annotationFailPercent(svc *corev1.Service) (float64, string) {
	v, ok := svc.Annotations[AnnotationFailPercent]
	if !ok {
		return 0, ""
	}
	pct, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "%")), 64)
	if err != nil || pct < 0 || pct > 100 {
		return 0, fmt.Sprintf("ignoring %s=%q: use a number from 0 to 100", AnnotationFailPercent, v)
	}
	return pct, ""
}

// annotationLatency reads AnnotationLatency, at most a minute.
func annotationLatency(svc *corev1.Service) (time.Duration, string) {
	v, ok := svc.Annotations[AnnotationLatency]
	if !ok {
		return 0, ""
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < 0 || d > time.Minute {
		return 0, fmt.Sprintf("ignoring %s=%q: use a duration from 0s to 1m, such as 150ms", AnnotationLatency, v)
	}
	return d, ""
}

// delay is Latency plus an exponential tail of mean Jitter, capped at ten
// times the mean so a rare draw cannot stall a test.
func (in *Ingress) delay() time.Duration {
	d := max(in.opts.Latency, 0)
	if j := in.opts.Jitter; j > 0 {
		d += min(time.Duration(rand.ExpFloat64()*float64(j)), 10*j)
	}
	return d
}

// sleep waits d or until the client has gone.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
