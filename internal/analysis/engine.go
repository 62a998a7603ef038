package analysis

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"upshift.dev/upshift/api/v1alpha1"
)

// Clock tells the time. The engine reads it only to time how long a
// measurement took; what is due is decided from the now given to
// Reconcile. k8s.io/utils/clock's clocks satisfy it.
type Clock interface {
	Now() time.Time
}

// Options are an engine's long-lived settings. The zero value is ready to
// use.
type Options struct {
	// Clock times measurements. Real time when nil.
	Clock Clock
	// HTTPClient carries the prometheus and web providers' requests; its
	// Transport is reused (per-metric headers and timeouts are added on
	// top). A client on http.DefaultTransport when nil.
	HTTPClient *http.Client
	// NewProvider, when set, is asked first for each metric's provider;
	// returning (nil, nil) falls back to the built-in one. For tests and for
	// sources upshift does not ship.
	NewProvider func(m v1alpha1.Metric) (Provider, error)
}

// Engine runs one AnalysisSpec. It holds the spec compiled (conditions,
// durations, providers with their HTTP clients) and no state of any
// analysis: that lives in the AnalysisStatus passed to each call, so one
// engine may serve many statuses, and a fresh engine continues any status.
type Engine struct {
	metrics   []*metricPlan
	retention int
	clock     Clock
}

// New validates spec and compiles it. A bad spec returns a *SpecError that
// names each faulty field and what to write instead.
func New(spec v1alpha1.AnalysisSpec, opts Options) (*Engine, error) {
	e, errs := compile(*spec.DeepCopy(), nil, opts)
	if len(errs) > 0 {
		return nil, &SpecError{Errs: errs}
	}
	return e, nil
}

// Result is what one Reconcile did and when to call it again.
type Result struct {
	// Done is true once status.phase is a verdict; nothing more will be
	// measured.
	Done bool
	// RequeueAfter is how long until the next measurement is due, when not
	// Done. It may be zero: call again at once.
	RequeueAfter time.Duration
	// Measurements taken in this pass, in spec order, for progress lines
	// and events.
	Measurements []Taken
}

// Taken is a measurement and the metric it belongs to.
type Taken struct {
	Metric      string
	Measurement v1alpha1.Measurement
}

// Reconcile takes the measurements that are due at now according to
// status, records them, and recomputes every phase. It never sleeps.
// Providers run in parallel, each bounded by its own timeout.
//
// It returns an error only when ctx ended while a measurement was under
// way; that measurement is not recorded (the next pass takes it again) and
// status holds everything else.
func (e *Engine) Reconcile(ctx context.Context, status *v1alpha1.AnalysisStatus, now time.Time) (Result, error) {
	if status.Phase.Completed() {
		return Result{Done: true}, nil
	}
	if status.StartedAt == nil {
		status.StartedAt = stamp(now)
	}
	results := e.results(status)
	var due []int
	if stop, _ := e.stopping(status, results); !stop {
		for i, p := range e.metrics {
			if at, ok := e.dueAt(p, results[i], status); ok && !now.Before(at) {
				due = append(due, i)
			}
		}
	}
	outcomes := e.measureAll(ctx, due, now)
	var res Result
	interrupted := false
	for k, i := range due {
		if outcomes[k].dropped {
			interrupted = true
			continue
		}
		record(results[i], outcomes[k].m, e.retention)
		res.Measurements = append(res.Measurements, Taken{Metric: e.metrics[i].metric.Name, Measurement: outcomes[k].m})
	}
	e.assess(status, results, now)
	res.Done = status.Phase.Completed()
	if !res.Done {
		res.RequeueAfter = e.next(status, results, now)
	}
	if interrupted {
		return res, fmt.Errorf("analysis interrupted during a measurement: %w", ctx.Err())
	}
	return res, nil
}

// Terminate stops the analysis at now: nothing more is measured, and each
// metric without a verdict gets one from what it measured so far
// (Successful when no limit was crossed, as in Argo Rollouts). Terminated
// is set so that callers can tell this from a verdict reached on its own.
// reason ends up in status.message.
func (e *Engine) Terminate(status *v1alpha1.AnalysisStatus, now time.Time, reason string) {
	if status.Phase.Completed() {
		return
	}
	if status.StartedAt == nil {
		status.StartedAt = stamp(now)
	}
	if reason == "" {
		reason = "stopped by its caller"
	}
	status.Terminated = true
	status.Message = "terminated: " + reason
	e.assess(status, e.results(status), now)
}

