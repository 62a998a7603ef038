package strategy

import (
	"context"
	"fmt"
	"time"

	"upshift.dev/upshift/api/v1alpha1"
)

// canary is one pass over one intake.
type canary struct {
	*pass
	ci     *v1alpha1.CanaryIntake
	member *v1alpha1.Member
	bundle *Bundle
}

func (x *canary) steps() []v1alpha1.CanaryStep {
	if len(x.ci.Spec.Steps) == 0 {
		return DefaultSteps()
	}
	return x.ci.Spec.Steps
}

// advance runs the phase functions until one has to wait, and returns when
// to look again (0: when something changes).
func (x *canary) advance(ctx context.Context) (time.Duration, error) {
	st := &x.ci.Status
	if st.Phase == "" {
		st.StartedAt = mtime(x.now)
		x.msg = ""
		if o := x.start(ctx); !o.done {
			if o.fail != "" {
				x.fail(o.fail)
				return 0, nil
			}
			st.Message = orDefault(x.msg, st.Phase)
			return o.after, nil
		}
	}
	x.action()
	for range 20 {
		phase := st.Phase
		x.msg = ""
		o, err := x.step(ctx)
		if err != nil {
			return 0, err
		}
		if o.fail != "" {
			x.fail(o.fail)
			return 0, nil
		}
		if !o.done {
			// Final phases keep the message they were entered with.
			if x.msg != "" || (phase != v1alpha1.CanaryFailed && phase != v1alpha1.CanaryFinished) {
				st.Message = orDefault(x.msg, st.Phase)
			}
			return o.after, nil
		}
	}
	return time.Second, nil
}

// start checks the spec and the stable member and names both clusters.
func (x *canary) start(ctx context.Context) outcome {
	st, spec := &x.ci.Status, &x.ci.Spec
	if errs := ValidateCanary(spec); len(errs) > 0 {
		return failure("%s", specError(errs))
	}
	if o := x.load(ctx); !o.done {
		return o
	}
	if x.member.Spec.ClusterName == spec.Canary.ClusterName {
		return failure("spec.canary.clusterName %s is the stable cluster; name a new cluster", spec.Canary.ClusterName)
	}
	if msg := cloneable(spec.Canary, x.member, "spec.canary", "stable"); msg != "" {
		return failure("%s", msg)
	}
	st.Stable = &v1alpha1.ClusterFacts{Provider: x.member.Spec.Provider, Name: x.member.Spec.ClusterName}
	st.Canary = &v1alpha1.ClusterFacts{Provider: providerOf(spec.Canary), Name: spec.Canary.ClusterName}
	exists, err := x.core.tools.Clusters.Exists(ctx, st.Canary.Provider, st.Canary.Name)
	if err != nil {
		return failure("spec.canary: %v", err)
	}
	if exists {
		return failure("spec.canary.clusterName: cluster %s already exists; choose a new name, or delete it first", st.Canary.Name)
	}
	for _, s := range x.steps() {
		st.Steps = append(st.Steps, v1alpha1.CanaryStepStatus{Weight: s.Weight, Phase: v1alpha1.StepPending})
	}
	st.Phase = v1alpha1.CanaryPreflight
	x.event(false, "Started", "Canary intake of %s at %s next to %s", st.Canary.Name, spec.Canary.KubernetesVersion, st.Stable.Name)
	return proceed()
}

func (x *canary) load(ctx context.Context) outcome {
	m, b, o := loadInputs(ctx, x.pass, x.ci.Spec.StableMember, x.ci.Spec.Manifests.ConfigMap)
	x.member, x.bundle = m, b
	return o
}

func (x *canary) names() (stable, canaryName string) {
	st := &x.ci.Status
	stable, canaryName = x.ci.Spec.StableMember, x.ci.Spec.Canary.ClusterName
	if st.Stable != nil {
		stable = st.Stable.Name
	}
	if st.Canary != nil {
		canaryName = st.Canary.Name
	}
	return stable, canaryName
}

func (x *canary) backends() []string {
	s, c := x.names()
	return []string{s, c}
}

