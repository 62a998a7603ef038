package fleet

import (
	"fmt"
	"time"

	"upshift.dev/upshift/api/v1alpha1"
)

// applyDesiredState turns spec.state into the run's state: Stopped stops
// starting members (those in flight finish), Started resumes.
func applyDesiredState(run *v1alpha1.UpdateRun) {
	st := &run.Status
	switch run.Spec.State {
	case v1alpha1.RunStop:
		if st.State == v1alpha1.StateRunning {
			st.State = v1alpha1.StateStopping
		}
	case v1alpha1.RunStart:
		if st.State == v1alpha1.StateStopped || st.State == v1alpha1.StateStopping {
			st.State = v1alpha1.StateRunning
		}
	}
}

// applySkips marks what spec.skip names as Skipped. Members already
// upgrading are not interrupted; they finish and keep their outcome.
func applySkips(run *v1alpha1.UpdateRun, now time.Time) {
	for _, s := range run.Spec.Skip {
		for i := range run.Status.Stages {
			stage := &run.Status.Stages[i]
			switch {
			case s.Type == v1alpha1.SkipStage && s.Name == stage.Name:
				for j := range stage.Groups {
					skipGroup(&stage.Groups[j], now)
				}
				for _, gates := range [][]v1alpha1.GateStatus{stage.BeforeGates, stage.AfterGates} {
					for k := range gates {
						if !terminal(gates[k].State) {
							gates[k].State, gates[k].CompletedTime = v1alpha1.StateSkipped, mtime(now)
						}
					}
				}
				if !terminal(stage.State) && !anyRunning(stage) {
					stage.State, stage.CompletedTime = v1alpha1.StateSkipped, mtime(now)
				}
				stage.AfterStageWaitState = v1alpha1.StateSkipped
			case s.Type == v1alpha1.SkipAfterStageWait && s.Name == stage.Name:
				if stage.AfterStageWaitState != v1alpha1.StateCompleted {
					stage.AfterStageWaitState = v1alpha1.StateSkipped
				}
			}
			for j := range stage.Groups {
				g := &stage.Groups[j]
				if s.Type == v1alpha1.SkipGroup && s.Name == g.Name {
					skipGroup(g, now)
				}
				for k := range g.Members {
					m := &g.Members[k]
					if s.Type == v1alpha1.SkipMember && s.Name == m.Name && skippable(m.State) {
						m.State, m.CompletedTime, m.Message = v1alpha1.StateSkipped, mtime(now), "skipped by spec.skip"
					}
				}
			}
		}
	}
}

func skipGroup(g *v1alpha1.GroupStatus, now time.Time) {
	for k := range g.Members {
		if skippable(g.Members[k].State) {
			g.Members[k].State, g.Members[k].CompletedTime, g.Members[k].Message = v1alpha1.StateSkipped, mtime(now), "skipped by spec.skip"
		}
	}
}

// skippable: a member that has not started, or waits for its window.
func skippable(state string) bool {
	return state == v1alpha1.StateNotStarted || state == v1alpha1.StatePending
}

func anyRunning(stage *v1alpha1.StageStatus) bool {
	for _, g := range stage.Groups {
		for _, m := range g.Members {
			if m.State == v1alpha1.StateRunning {
				return true
			}
		}
	}
	return false
}

// applyRetries gives failed members another attempt when spec.retries asks
// for an attempt beyond the one they failed; the run, its stage and group
// resume if the failure had stopped them.
func applyRetries(run *v1alpha1.UpdateRun) {
	want := map[string]int32{}
	for _, r := range run.Spec.Retries {
		if r.Attempt > want[r.Member] {
			want[r.Member] = r.Attempt
		}
	}
	retried := false
	for i := range run.Status.Stages {
		stage := &run.Status.Stages[i]
		for j := range stage.Groups {
			g := &stage.Groups[j]
			for k := range g.Members {
				m := &g.Members[k]
				if m.State == v1alpha1.StateFailed && want[m.Name] > m.Attempt {
					m.State, m.Error, m.CompletedTime = v1alpha1.StateNotStarted, "", nil
					m.Message = fmt.Sprintf("retry requested (attempt %d)", m.Attempt+1)
					g.State, g.CompletedTime = v1alpha1.StateRunning, nil
					if stage.State == v1alpha1.StateFailed || stage.State == v1alpha1.StateCompleted {
						stage.State, stage.CompletedTime = v1alpha1.StateRunning, nil
					}
					retried = true
				}
			}
		}
	}
	if retried && (run.Status.State == v1alpha1.StateFailed || run.Status.State == v1alpha1.StateCompleted) {
		run.Status.State, run.Status.Error, run.Status.CompletedTime = v1alpha1.StateRunning, "", nil
	}
}

// collect writes finished and progressing member upgrades into the status,
// and restarts the upgrades of members that are Running in status but have
// no worker (the controller restarted).
func (r *RunReconciler) collect(run *v1alpha1.UpdateRun, now time.Time, fx *effects) {
	eachMember(run, func(stage *v1alpha1.StageStatus, _ *v1alpha1.GroupStatus, m *v1alpha1.MemberRunStatus) {
		if m.State != v1alpha1.StateRunning {
			return
		}
		w, ok := r.workers.Get(run.Namespace, run.Name, m.Name, m.Attempt)
		if !ok {
			fx.start = append(fx.start, m)
			m.Message = "resuming the upgrade after a controller restart"
			return
		}
		m.Step, m.Message = w.Progress.Step, w.Progress.Message
		if !w.Done {
			return
		}
		m.CompletedTime = mtime(now)
		if w.Err != nil {
			m.State, m.Error = v1alpha1.StateFailed, w.Err.Error()
			r.event(run, true, "MemberFailed", "Member %s failed: %v", m.Name, w.Err)
		} else {
			m.State, m.Message = v1alpha1.StateCompleted, ""
			r.event(run, false, "MemberCompleted", "Member %s upgraded", m.Name)
		}
		r.Metrics.memberDone(run, m, stage.Name)
		fx.forget = append(fx.forget, *m)
	})
}
