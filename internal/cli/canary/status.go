package canary

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/bluegreen"
	"upshift.dev/upshift/internal/cli/cmdutil"
	fleetcmd "upshift.dev/upshift/internal/cli/fleet"
	"upshift.dev/upshift/internal/cli/hubobj"
)

// StatusOptions are the inputs of `upshift canary status`.
type StatusOptions struct {
	IO              *cmdutil.IOStreams
	Client          func() (client.Client, error)
	Now             func() time.Time
	Namespace, Name string
	Watch           bool
	Output          string
	// Interval is how often --watch reads the intake; a second when zero.
	Interval time.Duration
}

func newCmdStatus(f *cmdutil.Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{IO: f.IO, Client: fleetcmd.Client(f), Now: f.Clock()}
	cmd := &cobra.Command{
		Use:   "status NAME [-w]",
		Short: "Show a canary intake: phase, steps with their analyses, traffic; -w follows it",
		Long: `Show where a canary intake is: its phase and what it waits for, the stable and
canary clusters, the preflight, the traffic weights and whether they have
propagated, and each step with its weight, bake and analysis.

-w prints a line for every change until the intake comes to rest: Promoted,
Aborted, Failed, Paused or Finished. With -o json or yaml the object is
printed instead.

Exit status: 0 while it goes on and once Promoted or Finished; 3 when it is
Aborted, Failed, or Paused for a person ('promote' or 'abort').

` + cmdutil.ExitCodes,
		Example: `  upshift canary status take-137
  upshift canary status take-137 -w`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if err := cmdutil.ValidateOutput(opts.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return statusRun(cmd.Context(), opts)
		},
	}
	fleetcmd.AddNamespaceFlag(cmd, &opts.Namespace)
	cmd.Flags().BoolVarP(&opts.Watch, "watch", "w", false, "Follow the intake until it comes to rest")
	cmdutil.AddOutputFlag(cmd, &opts.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML)
	return cmd
}

func statusRun(ctx context.Context, opts *StatusOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	v := view(opts)
	if opts.Watch {
		return intakes.Watch(ctx, c, opts.Namespace, opts.Name, v)
	}
	return intakes.Show(ctx, c, opts.Namespace, opts.Name, v)
}

func atRest(ci *v1alpha1.CanaryIntake) bool {
	if ci.Status.ObservedGeneration < ci.Generation {
		return false
	}
	switch ci.Status.Phase {
	case v1alpha1.CanaryPromoted, v1alpha1.CanaryAborted, v1alpha1.CanaryFailed, v1alpha1.CanaryPaused, v1alpha1.CanaryFinished:
		return true
	}
	return false
}

// exitStatus maps the intake's outcome to the exit code: an abort, a
// failure and a pause for a person are findings (3).
func exitStatus(ci *v1alpha1.CanaryIntake) error {
	switch ci.Status.Phase {
	case v1alpha1.CanaryAborted:
		return cmdutil.WithExitCode(cmdutil.ExitFindings, fmt.Errorf("canary intake %q Aborted: %s", ci.Name, ci.Status.AbortReason))
	case v1alpha1.CanaryFailed:
		return cmdutil.WithExitCode(cmdutil.ExitFindings, fmt.Errorf("canary intake %q Failed: %s", ci.Name, ci.Status.Message))
	case v1alpha1.CanaryPaused:
		return cmdutil.WithExitCode(cmdutil.ExitFindings, fmt.Errorf("canary intake %q is Paused: %s", ci.Name, ci.Status.Message))
	}
	return nil
}

// view shows the object: a line for each change of phase or message
// while watched, then (or at once) the whole report, or the object itself
// with -o json|yaml.
func view(opts *StatusOptions) hubobj.View[*v1alpha1.CanaryIntake] {
	return hubobj.View[*v1alpha1.CanaryIntake]{
		IO: opts.IO, Now: opts.Now, Interval: opts.Interval, Structured: opts.Output != cmdutil.OutputTable,
		Show:   func(ci *v1alpha1.CanaryIntake) error { return cmdutil.PrintStructured(opts.IO.Out, opts.Output, ci) },
		Line:   func(ci *v1alpha1.CanaryIntake) string { return phaseOf(ci) + ": " + ci.Status.Message },
		Render: func(ci *v1alpha1.CanaryIntake) { Render(opts.IO.Out, ci, opts.Now(), opts.IO.IsStdoutTTY()) },
		AtRest: atRest, Exit: exitStatus,
	}
}

