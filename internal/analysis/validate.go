package analysis

import (
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"upshift.dev/upshift/api/v1alpha1"
)

// Defaults, as in Argo Rollouts.
const (
	DefaultMeasurementRetention  = 10
	DefaultConsecutiveErrorLimit = 4
	// DefaultErrorRetryInterval is how soon a metric without an interval
	// retries a measurement that errored.
	DefaultErrorRetryInterval = 10 * time.Second
)

// SpecError lists what is wrong with an analysis spec, each problem naming
// its field and what to write instead.
type SpecError struct{ Errs field.ErrorList }

func (e *SpecError) Error() string {
	if len(e.Errs) == 1 {
		return "invalid analysis: " + e.Errs[0].Error()
	}
	lines := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		lines[i] = "  - " + err.Error()
	}
	return "invalid analysis:\n" + strings.Join(lines, "\n")
}

// Validate checks spec the way the engine reads it, conditions compiled,
// and returns every problem with its field under path (nil for the spec's
// own root; "spec.validation.analysis" for a CRD that embeds it). Webhooks
// and CLIs call it; New calls it too.
func Validate(spec v1alpha1.AnalysisSpec, path *field.Path) field.ErrorList {
	_, errs := compile(spec, path, Options{})
	return errs
}

// metricPlan is a metric with everything parsed, compiled and built once.
type metricPlan struct {
	metric       v1alpha1.Metric
	interval     time.Duration
	initialDelay time.Duration
	// count is the effective count; 0 means measure until terminated.
	count                 int32
	consecutiveErrorLimit int32
	cond                  *conditions
	provider              Provider
}

func compile(spec v1alpha1.AnalysisSpec, path *field.Path, opts Options) (*Engine, field.ErrorList) {
	var errs field.ErrorList
	e := &Engine{retention: DefaultMeasurementRetention, clock: opts.Clock}
	if e.clock == nil {
		e.clock = realClock{}
	}
	if r := spec.MeasurementRetention; r != nil {
		if *r < 1 || *r > 1000 {
			errs = append(errs, field.Invalid(path.Child("measurementRetention"), *r, "must be between 1 and 1000; leave it unset for 10"))
		}
		e.retention = int(*r)
	}
	metricsPath := path.Child("metrics")
	if len(spec.Metrics) == 0 {
		errs = append(errs, field.Required(metricsPath, "add at least one metric"))
	}
	seen := map[string]bool{}
	for i, m := range spec.Metrics {
		mp := metricsPath.Index(i)
		if m.Name == "" {
			errs = append(errs, field.Required(mp.Child("name"), "give the metric a name"))
		} else if seen[m.Name] {
			errs = append(errs, field.Duplicate(mp.Child("name"), m.Name))
		}
		seen[m.Name] = true
		plan, merrs := compileMetric(m, mp, opts)
		errs = append(errs, merrs...)
		e.metrics = append(e.metrics, plan)
	}
	return e, errs
}

func compileMetric(m v1alpha1.Metric, path *field.Path, opts Options) (*metricPlan, field.ErrorList) {
	var errs field.ErrorList
	p := &metricPlan{metric: m, consecutiveErrorLimit: DefaultConsecutiveErrorLimit}
	var err error
	if p.interval, err = m.Interval.Parse(); err != nil {
		errs = append(errs, field.Invalid(path.Child("interval"), m.Interval, err.Error()))
	}
	if p.initialDelay, err = m.InitialDelay.Parse(); err != nil {
		errs = append(errs, field.Invalid(path.Child("initialDelay"), m.InitialDelay, err.Error()))
	}
	switch {
	case m.Count != nil && *m.Count < 1:
		errs = append(errs, field.Invalid(path.Child("count"), *m.Count, "must be at least 1; leave it unset (with an interval) to measure until the analysis is terminated"))
	case m.Count != nil:
		p.count = *m.Count
	case m.Interval == "":
		// Argo's effective count: no count and no interval is one measurement.
		p.count = 1
	}
	if p.count > 1 && m.Interval == "" {
		errs = append(errs, field.Required(path.Child("interval"), fmt.Sprintf("count %d needs an interval between measurements; set one, e.g. \"30s\"", p.count)))
	}
	for _, l := range []struct {
		name  string
		value int32
	}{{"failureLimit", m.FailureLimit}, {"inconclusiveLimit", m.InconclusiveLimit}} {
		switch {
		case l.value < 0:
			errs = append(errs, field.Invalid(path.Child(l.name), l.value, "must be 0 or more"))
		case p.count > 0 && l.value > p.count:
			errs = append(errs, field.Invalid(path.Child(l.name), l.value, fmt.Sprintf("is more than count %d, so it can never be crossed; lower it or raise count", p.count)))
		}
	}
	if l := m.ConsecutiveErrorLimit; l != nil {
		if *l < 0 {
			errs = append(errs, field.Invalid(path.Child("consecutiveErrorLimit"), *l, "must be 0 or more; leave it unset for 4"))
		}
		p.consecutiveErrorLimit = *l
	}
	var cerrs field.ErrorList
	p.cond, cerrs = compileConditions(m, path)
	errs = append(errs, cerrs...)
	errs = append(errs, buildProvider(p, path.Child("provider"), opts)...)
	return p, errs
}

func buildProvider(p *metricPlan, path *field.Path, opts Options) field.ErrorList {
	mp := p.metric.Provider
	n := 0
	for _, set := range []bool{mp.Prometheus != nil, mp.Web != nil, mp.Command != nil} {
		if set {
			n++
		}
	}
	if opts.NewProvider != nil {
		prov, err := opts.NewProvider(p.metric)
		if err != nil {
			return field.ErrorList{field.Invalid(path, p.metric.Name, err.Error())}
		}
		if prov != nil {
			p.provider = prov
			return nil
		}
	}
	if n != 1 {
		return field.ErrorList{field.Invalid(path, fmt.Sprintf("%d providers", n), "set exactly one of prometheus, web or command")}
	}
	prov, errs := newBuiltinProvider(p.metric, path, opts.HTTPClient)
	p.provider = prov
	return errs
}
