package fleet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/analysis"
)

// gateName is the Gate object of a run's gate.
func gateName(run, stage, timing string, index int) string {
	return fmt.Sprintf("%s-%s-%s-%d", run, stage, strings.ToLower(timing), index)
}

func validateGate(g v1alpha1.GateDefinition) error {
	switch g.Type {
	case v1alpha1.GateApproval:
	case v1alpha1.GateScheduledStart:
		if g.ScheduledStart == nil {
			return errors.New("type ScheduledStart needs scheduledStart.time (and optionally date or dayOfWeek, utcOffset)")
		}
		if _, err := scheduledTime(*g.ScheduledStart, time.Now()); err != nil {
			return err
		}
	case v1alpha1.GateValidation:
		if g.Validation == nil || len(g.Validation.Metrics) == 0 {
			return errors.New("type Validation needs validation.metrics")
		}
		for i, m := range g.Validation.Metrics {
			if m.Count == nil {
				return fmt.Errorf("validation.metrics[%d] (%s): set count, so the gate reaches a verdict", i, m.Name)
			}
		}
		if errs := analysis.Validate(*g.Validation, field.NewPath("validation")); len(errs) > 0 {
			return errs.ToAggregate()
		}
	default:
		return fmt.Errorf("type %q: use Approval, ScheduledStart or Validation", g.Type)
	}
	return nil
}

// gates evaluates a stage's gates of one timing in order; the first that
// is not through holds the stage.
func (r *RunReconciler) gates(ctx context.Context, run *v1alpha1.UpdateRun, i int, timing string, now time.Time) (time.Duration, error) {
	stage := &run.Status.Stages[i]
	defs := run.Status.Strategy.Stages[i].Gates(timing)
	statuses := stage.BeforeGates
	if timing == v1alpha1.GateAfter {
		statuses = stage.AfterGates
	}
	for k := range statuses {
		gs, def := &statuses[k], defs[k]
		if gs.State == v1alpha1.StateCompleted || gs.State == v1alpha1.StateSkipped {
			continue
		}
		if gs.State == v1alpha1.StateNotStarted {
			gs.State, gs.ReachedTime = v1alpha1.StatePending, mtime(now)
			r.event(run, false, "GateReached", "Stage %s reached %s gate %s", stage.Name, def.Type, gs.Name)
		}
		gate, err := r.ensureGate(ctx, run, stage.Name, timing, gs, def)
		if err != nil {
			return 0, err
		}
		wait, err := r.evaluateGate(ctx, run, stage, gs, def, gate, now)
		if err := r.mirrorGate(ctx, gate, gs); err != nil {
			return 0, err
		}
		r.Metrics.gate(run, gs)
		if err != nil || wait != done {
			if gs.Message != "" {
				stage.Message = fmt.Sprintf("gate %s: %s", gs.Name, gs.Message)
				run.Status.Message = stage.Message
			}
			return wait, err
		}
	}
	return done, nil
}

// evaluateGate decides one pending gate. A person's Completed or Skipped
// on the Gate object wins over anything else.
func (r *RunReconciler) evaluateGate(ctx context.Context, run *v1alpha1.UpdateRun, stage *v1alpha1.StageStatus, gs *v1alpha1.GateStatus, def v1alpha1.GateDefinition, gate *v1alpha1.Gate, now time.Time) (time.Duration, error) {
	switch gate.Spec.State {
	case v1alpha1.StateCompleted, v1alpha1.StateSkipped:
		gs.State, gs.CompletedTime, gs.Message = gate.Spec.State, mtime(now), "set "+gate.Spec.State+" on the Gate"
		r.event(run, false, "GatePassed", "Gate %s %s by a person", gs.Name, strings.ToLower(gate.Spec.State))
		return done, nil
	}
	switch def.Type {
	case v1alpha1.GateApproval:
		gs.Message = fmt.Sprintf("waiting for approval: 'upshift gate approve %s -n %s'", gs.Name, run.Namespace)
		return 0, nil // the Gate's change wakes the run
	case v1alpha1.GateScheduledStart:
		if gs.ScheduledTime == nil {
			at, err := scheduledTime(*def.ScheduledStart, gs.ReachedTime.Time)
			if err != nil {
				return 0, err
			}
			gs.ScheduledTime = mtime(at)
		}
		if left := gs.ScheduledTime.Sub(now); left > 0 {
			gs.Message = "scheduled start at " + gs.ScheduledTime.UTC().Format(time.RFC3339)
			return left, nil
		}
		gs.State, gs.CompletedTime, gs.Message = v1alpha1.StateCompleted, mtime(now), ""
		return done, nil
	case v1alpha1.GateValidation:
		return r.validate(ctx, run, stage, gs, def, now)
	}
	return 0, fmt.Errorf("gate %s has unknown type %q", gs.Name, def.Type)
}

