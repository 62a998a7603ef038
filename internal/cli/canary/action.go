package canary

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
	fleetcmd "upshift.dev/upshift/internal/cli/fleet"
)

// ActionOptions are the inputs of `upshift canary promote|abort|finish`.
type ActionOptions struct {
	IO        *cmdutil.IOStreams
	Client    func() (client.Client, error)
	Namespace string
	Name      string
	// Action is v1alpha1.ActionPromote, ActionAbort or ActionFinish.
	Action string
}

func newCmdAction(f *cmdutil.Factory, action string, runF func(*ActionOptions) error) *cobra.Command {
	opts := &ActionOptions{IO: f.IO, Client: fleetcmd.Client(f), Action: action}
	cmd := &cobra.Command{Args: cobra.ExactArgs(1)}
	switch action {
	case v1alpha1.ActionPromote:
		cmd.Use, cmd.Short = "promote NAME", "Go on after a pause, or skip to the last step"
		cmd.Long = `Promote: a Paused intake (its step's analysis was Inconclusive) counts the
step as passed and goes on with the next. A Progressing one skips the steps
left to the last (100%), which still bakes under analysis; at the last step,
promote ends the bake now.`
		cmd.Example = "  upshift canary promote take-137"
	case v1alpha1.ActionAbort:
		cmd.Use, cmd.Short = "abort NAME", "Send all traffic back to stable and stop; the canary is kept"
		cmd.Long = `Abort: send all traffic back to stable at once and stop, from any phase up to
and including Promoted. The canary cluster is kept for inspection.`
		cmd.Example = "  upshift canary abort take-137"
	default:
		cmd.Use, cmd.Short = "finish NAME", "Delete the cluster that lost: stable after a promotion, the canary after an abort"
		cmd.Long = `Finish: once the intake is Promoted, delete the stable cluster now instead of
after retainStableFor; once it is Aborted or Failed, delete the canary
cluster it created. upshift deletes only clusters it can: local ones, and AKS
clusters it created (tagged upshift-created-for); for others the intake says
so and leaves them to you.`
		cmd.Example = "  upshift canary finish take-137"
	}
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

// Allowed says whether the intake's phase can take the action, and what
// to do instead when it cannot.
func Allowed(ci *v1alpha1.CanaryIntake, action string) error {
	phase := ci.Status.Phase
	switch action {
	case v1alpha1.ActionPromote:
		if phase == v1alpha1.CanaryPaused || phase == v1alpha1.CanaryProgressing {
			return nil
		}
		return fmt.Errorf("canary intake %q is %s; promote applies while it is Paused or Progressing", ci.Name, phaseOf(ci))
	case v1alpha1.ActionAbort:
		switch phase {
		case v1alpha1.CanaryAborting, v1alpha1.CanaryAborted:
			return fmt.Errorf("canary intake %q is already %s", ci.Name, phase)
		case v1alpha1.CanaryFailed:
			return fmt.Errorf("canary intake %q Failed before the canary got traffic; there is nothing to abort", ci.Name)
		case v1alpha1.CanaryFinishing, v1alpha1.CanaryFinished:
			return fmt.Errorf("canary intake %q is %s; there is nothing to abort", ci.Name, phase)
		}
		return nil
	case v1alpha1.ActionFinish:
		switch phase {
		case v1alpha1.CanaryPromoted, v1alpha1.CanaryAborted, v1alpha1.CanaryFailed:
			return nil
		}
		return fmt.Errorf("canary intake %q is %s; finish applies once it is Promoted, Aborted or Failed", ci.Name, phaseOf(ci))
	}
	return fmt.Errorf("unknown action %q", action)
}

func actionRun(ctx context.Context, opts *ActionOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	what := func(ci *v1alpha1.CanaryIntake) string {
		return map[string]string{
			v1alpha1.ActionPromote: "go on",
			v1alpha1.ActionAbort:   "send all traffic back to " + ci.Spec.StableMember,
			v1alpha1.ActionFinish:  "delete the cluster it no longer needs",
		}[opts.Action]
	}
	return intakes.Act(ctx, c, opts.IO, opts.Namespace, opts.Name, opts.Action, Allowed, what, "upshift canary status")
}
