package gate

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
	fleetcmd "upshift.dev/upshift/internal/cli/fleet"
)

// LabelRun is the label the controller puts on a run's Gates.
const LabelRun = "upshift.dev/update-run"

// NewCmd returns the gate command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gate",
		Short: "List, approve and skip the gates of update runs",
		Long: `A run that reaches a stage's gate creates a Gate object named
RUN-STAGE-before|after-INDEX and waits: for a person (Approval), for a time
(ScheduledStart) or for a health check (Validation). 'gate approve' lets any
waiting gate through; 'gate skip' passes it as skipped. Both only set the
Gate's spec.state, which the upshift-gate-approver ClusterRole allows without
any right to edit runs.`,
	}
	cmd.AddCommand(newCmdList(f, nil), newCmdSet(f, v1alpha1.StateCompleted, nil), newCmdSet(f, v1alpha1.StateSkipped, nil))
	return cmd
}

// ListOptions are the inputs of `upshift gate list`.
type ListOptions struct {
	IO        *cmdutil.IOStreams
	Client    func() (client.Client, error)
	Now       func() time.Time
	Namespace string
	// Run limits the list to one run's gates; all when empty.
	Run    string
	Output string
}

func newCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IO, Client: fleetcmd.Client(f), Now: f.Clock()}
	cmd := &cobra.Command{
		Use:     "list [--run RUN]",
		Aliases: []string{"ls"},
		Short:   "List gates that runs have reached, with their state",
		Long: `List the Gates runs have reached. STATE is the run's view (Pending while it
waits, Completed, Skipped or Failed); SET TO is what a person set in the
Gate's spec (Pending until someone approves or skips it).`,
		Example: "  upshift gate list --run to-1.37",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.ValidateOutput(opts.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	fleetcmd.AddNamespaceFlag(cmd, &opts.Namespace)
	cmd.Flags().StringVar(&opts.Run, "run", "", "Only the gates of this update run")
	cmdutil.AddOutputFlag(cmd, &opts.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML)
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var list v1alpha1.GateList
	lo := []client.ListOption{client.InNamespace(opts.Namespace)}
	if opts.Run != "" {
		lo = append(lo, client.MatchingLabels{LabelRun: opts.Run})
	}
	if err := c.List(ctx, &list, lo...); err != nil {
		return fleetcmd.HubError(err, "list gates", opts.Namespace)
	}
	sort.Slice(list.Items, func(i, j int) bool {
		a, b := list.Items[i], list.Items[j]
		if a.Spec.UpdateRun != b.Spec.UpdateRun {
			return a.Spec.UpdateRun < b.Spec.UpdateRun
		}
		return a.Name < b.Name
	})
	if opts.Output != cmdutil.OutputTable {
		if list.Items == nil {
			list.Items = []v1alpha1.Gate{}
		}
		return cmdutil.PrintStructured(opts.IO.Out, opts.Output, list.Items)
	}
	if len(list.Items) == 0 {
		where := "namespace " + opts.Namespace
		if opts.Run != "" {
			where = fmt.Sprintf("update run %q in %s", opts.Run, where)
		}
		fmt.Fprintf(opts.IO.ErrOut, "No gates reached yet in %s\n", where)
		return nil
	}
	tty := opts.IO.IsStdoutTTY()
	t := cmdutil.NewTable(opts.IO, "NAME", "RUN", "STAGE", "TIMING", "TYPE", "STATE", "SET TO", "REACHED", "MESSAGE")
	for _, g := range list.Items {
		typ := g.Spec.Type
		if g.Spec.DisplayName != "" {
			typ += fmt.Sprintf(" %q", g.Spec.DisplayName)
		}
		state := g.Status.State
		if state == "" {
			state = v1alpha1.StatePending
		}
		msg := g.Status.Message
		if msg == "" {
			msg = "-"
		}
		t.Row(g.Name, g.Spec.UpdateRun, g.Spec.Stage, g.Spec.Timing, typ, state, g.Spec.State,
			fleetcmd.When(&g.CreationTimestamp, opts.Now(), tty), msg)
	}
	return t.Flush()
}

// SetOptions are the inputs of `upshift gate approve` and `upshift gate
// skip`: both move a Pending gate's spec.state.
type SetOptions struct {
	IO        *cmdutil.IOStreams
	Client    func() (client.Client, error)
	Namespace string
	Name      string
	// State is Completed (approve) or Skipped (skip).
	State string
}

func newCmdSet(f *cmdutil.Factory, state string, runF func(*SetOptions) error) *cobra.Command {
	opts := &SetOptions{IO: f.IO, Client: fleetcmd.Client(f), State: state}
	cmd := &cobra.Command{
		Use:   "approve NAME",
		Short: "Approve a waiting gate, so its run goes on",
		Long: `Set a Pending gate's spec.state to Completed. An Approval gate is what this is
for; it also lets through a ScheduledStart gate before its time and a
Validation gate whose analysis was Inconclusive.`,
		Example: "  upshift gate approve to-1.37-prod-before-0",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return setRun(cmd.Context(), opts)
		},
	}
	if state == v1alpha1.StateSkipped {
		cmd.Use, cmd.Example = "skip NAME", "  upshift gate skip to-1.37-dev-after-0"
		cmd.Short = "Skip a waiting gate: its run goes on and records it as Skipped"
		cmd.Long = "Set a Pending gate's spec.state to Skipped: the run passes the gate without its check, and says so."
	}
	fleetcmd.AddNamespaceFlag(cmd, &opts.Namespace)
	return cmd
}

