package fleet

import (
	"github.com/prometheus/client_golang/prometheus"

	"upshift.dev/upshift/internal/observe"

	"upshift.dev/upshift/api/v1alpha1"
)

// Metrics are the update-run metrics the controller exports. A nil
// *Metrics records nothing.
type Metrics struct {
	runState     *prometheus.GaugeVec
	members      *prometheus.GaugeVec
	memberTime   *prometheus.HistogramVec
	gateWaiting  *prometheus.GaugeVec
	stageCurrent *prometheus.GaugeVec
}

var runStates = []string{v1alpha1.StateNotStarted, v1alpha1.StateRunning, v1alpha1.StateStopping, v1alpha1.StateStopped,
	v1alpha1.StateFailed, v1alpha1.StateCompleted}

var memberStates = []string{v1alpha1.StateNotStarted, v1alpha1.StatePending, v1alpha1.StateRunning, v1alpha1.StateSkipped,
	v1alpha1.StateFailed, v1alpha1.StateCompleted}

// NewMetrics creates the metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		runState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "upshift_updaterun_state", Help: "1 for the state an update run is in, 0 for the others.",
		}, []string{"namespace", "updaterun", "state"}),
		members: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "upshift_updaterun_members", Help: "Members of an update run by state.",
		}, []string{"namespace", "updaterun", "state"}),
		memberTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "upshift_member_upgrade_duration_seconds", Help: "How long member upgrades took, by outcome.",
			Buckets: prometheus.ExponentialBuckets(5, 2, 12),
		}, []string{"namespace", "updaterun", "stage", "result"}),
		gateWaiting: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "upshift_gate_waiting", Help: "1 while a gate holds its stage.",
		}, []string{"namespace", "updaterun", "gate", "type"}),
		stageCurrent: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "upshift_updaterun_stage_index", Help: "Index (from 1) of the stage an update run is in; 0 when none.",
		}, []string{"namespace", "updaterun"}),
	}
	m.runState = observe.Register(reg, m.runState)
	m.members = observe.Register(reg, m.members)
	m.memberTime = observe.Register(reg, m.memberTime)
	m.gateWaiting = observe.Register(reg, m.gateWaiting)
	m.stageCurrent = observe.Register(reg, m.stageCurrent)
	return m
}

func (m *Metrics) observe(run *v1alpha1.UpdateRun) {
	if m == nil {
		return
	}
	for _, s := range runStates {
		v := 0.0
		if run.Status.State == s {
			v = 1
		}
		m.runState.WithLabelValues(run.Namespace, run.Name, s).Set(v)
	}
	counts := map[string]int{}
	eachMember(run, func(_ *v1alpha1.StageStatus, _ *v1alpha1.GroupStatus, ms *v1alpha1.MemberRunStatus) {
		counts[ms.State]++
	})
	for _, s := range memberStates {
		m.members.WithLabelValues(run.Namespace, run.Name, s).Set(float64(counts[s]))
	}
	idx := 0
	for i, s := range run.Status.Stages {
		if s.Name == run.Status.CurrentStage {
			idx = i + 1
		}
	}
	m.stageCurrent.WithLabelValues(run.Namespace, run.Name).Set(float64(idx))
}

func (m *Metrics) memberDone(run *v1alpha1.UpdateRun, ms *v1alpha1.MemberRunStatus, stage string) {
	if m == nil || ms.StartTime == nil || ms.CompletedTime == nil {
		return
	}
	m.memberTime.WithLabelValues(run.Namespace, run.Name, stage, ms.State).Observe(ms.CompletedTime.Sub(ms.StartTime.Time).Seconds())
}

func (m *Metrics) gate(run *v1alpha1.UpdateRun, gs *v1alpha1.GateStatus) {
	if m == nil {
		return
	}
	v := 0.0
	if gs.State == v1alpha1.StatePending {
		v = 1
	}
	m.gateWaiting.WithLabelValues(run.Namespace, run.Name, gs.Name, gs.Type).Set(v)
}
