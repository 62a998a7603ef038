package strategy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"upshift.dev/upshift/api/v1alpha1"
)

// The steps both strategies take, each a non-blocking look at one concern:
// it reads status, starts or collects a background job, records what
// happened in status, and says whether to go on.

// Job names (one job per name per object at a time).
const (
	opPreflight = "preflight"
	opCreate    = "create"
	opDeploy    = "deploy"
	opTraffic   = "traffic"
	opRestore   = "restore"
	opDelete    = "delete"
)

// retryAfter is how soon a failed router call or scan is tried again.
const retryAfter = 5 * time.Second

// preflightStep runs the preflight for target on the serving cluster and
// the manifests. Errors block unless the policy ignores them.
func preflightStep(ctx context.Context, p *pass, policy v1alpha1.PreflightPolicy, res **v1alpha1.PreflightResult, serving *v1alpha1.Member, target string, bundle *Bundle) outcome {
	if policy.Skip {
		if *res == nil {
			*res = &v1alpha1.PreflightResult{TargetVersion: target, Skipped: true, CompletedAt: mtime(p.now)}
		}
		return proceed()
	}
	if *res == nil || (*res).CompletedAt == nil {
		tools, member := p.core.tools, serving.DeepCopy()
		j, done := p.job(opPreflight, target, func(ctx context.Context, progress func(string)) (any, error) {
			progress(fmt.Sprintf("preflight for %s: scanning cluster %s and the manifests", target, member.Spec.ClusterName))
			c, err := tools.Resolver.Resolve(ctx, member)
			if err != nil {
				return nil, err
			}
			return tools.preflighter().Preflight(ctx, c.RESTConfig, target, bundle)
		})
		if !done {
			if p.msg == "" {
				p.msg = fmt.Sprintf("preflight for %s on %s", target, serving.Spec.ClusterName)
			}
			return waitFor(0)
		}
		p.forget(opPreflight)
		if j.Err != nil {
			p.msg = fmt.Sprintf("preflight could not run, retrying in %s: %v", retryAfter, j.Err)
			return waitFor(retryAfter)
		}
		r, _ := j.Result.(v1alpha1.PreflightResult)
		r.CompletedAt = mtime(p.now)
		*res = &r
		p.event(r.Errors > 0, "Preflight", "Preflight for %s: %d errors, %d warnings", target, r.Errors, r.Warnings)
	}
	r := *res
	if r.Errors > 0 && !policy.IgnoreErrors {
		return failure("preflight for %s found %d errors on %s and the manifests: %s. Fix them, or set spec.preflight.ignoreErrors (--ignore-preflight-errors) to go on anyway",
			target, r.Errors, serving.Spec.ClusterName, strings.Join(errorLines(r.Findings), "; "))
	}
	return proceed()
}

func errorLines(findings []string) []string {
	var out []string
	for _, f := range findings {
		if strings.HasPrefix(f, "error ") {
			out = append(out, strings.TrimPrefix(f, "error "))
		}
	}
	if len(out) > 3 {
		out = append(out[:3], fmt.Sprintf("and %d more in status.preflight", len(out)-3))
	}
	return out
}

