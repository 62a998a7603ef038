package observe

import (
	"fmt"

	"sigs.k8s.io/yaml"
)

// Rule is one Prometheus alerting rule.
type Rule struct {
	Alert       string            `json:"alert"`
	Expr        string            `json:"expr"`
	For         string            `json:"for,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// RuleGroup is a named group of rules.
type RuleGroup struct {
	Name  string `json:"name"`
	Rules []Rule `json:"rules"`
}

// AlertOptions tune the generated rules.
type AlertOptions struct {
	// GateWaitingFor is how long a gate may hold a stage before it alerts;
	// "4h" when empty.
	GateWaitingFor string
	// DrainBlockedFor is how long a drain may be blocked before it
	// alerts; "15m" when empty.
	DrainBlockedFor string
	// ErrorRatio is the 5xx share of ingress traffic that alerts; 0.05 when
	// zero.
	ErrorRatio float64
}

// Alerts returns the alerting rules for upshift's metrics: failed runs,
// gates and drains that wait too long, quarantined nodes, and error rates
// behind the local data plane's ingresses.
func Alerts(o AlertOptions) []RuleGroup {
	if o.GateWaitingFor == "" {
		o.GateWaitingFor = "4h"
	}
	if o.DrainBlockedFor == "" {
		o.DrainBlockedFor = "15m"
	}
	if o.ErrorRatio == 0 {
		o.ErrorRatio = 0.05
	}
	page := map[string]string{"severity": "page"}
	ticket := map[string]string{"severity": "ticket"}
	return []RuleGroup{{
		Name: "upshift-upgrades",
		Rules: []Rule{
			{
				Alert: "UpshiftUpdateRunFailed", Expr: `upshift_updaterun_state{state="Failed"} == 1`, Labels: page,
				Annotations: map[string]string{
					"summary":     "Update run {{ $labels.namespace }}/{{ $labels.updaterun }} failed",
					"description": "See 'upshift run status {{ $labels.updaterun }} -n {{ $labels.namespace }}'; retry failed members with 'upshift run retry'.",
				},
			},
			{
				Alert: "UpshiftMembersFailed", Expr: `upshift_updaterun_members{state="Failed"} > 0`, For: "5m", Labels: ticket,
				Annotations: map[string]string{"summary": "{{ $value }} members of update run {{ $labels.namespace }}/{{ $labels.updaterun }} failed"},
			},
			{
				Alert: "UpshiftGateWaiting", Expr: `upshift_gate_waiting == 1`, For: o.GateWaitingFor, Labels: ticket,
				Annotations: map[string]string{
					"summary":     "Gate {{ $labels.gate }} ({{ $labels.type }}) has held update run {{ $labels.updaterun }} for over " + o.GateWaitingFor,
					"description": "Approve it with 'upshift gate approve {{ $labels.gate }} -n {{ $labels.namespace }}', or skip it.",
				},
			},
			{
				Alert: "UpshiftDrainBlocked", Expr: `upshift_nodepool_drain_blocked_nodes > 0`, For: o.DrainBlockedFor, Labels: ticket,
				Annotations: map[string]string{
					"summary":     "{{ $value }} nodes of pool {{ $labels.pool }} in {{ $labels.cluster }} cannot be drained",
					"description": "'upshift nodepool status --pool {{ $labels.pool }}' names the pod and PDB that block each node.",
				},
			},
			{
				Alert: "UpshiftNodesQuarantined", Expr: `upshift_nodepool_nodes{state="quarantined"} > 0`, Labels: ticket,
				Annotations: map[string]string{"summary": "{{ $value }} nodes of pool {{ $labels.pool }} in {{ $labels.cluster }} are quarantined (undrainableNodeBehavior Cordon)"},
			},
		},
	}, {
		Name: "upshift-traffic",
		Rules: []Rule{{
			Alert: "UpshiftIngressErrorRatio", For: "2m", Labels: page,
			Expr: fmt.Sprintf(`sum by (cluster, namespace, service) (rate(upshift_ingress_requests_total{code=~"5.."}[5m]))
  / sum by (cluster, namespace, service) (rate(upshift_ingress_requests_total[5m])) > %g`, o.ErrorRatio),
			Annotations: map[string]string{"summary": "{{ $labels.namespace }}/{{ $labels.service }} on {{ $labels.cluster }} fails {{ $value | humanizePercentage }} of requests"},
		}},
	}}
}

// RulesFile renders groups as a Prometheus rules file.
func RulesFile(groups []RuleGroup) ([]byte, error) {
	return yaml.Marshal(map[string]any{"groups": groups})
}

// PrometheusRule renders groups as a prometheus-operator PrometheusRule.
func PrometheusRule(name, namespace string, groups []RuleGroup) ([]byte, error) {
	return yaml.Marshal(map[string]any{
		"apiVersion": "monitoring.coreos.com/v1",
		"kind":       "PrometheusRule",
		"metadata":   map[string]any{"name": name, "namespace": namespace, "labels": map[string]string{"app.kubernetes.io/name": "upshift"}},
		"spec":       map[string]any{"groups": groups},
	})
}
