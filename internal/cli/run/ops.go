package run

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
	fleetcmd "upshift.dev/upshift/internal/cli/fleet"
)

// StateOptions are the inputs of `upshift run start` and `upshift run
// stop`: both set spec.state.
type StateOptions struct {
	IO        *cmdutil.IOStreams
	Client    func() (client.Client, error)
	Namespace string
	Name      string
	// State is v1alpha1.RunStart or v1alpha1.RunStop.
	State string
}

func newCmdState(f *cmdutil.Factory, state string, runF func(*StateOptions) error) *cobra.Command {
	opts := &StateOptions{IO: f.IO, Client: fleetcmd.Client(f), State: state}
	cmd := &cobra.Command{
		Use:     "start NAME",
		Short:   "Start an update run, or continue a stopped one",
		Example: "  upshift run start to-1.37",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return stateRun(cmd.Context(), opts)
		},
	}
	if state == v1alpha1.RunStop {
		cmd.Use, cmd.Example = "stop NAME", "  upshift run stop to-1.37"
		cmd.Short = "Stop an update run: upgrades in flight finish, nothing new starts"
		cmd.Long = `Stop the run: member upgrades in flight run to completion (stopping a cluster
mid-upgrade would leave it half done), nothing new starts, and the run ends
Stopped. 'upshift run start NAME' continues where it stopped.`
	}
	fleetcmd.AddNamespaceFlag(cmd, &opts.Namespace)
	return cmd
}

func stateRun(ctx context.Context, opts *StateOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	verb := map[string]string{v1alpha1.RunStart: "start", v1alpha1.RunStop: "stop"}[opts.State]
	already := ""
	_, wrote, err := edit(ctx, c, opts.Namespace, opts.Name, fmt.Sprintf("%s update run %q", verb, opts.Name), func(run *v1alpha1.UpdateRun) error {
		switch state := stateOf(run); {
		case state == v1alpha1.StateCompleted:
			return fmt.Errorf("update run %q is already Completed; nothing to %s", opts.Name, verb)
		case state == v1alpha1.StateFailed:
			return fmt.Errorf("update run %q Failed (%s); retry its failed members with 'upshift run retry %s --member NAME%s'", opts.Name, run.Status.Error, opts.Name, nsFlag(opts.Namespace))
		case opts.State == v1alpha1.RunStop && run.Spec.State == "":
			return fmt.Errorf("update run %q has not been started; nothing to stop (delete it with 'upshift run delete %s%s')", opts.Name, opts.Name, nsFlag(opts.Namespace))
		case run.Spec.State == opts.State:
			already = state
			return errNoChange{}
		}
		run.Spec.State = opts.State
		return nil
	})
	if err != nil {
		return err
	}
	follow := fmt.Sprintf("follow it with 'upshift run status %s -w%s'", opts.Name, nsFlag(opts.Namespace))
	switch {
	case !wrote:
		fmt.Fprintf(opts.IO.Out, "Update run %q was already asked to %s (it is %s); %s\n", opts.Name, verb, already, follow)
	case opts.State == v1alpha1.RunStart:
		fmt.Fprintf(opts.IO.Out, "Started update run %q; %s\n", opts.Name, follow)
	default:
		fmt.Fprintf(opts.IO.Out, "Stopping update run %q: upgrades in flight finish, nothing new starts; start it again with 'upshift run start %s%s'\n", opts.Name, opts.Name, nsFlag(opts.Namespace))
	}
	return nil
}

// SkipOptions are the inputs of `upshift run skip`; exactly one of the
// targets is set.
type SkipOptions struct {
	IO                                   *cmdutil.IOStreams
	Client                               func() (client.Client, error)
	Namespace, Name                      string
	Member, Group, Stage, AfterStageWait string
}

// target is the spec.skip entry the flags ask for.
func (o *SkipOptions) target() v1alpha1.SkipTarget {
	switch {
	case o.Member != "":
		return v1alpha1.SkipTarget{Type: v1alpha1.SkipMember, Name: o.Member}
	case o.Group != "":
		return v1alpha1.SkipTarget{Type: v1alpha1.SkipGroup, Name: o.Group}
	case o.Stage != "":
		return v1alpha1.SkipTarget{Type: v1alpha1.SkipStage, Name: o.Stage}
	}
	return v1alpha1.SkipTarget{Type: v1alpha1.SkipAfterStageWait, Name: o.AfterStageWait}
}

func newCmdSkip(f *cmdutil.Factory, runF func(*SkipOptions) error) *cobra.Command {
	opts := &SkipOptions{IO: f.IO, Client: fleetcmd.Client(f)}
	cmd := &cobra.Command{
		Use:   "skip NAME (--member M | --group G | --stage S | --after-stage-wait S)",
		Short: "Skip a member, a group, a stage or a stage's after-stage wait",
		Long: `Tell the run not to do something: upgrade a member, the members of a group, a
whole stage (its gates too), or wait after a stage. What already runs is not
interrupted: a member that is upgrading finishes.`,
		Example: `  upshift run skip to-1.37 --member prod-eu-3
  upshift run skip to-1.37 --after-stage-wait dev`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			n := 0
			for _, v := range []string{opts.Member, opts.Group, opts.Stage, opts.AfterStageWait} {
				if v != "" {
					n++
				}
			}
			if n != 1 {
				return cmdutil.FlagErrorf("give exactly one of --member, --group, --stage and --after-stage-wait")
			}
			if runF != nil {
				return runF(opts)
			}
			return skipRun(cmd.Context(), opts)
		},
	}
	fleetcmd.AddNamespaceFlag(cmd, &opts.Namespace)
	fl := cmd.Flags()
	fl.StringVar(&opts.Member, "member", "", "Member not to upgrade")
	fl.StringVar(&opts.Group, "group", "", "Group whose members not to upgrade")
	fl.StringVar(&opts.Stage, "stage", "", "Stage to skip, with its gates and wait")
	fl.StringVar(&opts.AfterStageWait, "after-stage-wait", "", "Stage whose after-stage wait to skip")
	return cmd
}