func (x *canary) step(ctx context.Context) (outcome, error) {
	st, spec := &x.ci.Status, &x.ci.Spec
	then := func(o outcome, next string) outcome {
		if o.done {
			st.Phase = next
		}
		return o
	}
	switch st.Phase {
	case v1alpha1.CanaryPreflight, v1alpha1.CanaryCreatingCanary, v1alpha1.CanaryDeploying, v1alpha1.CanaryWaitingReady:
		if o := x.load(ctx); !o.done {
			return o, nil
		}
	}
	switch st.Phase {
	case v1alpha1.CanaryPreflight:
		return then(preflightStep(ctx, x.pass, spec.Preflight, &st.Preflight, x.member, spec.Canary.KubernetesVersion, x.bundle), v1alpha1.CanaryCreatingCanary), nil
	case v1alpha1.CanaryCreatingCanary:
		return then(createStep(ctx, x.pass, st.Canary, spec.Canary, x.member), v1alpha1.CanaryDeploying), nil
	case v1alpha1.CanaryDeploying:
		return then(deployStep(ctx, x.pass, st.Canary, x.bundle), v1alpha1.CanaryWaitingReady), nil
	case v1alpha1.CanaryWaitingReady:
		return then(readyStep(ctx, x.pass, st.Canary, x.bundle, durationOr(spec.ReadinessTimeout, defaultReadinessTimeout)), v1alpha1.CanaryProgressing), nil
	case v1alpha1.CanaryProgressing:
		return x.progressing(ctx)
	case v1alpha1.CanaryPaused:
		i := int(st.CurrentStep)
		if i >= len(st.Steps) {
			return failure("paused at step %d of %d", i+1, len(st.Steps)), nil
		}
		_, c := x.names()
		x.msg = fmt.Sprintf("paused at step %d (%d%% on %s): analysis Inconclusive (%s). Decide: 'upshift canary promote %s' goes on, 'upshift canary abort %s' sends all traffic back",
			i+1, st.Steps[i].Weight, c, verdict(st.Steps[i].Analysis), x.ci.Name, x.ci.Name)
		return waitFor(0), nil
	case v1alpha1.CanaryAborting:
		return x.aborting(ctx), nil
	case v1alpha1.CanaryAborted:
		if o := restoreStep(ctx, x.pass, st.Traffic, spec.Traffic, x.backends()); !o.done {
			return o, nil
		}
		stable, c := x.names()
		x.msg = fmt.Sprintf("aborted: %s. All traffic is on %s; cluster %s is kept for inspection; 'upshift canary finish %s' deletes it", st.AbortReason, stable, c, x.ci.Name)
		return waitFor(0), nil
	case v1alpha1.CanaryPromoted:
		return x.promoted(ctx), nil
	case v1alpha1.CanaryFinishing:
		return x.finishing(ctx), nil
	case v1alpha1.CanaryFailed, v1alpha1.CanaryFinished:
		return waitFor(0), nil
	}
	return failure("unknown phase %q", st.Phase), nil
}

// analysisFor is step i's analysis: its own, else the intake's.
func (x *canary) analysisFor(i int) *v1alpha1.AnalysisSpec {
	if s := x.steps(); i < len(s) && s[i].Analysis != nil {
		return s[i].Analysis
	}
	return x.ci.Spec.Analysis
}

// progressing walks the current step: shift its weight, wait for it to
// propagate, then bake it under analysis.
func (x *canary) progressing(ctx context.Context) (outcome, error) {
	st, spec := &x.ci.Status, &x.ci.Spec
	// The weights were copied into status when the intake started; the
	// spec gives each step's bake and analysis.
	i := int(st.CurrentStep)
	if i >= len(st.Steps) {
		x.promote("every step passed")
		return proceed(), nil
	}
	ss := &st.Steps[i]
	var sp v1alpha1.CanaryStep
	if steps := x.steps(); i < len(steps) {
		sp = steps[i]
	}
	stable, c := x.names()
	if ss.Phase == v1alpha1.StepPending || ss.Phase == v1alpha1.StepShifting {
		ss.Phase = v1alpha1.StepShifting
		o := shiftStep(ctx, x.pass, &st.Traffic, spec.Traffic, x.backends(), split(stable, c, ss.Weight), false)
		if !o.done {
			return o, nil
		}
		ss.Phase, ss.StartedAt, st.StepStartedAt = v1alpha1.StepBaking, st.Traffic.SettledAt, st.Traffic.SettledAt
		x.event(false, "Step", "Step %d: %d%% of traffic on %s", i+1, ss.Weight, c)
	}
	bake := durationOr(sp.Bake, durationOr(spec.Bake, defaultBake))
	left := ss.StartedAt.Add(bake).Sub(x.now)
	next := left
	an := x.analysisFor(i)
	if an != nil {
		res, err := analyze(ctx, x.pass, *an, &ss.Analysis)
		if err != nil {
			return outcome{}, err
		}
		if !res.Done {
			next = min(next, res.RequeueAfter)
		}
		if o, stop := x.judge(ss); stop {
			return o, nil
		}
	}
	if left > 0 {
		x.msg = fmt.Sprintf("step %d of %d: %d%% on %s, %s of bake left", i+1, len(st.Steps), ss.Weight, c, left.Round(time.Second))
		if ss.Analysis != nil {
			x.msg += "; analysis: " + summary(ss.Analysis)
		}
		return waitFor(next), nil
	}
	if an != nil {
		terminate(x.pass, *an, ss.Analysis, "the step's bake time is over")
		if o, stop := x.judge(ss); stop {
			return o, nil
		}
	}
	ss.Phase, ss.FinishedAt = v1alpha1.StepSuccessful, mtime(x.now)
	x.nextStep()
	return proceed(), nil
}

