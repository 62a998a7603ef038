package strategy

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/analysis"
)

// analyze takes the measurements of spec that are due now into *st (which
// it creates) and returns the engine's result. The measurements live in
// status, so a restarted controller continues the same analysis.
func analyze(ctx context.Context, p *pass, spec v1alpha1.AnalysisSpec, st **v1alpha1.AnalysisStatus) (analysis.Result, error) {
	e, err := analysis.New(spec, p.core.analysisOptions())
	if err != nil {
		return analysis.Result{}, err
	}
	if *st == nil {
		*st = &v1alpha1.AnalysisStatus{}
	}
	return e.Reconcile(ctx, *st, p.now)
}

// terminate ends an analysis that is still running (a bake is over, a
// person decided) and returns its verdict.
func terminate(p *pass, spec v1alpha1.AnalysisSpec, st *v1alpha1.AnalysisStatus, reason string) v1alpha1.AnalysisPhase {
	if st == nil {
		return v1alpha1.AnalysisPhaseSuccessful
	}
	if !st.Phase.Completed() {
		if e, err := analysis.New(spec, p.core.analysisOptions()); err == nil {
			e.Terminate(st, p.now, reason)
		}
	}
	return st.Phase
}

// summary is one line per metric: "error-rate Running (3/3 ok)".
func summary(a *v1alpha1.AnalysisStatus) string {
	if a == nil {
		return ""
	}
	var parts []string
	for _, m := range a.MetricResults {
		parts = append(parts, fmt.Sprintf("%s %s (%d/%d ok)", m.Name, m.Phase, m.Successful, m.Count))
	}
	return strings.Join(parts, ", ")
}

// verdict explains a completed analysis: its message, else the last
// measurement of each metric that was not Successful.
func verdict(a *v1alpha1.AnalysisStatus) string {
	if a == nil {
		return "no analysis"
	}
	if a.Message != "" {
		return a.Message
	}
	return summary(a)
}

// weightsString renders weights as "blue=0 green=100", by name.
func weightsString(w map[string]int32) string {
	names := make([]string, 0, len(w))
	for n := range w {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%d", n, w[n])
	}
	return strings.Join(parts, " ")
}

func copyWeights(w map[string]int32) map[string]int32 {
	out := make(map[string]int32, len(w))
	for k, v := range w {
		out[k] = v
	}
	return out
}

// split sends pct percent to to and the rest to from.
func split(from, to string, pct int32) map[string]int32 {
	return map[string]int32{from: 100 - pct, to: pct}
}

// orDefault is msg, or what the phase does when its step said nothing
// more.
func orDefault(msg, phase string) string {
	if msg != "" {
		return msg
	}
	switch phase {
	case v1alpha1.BlueGreenPending:
		return "checking the spec and the member"
	case v1alpha1.BlueGreenPreflight:
		return "running the preflight"
	case v1alpha1.BlueGreenCreatingGreen, v1alpha1.CanaryCreatingCanary:
		return "creating the new cluster"
	case v1alpha1.BlueGreenDeploying:
		return "deploying the manifests to the new cluster"
	case v1alpha1.BlueGreenWaitingReady:
		return "waiting for the workloads on the new cluster"
	case v1alpha1.BlueGreenSwitching:
		return "switching traffic"
	case v1alpha1.BlueGreenRollingBack, v1alpha1.CanaryAborting:
		return "sending traffic back"
	case v1alpha1.BlueGreenFinishing:
		return "deleting the cluster that is no longer needed"
	case v1alpha1.CanaryProgressing:
		return "moving traffic to the canary"
	}
	return ""
}
