package fleet

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"upshift.dev/upshift/api/v1alpha1"
)

// pollInterval is how often a run with upgrades in flight is looked at even
// if no worker reports (a backstop; workers wake the run themselves).
const pollInterval = 5 * time.Second

// advance moves the run forward and returns when to look again (0: only
// on the next change).
func (r *RunReconciler) advance(ctx context.Context, run *v1alpha1.UpdateRun, fx *effects) (time.Duration, error) {
	st := &run.Status
	now := r.now()
	if st.State == "" {
		st.State = v1alpha1.StateNotStarted
	}
	if st.State == v1alpha1.StateNotStarted && run.Spec.State != v1alpha1.RunStart {
		st.Message = "created; start it with 'upshift run start " + run.Name + "'"
		return 0, nil
	}
	if st.Strategy == nil {
		if err := r.start(ctx, run, now); err != nil {
			st.State, st.Error, st.Message = v1alpha1.StateFailed, err.Error(), ""
			st.CompletedTime = mtime(now)
			r.event(run, true, "Failed", "%v", err)
			return 0, nil
		}
		r.event(run, false, "Started", "Update run started: %s to %s", run.Spec.Upgrade.Type, run.Spec.Upgrade.KubernetesVersion)
	}

	// What people asked for, in spec: stop/start, skips, retries.
	applyDesiredState(run)
	applySkips(run, now)
	applyRetries(run)

	// Collect what the member upgrades did since the last look.
	r.collect(run, now, fx)
	failed := countMembers(run, v1alpha1.StateFailed)
	st.FailedMembers = int32(failed)
	running := countMembers(run, v1alpha1.StateRunning)
	failing := failed > int(st.Strategy.MaxAllowedFailures)

	switch {
	case st.State == v1alpha1.StateStopping || st.State == v1alpha1.StateStopped:
		if running == 0 {
			st.State, st.Message = v1alpha1.StateStopped, "stopped; start it again with 'upshift run start "+run.Name+"'"
			return 0, nil
		}
		st.State = v1alpha1.StateStopping
		st.Message = fmt.Sprintf("stopping: waiting for %d member upgrades in flight to finish", running)
		return pollInterval, nil
	case failing:
		if running > 0 {
			st.Message = fmt.Sprintf("%d members failed (maxAllowedFailures %d); waiting for %d upgrades in flight before failing the run", failed, st.Strategy.MaxAllowedFailures, running)
			return pollInterval, nil
		}
		if st.State != v1alpha1.StateFailed {
			st.State, st.CompletedTime = v1alpha1.StateFailed, mtime(now)
			st.Error = fmt.Sprintf("%d members failed, more than maxAllowedFailures %d: %s; fix them and retry with 'upshift run retry %s --member NAME'",
				failed, st.Strategy.MaxAllowedFailures, strings.Join(memberNames(run, v1alpha1.StateFailed), ", "), run.Name)
			st.Message = ""
			r.event(run, true, "Failed", "%s", st.Error)
		}
		return 0, nil
	case st.State == v1alpha1.StateCompleted, st.State == v1alpha1.StateFailed:
		// Final until spec.retries reopens it (applyRetries above).
		return 0, nil
	}
	st.State = v1alpha1.StateRunning
	st.Error = ""
	return r.advanceStages(ctx, run, now, fx)
}