// createStep creates the new cluster. facts holds its provider and name;
// CreationStartedAt is written before the job starts, which is what makes a
// cluster of that name the strategy's own from then on.
func createStep(ctx context.Context, p *pass, facts *v1alpha1.ClusterFacts, spec v1alpha1.NewClusterSpec, serving *v1alpha1.Member) outcome {
	if facts.CreatedAt != nil {
		return proceed()
	}
	tools := p.core.tools
	if facts.CreationStartedAt == nil {
		exists, err := tools.Clusters.Exists(ctx, facts.Provider, facts.Name)
		if err != nil {
			return failure("cannot create cluster %s: %v", facts.Name, err)
		}
		if exists {
			return failure("cluster %s already exists and is not this strategy's; choose another clusterName, or delete it first", facts.Name)
		}
		facts.CreationStartedAt = mtime(p.now)
		p.event(false, "Creating", "Creating cluster %s at %s", facts.Name, spec.KubernetesVersion)
	}
	member, spec := serving.DeepCopy(), *spec.DeepCopy()
	base := NewCluster{Provider: facts.Provider, Name: facts.Name, KubernetesVersion: spec.KubernetesVersion, CloneFrom: serving.Spec.ClusterName,
		For: fmt.Sprintf("%s %s/%s", kindOf(p.obj), p.ns(), p.name())}
	j, done := p.job(opCreate, facts.Name, func(ctx context.Context, progress func(string)) (any, error) {
		nc := base
		if len(spec.Pools) == 0 {
			progress("reading the node pools of " + member.Spec.ClusterName + " to clone them")
			c, err := tools.Resolver.Resolve(ctx, member)
			if err != nil {
				return nil, err
			}
			if c.Pools == nil {
				return nil, fmt.Errorf("the provider of member %s cannot list node pools; give spec pools", member.Name)
			}
			pools, err := c.Pools.ListNodePools(ctx, c.Name)
			if err != nil {
				return nil, fmt.Errorf("failed to read the node pools of %s: %w", c.Name, err)
			}
			nc.Pools, err = clonePools(nil, pools, spec.KubernetesVersion)
			if err != nil {
				return nil, err
			}
		} else {
			nc.Pools, _ = clonePools(spec.Pools, nil, spec.KubernetesVersion)
		}
		v, err := tools.Clusters.Create(ctx, nc, progress)
		if err != nil {
			return nil, err
		}
		return v1alpha1.ClusterFacts{KubernetesVersion: v, Pools: poolFacts(nc.Pools)}, nil
	})
	if !done {
		if p.msg == "" {
			p.msg = "creating cluster " + facts.Name
		}
		return waitFor(0)
	}
	p.forget(opCreate)
	if j.Err != nil {
		return failure("creating cluster %s failed: %v", facts.Name, j.Err)
	}
	got, _ := j.Result.(v1alpha1.ClusterFacts)
	facts.KubernetesVersion, facts.Pools, facts.CreatedAt = got.KubernetesVersion, got.Pools, mtime(j.Finished)
	p.event(false, "Created", "Cluster %s created at %s", facts.Name, got.KubernetesVersion)
	return proceed()
}

// deployStep applies the bundle to the new cluster with server-side apply,
// in dependency order. Applying again is harmless, so a restart repeats it.
func deployStep(ctx context.Context, p *pass, facts *v1alpha1.ClusterFacts, bundle *Bundle) outcome {
	if facts.DeployedAt != nil {
		return proceed()
	}
	objs, err := bundle.Objects()
	if err != nil {
		return failure("%v", err)
	}
	tools, prov, name := p.core.tools, facts.Provider, facts.Name
	j, done := p.job(opDeploy, name, func(ctx context.Context, progress func(string)) (any, error) {
		cfg, err := tools.Clusters.RESTConfig(ctx, prov, name)
		if err != nil {
			return nil, err
		}
		progress(fmt.Sprintf("applying %d objects of ConfigMap %s to %s", len(objs), bundle.ConfigMap, name))
		return nil, tools.deployer().Apply(ctx, cfg, objs)
	})
	if !done {
		return waitFor(0)
	}
	p.forget(opDeploy)
	if j.Err != nil {
		return failure("deploying ConfigMap %s to %s failed: %v", bundle.ConfigMap, facts.Name, j.Err)
	}
	facts.DeployedAt = mtime(j.Finished)
	p.event(false, "Deployed", "Applied %d objects to %s", len(objs), facts.Name)
	return proceed()
}

// readyPoll is how often readiness is looked at.
const readyPoll = time.Second

