package analysis

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"upshift.dev/upshift/api/v1alpha1"
)

// DefaultPrometheusTimeout bounds one query when the metric sets none.
const DefaultPrometheusTimeout = 30 * time.Second

type prometheusProvider struct {
	api     promv1.API
	address string
	query   string
	timeout time.Duration
	rng     *promRange
}

var _ Provider = (*prometheusProvider)(nil)

// promRange is a compiled range: start and end are expressions over now().
type promRange struct {
	start, end *vm.Program // end nil: now
	step       time.Duration
}

// rangeEnv is what range expressions see: now() is the measurement's start
// on the engine's clock (expr's own now() would read the wall clock).
type rangeEnv struct {
	Now func() time.Time `expr:"now"`
}

func newPrometheusProvider(m *v1alpha1.PrometheusMetric, path *field.Path, client *http.Client) (Provider, field.ErrorList) {
	var errs field.ErrorList
	if u, err := url.Parse(m.Address); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, field.Invalid(path.Child("address"), m.Address, "must be an http or https URL with a host, e.g. http://prometheus.monitoring:9090"))
	}
	if strings.TrimSpace(m.Query) == "" {
		errs = append(errs, field.Required(path.Child("query"), "write the PromQL query to run"))
	}
	p := &prometheusProvider{address: m.Address, query: m.Query, timeout: DefaultPrometheusTimeout}
	if t, err := m.Timeout.Parse(); err != nil {
		errs = append(errs, field.Invalid(path.Child("timeout"), m.Timeout, err.Error()))
	} else if t > 0 {
		p.timeout = t
	}
	errs = append(errs, validateHeaders(m.Headers, path.Child("headers"))...)
	if m.Range != nil {
		var rerrs field.ErrorList
		p.rng, rerrs = compileRange(m.Range, path.Child("range"))
		errs = append(errs, rerrs...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	c, err := api.NewClient(api.Config{Address: m.Address, Client: &http.Client{Transport: withHeaders(client, m.Headers)}})
	if err != nil {
		return nil, field.ErrorList{field.Invalid(path.Child("address"), m.Address, err.Error())}
	}
	p.api = promv1.NewAPI(c)
	return p, nil
}

func compileRange(r *v1alpha1.PrometheusRange, path *field.Path) (*promRange, field.ErrorList) {
	var errs field.ErrorList
	pr := &promRange{}
	compileTime := func(src string, fp *field.Path) *vm.Program {
		p, err := expr.Compile(src, expr.Env(rangeEnv{}), expr.DisableBuiltin("now"))
		if err == nil {
			// Check the type once here, so that a wrong one is a spec error
			// and not an Error on every measurement.
			_, err = evalTime(p, time.Unix(0, 0))
		}
		if err != nil {
			errs = append(errs, field.Invalid(fp, src, fmt.Sprintf("%s; write a time expression such as `now() - duration(\"5m\")`", oneLine(err))))
		}
		return p
	}
	if strings.TrimSpace(r.Start) == "" {
		errs = append(errs, field.Required(path.Child("start"), "write when the window starts, e.g. `now() - duration(\"5m\")`"))
	} else {
		pr.start = compileTime(r.Start, path.Child("start"))
	}
	if strings.TrimSpace(r.End) != "" {
		pr.end = compileTime(r.End, path.Child("end"))
	}
	step, err := r.Step.Parse()
	switch {
	case err != nil:
		errs = append(errs, field.Invalid(path.Child("step"), r.Step, err.Error()))
	case step <= 0:
		errs = append(errs, field.Required(path.Child("step"), "set the resolution of the range query, e.g. \"30s\""))
	}
	pr.step = step
	return pr, errs
}

func evalTime(p *vm.Program, now time.Time) (time.Time, error) {
	out, err := expr.Run(p, rangeEnv{Now: func() time.Time { return now }})
	if err != nil {
		return time.Time{}, err
	}
	t, ok := out.(time.Time)
	if !ok {
		return time.Time{}, fmt.Errorf("yields %T, not a time", out)
	}
	return t, nil
}

func (p *prometheusProvider) Measure(ctx context.Context, now time.Time) (Value, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	var (
		v        model.Value
		warnings promv1.Warnings
		err      error
	)
	if p.rng == nil {
		v, warnings, _, err = p.api.Query(ctx, p.query, now, promv1.WithTimeout(p.timeout))
	} else {
		r := promv1.Range{End: now, Step: p.rng.step}
		if r.Start, err = evalTime(p.rng.start, now); err == nil && p.rng.end != nil {
			r.End, err = evalTime(p.rng.end, now)
		}
		if err != nil {
			return Value{}, fmt.Errorf("range: %w", err)
		}
		v, warnings, _, err = p.api.QueryRange(ctx, p.query, r, promv1.WithTimeout(p.timeout))
	}
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return Value{}, fmt.Errorf("prometheus at %s did not answer within timeout %s", p.address, p.timeout)
		}
		return Value{}, fmt.Errorf("prometheus at %s: %w", p.address, err)
	}
	result, err := promResult(v)
	if err != nil {
		return Value{}, err
	}
	out := Value{Result: result}
	if len(warnings) > 0 {
		out.Warning = "prometheus warnings: " + strings.Join(warnings, "; ")
	}
	return out, nil
}

// promResult gives a query result the shape conditions see, as Argo
// Rollouts does for vectors: the sample values in the order Prometheus
// returned them. An empty vector is an empty list, never nil, so that
// len(result) works.
func promResult(v model.Value) (any, error) {
	switch x := v.(type) {
	case model.Vector:
		out := make([]float64, 0, len(x))
		for _, s := range x {
			out = append(out, float64(s.Value))
		}
		return out, nil
	case model.Matrix:
		out := make([][]float64, 0, len(x))
		for _, s := range x {
			vals := make([]float64, 0, len(s.Values))
			for _, sp := range s.Values {
				vals = append(vals, float64(sp.Value))
			}
			out = append(out, vals)
		}
		return out, nil
	case *model.Scalar:
		return float64(x.Value), nil
	case *model.String:
		return x.Value, nil
	}
	return nil, fmt.Errorf("prometheus returned a result of type %T, which analysis cannot judge; query a vector, matrix, scalar or string", v)
}

func validateHeaders(hs []v1alpha1.Header, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, h := range hs {
		if strings.TrimSpace(h.Key) == "" {
			errs = append(errs, field.Required(path.Index(i).Child("key"), "name the header, e.g. Authorization"))
		}
	}
	return errs
}

// withHeaders returns client's transport (or the default one) adding
// headers to every request.
func withHeaders(client *http.Client, hs []v1alpha1.Header) http.RoundTripper {
	base := http.DefaultTransport
	if client != nil && client.Transport != nil {
		base = client.Transport
	}
	if len(hs) == 0 {
		return base
	}
	return headerTransport{base: base, headers: hs}
}

type headerTransport struct {
	base    http.RoundTripper
	headers []v1alpha1.Header
}

func (t headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// RoundTrippers must not change the caller's request.
	req = req.Clone(req.Context())
	for _, h := range t.headers {
		req.Header.Set(h.Key, h.Value)
	}
	return t.base.RoundTrip(req)
}
