// Package nodepool implements `upshift nodepool upgrade|rollback|status`.
package nodepool

import (
	"github.com/spf13/cobra"

	"upshift.dev/upshift/internal/cli/cmdutil"
	engine "upshift.dev/upshift/internal/nodepool"
	"upshift.dev/upshift/internal/observe"
)

// NewCmd returns the nodepool command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "nodepool",
		Short: "Upgrade node pools with a PDB-aware surge or blue-green swap",
	}
	cmd.AddCommand(newCmdUpgrade(f, nil), newCmdRollback(f, nil), newCmdStatus(f, nil))
	return cmd
}

func upgrader(t *cmdutil.Target, f *cmdutil.Factory) *engine.Upgrader {
	return &engine.Upgrader{
		Client: t.Client, Pools: t.Pools, Machines: t.Machines, Clusters: t.Clusters,
		Events: &observe.Recorder{Client: t.Client, Now: f.Clock()}, Now: f.Clock(),
	}
}