// readyStep waits until the bundle's workloads and Services are ready on
// the new cluster, at most timeout from the deployment.
func readyStep(ctx context.Context, p *pass, facts *v1alpha1.ClusterFacts, bundle *Bundle, timeout time.Duration) outcome {
	if facts.ReadyAt != nil {
		return proceed()
	}
	objs, err := bundle.Objects()
	if err != nil {
		return failure("%v", err)
	}
	cfg, err := p.core.tools.Clusters.RESTConfig(ctx, facts.Provider, facts.Name)
	if err != nil {
		return failure("cannot reach cluster %s: %v", facts.Name, err)
	}
	pending, err := p.core.tools.deployer().NotReady(ctx, cfg, objs)
	if err != nil {
		pending = []string{err.Error()}
	}
	if len(pending) == 0 {
		facts.ReadyAt = mtime(p.now)
		p.event(false, "Ready", "Every workload of ConfigMap %s is ready on %s", bundle.ConfigMap, facts.Name)
		return proceed()
	}
	left := facts.DeployedAt.Add(timeout).Sub(p.now)
	if left <= 0 {
		return failure("not ready on %s after readinessTimeout %s: %s", facts.Name, timeout, strings.Join(pending, ", "))
	}
	p.msg = fmt.Sprintf("waiting for %s (%s left): %s", facts.Name, left.Round(time.Second), strings.Join(pending, ", "))
	return waitFor(min(readyPoll, left))
}

// shiftStep moves traffic to want and is done once the router has it and,
// unless applied is enough, its propagation delay has passed. Only one
// router call per object runs at a time: a new target cancels the one in
// flight and waits for it to end before it is sent, so an old call can
// never land after a newer one.
func shiftStep(ctx context.Context, p *pass, trp **v1alpha1.TrafficStatus, spec v1alpha1.TrafficSpec, backends []string, want map[string]int32, appliedEnough bool) outcome {
	if *trp == nil {
		*trp = &v1alpha1.TrafficStatus{}
	}
	tr := *trp
	target := weightsString(want)
	if weightsString(tr.Weights) != target {
		tr.Weights, tr.SettledAt = copyWeights(want), nil
	}
	if tr.AppliedAt != nil && weightsString(tr.Applied) == target {
		if appliedEnough || tr.SettledAt == nil || !p.now.Before(tr.SettledAt.Time) {
			return proceed()
		}
		left := tr.SettledAt.Sub(p.now)
		p.msg = fmt.Sprintf("traffic %s accepted by the %s router; waiting %s for clients to follow (propagation %ds) before judging it",
			target, routerName(spec), left.Round(time.Second), tr.PropagationSeconds)
		return waitFor(left)
	}
	routers := p.core.tools.Routers
	w := map[string]int{}
	for k, v := range want {
		w[k] = int(v)
	}
	j, done := p.job(opTraffic, target, func(ctx context.Context, _ func(string)) (any, error) {
		r, err := routers.Router(ctx, spec, backends)
		if err != nil {
			return nil, err
		}
		return r.SetWeights(ctx, w)
	})
	if !done {
		p.msg = fmt.Sprintf("setting traffic %s through the %s router", target, routerName(spec))
		return waitFor(0)
	}
	p.forget(opTraffic)
	if j.Err != nil {
		tr.LastError = j.Err.Error()
		p.msg = fmt.Sprintf("the %s router refused traffic %s, retrying in %s: %v", routerName(spec), target, retryAfter, j.Err)
		p.event(true, "TrafficFailed", "%s", p.msg)
		return waitFor(retryAfter)
	}
	prop, _ := j.Result.(time.Duration)
	tr.Applied, tr.AppliedAt, tr.LastError = copyWeights(want), mtime(j.Finished), ""
	tr.PropagationSeconds = int64((prop + time.Second - 1) / time.Second)
	// A router without delay is judged from the moment it answered; one
	// with a delay not a moment before it has passed.
	tr.SettledAt = mtime(j.Finished)
	if prop > 0 {
		tr.SettledAt = ceilTime(j.Finished.Add(prop))
	}
	tr.Restored = false
	p.event(false, "TrafficShifted", "Traffic %s (propagation %s)", target, prop)
	if appliedEnough || !p.now.Before(tr.SettledAt.Time) {
		return proceed()
	}
	return waitFor(tr.SettledAt.Sub(p.now))
}

