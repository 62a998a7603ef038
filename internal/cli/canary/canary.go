package canary

import (
	"github.com/spf13/cobra"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
	fleetcmd "upshift.dev/upshift/internal/cli/fleet"
	"upshift.dev/upshift/internal/cli/hubobj"
)

// NewCmd returns the canary command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "canary",
		Short: "Take a new Kubernetes version in with a canary cluster and stepped traffic",
		Long: `A canary intake (the seed's scenario 3) creates a canary cluster at the new
version next to the stable one, deploys the app's manifests to it, and moves
traffic to it step by step (20%, 50%, 100% by default), each step baked under
analysis. Failed or Error sends all traffic back to stable at once and stops
(Aborted); Inconclusive pauses for a person: 'upshift canary promote' goes
on, 'upshift canary abort' gives up.

The controller ('upshift controller --local-fleet-dir ...') carries it out.

` + cmdutil.ExitCodes,
	}
	cmd.AddCommand(newCmdStart(f, nil), newCmdStatus(f, nil),
		newCmdAction(f, v1alpha1.ActionPromote, nil), newCmdAction(f, v1alpha1.ActionAbort, nil), newCmdAction(f, v1alpha1.ActionFinish, nil))
	return cmd
}

func nsFlag(ns string) string { return fleetcmd.NamespaceArg(ns) }

// intakes reads and steers CanaryIntakes.
var intakes = hubobj.Kind[*v1alpha1.CanaryIntake]{
	Noun: "canary intake", Start: "upshift canary start", BundleLabel: LabelIntake,
	New:    func() *v1alpha1.CanaryIntake { return &v1alpha1.CanaryIntake{} },
	Action: func(ci *v1alpha1.CanaryIntake) *string { return &ci.Spec.Action },
}

func phaseOf(ci *v1alpha1.CanaryIntake) string {
	if ci.Status.Phase == "" {
		return "Pending"
	}
	return ci.Status.Phase
}
