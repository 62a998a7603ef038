package fleet

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/version"
)

// start copies the strategy into the status and snapshots which members
// each group holds, as Fleet does when a run starts: members joined later
// are not part of this run.
func (r *RunReconciler) start(ctx context.Context, run *v1alpha1.UpdateRun, now time.Time) error {
	if err := validateUpgrade(run.Spec.Upgrade); err != nil {
		return err
	}
	strategy := run.Spec.Strategy
	if run.Spec.UpdateStrategyName != "" {
		us := &v1alpha1.UpdateStrategy{}
		if err := r.reader().Get(ctx, client.ObjectKey{Namespace: run.Namespace, Name: run.Spec.UpdateStrategyName}, us); err != nil {
			return fmt.Errorf("spec.updateStrategyName %q: %w", run.Spec.UpdateStrategyName, err)
		}
		strategy = &us.Spec
	}
	if strategy == nil {
		return errors.New("the run has neither spec.updateStrategyName nor spec.strategy; give one")
	}
	if err := validateStrategy(strategy); err != nil {
		return err
	}
	var members v1alpha1.MemberList
	if err := r.reader().List(ctx, &members, client.InNamespace(run.Namespace)); err != nil {
		return err
	}
	byGroup := map[string][]string{}
	for _, m := range members.Items {
		byGroup[m.Spec.Group] = append(byGroup[m.Spec.Group], m.Name)
	}
	st := &run.Status
	st.Strategy = strategy.DeepCopy()
	st.Stages = nil
	seen := map[string]string{}
	for _, s := range strategy.Stages {
		ss := v1alpha1.StageStatus{Name: s.Name, State: v1alpha1.StateNotStarted, Groups: []v1alpha1.GroupStatus{}}
		for k, g := range s.BeforeGates {
			ss.BeforeGates = append(ss.BeforeGates, v1alpha1.GateStatus{Name: gateName(run.Name, s.Name, v1alpha1.GateBefore, k), Type: g.Type, State: v1alpha1.StateNotStarted})
		}
		for k, g := range s.AfterGates {
			ss.AfterGates = append(ss.AfterGates, v1alpha1.GateStatus{Name: gateName(run.Name, s.Name, v1alpha1.GateAfter, k), Type: g.Type, State: v1alpha1.StateNotStarted})
		}
		for _, g := range s.Groups {
			names := byGroup[g.Name]
			sort.Strings(names)
			gs := v1alpha1.GroupStatus{Name: g.Name, State: v1alpha1.StateNotStarted, Members: []v1alpha1.MemberRunStatus{}}
			for _, n := range names {
				if prev, dup := seen[n]; dup {
					return fmt.Errorf("member %q is in group %q twice (stages %s and %s): a group may appear in one stage only", n, g.Name, prev, s.Name)
				}
				seen[n] = s.Name
				gs.Members = append(gs.Members, v1alpha1.MemberRunStatus{Name: n, State: v1alpha1.StateNotStarted})
			}
			ss.Groups = append(ss.Groups, gs)
		}
		st.Stages = append(st.Stages, ss)
	}
	if len(seen) == 0 {
		return fmt.Errorf("no Member in namespace %s belongs to any group the strategy names (%s); join clusters with 'upshift fleet join'", run.Namespace, strings.Join(groupNames(strategy), ", "))
	}
	if run.Spec.NodeImageSelection.Type == v1alpha1.NodeImageConsistent {
		images, err := r.consistentImages(ctx, run)
		if err != nil {
			return err
		}
		st.NodeImages = images
	}
	st.State, st.StartTime = v1alpha1.StateRunning, mtime(now)
	return nil
}

func groupNames(s *v1alpha1.UpdateStrategySpec) []string {
	var out []string
	for _, st := range s.Stages {
		for _, g := range st.Groups {
			out = append(out, g.Name)
		}
	}
	return out
}

func validateUpgrade(u v1alpha1.UpgradeSpec) error {
	switch u.Type {
	case v1alpha1.UpgradeFull, v1alpha1.UpgradeControlPlaneOnly, "":
		if u.KubernetesVersion == "" {
			return errors.New("spec.upgrade.kubernetesVersion is required for Full and ControlPlaneOnly upgrades")
		}
		if _, err := version.Parse(u.KubernetesVersion); err != nil {
			return fmt.Errorf("spec.upgrade.kubernetesVersion: %w", err)
		}
	case v1alpha1.UpgradeNodeImageOnly:
		if u.KubernetesVersion != "" {
			return errors.New("spec.upgrade.kubernetesVersion must be empty for NodeImageOnly upgrades")
		}
	default:
		return fmt.Errorf("spec.upgrade.type %q: use Full, ControlPlaneOnly or NodeImageOnly", u.Type)
	}
	return nil
}

func validateStrategy(s *v1alpha1.UpdateStrategySpec) error {
	if len(s.Stages) == 0 {
		return errors.New("the strategy has no stages")
	}
	stages, groups := map[string]bool{}, map[string]bool{}
	for i, st := range s.Stages {
		if stages[st.Name] {
			return fmt.Errorf("strategy.stages[%d]: stage name %q is used twice", i, st.Name)
		}
		stages[st.Name] = true
		for j, g := range st.Groups {
			if groups[g.Name] {
				return fmt.Errorf("strategy.stages[%d].groups[%d]: group %q is in the strategy twice", i, j, g.Name)
			}
			groups[g.Name] = true
			if _, err := parseConcurrency(g.MaxConcurrency); err != nil {
				return fmt.Errorf("strategy.stages[%d].groups[%d].maxConcurrency: %w", i, j, err)
			}
		}
		if _, err := parseConcurrency(st.MaxConcurrency); err != nil {
			return fmt.Errorf("strategy.stages[%d].maxConcurrency: %w", i, err)
		}
		for _, timing := range []string{v1alpha1.GateBefore, v1alpha1.GateAfter} {
			for k, g := range st.Gates(timing) {
				if err := validateGate(g); err != nil {
					return fmt.Errorf("strategy.stages[%d].%sGates[%d]: %w", i, strings.ToLower(timing), k, err)
				}
			}
		}
	}
	return nil
}

// consistentImages picks, once, the newest image of every pool name across
// the members, so every member ends on the same images.
func (r *RunReconciler) consistentImages(ctx context.Context, run *v1alpha1.UpdateRun) (map[string]string, error) {
	images := map[string]string{}
	var firstErr error
	eachMember(run, func(_ *v1alpha1.StageStatus, _ *v1alpha1.GroupStatus, ms *v1alpha1.MemberRunStatus) {
		m := &v1alpha1.Member{}
		if err := r.Client.Get(ctx, client.ObjectKey{Namespace: run.Namespace, Name: ms.Name}, m); err != nil {
			return
		}
		latest, ok := r.Upgrader.(interface {
			LatestImages(ctx context.Context, m *v1alpha1.Member) (map[string]string, error)
		})
		if !ok {
			return
		}
		got, err := latest.LatestImages(ctx, m)
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("cannot pick consistent node images: member %s: %w", ms.Name, err)
		}
		for pool, img := range got {
			if img > images[pool] {
				images[pool] = img
			}
		}
	})
	return images, firstErr
}
