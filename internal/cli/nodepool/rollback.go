package nodepool

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"upshift.dev/upshift/internal/cli/cmdutil"
	engine "upshift.dev/upshift/internal/nodepool"
)

// RollbackOptions are the inputs of `upshift nodepool rollback`.
type RollbackOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Pool    string
}

func newCmdRollback(f *cmdutil.Factory, runF func(*RollbackOptions) error) *cobra.Command {
	opts := &RollbackOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "rollback --pool NAME",
		Short: "Undo a blue-green node pool upgrade that has not deleted blue yet",
		Long: `Uncordon the blue nodes, drain the green ones back onto them (PDBs
honoured) and delete green. Possible at any point before the upgrade deletes
blue, including during its final soak. Interrupted, it continues when run
again.`,
		Example: "  upshift nodepool rollback --context upshift-dev --pool apps",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Pool == "" {
				return cmdutil.FlagErrorf("--pool is required")
			}
			if runF != nil {
				return runF(opts)
			}
			return rollbackRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Pool, "pool", "", "Node pool to roll back (required)")
	return cmd
}

func rollbackRun(ctx context.Context, opts *RollbackOptions) error {
	t, err := opts.Factory.Target()
	if err != nil {
		return err
	}
	s := engine.Spec{Cluster: t.Name, Pool: opts.Pool, Strategy: engine.StrategyBlueGreen}
	v := newLiveView(opts.IO, opts.Factory.Clock())
	err = upgrader(t, opts.Factory).Rollback(ctx, s, v.update)
	v.done()
	var fe *engine.FailedError
	if errors.As(err, &fe) {
		return cmdutil.WithExitCode(cmdutil.ExitFindings, err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "node pool %s rolled back\n", opts.Pool)
	return nil
}
