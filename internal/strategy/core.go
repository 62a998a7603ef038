package strategy

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"upshift.dev/upshift/internal/analysis"
)

// core is what both reconcilers share: the hub clients, the clock, the
// tools and the workers of long operations.
type core struct {
	client   client.Client
	reader   client.Reader
	clock    clock.PassiveClock
	recorder record.EventRecorder
	tools    *Tools
	workers  *Workers
	// wake carries workers' reports into the controller's queue.
	wake chan event.GenericEvent
}

// newCore wires the workers to wake the object they work for; newObj
// returns an empty object of the reconciled kind.
func newCore(c client.Client, reader client.Reader, clk clock.PassiveClock, rec record.EventRecorder, tools *Tools, newObj func() client.Object) *core {
	if reader == nil {
		reader = c
	}
	if clk == nil {
		clk = clock.RealClock{}
	}
	co := &core{client: c, reader: reader, clock: clk, recorder: rec, tools: tools, wake: make(chan event.GenericEvent, 1024)}
	co.workers = &Workers{Clock: clk, Notify: func(namespace, name string) {
		obj := newObj()
		obj.SetNamespace(namespace)
		obj.SetName(name)
		select {
		case co.wake <- event.GenericEvent{Object: obj}:
		default: // a wake-up is already queued
		}
	}}
	return co
}

func (c *core) analysisOptions() analysis.Options {
	o := c.tools.Analysis
	if o.Clock == nil {
		o.Clock = c.clock
	}
	return o
}

// pass is one reconcile of one object: the time it is judged at, the
// message it leaves, and the effects to run once its status is written.
type pass struct {
	core *core
	obj  client.Object
	now  time.Time
	msg  string
	fx   effects
}

func (p *pass) ns() string   { return p.obj.GetNamespace() }
func (p *pass) name() string { return p.obj.GetName() }

func (p *pass) event(warning bool, reason, format string, args ...any) {
	if p.core.recorder == nil {
		return
	}
	typ := "Normal"
	if warning {
		typ = "Warning"
	}
	p.core.recorder.Eventf(p.obj, typ, reason, format, args...)
}

// effects are what a pass decided to do outside the status. They run only
// after the status write succeeded, so a pass whose write lost a race has
// done nothing.
type effects struct {
	cancel, forget []string
	start          []jobStart
}

type jobStart struct {
	op, target string
	fn         JobFunc
}

func (fx *effects) apply(w *Workers, namespace, name string) {
	for _, op := range fx.cancel {
		w.Cancel(namespace, name, op)
	}
	for _, op := range fx.forget {
		w.Forget(namespace, name, op)
	}
	for _, s := range fx.start {
		w.Start(namespace, name, s.op, s.target, s.fn)
	}
}

// job returns the object's op job once it is done for target. A missing
// job is started (after the status write); a job for another target is
// cancelled, and replaced once it has ended; a running one reports its
// progress in the message. The caller records a done job's outcome and
// forgets it.
func (p *pass) job(op, target string, fn JobFunc) (Job, bool) {
	j, ok := p.core.workers.Get(p.ns(), p.name(), op)
	switch {
	case !ok:
		p.fx.start = append(p.fx.start, jobStart{op: op, target: target, fn: fn})
		return Job{}, false
	case j.Target != target && j.Done:
		p.fx.forget = append(p.fx.forget, op)
		p.fx.start = append(p.fx.start, jobStart{op: op, target: target, fn: fn})
		return Job{}, false
	case j.Target != target:
		p.fx.cancel = append(p.fx.cancel, op)
		return Job{}, false
	case !j.Done:
		if j.Progress != "" {
			p.msg = j.Progress
		}
		return j, false
	}
	return j, true
}

func (p *pass) forget(op string) { p.fx.forget = append(p.fx.forget, op) }

// outcome is what a step says about itself.
type outcome struct {
	// done: the step is over; go on.
	done bool
	// after: not done; look again then (0: when something changes).
	after time.Duration
	// fail: the strategy cannot go on, for this reason.
	fail string
}

func proceed() outcome                { return outcome{done: true} }
func waitFor(d time.Duration) outcome { return outcome{after: d} }
func failure(format string, args ...any) outcome {
	return outcome{fail: fmt.Sprintf(format, args...)}
}

// mtime is a status time: whole seconds, as the API server keeps them.
func mtime(t time.Time) *metav1.Time {
	m := metav1.NewTime(t.UTC().Truncate(time.Second))
	return &m
}

// ceilTime rounds up to the second, for moments nothing may happen before.
func ceilTime(t time.Time) *metav1.Time {
	if u := t.Truncate(time.Second); !u.Equal(t) {
		t = u.Add(time.Second)
	}
	return mtime(t)
}

// setCondition sets a condition with the pass's clock as its transition
// time.
func setCondition(conds *[]metav1.Condition, gen int64, now time.Time, typ string, status metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(conds, metav1.Condition{Type: typ, Status: status, Reason: reason, Message: msg,
		ObservedGeneration: gen, LastTransitionTime: *mtime(now)})
}

// requeue bounds a wait: never negative, never a busy loop.
func requeue(d time.Duration) time.Duration {
	return max(d, 50*time.Millisecond)
}

// statusWriter is the status write both reconcilers use.
func (c *core) writeStatus(ctx context.Context, obj client.Object) error {
	return c.client.Status().Update(ctx, obj)
}