func setRun(ctx context.Context, opts *SetOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	verb := map[string]string{v1alpha1.StateCompleted: "approve", v1alpha1.StateSkipped: "skip"}[opts.State]
	gate := &v1alpha1.Gate{}
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := c.Get(ctx, client.ObjectKey{Namespace: opts.Namespace, Name: opts.Name}, gate); err != nil {
			if apierrors.IsNotFound(err) {
				return fmt.Errorf("gate %q not found in namespace %s; list the gates runs have reached with 'upshift gate list%s'", opts.Name, opts.Namespace, fleetcmd.NamespaceArg(opts.Namespace))
			}
			return fleetcmd.HubError(err, fmt.Sprintf("read gate %q", opts.Name), opts.Namespace)
		}
		if err := settable(gate, verb); err != nil {
			return err
		}
		orig := gate.DeepCopy()
		gate.Spec.State = opts.State
		err := c.Patch(ctx, gate, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{}))
		if err != nil && !apierrors.IsConflict(err) {
			return fleetcmd.HubError(err, fmt.Sprintf("%s gate %q", verb, opts.Name), opts.Namespace)
		}
		return err
	})
	if err != nil {
		return err
	}
	what := fmt.Sprintf("%s gate %s stage %s of update run %q", gate.Spec.Type, strings.ToLower(gate.Spec.Timing), gate.Spec.Stage, gate.Spec.UpdateRun)
	if gate.Spec.DisplayName != "" {
		what = fmt.Sprintf("%q (%s)", gate.Spec.DisplayName, what)
	}
	past := map[string]string{v1alpha1.StateCompleted: "Approved", v1alpha1.StateSkipped: "Skipped"}[opts.State]
	fmt.Fprintf(opts.IO.Out, "%s gate %q: %s; the run goes on\n", past, opts.Name, what)
	return nil
}

// settable refuses to move a gate that is not waiting: one a person has
// already approved or skipped, or one its run has already passed or
// failed. Only a Pending gate can be approved.
func settable(g *v1alpha1.Gate, verb string) error {
	if g.Spec.State != v1alpha1.StatePending && g.Spec.State != "" {
		return fmt.Errorf("gate %q is already %s (spec.state); only Pending gates can be %s", g.Name, g.Spec.State, map[string]string{"approve": "approved", "skip": "skipped"}[verb])
	}
	switch g.Status.State {
	case v1alpha1.StateCompleted, v1alpha1.StateSkipped:
		return fmt.Errorf("gate %q is already %s in update run %q (%s); nothing to %s", g.Name, g.Status.State, g.Spec.UpdateRun, g.Status.Message, verb)
	case v1alpha1.StateFailed:
		return fmt.Errorf("gate %q Failed in update run %q (%s); the stage failed with it, and approving the gate now does not change that", g.Name, g.Spec.UpdateRun, g.Status.Message)
	}
	return nil
}
