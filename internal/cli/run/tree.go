package run

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"upshift.dev/upshift/api/v1alpha1"
	fleetcmd "upshift.dev/upshift/internal/cli/fleet"
	"upshift.dev/upshift/internal/cli/strategy"
)

// view is how a run is drawn: relative times for a person at a terminal,
// RFC 3339 for logs and scripts. The clock is fixed per drawing so a
// golden test can pin it.
type view struct {
	now time.Time
	tty bool
}

// row is one line of the status tree: a stage, a gate, a group, a member
// or an after-stage wait.
type row struct {
	// key names the row across polls of a watch, and in its log lines.
	key    string
	depth  int
	label  string
	state  string
	start  *metav1.Time
	end    *metav1.Time
	detail string
}

// rows flattens the run into the tree's lines in the order things happen:
// per stage its before gates, groups with their members, after gates and
// after-stage wait.
func (v view) rows(run *v1alpha1.UpdateRun) []row {
	var out []row
	for i, st := range run.Status.Stages {
		var spec v1alpha1.StageSpec
		if s := run.Status.Strategy; s != nil && i < len(s.Stages) {
			spec = s.Stages[i]
		}
		// The stage's message repeats what its gates, members and wait
		// say on their own rows; only its error is its own.
		out = append(out, row{key: "stage " + st.Name, label: "stage " + st.Name, state: st.State, start: st.StartTime, end: st.CompletedTime, detail: st.Error})
		out = append(out, v.gateRows(run, st.BeforeGates, spec.BeforeGates, v1alpha1.GateBefore)...)
		for _, g := range st.Groups {
			done := 0
			for _, m := range g.Members {
				if m.State == v1alpha1.StateCompleted || m.State == v1alpha1.StateSkipped || m.State == v1alpha1.StateFailed {
					done++
				}
			}
			gr := row{key: "group " + g.Name, depth: 1, label: "group " + g.Name, state: g.State, start: g.StartTime, end: g.CompletedTime}
			if g.State != v1alpha1.StateNotStarted {
				gr.detail = fmt.Sprintf("%d/%d members done", done, len(g.Members))
			}
			out = append(out, gr)
			for _, m := range g.Members {
				out = append(out, row{key: "member " + m.Name, depth: 2, label: m.Name, state: m.State, start: m.StartTime, end: m.CompletedTime, detail: memberDetail(run, m)})
			}
		}
		out = append(out, v.gateRows(run, st.AfterGates, spec.AfterGates, v1alpha1.GateAfter)...)
		if spec.AfterStageWaitInSeconds > 0 {
			out = append(out, v.waitRow(st, time.Duration(spec.AfterStageWaitInSeconds)*time.Second))
		}
	}
	return out
}

func (v view) gateRows(run *v1alpha1.UpdateRun, gates []v1alpha1.GateStatus, defs []v1alpha1.GateDefinition, timing string) []row {
	var out []row
	for k, gs := range gates {
		label := strings.ToLower(timing) + " gate " + gs.Type
		if k < len(defs) && defs[k].DisplayName != "" {
			label += fmt.Sprintf(" %q", defs[k].DisplayName)
		}
		out = append(out, row{key: "gate " + gs.Name, depth: 1, label: label, state: gs.State, start: gs.ReachedTime, end: gs.CompletedTime, detail: v.gateDetail(run, gs)})
	}
	return out
}

// gateDetail says what a gate waits for and, for one that waits for a
// person, the command that lets it through.
func (v view) gateDetail(run *v1alpha1.UpdateRun, gs v1alpha1.GateStatus) string {
	if gs.State != v1alpha1.StatePending {
		return gs.Message
	}
	approve := fmt.Sprintf("'upshift gate approve %s%s'", gs.Name, nsFlag(run.Namespace))
	switch gs.Type {
	case v1alpha1.GateApproval:
		return "waiting for approval: " + approve
	case v1alpha1.GateScheduledStart:
		if gs.ScheduledTime != nil {
			return "scheduled start " + fleetcmd.When(gs.ScheduledTime, v.now, v.tty) + "; to start now: " + approve
		}
	}
	return gs.Message
}