func skipRun(ctx context.Context, opts *SkipOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	t := opts.target()
	what := strings.ToLower(t.Type)
	if t.Type == v1alpha1.SkipAfterStageWait {
		what = "after-stage wait of stage"
	}
	note := ""
	_, wrote, err := edit(ctx, c, opts.Namespace, opts.Name, fmt.Sprintf("skip %s %q in update run %q", what, t.Name, opts.Name), func(run *v1alpha1.UpdateRun) error {
		for _, s := range run.Spec.Skip {
			if s == t {
				return errNoChange{}
			}
		}
		var err error
		if note, err = checkSkip(ctx, c, run, t); err != nil {
			return err
		}
		run.Spec.Skip = append(run.Spec.Skip, t)
		return nil
	})
	if err != nil {
		return err
	}
	if !wrote {
		fmt.Fprintf(opts.IO.Out, "Update run %q already skips %s %q\n", opts.Name, what, t.Name)
		return nil
	}
	if note != "" {
		fmt.Fprintf(opts.IO.ErrOut, "note: %s\n", note)
	}
	fmt.Fprintf(opts.IO.Out, "Update run %q skips %s %q\n", opts.Name, what, t.Name)
	return nil
}

// checkSkip refuses a skip that names nothing in the run, or something
// already finished, and returns a note for a member that is upgrading (it
// finishes). A run that has not started is checked against its strategy
// and the Members of the namespace.
func checkSkip(ctx context.Context, c client.Client, run *v1alpha1.UpdateRun, t v1alpha1.SkipTarget) (string, error) {
	strategy, err := strategyOf(ctx, c, run)
	if err != nil {
		return "", err
	}
	var stages, groups []string
	waits := map[string]bool{}
	for _, s := range strategy.Stages {
		stages = append(stages, s.Name)
		waits[s.Name] = s.AfterStageWaitInSeconds > 0
		for _, g := range s.Groups {
			groups = append(groups, g.Name)
		}
	}
	switch t.Type {
	case v1alpha1.SkipStage, v1alpha1.SkipAfterStageWait:
		if !slices.Contains(stages, t.Name) {
			return "", fmt.Errorf("update run %q has no stage %q; its stages: %s", run.Name, t.Name, strings.Join(stages, ", "))
		}
		if t.Type == v1alpha1.SkipAfterStageWait && !waits[t.Name] {
			return "", fmt.Errorf("stage %q of update run %q has no after-stage wait (afterStageWaitInSeconds is 0); nothing to skip", t.Name, run.Name)
		}
	case v1alpha1.SkipGroup:
		if !slices.Contains(groups, t.Name) {
			return "", fmt.Errorf("update run %q has no group %q; its groups: %s", run.Name, t.Name, strings.Join(groups, ", "))
		}
	case v1alpha1.SkipMember:
		if len(run.Status.Stages) == 0 {
			m := &v1alpha1.Member{}
			if err := c.Get(ctx, client.ObjectKey{Namespace: run.Namespace, Name: t.Name}, m); err != nil {
				return "", fmt.Errorf("member %q not found in namespace %s (list members with 'upshift fleet list%s'): %w", t.Name, run.Namespace, nsFlag(run.Namespace), err)
			}
			return "", nil
		}
		m := findMember(run, t.Name)
		switch {
		case m == nil:
			return "", fmt.Errorf("update run %q has no member %q; its members: %s", run.Name, t.Name, strings.Join(memberNames(run), ", "))
		case m.State == v1alpha1.StateRunning:
			return fmt.Sprintf("member %q is upgrading now; it finishes, and the skip only stops a later attempt", t.Name), nil
		case m.State == v1alpha1.StateFailed:
			return "", fmt.Errorf("member %q of update run %q already Failed; skipping does not undo that; retry it with 'upshift run retry %s --member %s%s'", t.Name, run.Name, run.Name, t.Name, nsFlag(run.Namespace))
		case m.State == v1alpha1.StateCompleted || m.State == v1alpha1.StateSkipped:
			return "", fmt.Errorf("member %q of update run %q is already %s; nothing to skip", t.Name, run.Name, m.State)
		}
	}
	return "", nil
}

// strategyOf is the strategy the run follows: its copy once started, else
// the inline or named one.
func strategyOf(ctx context.Context, c client.Client, run *v1alpha1.UpdateRun) (*v1alpha1.UpdateStrategySpec, error) {
	switch {
	case run.Status.Strategy != nil:
		return run.Status.Strategy, nil
	case run.Spec.Strategy != nil:
		return run.Spec.Strategy, nil
	}
	us := &v1alpha1.UpdateStrategy{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: run.Namespace, Name: run.Spec.UpdateStrategyName}, us); err != nil {
		return nil, fmt.Errorf("update run %q follows update strategy %q, which cannot be read: %w", run.Name, run.Spec.UpdateStrategyName, err)
	}
	return &us.Spec, nil
}
