package fleet

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// Workers runs member upgrades in the background and keeps their outcome
// until the reconciler has written it into the run's status. It is the
// controller's only in-memory state, and losing it (a restart) only means
// upgrades in flight are started again.
type Workers struct {
	mu sync.Mutex
	m  map[string]*worker
	// Notify is called (from the worker's goroutine) when a worker reports
	// progress or finishes, with the run it belongs to.
	Notify func(namespace, run string)
}

type worker struct {
	cancel   context.CancelFunc
	done     bool
	err      error
	progress Progress
}

// WorkerState is a snapshot of one worker.
type WorkerState struct {
	Done     bool
	Err      error
	Progress Progress
}

func workerKey(namespace, run, member string, attempt int32) string {
	return fmt.Sprintf("%s/%s/%s/%d", namespace, run, member, attempt)
}

// Start runs fn unless a worker with the same key already exists.
func (w *Workers) Start(namespace, run, member string, attempt int32, fn func(ctx context.Context, progress func(Progress)) error) {
	key := workerKey(namespace, run, member, attempt)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = map[string]*worker{}
	}
	if _, ok := w.m[key]; ok {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	wk := &worker{cancel: cancel}
	w.m[key] = wk
	go func() {
		err := fn(ctx, func(p Progress) {
			w.mu.Lock()
			changed := wk.progress != p
			wk.progress = p
			w.mu.Unlock()
			if changed {
				w.notify(namespace, run)
			}
		})
		w.mu.Lock()
		wk.done, wk.err = true, err
		w.mu.Unlock()
		w.notify(namespace, run)
	}()
}

func (w *Workers) notify(namespace, run string) {
	if w.Notify != nil {
		w.Notify(namespace, run)
	}
}

// Get returns a worker's state.
func (w *Workers) Get(namespace, run, member string, attempt int32) (WorkerState, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	wk, ok := w.m[workerKey(namespace, run, member, attempt)]
	if !ok {
		return WorkerState{}, false
	}
	return WorkerState{Done: wk.done, Err: wk.err, Progress: wk.progress}, true
}

// Forget drops a finished worker once its outcome is in the status.
func (w *Workers) Forget(namespace, run, member string, attempt int32) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.m, workerKey(namespace, run, member, attempt))
}

// StopRun cancels every worker of a run (the run was deleted).
func (w *Workers) StopRun(namespace, run string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	prefix := namespace + "/" + run + "/"
	for k, wk := range w.m {
		if strings.HasPrefix(k, prefix) {
			wk.cancel()
			delete(w.m, k)
		}
	}
}
