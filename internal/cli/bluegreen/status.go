package bluegreen

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
	fleetcmd "upshift.dev/upshift/internal/cli/fleet"
	"upshift.dev/upshift/internal/cli/hubobj"
)

// StatusOptions are the inputs of `upshift bluegreen status`.
type StatusOptions struct {
	IO              *cmdutil.IOStreams
	Client          func() (client.Client, error)
	Now             func() time.Time
	Namespace, Name string
	Watch           bool
	Output          string
	// Interval is how often --watch reads the upgrade; a second when zero.
	Interval time.Duration
}

func newCmdStatus(f *cmdutil.Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{IO: f.IO, Client: fleetcmd.Client(f), Now: f.Clock()}
	cmd := &cobra.Command{
		Use:   "status NAME [-w]",
		Short: "Show a blue-green upgrade: phase, clusters, traffic, analyses; -w follows it",
		Long: `Show where a blue-green upgrade is: its phase and what it waits for, blue and
green, the preflight's findings, the traffic weights and whether they have
propagated, both analyses with their measurements, and the timeline.

-w prints a line for every change until the upgrade comes to rest: Promoted,
RolledBack, Failed, Finished, or waiting for a person after an Inconclusive
analysis. With -o json or yaml the object is printed instead.

Exit status: 0 while it goes on and once Promoted or Finished; 3 when it
Failed, RolledBack, or waits for a person ('promote' or 'rollback').

` + cmdutil.ExitCodes,
		Example: `  upshift bluegreen status shop-137
  upshift bluegreen status shop-137 -w`,
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
	cmd.Flags().BoolVarP(&opts.Watch, "watch", "w", false, "Follow the upgrade until it comes to rest")
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
		return upgrades.Watch(ctx, c, opts.Namespace, opts.Name, v)
	}
	return upgrades.Show(ctx, c, opts.Namespace, opts.Name, v)
}

// atRest reports whether the upgrade has come to a point where only a
// person (or a long retention) moves it on.
func atRest(bg *v1alpha1.BlueGreenUpgrade) bool {
	if bg.Status.ObservedGeneration < bg.Generation {
		return false
	}
	switch bg.Status.Phase {
	case v1alpha1.BlueGreenPromoted, v1alpha1.BlueGreenRolledBack, v1alpha1.BlueGreenFailed, v1alpha1.BlueGreenFinished:
		return true
	}
	return waitsForPerson(bg)
}

func waitsForPerson(bg *v1alpha1.BlueGreenUpgrade) bool {
	c := meta.FindStatusCondition(bg.Status.Conditions, v1alpha1.ConditionAnalysisHealthy)
	return c != nil && c.Reason == string(v1alpha1.AnalysisPhaseInconclusive) &&
		(bg.Status.Phase == v1alpha1.BlueGreenPreSwitchAnalysis || bg.Status.Phase == v1alpha1.BlueGreenBaking)
}

// exitStatus maps the upgrade's outcome to the exit code: a failure, a
// rollback and a wait for a person are findings (3).
func exitStatus(bg *v1alpha1.BlueGreenUpgrade) error {
	switch {
	case bg.Status.Phase == v1alpha1.BlueGreenFailed:
		return cmdutil.WithExitCode(cmdutil.ExitFindings, fmt.Errorf("blue-green upgrade %q Failed: %s", bg.Name, bg.Status.Message))
	case bg.Status.Phase == v1alpha1.BlueGreenRolledBack:
		return cmdutil.WithExitCode(cmdutil.ExitFindings, fmt.Errorf("blue-green upgrade %q RolledBack: %s", bg.Name, bg.Status.RollbackReason))
	case waitsForPerson(bg):
		return cmdutil.WithExitCode(cmdutil.ExitFindings, fmt.Errorf("blue-green upgrade %q waits for a person: %s", bg.Name, bg.Status.Message))
	}
	return nil
}

// view shows the object: a line for each change of phase or message
// while watched, then (or at once) the whole report, or the object itself
// with -o json|yaml.
func view(opts *StatusOptions) hubobj.View[*v1alpha1.BlueGreenUpgrade] {
	return hubobj.View[*v1alpha1.BlueGreenUpgrade]{
		IO: opts.IO, Now: opts.Now, Interval: opts.Interval, Structured: opts.Output != cmdutil.OutputTable,
		Show: func(bg *v1alpha1.BlueGreenUpgrade) error {
			return cmdutil.PrintStructured(opts.IO.Out, opts.Output, bg)
		},
		Line:   func(bg *v1alpha1.BlueGreenUpgrade) string { return phaseOf(bg) + ": " + bg.Status.Message },
		Render: func(bg *v1alpha1.BlueGreenUpgrade) { Render(opts.IO.Out, bg, opts.Now(), opts.IO.IsStdoutTTY()) },
		AtRest: atRest, Exit: exitStatus,
	}
}

// Render writes the upgrade as a short report, one aspect per line.
// Times are relative on a terminal and RFC 3339 elsewhere.
func Render(w io.Writer, bg *v1alpha1.BlueGreenUpgrade, now time.Time, tty bool) {
	st := &bg.Status
	line := func(key, format string, args ...any) {
		if key != "" {
			key += ":"
		}
		fmt.Fprintf(w, "%-13s%s\n", key, fmt.Sprintf(format, args...))
	}
	fmt.Fprintf(w, "Blue-green upgrade %s (namespace %s)\n", bg.Name, bg.Namespace)
	line("Phase", "%s", phaseOf(bg))
	if st.Message != "" {
		line("Message", "%s", st.Message)
	}
	blue := bg.Spec.BlueMember
	if st.Blue != nil {
		blue = fmt.Sprintf("%s (member %s)%s", st.Blue.Name, bg.Spec.BlueMember, deleted(st.Blue, now, tty))
	}
	line("Blue", "%s", blue)
	green := fmt.Sprintf("%s at %s", bg.Spec.Green.ClusterName, bg.Spec.Green.KubernetesVersion)
	if g := st.Green; g != nil {
		green += Pools(g) + ClusterProgress(g, now, tty)
	}
	line("Green", "%s", green)
	line("Preflight", "%s", PreflightLine(st.Preflight, bg.Spec.Preflight))
	line("Traffic", "%s", TrafficLine(st.Traffic, bg.Spec.Traffic.Router, now))
	if bg.Spec.PreSwitch != nil {
		line("Pre-switch", "%s", AnalysisLine(st.PreSwitch))
	}
	if bg.Spec.PostSwitch != nil {
		line("Post-switch", "%s", AnalysisLine(st.PostSwitch))
		if a := st.PostSwitch; a != nil && len(a.MetricResults) > 0 {
			for _, m := range a.MetricResults {
				line("", "%s: %s", m.Name, Measurements(m, now, tty))
			}
		}
	}
	var tl []string
	for _, e := range []struct {
		what string
		at   *metav1.Time
	}{{"started", st.StartedAt}, {"switched", st.SwitchedAt}, {"bake from", st.BakeStartedAt}, {"promoted", st.PromotedAt},
		{"rollback", st.RollbackStartedAt}, {"rolled back", st.RolledBackAt}, {"finished", st.FinishedAt}} {
		if e.at != nil {
			tl = append(tl, e.what+" "+fleetcmd.When(e.at, now, tty))
		}
	}
	line("Timeline", "%s", strings.Join(tl, ", "))
	if st.RollbackReason != "" {
		line("Rolled back", "%s", st.RollbackReason)
	}
	if next := nextSteps(bg); next != "" {
		line("Next", "%s", next)
	}
}