// judge acts on the step's verdict: Failed or Error abort at once,
// Inconclusive pauses for a person.
func (x *canary) judge(ss *v1alpha1.CanaryStepStatus) (outcome, bool) {
	st := &x.ci.Status
	switch ss.Analysis.Phase {
	case v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseError:
		ss.Phase, ss.FinishedAt = v1alpha1.StepFailed, mtime(x.now)
		x.abort(fmt.Sprintf("step %d (%d%%) analysis %s: %s", st.CurrentStep+1, ss.Weight, ss.Analysis.Phase, verdict(ss.Analysis)))
		return proceed(), true
	case v1alpha1.AnalysisPhaseInconclusive:
		ss.Phase, st.Phase = v1alpha1.StepInconclusive, v1alpha1.CanaryPaused
		x.event(true, "Paused", "Step %d analysis Inconclusive: %s", st.CurrentStep+1, verdict(ss.Analysis))
		return proceed(), true
	}
	return outcome{}, false
}

// nextStep moves to the next step, or promotes after the last.
func (x *canary) nextStep() {
	st := &x.ci.Status
	if int(st.CurrentStep)+1 >= len(st.Steps) {
		x.promote("every step passed")
		return
	}
	st.CurrentStep++
	st.Phase = v1alpha1.CanaryProgressing
}

func (x *canary) promote(why string) {
	st := &x.ci.Status
	st.Phase, st.PromotedAt = v1alpha1.CanaryPromoted, mtime(x.now)
	_, c := x.names()
	x.event(false, "Promoted", "%s promoted: %s", c, why)
}

// abort decides to send all traffic back to stable; jobs that build the
// canary stop, and the step's analysis ends.
func (x *canary) abort(reason string) {
	st := &x.ci.Status
	st.Phase, st.AbortStartedAt, st.AbortReason = v1alpha1.CanaryAborting, mtime(x.now), reason
	x.fx.cancel = append(x.fx.cancel, opPreflight, opCreate, opDeploy)
	if i := int(st.CurrentStep); i < len(st.Steps) && st.Steps[i].Analysis != nil {
		if an := x.analysisFor(i); an != nil {
			terminate(x.pass, *an, st.Steps[i].Analysis, "aborted")
		}
	}
	stable, _ := x.names()
	x.event(true, "Aborting", "Sending all traffic back to %s: %s", stable, reason)
}

func (x *canary) aborting(ctx context.Context) outcome {
	st := &x.ci.Status
	if st.Traffic == nil {
		st.Phase, st.AbortedAt = v1alpha1.CanaryAborted, mtime(x.now)
		return proceed()
	}
	stable, c := x.names()
	o := shiftStep(ctx, x.pass, &st.Traffic, x.ci.Spec.Traffic, x.backends(), split(c, stable, 100), true)
	if o.done {
		st.Phase, st.AbortedAt = v1alpha1.CanaryAborted, st.Traffic.AppliedAt
		x.event(true, "Aborted", "All traffic back on %s (clients follow within %ds): %s", stable, st.Traffic.PropagationSeconds, st.AbortReason)
	}
	return o
}

// fail stops the intake; once the canary has traffic, a failure aborts
// instead, so stable gets its traffic back.
func (x *canary) fail(msg string) {
	st := &x.ci.Status
	_, c := x.names()
	if st.Traffic != nil && st.Traffic.Applied[c] > 0 {
		x.abort(msg)
		st.Message = msg
		return
	}
	st.FailedPhase, st.Phase = st.Phase, v1alpha1.CanaryFailed
	st.Message = msg
	if st.Canary != nil && st.Canary.CreationStartedAt != nil {
		st.Message += fmt.Sprintf(". Cluster %s is kept for inspection; 'upshift canary finish %s' deletes it", c, x.ci.Name)
	}
	x.event(true, "Failed", "%s", st.Message)
}

// abortable reports phases an abort can start from: up to and including
// Promoted, as a blue-green rollback.
func abortable(phase string) bool {
	switch phase {
	case v1alpha1.CanaryAborting, v1alpha1.CanaryAborted, v1alpha1.CanaryFailed, v1alpha1.CanaryFinishing, v1alpha1.CanaryFinished:
		return false
	}
	return true
}

