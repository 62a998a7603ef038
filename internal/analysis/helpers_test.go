package analysis

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"upshift.dev/upshift/api/v1alpha1"
)

// t0 is the fake clock's start: a whole second, as status stores it.
func t0() time.Time { return time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC) }

// fakeClock is a clock that only moves when told to, or, through After,
// jumps forward at once: Run then completes without sleeping.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: t0()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Step(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.Step(d)
	ch := make(chan time.Time, 1)
	ch <- c.Now()
	return ch
}

// script is a provider whose k-th call returns the k-th letter's outcome:
// S a successful value, F a failing one, I an inconclusive one, E an
// error, N NaN, 0 an empty vector. Past the end it repeats the last one.
// Metrics judged with scriptConditions.
type script struct {
	mu    sync.Mutex
	steps string
	calls int
}

const (
	scriptSuccess = "result[0] < 1"
	scriptFailure = "result[0] > 2"
)

func (s *script) Measure(ctx context.Context, _ time.Time) (Value, error) {
	s.mu.Lock()
	k := min(s.calls, len(s.steps)-1)
	s.calls++
	s.mu.Unlock()
	return scriptValue(s.steps[k])
}

func scriptValue(step byte) (Value, error) {
	switch step {
	case 'S':
		return Value{Result: []float64{0.5}}, nil
	case 'F':
		return Value{Result: []float64{3}}, nil
	case 'I':
		return Value{Result: []float64{1.5}}, nil
	case 'E':
		return Value{}, errors.New("scripted error")
	case 'N':
		return Value{Result: []float64{math.NaN()}}, nil
	case '0':
		return Value{Result: []float64{}}, nil
	}
	panic(fmt.Sprintf("unknown script step %q", step))
}

// scriptMetric is a metric judged the way script values expect; its
// provider block is a placeholder that NewProvider replaces.
func scriptMetric(name string) v1alpha1.Metric {
	return v1alpha1.Metric{
		Name:             name,
		SuccessCondition: scriptSuccess,
		FailureCondition: scriptFailure,
		Provider:         v1alpha1.MetricProvider{Command: &v1alpha1.CommandMetric{Command: []string{"true"}}},
	}
}

// newScripted builds an engine whose metrics follow the scripts by name.
func newScripted(t testing.TB, spec v1alpha1.AnalysisSpec, clock Clock, scripts map[string]string) *Engine {
	t.Helper()
	e, err := New(spec, Options{Clock: clock, NewProvider: func(m v1alpha1.Metric) (Provider, error) {
		steps, ok := scripts[m.Name]
		if !ok {
			return nil, nil
		}
		return &script{steps: steps}, nil
	}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}

// runToEnd reconciles at the times the engine asks for, at most max
// passes, and returns the passes it took.
func runToEnd(t testing.TB, e *Engine, st *v1alpha1.AnalysisStatus, clock *fakeClock, max int) int {
	t.Helper()
	for pass := 1; pass <= max; pass++ {
		res, err := e.Reconcile(context.Background(), st, clock.Now())
		if err != nil {
			t.Fatalf("Reconcile: %v", err)
		}
		if res.Done {
			return pass
		}
		clock.Step(res.RequeueAfter)
	}
	return max
}

func ptr[T any](v T) *T { return &v }
