package strategy

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
)

// Defaults the schema also sets, for objects written without them.
const (
	defaultReadinessTimeout = 10 * time.Minute
	defaultBake             = 5 * time.Minute
)

// memberPoll is how soon a missing Member or ConfigMap is looked for again.
const memberPoll = 5 * time.Second

// blueGreen is one pass over one upgrade.
type blueGreen struct {
	*pass
	bg     *v1alpha1.BlueGreenUpgrade
	member *v1alpha1.Member
	bundle *Bundle
}

// advance runs the phase functions until one has to wait, and returns when
// to look again (0: when something changes).
func (x *blueGreen) advance(ctx context.Context) (time.Duration, error) {
	st := &x.bg.Status
	if st.Phase == "" {
		st.Phase, st.StartedAt = v1alpha1.BlueGreenPending, mtime(x.now)
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
		if !o.done || st.Phase == phase {
			// Final phases keep the message they were entered with.
			if x.msg != "" || (st.Phase != v1alpha1.BlueGreenFailed && st.Phase != v1alpha1.BlueGreenFinished) {
				st.Message = orDefault(x.msg, st.Phase)
			}
			return o.after, nil
		}
	}
	return time.Second, nil
}

func (x *blueGreen) step(ctx context.Context) (outcome, error) {
	st, spec := &x.bg.Status, &x.bg.Spec
	switch st.Phase {
	case v1alpha1.BlueGreenPending:
		return x.pending(ctx)
	case v1alpha1.BlueGreenPreflight:
		if o := x.load(ctx); !o.done {
			return o, nil
		}
		return x.then(preflightStep(ctx, x.pass, spec.Preflight, &st.Preflight, x.member, spec.Green.KubernetesVersion, x.bundle), v1alpha1.BlueGreenCreatingGreen), nil
	case v1alpha1.BlueGreenCreatingGreen:
		if o := x.load(ctx); !o.done {
			return o, nil
		}
		return x.then(createStep(ctx, x.pass, st.Green, spec.Green, x.member), v1alpha1.BlueGreenDeploying), nil
	case v1alpha1.BlueGreenDeploying:
		if o := x.load(ctx); !o.done {
			return o, nil
		}
		return x.then(deployStep(ctx, x.pass, st.Green, x.bundle), v1alpha1.BlueGreenWaitingReady), nil
	case v1alpha1.BlueGreenWaitingReady:
		if o := x.load(ctx); !o.done {
			return o, nil
		}
		next := v1alpha1.BlueGreenSwitching
		if spec.PreSwitch != nil {
			next = v1alpha1.BlueGreenPreSwitchAnalysis
		}
		return x.then(readyStep(ctx, x.pass, st.Green, x.bundle, durationOr(spec.ReadinessTimeout, defaultReadinessTimeout)), next), nil
	case v1alpha1.BlueGreenPreSwitchAnalysis:
		if spec.PreSwitch == nil {
			st.Phase = v1alpha1.BlueGreenSwitching
			return proceed(), nil
		}
		return x.preSwitch(ctx)
	case v1alpha1.BlueGreenSwitching:
		return x.switching(ctx), nil
	case v1alpha1.BlueGreenBaking:
		return x.baking(ctx)
	case v1alpha1.BlueGreenPromoted:
		return x.promoted(ctx), nil
	case v1alpha1.BlueGreenRollingBack:
		return x.rollingBack(ctx), nil
	case v1alpha1.BlueGreenRolledBack:
		if o := restoreStep(ctx, x.pass, st.Traffic, spec.Traffic, x.backends()); !o.done {
			return o, nil
		}
		blue, green := x.names()
		x.msg = fmt.Sprintf("rolled back to %s: %s. Green cluster %s is kept for inspection; 'upshift bluegreen finish %s' deletes it",
			blue, st.RollbackReason, green, x.bg.Name)
		return waitFor(0), nil
	case v1alpha1.BlueGreenFinishing:
		return x.finishing(ctx), nil
	case v1alpha1.BlueGreenFinished, v1alpha1.BlueGreenFailed:
		return waitFor(0), nil
	}
	return failure("unknown phase %q", st.Phase), nil
}

// then moves to next once o is done.
func (x *blueGreen) then(o outcome, next string) outcome {
	if o.done {
		x.bg.Status.Phase = next
	}
	return o
}

