package strategy

import (
	"context"
	"fmt"

	"upshift.dev/upshift/api/v1alpha1"
)

// rollback decides to send all traffic back to blue; jobs that build
// green stop, analyses still running end.
func (x *blueGreen) rollback(reason string) {
	st, spec := &x.bg.Status, &x.bg.Spec
	st.Phase, st.RollbackStartedAt, st.RollbackReason = v1alpha1.BlueGreenRollingBack, mtime(x.now), reason
	x.fx.cancel = append(x.fx.cancel, opPreflight, opCreate, opDeploy)
	if spec.PreSwitch != nil {
		terminate(x.pass, *spec.PreSwitch, st.PreSwitch, "rolled back")
	}
	if spec.PostSwitch != nil {
		terminate(x.pass, *spec.PostSwitch, st.PostSwitch, "rolled back")
	}
	blue, _ := x.names()
	x.event(true, "RollingBack", "Rolling back to %s: %s", blue, reason)
}

// finishing deletes the side that lost: blue after a promotion, green
// (if this upgrade created it) after a rollback or a failure.
func (x *blueGreen) finishing(ctx context.Context) outcome {
	st := &x.bg.Status
	msg, o := retire(ctx, x.pass, st.PromotedAt != nil && st.RollbackStartedAt == nil, st.Blue, st.Green, x.bg.Spec.BlueMember)
	if !o.done {
		return o
	}
	st.Phase, st.FinishedAt, st.Message = v1alpha1.BlueGreenFinished, mtime(x.now), msg
	x.event(false, "Finished", "%s", st.Message)
	return proceed()
}

// fail stops the upgrade. Once traffic has moved to green a failure is a
// rollback instead: blue must get its traffic back.
func (x *blueGreen) fail(msg string) {
	st := &x.bg.Status
	if st.Traffic != nil && st.Green != nil && st.Traffic.Applied[st.Green.Name] > 0 {
		x.rollback(msg)
		st.Message = msg
		return
	}
	st.FailedPhase, st.Phase = st.Phase, v1alpha1.BlueGreenFailed
	st.Message = msg
	if st.Green != nil && st.Green.CreationStartedAt != nil {
		st.Message += fmt.Sprintf(". Cluster %s is kept for inspection; 'upshift bluegreen finish %s' deletes it", st.Green.Name, x.bg.Name)
	}
	x.event(true, "Failed", "%s", st.Message)
}

// action acts on spec.action once per generation; an action that does not
// apply to the phase is refused with an event and a message.
func (x *blueGreen) action() {
	st, a := &x.bg.Status, x.bg.Spec.Action
	if a == "" || st.ActionGeneration >= x.bg.Generation {
		return
	}
	st.ActionGeneration = x.bg.Generation
	switch {
	case a == v1alpha1.ActionRollback && beforeFinal(st.Phase):
		x.rollback("rolled back by a person (spec.action Rollback)")
	case a == v1alpha1.ActionPromote && st.Phase == v1alpha1.BlueGreenPreSwitchAnalysis:
		if x.bg.Spec.PreSwitch != nil {
			terminate(x.pass, *x.bg.Spec.PreSwitch, st.PreSwitch, "promoted by a person")
		}
		st.Phase = v1alpha1.BlueGreenSwitching
		x.event(false, "Promote", "Switching on a person's word (spec.action Promote)")
	case a == v1alpha1.ActionPromote && st.Phase == v1alpha1.BlueGreenBaking:
		if x.bg.Spec.PostSwitch != nil {
			terminate(x.pass, *x.bg.Spec.PostSwitch, st.PostSwitch, "promoted by a person")
		}
		x.promote("promoted by a person (spec.action Promote)")
	case a == v1alpha1.ActionFinish && (st.Phase == v1alpha1.BlueGreenPromoted || st.Phase == v1alpha1.BlueGreenRolledBack || st.Phase == v1alpha1.BlueGreenFailed):
		st.Phase = v1alpha1.BlueGreenFinishing
	default:
		x.event(true, "ActionRefused", "spec.action %s does not apply in phase %s", a, st.Phase)
	}
}

// beforeFinal reports phases a rollback can start from.
func beforeFinal(phase string) bool {
	switch phase {
	case v1alpha1.BlueGreenRollingBack, v1alpha1.BlueGreenRolledBack, v1alpha1.BlueGreenFinishing, v1alpha1.BlueGreenFinished, v1alpha1.BlueGreenFailed:
		return false
	}
	return true
}