// advanceStages walks the stages in order and moves the first unfinished
// one along, continuing into the next when a stage completes.
func (r *RunReconciler) advanceStages(ctx context.Context, run *v1alpha1.UpdateRun, now time.Time, fx *effects) (time.Duration, error) {
	st := &run.Status
	for i := range st.Stages {
		stage := &st.Stages[i]
		spec := st.Strategy.Stages[i]
		if terminal(stage.State) {
			continue
		}
		if stage.State == v1alpha1.StateNotStarted {
			stage.State, stage.StartTime = v1alpha1.StateRunning, mtime(now)
			r.event(run, false, "StageStarted", "Stage %s started", stage.Name)
		}
		st.CurrentStage = stage.Name

		wait, err := r.gates(ctx, run, i, v1alpha1.GateBefore, now)
		if err != nil || wait != done {
			return wait, err
		}
		wait, err = r.members(ctx, run, i, now, fx)
		if err != nil || wait != done {
			return wait, err
		}
		wait, err = r.gates(ctx, run, i, v1alpha1.GateAfter, now)
		if err != nil || wait != done {
			return wait, err
		}
		if wait := afterStageWait(stage, spec, now); wait > 0 {
			stage.Message = fmt.Sprintf("after-stage wait: %s left", wait.Round(time.Second))
			st.Message = stage.Message
			return wait, nil
		}
		stage.State, stage.CompletedTime, stage.Message = v1alpha1.StateCompleted, mtime(now), ""
		r.event(run, false, "StageCompleted", "Stage %s completed", stage.Name)
	}
	st.State, st.CompletedTime, st.CurrentStage, st.Message = v1alpha1.StateCompleted, mtime(now), "", ""
	if st.FailedMembers > 0 {
		st.Message = fmt.Sprintf("completed with %d failed members (within maxAllowedFailures %d)", st.FailedMembers, st.Strategy.MaxAllowedFailures)
	}
	r.event(run, false, "Completed", "Update run completed")
	return 0, nil
}

// done marks a step that needs no more waiting; any other duration means
// "come back then" (0: on the next change).
const done = time.Duration(-1)

// afterStageWait starts or measures the stage's soak and returns what is
// left of it.
func afterStageWait(stage *v1alpha1.StageStatus, spec v1alpha1.StageSpec, now time.Time) time.Duration {
	if spec.AfterStageWaitInSeconds == 0 || stage.AfterStageWaitState == v1alpha1.StateSkipped || stage.AfterStageWaitState == v1alpha1.StateCompleted {
		return 0
	}
	if stage.AfterStageWaitStartTime == nil {
		stage.AfterStageWaitStartTime, stage.AfterStageWaitState = mtime(now), v1alpha1.StateRunning
	}
	left := stage.AfterStageWaitStartTime.Add(time.Duration(spec.AfterStageWaitInSeconds) * time.Second).Sub(now)
	if left <= 0 {
		stage.AfterStageWaitState = v1alpha1.StateCompleted
		return 0
	}
	return left
}

func terminal(state string) bool {
	return state == v1alpha1.StateCompleted || state == v1alpha1.StateSkipped || state == v1alpha1.StateFailed
}

func mtime(t time.Time) *metav1.Time {
	m := metav1.NewTime(t.UTC().Truncate(time.Second))
	return &m
}

// eachMember visits every member of the run.
func eachMember(run *v1alpha1.UpdateRun, fn func(stage *v1alpha1.StageStatus, group *v1alpha1.GroupStatus, m *v1alpha1.MemberRunStatus)) {
	for i := range run.Status.Stages {
		s := &run.Status.Stages[i]
		for j := range s.Groups {
			g := &s.Groups[j]
			for k := range g.Members {
				fn(s, g, &g.Members[k])
			}
		}
	}
}

func countMembers(run *v1alpha1.UpdateRun, state string) int {
	n := 0
	eachMember(run, func(_ *v1alpha1.StageStatus, _ *v1alpha1.GroupStatus, m *v1alpha1.MemberRunStatus) {
		if m.State == state {
			n++
		}
	})
	return n
}

func memberNames(run *v1alpha1.UpdateRun, state string) []string {
	var out []string
	eachMember(run, func(_ *v1alpha1.StageStatus, _ *v1alpha1.GroupStatus, m *v1alpha1.MemberRunStatus) {
		if m.State == state {
			out = append(out, m.Name)
		}
	})
	sort.Strings(out)
	return out
}

// summarize fills the fields kubectl get shows.
func summarize(run *v1alpha1.UpdateRun) {
	total, finished := 0, 0
	eachMember(run, func(_ *v1alpha1.StageStatus, _ *v1alpha1.GroupStatus, m *v1alpha1.MemberRunStatus) {
		total++
		if terminal(m.State) {
			finished++
		}
	})
	if total > 0 {
		run.Status.Progress = fmt.Sprintf("%d/%d members", finished, total)
	}
}
