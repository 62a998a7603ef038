package local

import (
	"context"
	"errors"
	"slices"

	"github.com/spf13/cobra"

	"upshift.dev/upshift/internal/cli/cmdutil"
	"upshift.dev/upshift/internal/localfleet"
	trafficlocal "upshift.dev/upshift/internal/traffic/local"
)

// DownOptions are the inputs of `upshift local down`.
type DownOptions struct {
	IO    *cmdutil.IOStreams
	Fleet *localfleet.Fleet
	Names []string
	// IgnoreNotFound makes naming a cluster that does not exist a no-op.
	IgnoreNotFound bool
}

func newCmdDown(f *cmdutil.Factory, runF func(*DownOptions) error) *cobra.Command {
	opts := &DownOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:     "down [NAME...]",
		Short:   "Stop and delete local clusters (all when no name is given), and the data plane with the last one",
		Example: "  upshift local down\n  upshift local down dev test",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Fleet, opts.Names = fleet(), args
			if runF != nil {
				return runF(opts)
			}
			if opts.IgnoreNotFound && len(opts.Names) > 0 {
				var existing []string
				for _, n := range opts.Names {
					if opts.Fleet.Exists(n) {
						existing = append(existing, n)
					}
				}
				if len(existing) == 0 {
					return stopDataPlaneIfEmpty(cmd.Context(), opts.Fleet, &cmdutil.Progress{IO: opts.IO})
				}
				opts.Names = existing
			}
			p := &cmdutil.Progress{IO: opts.IO}
			// The fleet's controller goes first: it would keep reaching for
			// clusters that are going away.
			if len(opts.Names) == 0 || slices.Contains(opts.Names, "hub") {
				if err := stopController(cmd.Context(), opts.Fleet); err != nil {
					return err
				}
			}
			err := opts.Fleet.Down(cmd.Context(), opts.Names, eventPrinter(p))
			return errors.Join(err, stopDataPlaneIfEmpty(cmd.Context(), opts.Fleet, p))
		},
	}
	cmd.Flags().BoolVar(&opts.IgnoreNotFound, "ignore-not-found", false, "Treat clusters that do not exist as already deleted")
	return cmd
}

// stopDataPlaneIfEmpty stops the data plane once no cluster is left, also
// when some deletion failed: there is nothing left for it to serve.
func stopDataPlaneIfEmpty(ctx context.Context, fl *localfleet.Fleet, p *cmdutil.Progress) error {
	if names, err := fl.Names(); err != nil || len(names) > 0 {
		return nil
	}
	stopped, err := trafficlocal.StopDaemon(ctx, fl.DataPlaneDir())
	if stopped {
		p.Println("data plane stopped")
	}
	return err
}
