package bluegreen

import (
	"github.com/spf13/cobra"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
	fleetcmd "upshift.dev/upshift/internal/cli/fleet"
	"upshift.dev/upshift/internal/cli/hubobj"
)

// NewCmd returns the bluegreen command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bluegreen",
		Short: "Move an app to a new cluster at a new Kubernetes version and switch traffic to it",
		Long: `A blue-green upgrade (the seed's scenario 1) creates a green cluster at the new
version next to the blue one that serves the app, deploys the app's manifests
to it, waits until they are ready, checks green (pre-switch analysis),
switches all traffic, watches it for a bake time (post-switch analysis), and
promotes green, or rolls back to blue at once when the analysis fails. Blue is
deleted only by 'upshift bluegreen finish', or once --retain-blue has passed.

The controller ('upshift controller --local-fleet-dir ...') carries it out;
these commands start it, show it, and decide where it waits for a person.

` + cmdutil.ExitCodes,
	}
	cmd.AddCommand(newCmdStart(f, nil), newCmdStatus(f, nil),
		newCmdAction(f, v1alpha1.ActionPromote, nil), newCmdAction(f, v1alpha1.ActionRollback, nil), newCmdAction(f, v1alpha1.ActionFinish, nil))
	return cmd
}

// nsFlag is the -n argument to repeat in a hint.
func nsFlag(ns string) string { return fleetcmd.NamespaceArg(ns) }

// upgrades reads and steers BlueGreenUpgrades.
var upgrades = hubobj.Kind[*v1alpha1.BlueGreenUpgrade]{
	Noun: "blue-green upgrade", Start: "upshift bluegreen start", BundleLabel: LabelUpgrade,
	New:    func() *v1alpha1.BlueGreenUpgrade { return &v1alpha1.BlueGreenUpgrade{} },
	Action: func(bg *v1alpha1.BlueGreenUpgrade) *string { return &bg.Spec.Action },
}