// pending checks the spec and the blue member, and names both clusters.
func (x *blueGreen) pending(ctx context.Context) (outcome, error) {
	st, spec := &x.bg.Status, &x.bg.Spec
	if errs := ValidateBlueGreen(spec); len(errs) > 0 {
		return failure("%s", specError(errs)), nil
	}
	if o := x.load(ctx); !o.done {
		return o, nil
	}
	if x.member.Spec.ClusterName == spec.Green.ClusterName {
		return failure("spec.green.clusterName %s is blue's own cluster; name a new cluster", spec.Green.ClusterName), nil
	}
	if msg := cloneable(spec.Green, x.member, "spec.green", "blue"); msg != "" {
		return failure("%s", msg), nil
	}
	st.Blue = &v1alpha1.ClusterFacts{Provider: x.member.Spec.Provider, Name: x.member.Spec.ClusterName}
	st.Green = &v1alpha1.ClusterFacts{Provider: providerOf(spec.Green), Name: spec.Green.ClusterName}
	exists, err := x.core.tools.Clusters.Exists(ctx, st.Green.Provider, st.Green.Name)
	if err != nil {
		return failure("spec.green: %v", err), nil
	}
	if exists {
		return failure("spec.green.clusterName: cluster %s already exists; choose a new name, or delete it first", st.Green.Name), nil
	}
	st.Phase = v1alpha1.BlueGreenPreflight
	x.event(false, "Started", "Blue-green upgrade from %s to a new cluster %s at %s", st.Blue.Name, st.Green.Name, spec.Green.KubernetesVersion)
	return proceed(), nil
}

// cloneable says why a new cluster cannot be made in the image of the
// serving member's ("" when it can): an AKS cluster is cloned from an AKS
// cluster's network, identity and add-ons.
func cloneable(c v1alpha1.NewClusterSpec, serving *v1alpha1.Member, field, role string) string {
	if providerOf(c) == v1alpha1.ProviderAKS && serving.Spec.Provider != v1alpha1.ProviderAKS {
		return fmt.Sprintf("%s.provider aks: a new AKS cluster is made in the image of %s's AKS cluster, and %s (member %s) is provider %s; use provider %s for the new cluster",
			field, role, role, serving.Name, providerOf(v1alpha1.NewClusterSpec{Provider: serving.Spec.Provider}), providerOf(v1alpha1.NewClusterSpec{Provider: serving.Spec.Provider}))
	}
	return ""
}

func providerOf(c v1alpha1.NewClusterSpec) string {
	if c.Provider == "" {
		return v1alpha1.ProviderLocal
	}
	return c.Provider
}

// load reads the blue Member and the manifest bundle from the hub.
func (x *blueGreen) load(ctx context.Context) outcome {
	m, b, o := loadInputs(ctx, x.pass, x.bg.Spec.BlueMember, x.bg.Spec.Manifests.ConfigMap)
	x.member, x.bundle = m, b
	return o
}

// loadInputs reads a strategy's Member and bundle; a missing one is waited
// for, with the command that makes it.
func loadInputs(ctx context.Context, p *pass, member, configMap string) (*v1alpha1.Member, *Bundle, outcome) {
	m := &v1alpha1.Member{}
	if err := p.core.reader.Get(ctx, client.ObjectKey{Namespace: p.ns(), Name: member}, m); err != nil {
		if apierrors.IsNotFound(err) {
			p.msg = fmt.Sprintf("waiting for Member %s in namespace %s; join its cluster with 'upshift fleet join'", member, p.ns())
			return nil, nil, waitFor(memberPoll)
		}
		return nil, nil, failure("cannot read Member %s: %v", member, err)
	}
	b, err := readBundle(ctx, p.core.reader, p.ns(), configMap)
	if err != nil {
		p.msg = "waiting: " + err.Error()
		return nil, nil, waitFor(memberPoll)
	}
	return m, b, proceed()
}

func (x *blueGreen) backends() []string {
	blue, green := x.names()
	return []string{blue, green}
}

// names are the two clusters' names, from status once known, else from
// the spec (the member's name standing in for blue's cluster).
func (x *blueGreen) names() (blue, green string) {
	st := &x.bg.Status
	blue, green = x.bg.Spec.BlueMember, x.bg.Spec.Green.ClusterName
	if st.Blue != nil {
		blue = st.Blue.Name
	}
	if st.Green != nil {
		green = st.Green.Name
	}
	return blue, green
}

func (x *blueGreen) preSwitch(ctx context.Context) (outcome, error) {
	st, spec := &x.bg.Status, &x.bg.Spec
	res, err := analyze(ctx, x.pass, *spec.PreSwitch, &st.PreSwitch)
	if err != nil {
		return outcome{}, err
	}
	if !res.Done {
		x.msg = "pre-switch analysis of " + st.Green.Name + ": " + summary(st.PreSwitch)
		return waitFor(res.RequeueAfter), nil
	}
	switch st.PreSwitch.Phase {
	case v1alpha1.AnalysisPhaseSuccessful:
		st.Phase = v1alpha1.BlueGreenSwitching
		return proceed(), nil
	case v1alpha1.AnalysisPhaseInconclusive:
		x.msg = fmt.Sprintf("pre-switch analysis Inconclusive (%s); traffic stays on %s. Decide: 'upshift bluegreen promote %s' switches, 'upshift bluegreen rollback %s' gives up",
			verdict(st.PreSwitch), st.Blue.Name, x.bg.Name, x.bg.Name)
		return waitFor(0), nil
	}
	return failure("pre-switch analysis %s: %s; traffic stays on %s", st.PreSwitch.Phase, verdict(st.PreSwitch), st.Blue.Name), nil
}

