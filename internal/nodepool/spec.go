package nodepool

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"upshift.dev/upshift/internal/provider"
)

// Strategy is how a pool is upgraded.
type Strategy string

// Strategies.
const (
	StrategySurge     Strategy = "surge"
	StrategyBlueGreen Strategy = "blue-green"
)

// Undrainable node behaviours (AKS undrainableNodeBehavior).
const (
	BehaviorSchedule = "Schedule"
	BehaviorCordon   = "Cordon"
)

// Spec is one node pool upgrade.
type Spec struct {
	Cluster  string
	Pool     string
	Target   provider.NodeTarget
	Strategy Strategy
	// Settings are AKS upgradeSettings; empty fields take AKS's defaults.
	Settings provider.UpgradeSettings
	// DrainTimeout and NodeSoak, when set, take precedence over the
	// whole-minute drainTimeoutInMinutes and nodeSoakDurationInMinutes.
	DrainTimeout time.Duration
	NodeSoak     time.Duration
	BlueGreen    BlueGreenSettings
}

// BlueGreenSettings follow AKS's blue-green node pool upgrade (preview).
type BlueGreenSettings struct {
	// DrainBatchSize is a count or a percentage of the pool (rounded up);
	// "10%" when empty.
	DrainBatchSize string
	// BatchSoak is the wait after each drained batch.
	BatchSoak time.Duration
	// FinalSoak is the wait after the last batch, before blue is deleted;
	// the window in which Rollback is cheapest.
	FinalSoak time.Duration
}

// ID names the upgrade on the nodes it touches, so two upgrades of one pool
// to different targets are never mistaken for each other.
func (s Spec) ID() string {
	return s.Target.KubernetesVersion + "/" + s.Target.NodeImageVersion
}

func (s Spec) drainTimeout() time.Duration {
	if s.DrainTimeout > 0 {
		return s.DrainTimeout
	}
	if s.Settings.DrainTimeoutInMinutes == 0 {
		return 30 * time.Minute
	}
	return time.Duration(s.Settings.DrainTimeoutInMinutes) * time.Minute
}

func (s Spec) nodeSoak() time.Duration {
	if s.NodeSoak > 0 {
		return s.NodeSoak
	}
	return time.Duration(s.Settings.NodeSoakDurationInMinutes) * time.Minute
}

func (s Spec) undrainable() string {
	if s.Settings.UndrainableNodeBehavior == "" {
		return BehaviorSchedule
	}
	return s.Settings.UndrainableNodeBehavior
}

// Validate checks the spec's settings against AKS's ranges. It does not
// look at the cluster (see Upgrader.Preflight for version rules).
func (s Spec) Validate() error {
	var errs []error
	if s.Cluster == "" || s.Pool == "" {
		errs = append(errs, errors.New("cluster and pool are required"))
	}
	if s.Target.KubernetesVersion == "" || s.Target.NodeImageVersion == "" {
		errs = append(errs, errors.New("the target needs a Kubernetes version and a node image"))
	}
	switch s.Strategy {
	case StrategySurge, StrategyBlueGreen:
	default:
		errs = append(errs, fmt.Errorf("strategy %q: use surge or blue-green", s.Strategy))
	}
	st := s.Settings
	surge, err := ParseCount("maxSurge", st.MaxSurge, "10%")
	errs = append(errs, err)
	unavail, err := ParseCount("maxUnavailable", st.MaxUnavailable, "0")
	errs = append(errs, err)
	if err == nil && s.Strategy == StrategySurge && surge.zero() && unavail.zero() {
		errs = append(errs, errors.New("maxSurge and maxUnavailable are both 0: nothing could be upgraded; set --max-surge (for example 1 or 33%) or --max-unavailable"))
	}
	if st.DrainTimeoutInMinutes < 0 || st.DrainTimeoutInMinutes > 1440 {
		errs = append(errs, fmt.Errorf("drainTimeoutInMinutes %d is out of range 1..1440", st.DrainTimeoutInMinutes))
	}
	if st.NodeSoakDurationInMinutes < 0 || st.NodeSoakDurationInMinutes > 30 {
		errs = append(errs, fmt.Errorf("nodeSoakDurationInMinutes %d is out of range 0..30", st.NodeSoakDurationInMinutes))
	}
	switch st.UndrainableNodeBehavior {
	case "", BehaviorSchedule, BehaviorCordon:
	default:
		errs = append(errs, fmt.Errorf("undrainableNodeBehavior %q: use Schedule or Cordon", st.UndrainableNodeBehavior))
	}
	if st.MaxBlockedNodes != "" {
		_, err := ParseCount("maxBlockedNodes", st.MaxBlockedNodes, "")
		errs = append(errs, err)
	}
	_, err = ParseCount("drainBatchSize", s.BlueGreen.DrainBatchSize, "10%")
	errs = append(errs, err)
	if s.DrainTimeout < 0 || s.NodeSoak < 0 || s.BlueGreen.BatchSoak < 0 || s.BlueGreen.FinalSoak < 0 {
		errs = append(errs, errors.New("drain timeout and soak durations must not be negative"))
	}
	return errors.Join(errs...)
}

// Count is an AKS count-or-percentage ("3" or "33%").
type Count struct {
	N       int
	Percent bool
}

func (c Count) zero() bool { return c.N == 0 }

// Of resolves the count against a pool of size nodes; percentages round up,
// as AKS rounds them ("fractional nodes are rounded up").
func (c Count) Of(size int) int {
	if !c.Percent {
		return c.N
	}
	return int(math.Ceil(float64(size) * float64(c.N) / 100))
}

// ParseCount reads a count or percentage for the named field; empty takes
// def.
func ParseCount(field, s, def string) (Count, error) {
	if strings.TrimSpace(s) == "" {
		s = def
	}
	raw := strings.TrimSpace(s)
	pct := strings.HasSuffix(raw, "%")
	n, err := strconv.Atoi(strings.TrimSuffix(raw, "%"))
	if err != nil || n < 0 || (pct && n > 100) {
		return Count{}, fmt.Errorf("%s %q: use a whole number of nodes (for example 1) or a percentage of the pool from 0%% to 100%% (for example 33%%)", field, s)
	}
	return Count{N: n, Percent: pct}, nil
}

func mustCount(field, s, def string) Count {
	c, _ := ParseCount(field, s, def)
	return c
}