// promoted keeps stable for retainStableFor, then finishes.
func (x *canary) promoted(ctx context.Context) outcome {
	st, spec := &x.ci.Status, &x.ci.Spec
	if o := restoreStep(ctx, x.pass, st.Traffic, spec.Traffic, x.backends()); !o.done {
		return o
	}
	stable, c := x.names()
	hint := fmt.Sprintf("'upshift canary finish %s' deletes it now, 'upshift canary abort %s' sends traffic back", x.ci.Name, x.ci.Name)
	if spec.RetainStableFor == "" {
		x.msg = fmt.Sprintf("promoted: all traffic on %s at %s; %s is kept until you finish: %s", c, spec.Canary.KubernetesVersion, stable, hint)
		return waitFor(0)
	}
	until := st.PromotedAt.Add(durationOr(spec.RetainStableFor, 0))
	if left := until.Sub(x.now); left > 0 {
		x.msg = fmt.Sprintf("promoted: all traffic on %s at %s; %s is kept until %s (retainStableFor %s): %s",
			c, spec.Canary.KubernetesVersion, stable, until.UTC().Format(time.RFC3339), spec.RetainStableFor, hint)
		return waitFor(left)
	}
	st.Phase = v1alpha1.CanaryFinishing
	return proceed()
}

// finishing deletes the cluster that lost: stable after a promotion, the
// canary (if this intake created it) after an abort or a failure.
func (x *canary) finishing(ctx context.Context) outcome {
	st := &x.ci.Status
	msg, o := retire(ctx, x.pass, st.PromotedAt != nil && st.AbortStartedAt == nil, st.Stable, st.Canary, x.ci.Spec.StableMember)
	if !o.done {
		return o
	}
	st.Phase, st.FinishedAt, st.Message = v1alpha1.CanaryFinished, mtime(x.now), msg
	x.event(false, "Finished", "%s", st.Message)
	return proceed()
}

// action acts on spec.action once per generation.
func (x *canary) action() {
	st, a := &x.ci.Status, x.ci.Spec.Action
	if a == "" || st.ActionGeneration >= x.ci.Generation {
		return
	}
	st.ActionGeneration = x.ci.Generation
	i := int(st.CurrentStep)
	switch {
	case a == v1alpha1.ActionAbort && abortable(st.Phase):
		x.abort("aborted by a person (spec.action Abort)")
	case a == v1alpha1.ActionFinish && (st.Phase == v1alpha1.CanaryPromoted || st.Phase == v1alpha1.CanaryAborted || st.Phase == v1alpha1.CanaryFailed):
		st.Phase = v1alpha1.CanaryFinishing
	case a == v1alpha1.ActionPromote && st.Phase == v1alpha1.CanaryPaused && i < len(st.Steps):
		st.Steps[i].Phase, st.Steps[i].FinishedAt = v1alpha1.StepPromoted, mtime(x.now)
		x.event(false, "Promote", "Step %d let through by a person (spec.action Promote)", i+1)
		x.nextStep()
	case a == v1alpha1.ActionPromote && st.Phase == v1alpha1.CanaryProgressing && i == len(st.Steps)-1:
		if an := x.analysisFor(i); an != nil && st.Steps[i].Analysis != nil {
			terminate(x.pass, *an, st.Steps[i].Analysis, "promoted by a person")
		}
		st.Steps[i].Phase, st.Steps[i].FinishedAt = v1alpha1.StepPromoted, mtime(x.now)
		x.promote("promoted by a person (spec.action Promote)")
	case a == v1alpha1.ActionPromote && st.Phase == v1alpha1.CanaryProgressing && i < len(st.Steps):
		// Straight to the last step (100%), which still bakes under
		// analysis: promote skips the intermediate weights, not the check.
		last := len(st.Steps) - 1
		for k := i; k < last; k++ {
			if an := x.analysisFor(k); an != nil && st.Steps[k].Analysis != nil {
				terminate(x.pass, *an, st.Steps[k].Analysis, "promoted by a person")
			}
			st.Steps[k].Phase, st.Steps[k].FinishedAt = v1alpha1.StepPromoted, mtime(x.now)
		}
		st.CurrentStep = int32(last)
		x.event(false, "Promote", "Skipping to step %d (%d%%) on a person's word (spec.action Promote)", last+1, st.Steps[last].Weight)
	default:
		x.event(true, "ActionRefused", "spec.action %s does not apply in phase %s", a, st.Phase)
	}
}
