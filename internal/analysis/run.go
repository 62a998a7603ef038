package analysis

import (
	"context"
	"fmt"
	"time"

	"upshift.dev/upshift/api/v1alpha1"
)

// WaitClock is a Clock that can also wait. k8s.io/utils/clock.RealClock is
// one; tests pass a clock that jumps forward instead of waiting.
type WaitClock interface {
	Clock
	After(d time.Duration) <-chan time.Time
}

// RunOptions are the settings of Engine.Run.
type RunOptions struct {
	// Clock gives now to each pass and waits between them. Real time when
	// nil.
	Clock WaitClock
	// Duration, when positive, is a bake time: the analysis is terminated
	// that long after status.startedAt, so that metrics without a count end
	// Successful unless a limit was crossed. Zero runs until a verdict.
	Duration time.Duration
	// OnUpdate is called after each pass with the status and what the pass
	// measured. It must not keep the status pointer past the call.
	OnUpdate func(status *v1alpha1.AnalysisStatus, r Result)
}

// Run reconciles status until the analysis has a verdict, waiting between
// passes: the blocking form of Reconcile, for the CLI. Given a status from
// an earlier Run, it resumes. It returns ctx's error when ctx ends first;
// status then holds every measurement recorded so far.
func (e *Engine) Run(ctx context.Context, status *v1alpha1.AnalysisStatus, opts RunOptions) error {
	clk := opts.Clock
	if clk == nil {
		clk = realClock{}
	}
	update := func(r Result) {
		if opts.OnUpdate != nil {
			opts.OnUpdate(status, r)
		}
	}
	for {
		now := clk.Now()
		if opts.Duration > 0 && status.StartedAt != nil && !now.Before(status.StartedAt.Add(opts.Duration)) {
			e.Terminate(status, now, fmt.Sprintf("duration %s elapsed", opts.Duration))
			update(Result{Done: true})
			return nil
		}
		res, err := e.Reconcile(ctx, status, now)
		update(res)
		if err != nil {
			return err
		}
		if res.Done {
			return nil
		}
		wait := res.RequeueAfter
		if opts.Duration > 0 {
			wait = min(wait, status.StartedAt.Add(opts.Duration).Sub(now))
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-clk.After(wait):
		}
	}
}
