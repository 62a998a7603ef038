package nodepool

import (
	"github.com/prometheus/client_golang/prometheus"

	"upshift.dev/upshift/internal/observe"
)

// Metrics are the node pool engine's metrics, for a process that runs
// upgrades (the controller). A nil *Metrics records nothing.
type Metrics struct {
	nodes   *prometheus.GaugeVec
	blocked *prometheus.GaugeVec
	phase   *prometheus.GaugeVec
}

var nodeStates = []string{"pending", "surging", "draining", "soaking", "reimaging", "upgraded", "quarantined", "removing", "blue", "drained", "green", "rollback", "not-ready"}

// NewMetrics creates the metrics and registers them with reg (reusing
// collectors registered before, so several engines can share a registry).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		nodes: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "upshift_nodepool_nodes", Help: "Nodes of a pool being upgraded, by their state in the upgrade.",
		}, []string{"cluster", "pool", "state"}),
		blocked: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "upshift_nodepool_drain_blocked_nodes", Help: "Nodes of a pool whose drain has been blocked longer than a few seconds (by a PDB or kubectl's rules).",
		}, []string{"cluster", "pool"}),
		phase: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "upshift_nodepool_upgrade_phase", Help: "1 for the phase a pool upgrade is in.",
		}, []string{"cluster", "pool", "phase"}),
	}
	m.nodes = observe.Register(reg, m.nodes)
	m.blocked = observe.Register(reg, m.blocked)
	m.phase = observe.Register(reg, m.phase)
	return m
}

func (m *Metrics) observe(st Status) {
	if m == nil {
		return
	}
	counts, blocked := map[string]int{}, 0
	for _, n := range st.Nodes {
		counts[n.Display(st.Target)]++
		if n.Blocked != "" {
			blocked++
		}
	}
	for _, s := range nodeStates {
		m.nodes.WithLabelValues(st.Cluster, st.Pool, s).Set(float64(counts[s]))
	}
	m.blocked.WithLabelValues(st.Cluster, st.Pool).Set(float64(blocked))
	for _, p := range []Phase{PhaseSurging, PhaseUpgrading, PhaseRemovingSurge, PhaseCreatingGreen, PhaseCordoningBlue,
		PhaseDrainingBlue, PhaseSoaking, PhaseDeletingBlue, PhaseRollingBack, PhaseSucceeded, PhaseFailed, PhaseRolledBack} {
		v := 0.0
		if st.Phase == p {
			v = 1
		}
		m.phase.WithLabelValues(st.Cluster, st.Pool, string(p)).Set(v)
	}
}
