package bluegreen

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"upshift.dev/upshift/api/v1alpha1"
	fleetcmd "upshift.dev/upshift/internal/cli/fleet"
)

func deleted(c *v1alpha1.ClusterFacts, now time.Time, tty bool) string {
	if c.DeletedAt == nil {
		return ""
	}
	return ", deleted " + fleetcmd.When(c.DeletedAt, now, tty)
}

// Pools lists a cluster's pools: ", pools system=1 apps=2".
func Pools(c *v1alpha1.ClusterFacts) string {
	if len(c.Pools) == 0 {
		return ""
	}
	var ps []string
	for _, p := range c.Pools {
		ps = append(ps, fmt.Sprintf("%s=%d", p.Name, p.Count))
	}
	return ", pools " + strings.Join(ps, " ")
}

// ClusterProgress says how far a new cluster got: created, deployed,
// ready, deleted.
func ClusterProgress(c *v1alpha1.ClusterFacts, now time.Time, tty bool) string {
	switch {
	case c.DeletedAt != nil:
		return deleted(c, now, tty)
	case c.ReadyAt != nil:
		return ", ready " + fleetcmd.When(c.ReadyAt, now, tty)
	case c.DeployedAt != nil:
		return ", deployed " + fleetcmd.When(c.DeployedAt, now, tty) + ", not ready yet"
	case c.CreatedAt != nil:
		return ", created " + fleetcmd.When(c.CreatedAt, now, tty) + ", deploying"
	case c.CreationStartedAt != nil:
		return ", being created since " + fleetcmd.When(c.CreationStartedAt, now, tty)
	}
	return ", not created yet"
}

// PreflightLine summarizes the preflight, with its first findings.
func PreflightLine(pf *v1alpha1.PreflightResult, policy v1alpha1.PreflightPolicy) string {
	switch {
	case policy.Skip:
		return "skipped (--skip-preflight)"
	case pf == nil || pf.CompletedAt == nil:
		return "not run yet"
	}
	s := fmt.Sprintf("%d errors, %d warnings for %s", pf.Errors, pf.Warnings, pf.TargetVersion)
	if pf.Errors > 0 && policy.IgnoreErrors {
		s += " (errors ignored)"
	}
	for i, f := range pf.Findings {
		if i == 3 {
			s += fmt.Sprintf("\n             and %d more (-o yaml shows them)", len(pf.Findings)-3)
			break
		}
		s += "\n             " + f
	}
	return s
}

// TrafficLine says where traffic is and whether it has propagated.
func TrafficLine(t *v1alpha1.TrafficStatus, router string, now time.Time) string {
	if router == "" {
		router = v1alpha1.RouterLocal
	}
	if t == nil {
		return "not moved yet (router " + router + ")"
	}
	s := weights(t.Weights) + " via " + router
	switch {
	case t.AppliedAt == nil || weights(t.Applied) != weights(t.Weights):
		s += ", being applied"
		if t.LastError != "" {
			s += " (last error: " + t.LastError + ")"
		}
	case t.SettledAt != nil && now.Before(t.SettledAt.Time):
		s += fmt.Sprintf(", accepted; clients follow within %s", t.SettledAt.Sub(now).Round(time.Second))
	default:
		s += ", settled"
	}
	return s
}

func weights(w map[string]int32) string {
	var names []string
	for n := range w {
		names = append(names, n)
	}
	sort.Strings(names)
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s=%d%%", n, w[n]))
	}
	return strings.Join(parts, " ")
}

// AnalysisLine is an analysis's verdict and its metrics' counts.
func AnalysisLine(a *v1alpha1.AnalysisStatus) string {
	if a == nil {
		return "not started"
	}
	var parts []string
	for _, m := range a.MetricResults {
		parts = append(parts, fmt.Sprintf("%s %s (%d/%d ok)", m.Name, m.Phase, m.Successful, m.Count))
	}
	s := string(a.Phase) + ": " + strings.Join(parts, ", ")
	if a.Phase.Completed() && a.Phase != v1alpha1.AnalysisPhaseSuccessful && a.Message != "" {
		s += "; " + a.Message
	}
	return s
}

// Measurements lists a metric's last measurements, newest last.
func Measurements(m v1alpha1.MetricResult, now time.Time, tty bool) string {
	ms := m.Measurements
	if len(ms) > 5 {
		ms = ms[len(ms)-5:]
	}
	var parts []string
	for _, x := range ms {
		v := x.Value
		if v == "" {
			v = x.Message
		}
		parts = append(parts, fmt.Sprintf("%s %s %s", fleetcmd.When(x.StartedAt, now, tty), x.Phase, v))
	}
	if len(parts) == 0 {
		return "no measurement yet"
	}
	return strings.Join(parts, "; ")
}

// nextSteps names the commands that apply now.
func nextSteps(bg *v1alpha1.BlueGreenUpgrade) string {
	n, ns := bg.Name, nsFlag(bg.Namespace)
	switch bg.Status.Phase {
	case v1alpha1.BlueGreenPreSwitchAnalysis, v1alpha1.BlueGreenBaking:
		return fmt.Sprintf("'upshift bluegreen promote %s%s' or 'upshift bluegreen rollback %s%s'", n, ns, n, ns)
	case v1alpha1.BlueGreenPromoted:
		return fmt.Sprintf("'upshift bluegreen finish %s%s' deletes blue now; 'upshift bluegreen rollback %s%s' sends traffic back", n, ns, n, ns)
	case v1alpha1.BlueGreenRolledBack, v1alpha1.BlueGreenFailed:
		return fmt.Sprintf("'upshift bluegreen finish %s%s' deletes green", n, ns)
	}
	return ""
}