// results lines status.metricResults up with the spec: one entry per
// metric, in spec order, keeping what status already knew by name. Results
// of metrics no longer in the spec are dropped.
func (e *Engine) results(status *v1alpha1.AnalysisStatus) []*v1alpha1.MetricResult {
	byName := make(map[string]v1alpha1.MetricResult, len(status.MetricResults))
	for _, r := range status.MetricResults {
		byName[r.Name] = r
	}
	rs := make([]v1alpha1.MetricResult, len(e.metrics))
	for i, p := range e.metrics {
		r, ok := byName[p.metric.Name]
		if !ok {
			r = v1alpha1.MetricResult{Name: p.metric.Name, Phase: v1alpha1.AnalysisPhasePending}
		}
		rs[i] = r
	}
	status.MetricResults = rs
	ptrs := make([]*v1alpha1.MetricResult, len(rs))
	for i := range rs {
		ptrs[i] = &status.MetricResults[i]
	}
	return ptrs
}

type outcome struct {
	m       v1alpha1.Measurement
	dropped bool
}

func (e *Engine) measureAll(ctx context.Context, due []int, now time.Time) []outcome {
	out := make([]outcome, len(due))
	if len(due) == 1 {
		// The common case in a controller, and the benchmark's: no goroutine.
		out[0] = e.measure(ctx, e.metrics[due[0]], now)
		return out
	}
	var wg sync.WaitGroup
	for k, i := range due {
		wg.Go(func() { out[k] = e.measure(ctx, e.metrics[i], now) })
	}
	wg.Wait()
	return out
}

// maxMessage caps a measurement's message (a command's stderr, an HTML
// error page) so that status stays small.
const maxMessage = 1024

func (e *Engine) measure(ctx context.Context, p *metricPlan, now time.Time) outcome {
	t0 := e.clock.Now()
	v, err := safeMeasure(ctx, p.provider, now)
	elapsed := max(e.clock.Now().Sub(t0), 0)
	// finishedAt is rounded up, so that the next measurement, due interval
	// after it, never comes sooner than interval after the real end.
	m := v1alpha1.Measurement{StartedAt: stamp(now), FinishedAt: stamp(ceilSecond(now.Add(elapsed)))}
	switch {
	case err != nil && ctx.Err() != nil:
		return outcome{dropped: true}
	case err != nil:
		m.Phase, m.Message = v1alpha1.AnalysisPhaseError, err.Error()
	default:
		m.Value = v.Text
		if m.Value == "" {
			m.Value = formatValue(v.Result)
		}
		m.Phase, m.Message = p.cond.judge(v.Result)
		if m.Message == "" {
			m.Message = v.Warning
		}
	}
	if len(m.Message) > maxMessage {
		m.Message = m.Message[:maxMessage-len("…")] + "…"
	}
	return outcome{m: m}
}

// safeMeasure turns a provider's panic into an Error measurement: a
// provider of NewProvider is code upshift does not control.
func safeMeasure(ctx context.Context, p Provider, now time.Time) (v Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("provider panicked: %v", r)
		}
	}()
	return p.Measure(ctx, now)
}

// record adds a measurement to a metric's counters and history, trimming
// the history to retention (the counters stay exact).
func record(r *v1alpha1.MetricResult, m v1alpha1.Measurement, retention int) {
	switch m.Phase {
	case v1alpha1.AnalysisPhaseSuccessful:
		r.Successful++
		r.Count++
		r.ConsecutiveError = 0
	case v1alpha1.AnalysisPhaseFailed:
		r.Failed++
		r.Count++
		r.ConsecutiveError = 0
	case v1alpha1.AnalysisPhaseInconclusive:
		r.Inconclusive++
		r.Count++
		r.ConsecutiveError = 0
	case v1alpha1.AnalysisPhaseError:
		r.Error++
		r.ConsecutiveError++
	}
	r.Measurements = append(r.Measurements, m)
	if n := len(r.Measurements); n > retention {
		r.Measurements = append([]v1alpha1.Measurement(nil), r.Measurements[n-retention:]...)
	}
}

// stamp records a time as the API server will store it (whole seconds,
// local zone, as metav1.Now), so that a status read back after a restart
// equals the one that was written and the schedule derived from it is the
// same.
func stamp(t time.Time) *metav1.Time {
	mt := metav1.NewTime(t.Truncate(time.Second).Local())
	return &mt
}

func ceilSecond(t time.Time) time.Time {
	if r := t.Truncate(time.Second); !r.Equal(t) {
		return r.Add(time.Second)
	}
	return t
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