func (v view) waitRow(st v1alpha1.StageStatus, wait time.Duration) row {
	r := row{key: "after-stage-wait " + st.Name, depth: 1, label: "after-stage wait " + wait.String(), state: st.AfterStageWaitState, start: st.AfterStageWaitStartTime}
	if r.state == "" {
		r.state = v1alpha1.StateNotStarted
	}
	if st.AfterStageWaitStartTime == nil {
		return r
	}
	end := metav1.NewTime(st.AfterStageWaitStartTime.Add(wait))
	switch r.state {
	case v1alpha1.StateCompleted:
		r.end = &end
	case v1alpha1.StateRunning:
		if v.tty {
			r.detail = fmt.Sprintf("%s left", end.Sub(v.now).Round(time.Second))
		} else {
			r.detail = "until " + end.UTC().Format(time.RFC3339)
		}
	}
	return r
}

// memberDetail says what a member does or waits for, and how to get it
// going again when it failed.
func memberDetail(run *v1alpha1.UpdateRun, m v1alpha1.MemberRunStatus) string {
	var parts []string
	if m.Attempt > 1 {
		parts = append(parts, fmt.Sprintf("attempt %d", m.Attempt))
	}
	switch m.State {
	case v1alpha1.StateRunning:
		if m.Step != "" {
			parts = append(parts, m.Step)
		}
		if m.Message != "" {
			parts = append(parts, m.Message)
		}
	case v1alpha1.StateFailed:
		parts = append(parts, m.Error+fmt.Sprintf("; retry with 'upshift run retry %s --member %s%s'", run.Name, m.Name, nsFlag(run.Namespace)))
	case v1alpha1.StateCompleted:
		if m.FromVersion != "" && run.Spec.Upgrade.KubernetesVersion != "" {
			parts = append(parts, m.FromVersion+" -> "+run.Spec.Upgrade.KubernetesVersion)
		}
	default:
		if m.Message != "" {
			parts = append(parts, m.Message)
		}
	}
	return strings.Join(parts, ": ")
}

// render writes the run's header and tree.
func (v view) render(w io.Writer, run *v1alpha1.UpdateRun) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	field := func(name, value string) {
		if value != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", name, value)
		}
	}
	field("Update run", fmt.Sprintf("%s (namespace %s)", run.Name, run.Namespace))
	up := strings.Replace(upgrade(run), " ", " upgrade to ", 1)
	if !strings.Contains(up, " ") {
		up += " upgrade"
	}
	if sel := run.Spec.NodeImageSelection.Type; sel != "" {
		up += ", node images " + sel
	}
	field("Upgrade", up)
	if s := run.Status.Strategy; s != nil {
		field("Strategy", strategyName(run)+strategy.Describe(s))
	} else if run.Spec.UpdateStrategyName != "" {
		field("Strategy", run.Spec.UpdateStrategyName)
	}
	state := stateOf(run)
	if run.Spec.State == v1alpha1.RunStop && state == v1alpha1.StateRunning {
		state += " (stop requested)"
	}
	if s := run.Status.CurrentStage; s != "" {
		state += ", stage " + s
	}
	if p := run.Status.Progress; p != "" {
		state += ", " + p
	}
	field("State", state)
	if run.Status.StartTime != nil {
		field("Started", fleetcmd.When(run.Status.StartTime, v.now, v.tty))
	}
	if run.Status.CompletedTime != nil {
		field("Ended", fleetcmd.When(run.Status.CompletedTime, v.now, v.tty))
	}
	field("Message", run.Status.Message)
	field("Error", run.Status.Error)
	if err := tw.Flush(); err != nil {
		return err
	}
	if rows := v.rows(run); len(rows) > 0 {
		b.WriteString("\n")
		tw = tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "STAGE / GATE / GROUP / MEMBER\tSTATE\tSTARTED\tENDED\tDETAIL")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\n", strings.Repeat("  ", r.depth), r.label, dash(r.state),
				fleetcmd.When(r.start, v.now, v.tty), fleetcmd.When(r.end, v.now, v.tty), r.detail)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, trimLines(b.String()))
	return err
}

func strategyName(run *v1alpha1.UpdateRun) string {
	if run.Spec.UpdateStrategyName != "" {
		return run.Spec.UpdateStrategyName + ": "
	}
	return "inline: "
}

// trimLines drops the padding tabwriter leaves after the last non-empty
// cell, so output and golden files carry no trailing blanks.
func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}
