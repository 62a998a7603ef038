package run

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
	fleetcmd "upshift.dev/upshift/internal/cli/fleet"
)

// StatusOptions are the inputs of `upshift run status`.
type StatusOptions struct {
	IO              *cmdutil.IOStreams
	Client          func() (client.Client, error)
	Now             func() time.Time
	Namespace, Name string
	Watch           bool
	Output          string
	// Interval is how often --watch reads the run; a second when zero.
	Interval time.Duration
}

func newCmdStatus(f *cmdutil.Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{IO: f.IO, Client: fleetcmd.Client(f), Now: f.Clock()}
	cmd := &cobra.Command{
		Use:   "status NAME [-w]",
		Short: "Show a run as a tree of stages, gates, groups and members; -w follows it",
		Long: `Show where a run is: each stage with its gates, groups and members, their
states and start and end times, what a running member is doing (its step and
node pool progress), what a pending one waits for (a closed maintenance
window, a blocked drain, an unreachable cluster), and how to let a waiting
gate through.

-w follows the run until it is Completed, Failed or Stopped: on a terminal the
tree is redrawn in place; elsewhere (CI logs, pipes) a line is printed for
each change. With -o json or yaml the run object is printed at each change.

Exit status: 0 when the run is Completed, Stopped or still going, 3 when it
Failed (with -w: when it ends Failed).

` + cmdutil.ExitCodes,
		Example: `  upshift run status to-1.37
  upshift run status to-1.37 -w
  upshift run status to-1.37 -o json | jq '.status.stages[].groups[].members[] | select(.state=="Failed")'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if err := cmdutil.ValidateOutput(opts.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return statusRun(cmd.Context(), opts)
		},
	}
	fleetcmd.AddNamespaceFlag(cmd, &opts.Namespace)
	cmd.Flags().BoolVarP(&opts.Watch, "watch", "w", false, "Follow the run until it is Completed, Failed or Stopped")
	cmdutil.AddOutputFlag(cmd, &opts.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML)
	return cmd
}

func statusRun(ctx context.Context, opts *StatusOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	if opts.Watch {
		return watch(ctx, c, opts)
	}
	run, err := get(ctx, c, opts.Namespace, opts.Name)
	if err != nil {
		return err
	}
	if opts.Output != cmdutil.OutputTable {
		err = cmdutil.PrintStructured(opts.IO.Out, opts.Output, run)
	} else {
		err = view{now: opts.Now(), tty: opts.IO.IsStdoutTTY()}.render(opts.IO.Out, run)
	}
	if err != nil {
		return err
	}
	return exitStatus(run)
}

// final reports whether the run has come to rest: Completed, Failed or
// Stopped, or stopped before it ever started (the controller leaves such a
// run NotStarted), with the controller having seen the latest spec (a run
// just retried or started again shows its old state until then).
func final(run *v1alpha1.UpdateRun) bool {
	if run.Status.ObservedGeneration < run.Generation {
		return false
	}
	switch run.Status.State {
	case v1alpha1.StateCompleted, v1alpha1.StateFailed, v1alpha1.StateStopped:
		return true
	case "", v1alpha1.StateNotStarted:
		return run.Spec.State == v1alpha1.RunStop
	}
	return false
}

// exitStatus maps a run's outcome to the exit code: a failed run is a
// finding (3), the error naming what failed.
func exitStatus(run *v1alpha1.UpdateRun) error {
	if run.Status.State != v1alpha1.StateFailed {
		return nil
	}
	msg := run.Status.Error
	if msg == "" {
		msg = "see 'upshift run status " + run.Name + nsFlag(run.Namespace) + "'"
	}
	return cmdutil.WithExitCode(cmdutil.ExitFindings, fmt.Errorf("update run %q Failed: %s", run.Name, msg))
}

// watch polls the run and shows each change until it comes to rest. It
// polls rather than watches: a read a second is nothing for the API server,
// and it survives API server restarts and proxies that cut long requests.
func watch(ctx context.Context, c client.Client, opts *StatusOptions) error {
	interval := opts.Interval
	if interval == 0 {
		interval = time.Second
	}
	show := newWatcher(opts)
	failures := 0
	for {
		run, err := get(ctx, c, opts.Namespace, opts.Name)
		switch {
		case err == nil:
			failures = 0
			if err := show.update(run); err != nil {
				return err
			}
			if final(run) {
				return exitStatus(run)
			}
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, new(*notFoundError)):
			if show.seen {
				return fmt.Errorf("update run %q was deleted while being watched", opts.Name)
			}
			return err
		default:
			// The hub may be restarting; say so and keep trying.
			failures++
			if failures == 1 || failures%30 == 0 {
				fmt.Fprintf(opts.IO.ErrOut, "warning: %v (retrying)\n", err)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}
