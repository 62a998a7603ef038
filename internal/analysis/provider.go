package analysis

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"upshift.dev/upshift/api/v1alpha1"
)

// Provider takes one measurement of one metric.
//
// Measure returns the value the conditions see as `result`. It returns an
// error only when it could not measure: the server was unreachable or
// answered outside 2xx, the answer did not parse, the provider's own timeout
// passed, the command could not start. The engine records such a
// measurement as Error, and it counts toward consecutiveErrorLimit. A value
// the conditions will not like (an empty vector, NaN, a non-zero exit code)
// is not an error: return it and let the conditions judge.
//
// Measure honours ctx. When the caller's ctx ends, the engine throws the
// measurement away instead of recording an Error, so that an interrupted
// controller takes it again on resume.
//
// now is the start of the measurement on the engine's clock. Providers that
// ask "as of when" (a Prometheus instant query) use it rather than
// time.Now, so that tests with a fake clock and replays agree.
type Provider interface {
	Measure(ctx context.Context, now time.Time) (Value, error)
}

// Value is what a provider measured.
type Value struct {
	// Result is `result` in the conditions. Built-in providers return nil,
	// bool, float64, string, []float64, [][]float64, []any or
	// map[string]any.
	Result any
	// Text is how status shows the value (Measurement.value); derived from
	// Result when empty.
	Text string
	// Warning is a remark from the source (Prometheus warnings) kept in the
	// measurement's message when nothing more important is there.
	Warning string
}

// ProviderFunc adapts a function to Provider.
type ProviderFunc func(ctx context.Context, now time.Time) (Value, error)

// Measure calls f.
func (f ProviderFunc) Measure(ctx context.Context, now time.Time) (Value, error) { return f(ctx, now) }

var _ Provider = ProviderFunc(nil)

// maxValueText caps Measurement.value so that status stays small whatever a
// web endpoint answers.
const maxValueText = 512

// newBuiltinProvider builds the provider a metric names. Spec errors were
// caught by validation; what remains here can only fail on things
// validation cannot see.
func newBuiltinProvider(m v1alpha1.Metric, path *field.Path, client *http.Client) (Provider, field.ErrorList) {
	p := m.Provider
	switch {
	case p.Prometheus != nil:
		return newPrometheusProvider(p.Prometheus, path.Child("prometheus"), client)
	case p.Web != nil:
		return newWebProvider(p.Web, path.Child("web"), client)
	case p.Command != nil:
		return newCommandProvider(p.Command, path.Child("command"))
	}
	return nil, field.ErrorList{field.Required(path, "set exactly one of prometheus, web or command")}
}

// formatValue renders a result for status: numbers as Prometheus prints
// them (NaN, +Inf), lists in brackets, anything else as JSON.
func formatValue(v any) string {
	var b strings.Builder
	writeValue(&b, v)
	s := b.String()
	if len(s) > maxValueText {
		s = s[:maxValueText-len("…")] + "…"
	}
	return s
}

func writeValue(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case float64:
		b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
	case string:
		b.WriteString(x)
	case []float64:
		b.WriteByte('[')
		for i, f := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
		}
		b.WriteByte(']')
	case [][]float64:
		b.WriteByte('[')
		for i, s := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeValue(b, s)
		}
		b.WriteByte(']')
	default:
		if j, err := json.Marshal(x); err == nil {
			b.Write(j)
		} else {
			fmt.Fprintf(b, "%v", x)
		}
	}
}
