package strategy

import (
	"context"
	"strings"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Workers runs a strategy's long operations (preflight, creating and
// deleting clusters, deploying, moving traffic) in the background and keeps
// their outcome until the reconciler has written it into the object's
// status. It is the controller's only in-memory state: a restarted
// controller has none, finds the operation's phase in status and starts the
// operation again, which is safe because every operation is idempotent.
type Workers struct {
	// Clock stamps when a job finished; real time when nil.
	Clock clock.PassiveClock
	// Notify is called (from the job's goroutine) when a job reports
	// progress or ends, with the object it belongs to.
	Notify func(namespace, name string)

	mu   sync.Mutex
	jobs map[string]*job
}

// JobFunc is a long operation. It reports progress with a short line and
// returns a result the reconciler reads back (a propagation delay, facts
// about a cluster).
type JobFunc func(ctx context.Context, progress func(string)) (any, error)

type job struct {
	cancel   context.CancelFunc
	target   string
	done     bool
	result   any
	err      error
	progress string
	finished time.Time
}

// Job is a snapshot of one job.
type Job struct {
	// Target is what the job was started for (the weights it sets, the
	// cluster it creates); a job for another target is stale.
	Target   string
	Done     bool
	Result   any
	Err      error
	Progress string
	// Finished is when it ended, on the workers' clock.
	Finished time.Time
}

func jobKey(namespace, name, op string) string { return namespace + "/" + name + "/" + op }

// Start runs fn as the object's op for target, unless a job for op already
// exists (running or done but not forgotten).
func (w *Workers) Start(namespace, name, op, target string, fn JobFunc) {
	key := jobKey(namespace, name, op)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.jobs == nil {
		w.jobs = map[string]*job{}
	}
	if _, ok := w.jobs[key]; ok {
		return
	}
	// The job outlives the reconcile that started it; Stop and Cancel end
	// it.
	ctx, cancel := context.WithCancel(context.Background())
	j := &job{cancel: cancel, target: target}
	w.jobs[key] = j
	go func() {
		res, err := fn(ctx, func(p string) {
			w.mu.Lock()
			changed := j.progress != p
			j.progress = p
			w.mu.Unlock()
			if changed {
				w.notify(namespace, name)
			}
		})
		w.mu.Lock()
		j.done, j.result, j.err, j.finished = true, res, err, w.now()
		w.mu.Unlock()
		w.notify(namespace, name)
	}()
}

func (w *Workers) now() time.Time {
	if w.Clock == nil {
		return time.Now()
	}
	return w.Clock.Now()
}

func (w *Workers) notify(namespace, name string) {
	if w.Notify != nil {
		w.Notify(namespace, name)
	}
}

// Get returns the object's op job.
func (w *Workers) Get(namespace, name, op string) (Job, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	j, ok := w.jobs[jobKey(namespace, name, op)]
	if !ok {
		return Job{}, false
	}
	return Job{Target: j.target, Done: j.done, Result: j.result, Err: j.err, Progress: j.progress, Finished: j.finished}, true
}

// Cancel asks a running job to stop; it stays until Forget, so a new job
// for the same op cannot start before the old one has ended.
func (w *Workers) Cancel(namespace, name, op string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if j, ok := w.jobs[jobKey(namespace, name, op)]; ok {
		j.cancel()
	}
}

// Forget drops a finished job once its outcome is in the status.
func (w *Workers) Forget(namespace, name, op string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	key := jobKey(namespace, name, op)
	if j, ok := w.jobs[key]; ok && j.done {
		j.cancel()
		delete(w.jobs, key)
	}
}

// Stop cancels and drops every job of an object (it was deleted).
func (w *Workers) Stop(namespace, name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	prefix := namespace + "/" + name + "/"
	for k, j := range w.jobs {
		if strings.HasPrefix(k, prefix) {
			j.cancel()
			delete(w.jobs, k)
		}
	}
}
