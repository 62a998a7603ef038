package analysis

import (
	"fmt"
	"strings"
	"time"

	"upshift.dev/upshift/api/v1alpha1"
)

// dueAt is when metric p takes its next measurement, from the timestamps
// in status alone: the first one initialDelay after the analysis started,
// the next ones interval after the last one finished. ok is false when the
// metric will measure no more.
func (e *Engine) dueAt(p *metricPlan, r *v1alpha1.MetricResult, status *v1alpha1.AnalysisStatus) (at time.Time, ok bool) {
	if r.Phase.Completed() {
		return time.Time{}, false
	}
	if len(r.Measurements) == 0 {
		return status.StartedAt.Add(p.initialDelay), true
	}
	if p.count > 0 && r.Count >= p.count {
		return time.Time{}, false
	}
	last := r.Measurements[len(r.Measurements)-1]
	interval := p.interval
	if interval == 0 {
		if last.Phase != v1alpha1.AnalysisPhaseError {
			return time.Time{}, false
		}
		interval = DefaultErrorRetryInterval
	}
	finished := last.FinishedAt
	if finished == nil {
		finished = last.StartedAt
	}
	if finished == nil {
		// A hand-edited status: measure now rather than never.
		return status.StartedAt.Time, true
	}
	return finished.Add(interval), true
}

// next is how long until the earliest due measurement.
func (e *Engine) next(status *v1alpha1.AnalysisStatus, results []*v1alpha1.MetricResult, now time.Time) time.Duration {
	var earliest time.Time
	found := false
	for i, p := range e.metrics {
		if at, ok := e.dueAt(p, results[i], status); ok && (!found || at.Before(earliest)) {
			earliest, found = at, true
		}
	}
	if !found {
		// Unreachable while assess keeps its promise that a metric with
		// nothing left to measure has a verdict; poll rather than hang.
		return DefaultErrorRetryInterval
	}
	return max(earliest.Sub(now), 0)
}

// stopping reports whether the analysis takes no more measurements: it was
// terminated, or a metric already ended Failed, Error or Inconclusive (the
// verdict cannot get better, so the others stop too, as in Argo Rollouts).
func (e *Engine) stopping(status *v1alpha1.AnalysisStatus, results []*v1alpha1.MetricResult) (bool, string) {
	if status.Terminated {
		return true, "the analysis was terminated"
	}
	for _, r := range results {
		switch r.Phase {
		case v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseError, v1alpha1.AnalysisPhaseInconclusive:
			return true, fmt.Sprintf("the analysis stopped when metric %q became %s", r.Name, r.Phase)
		}
	}
	return false, ""
}

// assess recomputes every metric's phase and the analysis phase.
func (e *Engine) assess(status *v1alpha1.AnalysisStatus, results []*v1alpha1.MetricResult, now time.Time) {
	for i, p := range e.metrics {
		results[i].Phase, results[i].Message = assessMetric(p, results[i], "")
	}
	if stop, why := e.stopping(status, results); stop {
		for i, p := range e.metrics {
			results[i].Phase, results[i].Message = assessMetric(p, results[i], why)
		}
	}

	allDone, allPending := true, true
	var worst *v1alpha1.MetricResult
	for _, r := range results {
		allPending = allPending && r.Phase == v1alpha1.AnalysisPhasePending
		if !r.Phase.Completed() {
			allDone = false
			continue
		}
		if worst == nil || rank(r.Phase) > rank(worst.Phase) {
			worst = r
		}
	}
	switch {
	case !allDone && allPending:
		status.Phase, status.Message = v1alpha1.AnalysisPhasePending, "waiting for initialDelay before the first measurement"
	case !allDone:
		status.Phase, status.Message = v1alpha1.AnalysisPhaseRunning, ""
	default:
		status.Phase = worst.Phase
		status.FinishedAt = stamp(now)
		msg := fmt.Sprintf("metric %q %s: %s", worst.Name, worst.Phase, worst.Message)
		if worst.Phase == v1alpha1.AnalysisPhaseSuccessful && len(results) > 1 {
			msg = fmt.Sprintf("all %d metrics Successful", len(results))
		}
		if status.Terminated {
			// Keep Terminate's reason in front.
			prefix := status.Message
			if !strings.HasPrefix(prefix, "terminated") {
				prefix = "terminated"
			}
			msg = prefix + "; " + msg
		}
		status.Message = msg
	}
}