func (x *blueGreen) switching(ctx context.Context) outcome {
	st := &x.bg.Status
	o := shiftStep(ctx, x.pass, &st.Traffic, x.bg.Spec.Traffic, x.backends(), split(st.Blue.Name, st.Green.Name, 100), false)
	if tr := st.Traffic; tr.AppliedAt != nil && tr.Applied[st.Green.Name] == 100 && st.SwitchedAt == nil {
		st.SwitchedAt = tr.AppliedAt
		x.event(false, "Switched", "All traffic on %s", st.Green.Name)
	}
	if o.done {
		st.BakeStartedAt, st.Phase = st.Traffic.SettledAt, v1alpha1.BlueGreenBaking
	}
	return o
}

func (x *blueGreen) baking(ctx context.Context) (outcome, error) {
	st, spec := &x.bg.Status, &x.bg.Spec
	bake := durationOr(spec.BakeTime, defaultBake)
	left := st.BakeStartedAt.Add(bake).Sub(x.now)
	next := left
	if spec.PostSwitch != nil {
		res, err := analyze(ctx, x.pass, *spec.PostSwitch, &st.PostSwitch)
		if err != nil {
			return outcome{}, err
		}
		if !res.Done {
			next = min(next, res.RequeueAfter)
		}
		if o, stop := x.judgePostSwitch(); stop {
			return o, nil
		}
	}
	if left > 0 {
		x.msg = fmt.Sprintf("baking on %s: %s left", st.Green.Name, left.Round(time.Second))
		if st.PostSwitch != nil {
			x.msg += "; post-switch analysis: " + summary(st.PostSwitch)
		}
		return waitFor(next), nil
	}
	if spec.PostSwitch != nil {
		terminate(x.pass, *spec.PostSwitch, st.PostSwitch, "the bake time is over")
		if o, stop := x.judgePostSwitch(); stop {
			return o, nil
		}
	}
	x.promote("the bake time passed")
	return proceed(), nil
}

// judgePostSwitch acts on a verdict: Failed or Error roll back at once,
// Inconclusive waits for a person.
func (x *blueGreen) judgePostSwitch() (outcome, bool) {
	st := &x.bg.Status
	switch st.PostSwitch.Phase {
	case v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseError:
		x.rollback(fmt.Sprintf("post-switch analysis %s: %s", st.PostSwitch.Phase, verdict(st.PostSwitch)))
		return proceed(), true
	case v1alpha1.AnalysisPhaseInconclusive:
		x.msg = fmt.Sprintf("post-switch analysis Inconclusive (%s) with all traffic on %s. Decide: 'upshift bluegreen promote %s' or 'upshift bluegreen rollback %s'",
			verdict(st.PostSwitch), st.Green.Name, x.bg.Name, x.bg.Name)
		return waitFor(0), true
	}
	return outcome{}, false
}

func (x *blueGreen) promote(why string) {
	st := &x.bg.Status
	st.Phase, st.PromotedAt = v1alpha1.BlueGreenPromoted, mtime(x.now)
	x.event(false, "Promoted", "%s promoted: %s", st.Green.Name, why)
}

func (x *blueGreen) promoted(ctx context.Context) outcome {
	st, spec := &x.bg.Status, &x.bg.Spec
	if o := restoreStep(ctx, x.pass, st.Traffic, spec.Traffic, x.backends()); !o.done {
		return o
	}
	hint := fmt.Sprintf("'upshift bluegreen finish %s' deletes it now, 'upshift bluegreen rollback %s' sends traffic back", x.bg.Name, x.bg.Name)
	if spec.RetainBlueFor == "" {
		x.msg = fmt.Sprintf("promoted %s; blue %s is kept until you finish: %s", st.Green.Name, st.Blue.Name, hint)
		return waitFor(0)
	}
	until := st.PromotedAt.Add(durationOr(spec.RetainBlueFor, 0))
	if left := until.Sub(x.now); left > 0 {
		x.msg = fmt.Sprintf("promoted %s; blue %s is kept until %s (retainBlueFor %s): %s", st.Green.Name, st.Blue.Name, until.UTC().Format(time.RFC3339), spec.RetainBlueFor, hint)
		return waitFor(left)
	}
	st.Phase = v1alpha1.BlueGreenFinishing
	return proceed()
}

func (x *blueGreen) rollingBack(ctx context.Context) outcome {
	st := &x.bg.Status
	if st.Traffic == nil {
		st.Phase, st.RolledBackAt = v1alpha1.BlueGreenRolledBack, mtime(x.now)
		return proceed()
	}
	// Blue serves as soon as the router has it; clients of a DNS router
	// follow within the propagation delay, which the message says.
	blue, green := x.names()
	o := shiftStep(ctx, x.pass, &st.Traffic, x.bg.Spec.Traffic, x.backends(), split(green, blue, 100), true)
	if o.done {
		st.Phase, st.RolledBackAt = v1alpha1.BlueGreenRolledBack, st.Traffic.AppliedAt
		x.event(true, "RolledBack", "All traffic back on %s (clients follow within %ds): %s", blue, st.Traffic.PropagationSeconds, st.RollbackReason)
	}
	return o
}