// validate runs a Validation gate's analysis one step; its measurements
// live in the gate's status, so a restarted controller continues them.
func (r *RunReconciler) validate(ctx context.Context, run *v1alpha1.UpdateRun, stage *v1alpha1.StageStatus, gs *v1alpha1.GateStatus, def v1alpha1.GateDefinition, now time.Time) (time.Duration, error) {
	opts := r.AnalysisOptions
	if opts.Clock == nil && r.Clock != nil {
		opts.Clock = r.Clock
	}
	engine, err := analysis.New(*def.Validation, opts)
	if err != nil {
		gs.State, gs.Message = v1alpha1.StateFailed, err.Error()
		return r.failStage(run, stage, gs, now), nil
	}
	if gs.Analysis == nil {
		gs.Analysis = &v1alpha1.AnalysisStatus{}
	}
	res, err := engine.Reconcile(ctx, gs.Analysis, now)
	if err != nil {
		return 0, err
	}
	if !res.Done {
		gs.Message = fmt.Sprintf("validating: %s", analysisSummary(gs.Analysis))
		return max(res.RequeueAfter, 100*time.Millisecond), nil
	}
	switch gs.Analysis.Phase {
	case v1alpha1.AnalysisPhaseSuccessful:
		gs.State, gs.CompletedTime, gs.Message = v1alpha1.StateCompleted, mtime(now), "validation Successful"
		return done, nil
	case v1alpha1.AnalysisPhaseInconclusive:
		gs.Message = fmt.Sprintf("validation Inconclusive (%s): approve the gate to go on or skip it; 'upshift gate approve %s -n %s'", gs.Analysis.Message, gs.Name, run.Namespace)
		return 0, nil
	default:
		gs.State, gs.CompletedTime = v1alpha1.StateFailed, mtime(now)
		gs.Message = fmt.Sprintf("validation %s: %s", gs.Analysis.Phase, gs.Analysis.Message)
		return r.failStage(run, stage, gs, now), nil
	}
}

// failStage fails the stage and the run because a gate failed.
func (r *RunReconciler) failStage(run *v1alpha1.UpdateRun, stage *v1alpha1.StageStatus, gs *v1alpha1.GateStatus, now time.Time) time.Duration {
	stage.State, stage.CompletedTime, stage.Error = v1alpha1.StateFailed, mtime(now), fmt.Sprintf("gate %s failed: %s", gs.Name, gs.Message)
	run.Status.State, run.Status.CompletedTime = v1alpha1.StateFailed, mtime(now)
	run.Status.Error = fmt.Sprintf("stage %s failed: %s", stage.Name, stage.Error)
	run.Status.Message = ""
	r.event(run, true, "GateFailed", "%s", run.Status.Error)
	return 0
}

func analysisSummary(a *v1alpha1.AnalysisStatus) string {
	var parts []string
	for _, m := range a.MetricResults {
		parts = append(parts, fmt.Sprintf("%s %s (%d/%d ok)", m.Name, m.Phase, m.Successful, m.Count))
	}
	return strings.Join(parts, ", ")
}