// assessMetric is Argo Rollouts' verdict for one metric, checked in this
// order: Failed, Inconclusive, Error, count reached, stopped. stopped is
// empty while the analysis goes on, or says why it stops.
func assessMetric(p *metricPlan, r *v1alpha1.MetricResult, stopped string) (v1alpha1.AnalysisPhase, string) {
	if r.Phase.Completed() {
		return r.Phase, r.Message
	}
	m := p.metric
	if len(r.Measurements) == 0 {
		if stopped != "" {
			return v1alpha1.AnalysisPhaseSuccessful, stopped + " before its first measurement"
		}
		return v1alpha1.AnalysisPhasePending, fmt.Sprintf("waiting for initialDelay %s", p.initialDelay)
	}
	last := describe(r.Measurements[len(r.Measurements)-1])
	switch {
	case r.Failed > m.FailureLimit:
		return v1alpha1.AnalysisPhaseFailed, fmt.Sprintf("%d failed measurements > failureLimit %d; last: %s", r.Failed, m.FailureLimit, last)
	case r.Inconclusive > m.InconclusiveLimit:
		return v1alpha1.AnalysisPhaseInconclusive, fmt.Sprintf("%d inconclusive measurements > inconclusiveLimit %d; last: %s", r.Inconclusive, m.InconclusiveLimit, last)
	case r.ConsecutiveError > p.consecutiveErrorLimit:
		return v1alpha1.AnalysisPhaseError, fmt.Sprintf("%d errors in a row > consecutiveErrorLimit %d; last: %s", r.ConsecutiveError, p.consecutiveErrorLimit, last)
	case p.count > 0 && r.Count >= p.count:
		return v1alpha1.AnalysisPhaseSuccessful, withinLimits(r)
	case stopped != "":
		return v1alpha1.AnalysisPhaseSuccessful, stopped + "; " + withinLimits(r)
	}
	return v1alpha1.AnalysisPhaseRunning, "last: " + last
}

func withinLimits(r *v1alpha1.MetricResult) string {
	noun := "measurements"
	if r.Count == 1 {
		noun = "measurement"
	}
	return fmt.Sprintf("%d %s within the limits (%d successful, %d failed, %d inconclusive)", r.Count, noun, r.Successful, r.Failed, r.Inconclusive)
}

func describe(m v1alpha1.Measurement) string {
	s := string(m.Phase)
	if m.Value != "" {
		s += " value " + m.Value
	}
	if m.Message != "" {
		s += " (" + m.Message + ")"
	}
	return s
}

// rank orders phases from best to worst as Argo Rollouts does: Successful,
// Running, Pending, Inconclusive, Error, Failed.
func rank(p v1alpha1.AnalysisPhase) int {
	switch p {
	case v1alpha1.AnalysisPhaseSuccessful:
		return 0
	case v1alpha1.AnalysisPhaseRunning:
		return 1
	case v1alpha1.AnalysisPhasePending:
		return 2
	case v1alpha1.AnalysisPhaseInconclusive:
		return 3
	case v1alpha1.AnalysisPhaseError:
		return 4
	case v1alpha1.AnalysisPhaseFailed:
		return 5
	}
	return 1
}

// Worst returns the worse of two phases in Argo Rollouts' order (Failed >
// Error > Inconclusive > Pending > Running > Successful), for callers that
// combine several analyses, such as a stage with several gates.
func Worst(a, b v1alpha1.AnalysisPhase) v1alpha1.AnalysisPhase {
	if rank(b) > rank(a) {
		return b
	}
	return a
}
