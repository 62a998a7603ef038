package fleet

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
)

// Annotations a SimulatedUpgrader keeps on the Member, the simulated
// cluster's whole state.
const (
	AnnotationSimulatedVersion  = "upshift.dev/simulated-version"
	AnnotationSimulatedUpgrades = "upshift.dev/simulated-upgrades"
)

// SimulatedUpgrader stands in for real clusters when what is measured is
// the run controller itself (benchmarks of a thousand members, tests of
// scheduling and crash safety): an upgrade takes Duration and then records
// the target version on the Member, with a count of upgrades done, so a
// test can check that every member was upgraded exactly once. Client should
// read from the API server, not a cache, so a restarted controller sees
// every upgrade already recorded.
type SimulatedUpgrader struct {
	Client   client.Client
	Duration time.Duration
	// Fail, when set, makes the upgrade of the members it names fail.
	Fail func(member string) bool
}

var _ MemberUpgrader = (*SimulatedUpgrader)(nil)

// AtTarget implements MemberUpgrader.
func (s *SimulatedUpgrader) AtTarget(ctx context.Context, up MemberUpgrade) (bool, error) {
	m := &v1alpha1.Member{}
	if err := s.Client.Get(ctx, client.ObjectKeyFromObject(up.Member), m); err != nil {
		return false, err
	}
	return m.Annotations[AnnotationSimulatedVersion] == up.KubernetesVersion, nil
}

// Upgrade implements MemberUpgrader.
func (s *SimulatedUpgrader) Upgrade(ctx context.Context, up MemberUpgrade, progress func(Progress)) error {
	if done, err := s.AtTarget(ctx, up); err != nil || done {
		return err // a restarted controller finds the work done
	}
	progress(Progress{Step: "Simulated", Message: fmt.Sprintf("upgrading for %s", s.Duration)})
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(s.Duration):
	}
	if s.Fail != nil && s.Fail(up.Member.Name) {
		return fmt.Errorf("simulated failure of %s", up.Member.Name)
	}
	m := &v1alpha1.Member{}
	if err := s.Client.Get(ctx, client.ObjectKeyFromObject(up.Member), m); err != nil {
		return err
	}
	patch := client.MergeFrom(m.DeepCopy())
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	n, _ := strconv.Atoi(m.Annotations[AnnotationSimulatedUpgrades])
	m.Annotations[AnnotationSimulatedVersion] = up.KubernetesVersion
	m.Annotations[AnnotationSimulatedUpgrades] = strconv.Itoa(n + 1)
	return s.Client.Patch(ctx, m, patch)
}
