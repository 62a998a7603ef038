package local

import (
	"github.com/spf13/cobra"

	"upshift.dev/upshift/internal/cli/cmdutil"
	"upshift.dev/upshift/internal/localfleet"
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
		Short:   "Stop and delete local clusters (all when no name is given)",
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
					return nil
				}
				opts.Names = existing
			}
			p := &cmdutil.Progress{IO: opts.IO}
			return opts.Fleet.Down(cmd.Context(), opts.Names, eventPrinter(p))
		},
	}
	cmd.Flags().BoolVar(&opts.IgnoreNotFound, "ignore-not-found", false, "Treat clusters that do not exist as already deleted")
	return cmd
}