// ensureGate creates the run's Gate object (owned by the run, so it goes
// with it) and returns it.
func (r *RunReconciler) ensureGate(ctx context.Context, run *v1alpha1.UpdateRun, stage, timing string, gs *v1alpha1.GateStatus, def v1alpha1.GateDefinition) (*v1alpha1.Gate, error) {
	gate := &v1alpha1.Gate{}
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: run.Namespace, Name: gs.Name}, gate)
	if err == nil {
		return gate, nil
	}
	if !apierrors.IsNotFound(err) {
		return nil, err
	}
	gate = &v1alpha1.Gate{
		ObjectMeta: metav1.ObjectMeta{Name: gs.Name, Namespace: run.Namespace, Labels: map[string]string{"upshift.dev/update-run": run.Name}},
		Spec: v1alpha1.GateSpec{UpdateRun: run.Name, Stage: stage, Timing: timing, Type: def.Type,
			DisplayName: def.DisplayName, State: v1alpha1.StatePending},
	}
	if err := controllerutil.SetControllerReference(run, gate, r.Client.Scheme()); err != nil {
		return nil, err
	}
	if err := r.Client.Create(ctx, gate); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("failed to create Gate %s: %w", gs.Name, err)
	}
	return gate, nil
}

// mirrorGate shows the run's view of the gate on the Gate object.
func (r *RunReconciler) mirrorGate(ctx context.Context, gate *v1alpha1.Gate, gs *v1alpha1.GateStatus) error {
	if gate.Status.State == gs.State && gate.Status.Message == gs.Message {
		return nil
	}
	gate.Status.State, gate.Status.Message = gs.State, gs.Message
	if err := r.Client.Status().Update(ctx, gate); err != nil && !apierrors.IsConflict(err) {
		return fmt.Errorf("failed to update Gate %s: %w", gate.Name, err)
	}
	return nil
}

var weekdays = map[string]time.Weekday{
	"Sunday": time.Sunday, "Monday": time.Monday, "Tuesday": time.Tuesday, "Wednesday": time.Wednesday,
	"Thursday": time.Thursday, "Friday": time.Friday, "Saturday": time.Saturday,
}

// scheduledTime resolves a ScheduledStart against the moment the gate was
// reached: the given date at time; else the next dayOfWeek at time; else
// the next occurrence of time.
func scheduledTime(s v1alpha1.ScheduledStart, reached time.Time) (time.Time, error) {
	loc := time.UTC
	if s.UTCOffset != "" {
		off, err := time.Parse("-07:00", s.UTCOffset)
		if err != nil {
			return time.Time{}, fmt.Errorf("scheduledStart.utcOffset %q: use +HH:mm or -HH:mm", s.UTCOffset)
		}
		_, secs := off.Zone()
		loc = time.FixedZone(s.UTCOffset, secs)
	}
	hm, err := time.Parse("15:04", s.Time)
	if err != nil {
		return time.Time{}, fmt.Errorf("scheduledStart.time %q: use HH:mm", s.Time)
	}
	local := reached.In(loc)
	if s.Date != "" {
		d, err := time.ParseInLocation("2006-01-02", s.Date, loc)
		if err != nil {
			return time.Time{}, fmt.Errorf("scheduledStart.date %q: use YYYY-MM-DD", s.Date)
		}
		return time.Date(d.Year(), d.Month(), d.Day(), hm.Hour(), hm.Minute(), 0, 0, loc), nil
	}
	at := time.Date(local.Year(), local.Month(), local.Day(), hm.Hour(), hm.Minute(), 0, 0, loc)
	if s.DayOfWeek != "" {
		wd, ok := weekdays[s.DayOfWeek]
		if !ok {
			return time.Time{}, fmt.Errorf("scheduledStart.dayOfWeek %q: use Monday..Sunday", s.DayOfWeek)
		}
		for at.Weekday() != wd || !at.After(reached) {
			at = at.AddDate(0, 0, 1)
		}
		return at, nil
	}
	if !at.After(reached) {
		at = at.AddDate(0, 0, 1)
	}
	return at, nil
}
