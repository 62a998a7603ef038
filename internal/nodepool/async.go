package nodepool

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"upshift.dev/upshift/internal/observe"
)

// StateReimaging marks a node whose reimage (reboot at the target) runs;
// it keeps its slot in the upgrade until it is back.
const StateReimaging = "reimaging"

// pass is one upgrade run's memory between passes. Everything that must
// survive a restart is on the nodes; what is here is either rebuilt from
// them (reimages in flight are started again from their node state) or
// deliberately forgotten (a failing run is simply retried, which is what
// re-running does on AKS).
type pass struct {
	failed *FailedError
	// rollingBack: this run has rolled green back, so finding no green
	// left means done, not "nothing to roll back".
	rollingBack bool
	// wake pokes the run loop when a background reimage ends.
	wake func()

	mu        sync.Mutex
	reimaging map[string]bool // node -> running in this process
	// reimaged are nodes whose reimage this process saw through: a pass
	// that listed nodes just before one finished must not start it again.
	reimaged map[string]bool
	errs     []error
}

func (p *pass) reimagingNow(node string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reimaging[node] || p.reimaged[node]
}

func (p *pass) reimageError() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return errors.Join(p.errs...)
}

// startReimage records the node as reimaging (so a restarted process
// resumes it) and runs the provider's reimage in the background: a reboot
// takes minutes on a cloud, and the other nodes of the window keep
// draining meanwhile.
func (u *Upgrader) startReimage(ctx context.Context, spec Spec, mem *pass, n Node) error {
	if n.State != StateReimaging {
		if err := u.patchNode(ctx, n.Name, patch{annotations: map[string]any{AnnotationState: StateReimaging}}); err != nil {
			return err
		}
	}
	mem.mu.Lock()
	if mem.reimaging == nil {
		mem.reimaging = map[string]bool{}
	}
	if mem.reimaging[n.Name] || mem.reimaged[n.Name] {
		mem.mu.Unlock()
		return nil
	}
	mem.reimaging[n.Name] = true
	mem.mu.Unlock()
	go func() {
		err := u.Machines.ReimageNode(ctx, spec.Cluster, n.Name, spec.Target)
		if err == nil {
			// The provider brings the node back uncordoned; clear what the
			// engine wrote, whatever the provider did with annotations.
			err = u.patchNode(ctx, n.Name, patch{annotations: progressAnnotations(), unschedulable: &no})
		}
		mem.mu.Lock()
		delete(mem.reimaging, n.Name)
		if err == nil {
			if mem.reimaged == nil {
				mem.reimaged = map[string]bool{}
			}
			mem.reimaged[n.Name] = true
		}
		if err != nil && ctx.Err() == nil {
			mem.errs = append(mem.errs, fmt.Errorf("failed to reimage node %q: %w", n.Name, err))
		}
		mem.mu.Unlock()
		if err == nil {
			u.Events.Normal(ctx, observe.NodeRef(n.Name), observe.ReasonUpgrade, "Upgraded node %s to %s", n.Name, spec.ID())
		}
		if mem.wake != nil {
			mem.wake()
		}
	}()
	return nil
}

// addNodes adds count nodes at the target in parallel, labelled and
// annotated as given, and returns the names of those added.
func (u *Upgrader) addNodes(ctx context.Context, spec Spec, count int, labels, annotations map[string]any) ([]string, error) {
	var (
		mu    sync.Mutex
		added []string
		errs  []error
		wg    sync.WaitGroup
	)
	for i := 0; i < count; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name, err := u.Machines.AddNode(ctx, spec.Cluster, spec.Pool, spec.Target)
			if err == nil {
				err = u.patchNode(ctx, name, patch{labels: labels, annotations: annotations})
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			added = append(added, name)
		}()
	}
	wg.Wait()
	return added, errors.Join(errs...)
}
