package bluegreen

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
	fleetcmd "upshift.dev/upshift/internal/cli/fleet"
)

// ActionOptions are the inputs of `upshift bluegreen promote|rollback|
// finish`: each sets spec.action.
type ActionOptions struct {
	IO        *cmdutil.IOStreams
	Client    func() (client.Client, error)
	Namespace string
	Name      string
	// Action is v1alpha1.ActionPromote, ActionRollback or ActionFinish.
	Action string
}

func newCmdAction(f *cmdutil.Factory, action string, runF func(*ActionOptions) error) *cobra.Command {
	opts := &ActionOptions{IO: f.IO, Client: fleetcmd.Client(f), Action: action}
	cmd := &cobra.Command{Args: cobra.ExactArgs(1)}
	switch action {
	case v1alpha1.ActionPromote:
		cmd.Use, cmd.Short = "promote NAME", "Switch after an Inconclusive pre-switch check, or end the bake and promote green now"
		cmd.Long = `Promote: while the pre-switch analysis runs or is Inconclusive, switch all
traffic to green anyway; while green bakes, end the bake and promote it now.`
	case v1alpha1.ActionRollback:
		cmd.Use, cmd.Short = "rollback NAME", "Send all traffic back to blue; green is kept for inspection"
		cmd.Long = `Roll back: send all traffic back to blue at once, from any phase up to and
including Promoted (blue is still there until finish). Green is kept for
inspection; 'upshift bluegreen finish' deletes it.`
	default:
		cmd.Use, cmd.Short = "finish NAME", "Delete the cluster that lost: blue after a promotion, green after a rollback"
		cmd.Long = `Finish: delete the cluster the upgrade no longer needs. After a promotion that
is blue (without waiting for --retain-blue); after a rollback or a failure it
is green, if the upgrade created it. Blue is never deleted otherwise.`
	}
	cmd.Example = fmt.Sprintf("  upshift bluegreen %s shop-137", cmd.Use[:len(cmd.Use)-len(" NAME")])
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		opts.Name = args[0]
		if runF != nil {
			return runF(opts)
		}
		return actionRun(cmd.Context(), opts)
	}
	fleetcmd.AddNamespaceFlag(cmd, &opts.Namespace)
	return cmd
}

// Allowed says whether the upgrade's phase can take the action, and what
// to do instead when it cannot.
func Allowed(bg *v1alpha1.BlueGreenUpgrade, action string) error {
	phase := bg.Status.Phase
	switch action {
	case v1alpha1.ActionPromote:
		if phase == v1alpha1.BlueGreenPreSwitchAnalysis || phase == v1alpha1.BlueGreenBaking {
			return nil
		}
		return fmt.Errorf("blue-green upgrade %q is %s; promote applies while the pre-switch analysis runs or green bakes", bg.Name, phaseOf(bg))
	case v1alpha1.ActionRollback:
		switch phase {
		case v1alpha1.BlueGreenRollingBack, v1alpha1.BlueGreenRolledBack:
			return fmt.Errorf("blue-green upgrade %q is already %s", bg.Name, phase)
		case v1alpha1.BlueGreenFinishing, v1alpha1.BlueGreenFinished, v1alpha1.BlueGreenFailed:
			return fmt.Errorf("blue-green upgrade %q is %s; there is nothing to roll back", bg.Name, phase)
		}
		return nil
	case v1alpha1.ActionFinish:
		switch phase {
		case v1alpha1.BlueGreenPromoted, v1alpha1.BlueGreenRolledBack, v1alpha1.BlueGreenFailed:
			return nil
		}
		return fmt.Errorf("blue-green upgrade %q is %s; finish applies once it is Promoted, RolledBack or Failed", bg.Name, phaseOf(bg))
	}
	return fmt.Errorf("unknown action %q", action)
}

func actionRun(ctx context.Context, opts *ActionOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	what := func(bg *v1alpha1.BlueGreenUpgrade) string {
		return map[string]string{
			v1alpha1.ActionPromote:  "promote green",
			v1alpha1.ActionRollback: "send all traffic back to " + bg.Spec.BlueMember,
			v1alpha1.ActionFinish:   "delete the cluster it no longer needs",
		}[opts.Action]
	}
	return upgrades.Act(ctx, c, opts.IO, opts.Namespace, opts.Name, opts.Action, Allowed, what, "upshift bluegreen status")
}

func phaseOf(bg *v1alpha1.BlueGreenUpgrade) string {
	if bg.Status.Phase == "" {
		return v1alpha1.BlueGreenPending
	}
	return bg.Status.Phase
}