// Render writes the intake as a short report: one aspect per line, then a
// line per step. Times are relative on a terminal and RFC 3339 elsewhere.
func Render(w io.Writer, ci *v1alpha1.CanaryIntake, now time.Time, tty bool) {
	st := &ci.Status
	line := func(key, format string, args ...any) {
		if key != "" {
			key += ":"
		}
		fmt.Fprintf(w, "%-13s%s\n", key, fmt.Sprintf(format, args...))
	}
	fmt.Fprintf(w, "Canary intake %s (namespace %s)\n", ci.Name, ci.Namespace)
	line("Phase", "%s", phaseOf(ci))
	if st.Message != "" {
		line("Message", "%s", st.Message)
	}
	stable := ci.Spec.StableMember
	if st.Stable != nil {
		stable = fmt.Sprintf("%s (member %s)", st.Stable.Name, ci.Spec.StableMember)
	}
	line("Stable", "%s", stable)
	canary := fmt.Sprintf("%s at %s", ci.Spec.Canary.ClusterName, ci.Spec.Canary.KubernetesVersion)
	if c := st.Canary; c != nil {
		canary += bluegreen.Pools(c) + bluegreen.ClusterProgress(c, now, tty)
	}
	line("Canary", "%s", canary)
	line("Preflight", "%s", bluegreen.PreflightLine(st.Preflight, ci.Spec.Preflight))
	line("Traffic", "%s", bluegreen.TrafficLine(st.Traffic, ci.Spec.Traffic.Router, now))
	fmt.Fprintln(w, "Steps:")
	tw := cmdutil.NewTable(&cmdutil.IOStreams{Out: w}, "  STEP", "WEIGHT", "PHASE", "FROM", "TO", "ANALYSIS")
	for i, s := range st.Steps {
		marker := " "
		if int32(i) == st.CurrentStep && !final(st.Phase) {
			marker = ">"
		}
		tw.Row(fmt.Sprintf("%s %d", marker, i+1), fmt.Sprintf("%d%%", s.Weight), s.Phase,
			fleetcmd.When(s.StartedAt, now, tty), fleetcmd.When(s.FinishedAt, now, tty), stepAnalysis(s))
	}
	_ = tw.Flush()
	if i := int(st.CurrentStep); i < len(st.Steps) {
		if a := st.Steps[i].Analysis; a != nil {
			for _, m := range a.MetricResults {
				line("", "%s: %s", m.Name, bluegreen.Measurements(m, now, tty))
			}
		}
	}
	var tl []string
	for _, e := range []struct {
		what string
		at   *metav1.Time
	}{{"started", st.StartedAt}, {"promoted", st.PromotedAt}, {"abort", st.AbortStartedAt}, {"aborted", st.AbortedAt}} {
		if e.at != nil {
			tl = append(tl, e.what+" "+fleetcmd.When(e.at, now, tty))
		}
	}
	line("Timeline", "%s", strings.Join(tl, ", "))
	if st.AbortReason != "" {
		line("Aborted", "%s", st.AbortReason)
	}
	if next := nextSteps(ci); next != "" {
		line("Next", "%s", next)
	}
}

func final(phase string) bool {
	switch phase {
	case v1alpha1.CanaryPromoted, v1alpha1.CanaryAborted, v1alpha1.CanaryFailed, v1alpha1.CanaryFinished:
		return true
	}
	return false
}

func stepAnalysis(s v1alpha1.CanaryStepStatus) string {
	if s.Analysis == nil {
		return "-"
	}
	return bluegreen.AnalysisLine(s.Analysis)
}

func nextSteps(ci *v1alpha1.CanaryIntake) string {
	n, ns := ci.Name, nsFlag(ci.Namespace)
	switch ci.Status.Phase {
	case v1alpha1.CanaryPaused:
		return fmt.Sprintf("'upshift canary promote %s%s' goes on, 'upshift canary abort %s%s' sends all traffic back", n, ns, n, ns)
	case v1alpha1.CanaryProgressing:
		return fmt.Sprintf("'upshift canary abort %s%s' sends all traffic back now", n, ns)
	case v1alpha1.CanaryPromoted:
		return fmt.Sprintf("'upshift canary finish %s%s' deletes the stable cluster, 'upshift canary abort %s%s' sends all traffic back", n, ns, n, ns)
	case v1alpha1.CanaryAborted, v1alpha1.CanaryFailed:
		return fmt.Sprintf("'upshift canary finish %s%s' deletes the canary cluster", n, ns)
	}
	return ""
}
