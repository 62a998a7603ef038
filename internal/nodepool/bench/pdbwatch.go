package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// pdbWatcher records, for every PDB, the lowest currentHealthy −
// desiredHealthy it reports while an upgrade runs. Below 0 would mean the
// upgrade took down more pods than the budget allows; 0 means it used the
// budget to the last pod, which is what a fast drain should do.
type pdbWatcher struct {
	mu      sync.Mutex
	margins map[string]int32
	updates int
	err     error
	cancel  context.CancelFunc
	done    chan struct{}
}

// watchPDBs starts the watcher; stop ends it and returns what it saw. It
// lists first (so the starting state counts) and re-lists if the watch
// closes, so no status update is missed for long.
func watchPDBs(ctx context.Context, client kubernetes.Interface) *pdbWatcher {
	ctx, cancel := context.WithCancel(ctx)
	w := &pdbWatcher{margins: map[string]int32{}, cancel: cancel, done: make(chan struct{})}
	ready := make(chan struct{})
	go func() {
		defer close(w.done)
		first := true
		for ctx.Err() == nil {
			list, err := client.PolicyV1().PodDisruptionBudgets(benchNamespace).List(ctx, metav1.ListOptions{})
			if err != nil {
				w.fail(err)
				if first {
					close(ready)
				}
				return
			}
			for i := range list.Items {
				w.observe(&list.Items[i])
			}
			watch, err := client.PolicyV1().PodDisruptionBudgets(benchNamespace).Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
			if first {
				close(ready)
				first = false
			}
			if err != nil {
				if ctx.Err() == nil {
					w.fail(err)
				}
				return
			}
			for ev := range watch.ResultChan() {
				if pdb, ok := ev.Object.(*policyv1.PodDisruptionBudget); ok {
					w.observe(pdb)
				}
			}
			watch.Stop()
		}
	}()
	<-ready
	return w
}

func (w *pdbWatcher) observe(pdb *policyv1.PodDisruptionBudget) {
	s := pdb.Status
	if s.ObservedGeneration != pdb.Generation || s.ExpectedPods == 0 {
		return // the controller has not computed this spec yet
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.updates++
	m := s.CurrentHealthy - s.DesiredHealthy
	if old, ok := w.margins[pdb.Name]; !ok || m < old {
		w.margins[pdb.Name] = m
	}
}

func (w *pdbWatcher) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.err = fmt.Errorf("PDB watch failed: %w", err)
}

// pdbReport is what the watcher saw during one upgrade.
type pdbReport struct {
	Margins map[string]int32
	Updates int
	Err     error
}

// Min is the lowest margin of any PDB.
func (r pdbReport) Min() int32 {
	first, lowest := true, int32(0)
	for _, m := range r.Margins {
		if first || m < lowest {
			lowest, first = m, false
		}
	}
	return lowest
}

// String lists each PDB's minimum margin, by name.
func (r pdbReport) String() string {
	names := make([]string, 0, len(r.Margins))
	for n := range r.Margins {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s %d", n, r.Margins[n])
	}
	return strings.Join(parts, ", ")
}

func (w *pdbWatcher) stop() pdbReport {
	w.cancel()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return pdbReport{Margins: w.margins, Updates: w.updates, Err: w.err}
}
