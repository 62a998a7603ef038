package analysis

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"upshift.dev/upshift/api/v1alpha1"
)

// env is what a condition sees. A struct rather than a map so that `result`
// has the static type any: the compiler then accepts indexing, len() and
// comparisons, and rejects unknown names such as a mistyped `reslt`.
type env struct {
	Result any `expr:"result"`
}

// conditionOptions are the compile options every condition shares: the
// environment, a bool result, and the helper functions of doc.go.
func conditionOptions() []expr.Option {
	return []expr.Option{
		expr.Env(env{}),
		expr.AsBool(),
		expr.Function("isNaN", func(p ...any) (any, error) { return anyFloat(p[0], math.IsNaN), nil }, new(func(any) bool)),
		expr.Function("isInf", func(p ...any) (any, error) {
			return anyFloat(p[0], func(f float64) bool { return math.IsInf(f, 0) }), nil
		}, new(func(any) bool)),
		expr.Function("isEmpty", func(p ...any) (any, error) { return isEmpty(p[0]), nil }, new(func(any) bool)),
		expr.Function("isNil", func(p ...any) (any, error) { return p[0] == nil, nil }, new(func(any) bool)),
		expr.Function("default", func(p ...any) (any, error) {
			if isEmpty(p[0]) || isNaNValue(p[0]) {
				return p[1], nil
			}
			return p[0], nil
		}, new(func(any, any) any)),
		expr.Function("asFloat", func(p ...any) (any, error) { return asFloat(p[0]) }, new(func(any) float64)),
		expr.Function("asInt", func(p ...any) (any, error) {
			f, err := asFloat(p[0])
			return int(f), err
		}, new(func(any) int)),
	}
}

// conditions are a metric's compiled success and failure conditions.
type conditions struct {
	success, failure       *vm.Program
	successSrc, failureSrc string
	// handlesEmpty and handlesNaN record whether the conditions test for an
	// empty or NaN result themselves (see doc.go); when they do not, the
	// engine decides such a result is Inconclusive before evaluating them.
	handlesEmpty, handlesNaN bool
	// emptyText says what an empty result means for this provider.
	emptyText string
}

func compileConditions(m v1alpha1.Metric, path *field.Path) (*conditions, field.ErrorList) {
	c := &conditions{successSrc: m.SuccessCondition, failureSrc: m.FailureCondition, emptyText: "the result is empty"}
	switch {
	case m.Provider.Prometheus != nil:
		c.emptyText = "the query returned no series"
	case m.Provider.Web != nil:
		c.emptyText = "jsonPath selected nothing (or null)"
	case m.Provider.Command != nil && c.successSrc == "" && c.failureSrc == "":
		// Like Argo's job provider: a command judges itself by its exit code.
		c.successSrc = "result.exitCode == 0"
	}
	var errs field.ErrorList
	var err *field.Error
	if c.success, err = c.compile(c.successSrc, path.Child("successCondition"), sampleResult(m)); err != nil {
		errs = append(errs, err)
	}
	if c.failure, err = c.compile(c.failureSrc, path.Child("failureCondition"), sampleResult(m)); err != nil {
		errs = append(errs, err)
	}
	return c, errs
}

// sampleResult is a typical result of the metric's provider, nil when the
// shape is not known in advance (web).
func sampleResult(m v1alpha1.Metric) any {
	switch p := m.Provider; {
	case p.Prometheus != nil && p.Prometheus.Range != nil:
		return [][]float64{{1}}
	case p.Prometheus != nil:
		return []float64{1}
	case p.Command != nil:
		return map[string]any{"exitCode": 0, "stdout": "1", "stderr": ""}
	}
	return nil
}

func (c *conditions) compile(src string, path *field.Path, sample any) (*vm.Program, *field.Error) {
	if strings.TrimSpace(src) == "" {
		return nil, nil
	}
	p, err := expr.Compile(src, conditionOptions()...)
	if err != nil {
		return nil, field.Invalid(path, src, fmt.Sprintf("does not compile: %s; write an expr-lang expression over `result` that yields true or false, e.g. `result[0] < 0.05`", oneLine(err)))
	}
	// `result` has no static type, so `result[0] + 1` compiles. Run it
	// once on a typical result: a value that is not a bool is a spec error
	// now rather than an Error on every measurement. Evaluation errors
	// prove nothing (the sample may not have the real shape) and pass.
	if sample != nil {
		if out, err := expr.Run(p, env{Result: sample}); err != nil && strings.HasPrefix(err.Error(), "invalid operation: bool(") || err == nil && !isBool(out) {
			return nil, field.Invalid(path, src, fmt.Sprintf("is not true or false on a result like %s; a condition must yield a bool, e.g. `result[0] < 0.05`", formatValue(sample)))
		}
	}
	node := p.Node()
	ast.Walk(&node, &handlerScan{c: c})
	return p, nil
}

// handlerScan notes which helpers a condition calls.
type handlerScan struct{ c *conditions }