// restoreStep lets a router that changed something for the cutover (the
// DNS TTL) put it back, once traffic is final.
func restoreStep(ctx context.Context, p *pass, tr *v1alpha1.TrafficStatus, spec v1alpha1.TrafficSpec, backends []string) outcome {
	if tr == nil || tr.Restored {
		return proceed()
	}
	if spec.Router != v1alpha1.RouterAzureDNS {
		// Only the DNS router changes something for a cutover (the TTL).
		tr.Restored = true
		return proceed()
	}
	routers := p.core.tools.Routers
	j, done := p.job(opRestore, weightsString(tr.Applied), func(ctx context.Context, _ func(string)) (any, error) {
		r, err := routers.Router(ctx, spec, backends)
		if err != nil {
			return nil, err
		}
		if s, ok := r.(interface{ Settle(context.Context) error }); ok {
			return nil, s.Settle(ctx)
		}
		return nil, nil
	})
	if !done {
		return waitFor(0)
	}
	p.forget(opRestore)
	if j.Err != nil {
		p.msg = fmt.Sprintf("the %s router could not restore its settings, retrying in %s: %v", routerName(spec), retryAfter, j.Err)
		return waitFor(retryAfter)
	}
	tr.Restored = true
	return proceed()
}

// deleteStep deletes a cluster the strategy no longer needs.
func deleteStep(ctx context.Context, p *pass, facts *v1alpha1.ClusterFacts) outcome {
	if facts.DeletedAt != nil {
		return proceed()
	}
	clusters, prov, name := p.core.tools.Clusters, facts.Provider, facts.Name
	j, done := p.job(opDelete, name, func(ctx context.Context, progress func(string)) (any, error) {
		progress("deleting cluster " + name)
		return nil, clusters.Delete(ctx, prov, name)
	})
	if !done {
		return waitFor(0)
	}
	p.forget(opDelete)
	if errors.Is(j.Err, ErrCannotDelete) {
		p.msg = j.Err.Error()
		return proceed()
	}
	if j.Err != nil {
		p.msg = fmt.Sprintf("deleting cluster %s failed, retrying in %s: %v", facts.Name, retryAfter, j.Err)
		return waitFor(retryAfter)
	}
	facts.DeletedAt = mtime(j.Finished)
	p.event(false, "Deleted", "Cluster %s deleted", facts.Name)
	return proceed()
}

// retire deletes the cluster a strategy no longer needs: the old one after
// a promotion, else the one the strategy created (if it started creating
// it). It returns the message the strategy finishes with; oldMember is the
// old cluster's Member, which the person should remove from the fleet.
func retire(ctx context.Context, p *pass, promoted bool, old, created *v1alpha1.ClusterFacts, oldMember string) (string, outcome) {
	loser := created
	if promoted {
		loser = old
	}
	if loser != nil && (loser != created || loser.CreationStartedAt != nil) {
		if o := deleteStep(ctx, p, loser); !o.done {
			return "", o
		}
	}
	switch {
	case loser != nil && loser.DeletedAt != nil:
		msg := fmt.Sprintf("finished: cluster %s deleted", loser.Name)
		if loser == old {
			msg += fmt.Sprintf("; remove its Member with 'upshift fleet leave %s'", oldMember)
		}
		return msg, proceed()
	case p.msg != "":
		return "finished: " + p.msg, proceed()
	}
	return "finished; no cluster to delete", proceed()
}

func routerName(spec v1alpha1.TrafficSpec) string {
	if spec.Router == "" {
		return v1alpha1.RouterLocal
	}
	return spec.Router
}

// kindOf names the strategy kind of obj, for what new clusters are
// created for.
func kindOf(obj any) string {
	switch obj.(type) {
	case *v1alpha1.BlueGreenUpgrade:
		return "BlueGreenUpgrade"
	case *v1alpha1.CanaryIntake:
		return "CanaryIntake"
	}
	return fmt.Sprintf("%T", obj)
}