func (s *handlerScan) Visit(n *ast.Node) {
	switch x := (*n).(type) {
	case *ast.BuiltinNode:
		if x.Name == "len" {
			s.c.handlesEmpty = true
		}
	case *ast.CallNode:
		if id, ok := x.Callee.(*ast.IdentifierNode); ok {
			switch id.Value {
			case "isEmpty", "isNil":
				s.c.handlesEmpty = true
			case "isNaN":
				s.c.handlesNaN = true
			case "default":
				s.c.handlesEmpty, s.c.handlesNaN = true, true
			}
		}
	case *ast.BinaryNode:
		if x.Operator == "??" {
			s.c.handlesEmpty = true
		}
	case *ast.NilNode:
		s.c.handlesEmpty = true
	}
}

// judge turns a result into a measurement phase with Argo Rollouts' rules,
// after the empty and NaN rules of doc.go.
func (c *conditions) judge(result any) (v1alpha1.AnalysisPhase, string) {
	if isEmpty(result) && !c.handlesEmpty {
		return v1alpha1.AnalysisPhaseInconclusive, c.emptyText + " (no data: no traffic yet, or a selector that matches nothing); " +
			"measured as Inconclusive. To decide it yourself, test for it in the condition: " +
			"`len(result) == 0 || result[0] < 0.05` or `default(first(result), 0) < 0.05`"
	}
	if hasNaN(result) && !c.handlesNaN {
		return v1alpha1.AnalysisPhaseInconclusive, "the result is NaN (0/0: usually no requests in the window); " +
			"measured as Inconclusive. To decide it yourself, test for it in the condition: " +
			"`isNaN(result[0]) || result[0] < 0.05` or `default(first(result), 0) < 0.05`"
	}
	if c.success == nil && c.failure == nil {
		return v1alpha1.AnalysisPhaseSuccessful, ""
	}
	var ok, bad bool
	var err error
	if c.success != nil {
		if ok, err = c.eval(c.success, result); err != nil {
			return v1alpha1.AnalysisPhaseError, c.evalError("successCondition", c.successSrc, result, err)
		}
	}
	if c.failure != nil {
		if bad, err = c.eval(c.failure, result); err != nil {
			return v1alpha1.AnalysisPhaseError, c.evalError("failureCondition", c.failureSrc, result, err)
		}
	}
	switch {
	case c.failure == nil:
		// Without a failure condition, not successful is failed.
		bad = !ok
	case c.success == nil:
		// Without a success condition, not failed is successful.
		ok = !bad
	}
	switch {
	case bad:
		return v1alpha1.AnalysisPhaseFailed, ""
	case !ok:
		return v1alpha1.AnalysisPhaseInconclusive, "neither successCondition nor failureCondition is true"
	}
	return v1alpha1.AnalysisPhaseSuccessful, ""
}

func (c *conditions) eval(p *vm.Program, result any) (ok bool, err error) {
	// expr recovers the panics of its own builtins, but a condition is user
	// input run inside a controller: never let it take the process down.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("evaluation panicked: %v", r)
		}
	}()
	out, err := expr.Run(p, env{Result: result})
	if err != nil {
		return false, err
	}
	b, isBool := out.(bool)
	if !isBool {
		return false, fmt.Errorf("yielded %s (%T), not a bool", formatValue(out), out)
	}
	return b, nil
}

func isBool(v any) bool {
	_, ok := v.(bool)
	return ok
}

func (c *conditions) evalError(name, src string, result any, err error) string {
	msg := fmt.Sprintf("%s `%s` could not be evaluated on result %s: %s", name, src, formatValue(result), oneLine(err))
	if isEmpty(result) {
		msg += "; the result is empty: guard the condition with `len(result) > 0`"
	}
	return msg
}

// isEmpty reports whether v carries no data: nil, or an empty list, map or
// string.
func isEmpty(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map, reflect.String:
		return rv.Len() == 0
	case reflect.Pointer, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

func isNaNValue(v any) bool {
	f, ok := v.(float64)
	return ok && math.IsNaN(f)
}

// hasNaN reports whether v is NaN or holds a NaN anywhere inside.
func hasNaN(v any) bool { return anyFloat(v, math.IsNaN) }

// anyFloat reports whether pred holds for v or for any number inside v's
// lists and maps.
func anyFloat(v any, pred func(float64) bool) bool {
	switch x := v.(type) {
	case float64:
		return pred(x)
	case float32:
		return pred(float64(x))
	case []float64:
		for _, f := range x {
			if pred(f) {
				return true
			}
		}
		return false
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		for i := range rv.Len() {
			if anyFloat(rv.Index(i).Interface(), pred) {
				return true
			}
		}
	case reflect.Map:
		iter := rv.MapRange()
		for iter.Next() {
			if anyFloat(iter.Value().Interface(), pred) {
				return true
			}
		}
	}
	return false
}

func asFloat(v any) (float64, error) {
	switch x := v.(type) {
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, fmt.Errorf("asFloat: %q is not a number", x)
		}
		return f, nil
	case bool:
		return 0, fmt.Errorf("asFloat: %v is a bool, not a number", x)
	}
	rv := reflect.ValueOf(v)
	switch {
	case rv.CanFloat():
		return rv.Float(), nil
	case rv.CanInt():
		return float64(rv.Int()), nil
	case rv.CanUint():
		return float64(rv.Uint()), nil
	}
	return 0, fmt.Errorf("asFloat: %v (%T) is not a number", v, v)
}

// oneLine drops the source excerpt expr adds below its messages: the field
// path and the condition are in the message already.
func oneLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
