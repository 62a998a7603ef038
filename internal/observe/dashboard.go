package observe

import (
	"encoding/json"
	"maps"
	"slices"
)

// panel is one Grafana time series or stat panel.
type panel struct {
	title, unit, kind string
	exprs             map[string]string // legend -> PromQL
	w, h              int
}

var dashboardPanels = []panel{
	{title: "Update runs by state", kind: "stat", exprs: map[string]string{"{{state}}": `sum by (state) (upshift_updaterun_state)`}, w: 12, h: 5},
	{title: "Members by state", kind: "timeseries", exprs: map[string]string{"{{state}}": `sum by (state) (upshift_updaterun_members)`}, w: 12, h: 8},
	{title: "Gates holding a stage", kind: "timeseries", exprs: map[string]string{"{{updaterun}} {{gate}}": `upshift_gate_waiting == 1`}, w: 12, h: 8},
	{title: "Member upgrade duration p50 / p95", unit: "s", kind: "timeseries", exprs: map[string]string{
		"p50": `histogram_quantile(0.5, sum by (le) (rate(upshift_member_upgrade_duration_seconds_bucket[1h])))`,
		"p95": `histogram_quantile(0.95, sum by (le) (rate(upshift_member_upgrade_duration_seconds_bucket[1h])))`,
	}, w: 12, h: 8},
	{title: "Pool nodes by upgrade state", kind: "timeseries", exprs: map[string]string{"{{cluster}}/{{pool}} {{state}}": `upshift_nodepool_nodes > 0`}, w: 12, h: 8},
	{title: "Blocked drains", kind: "timeseries", exprs: map[string]string{"{{cluster}}/{{pool}}": `upshift_nodepool_drain_blocked_nodes`}, w: 12, h: 8},
	{title: "Ingress requests by cluster and code", unit: "reqps", kind: "timeseries", exprs: map[string]string{"{{cluster}} {{code}}": `sum by (cluster, code) (rate(upshift_ingress_requests_total[1m]))`}, w: 12, h: 8},
	{title: "Ingress 5xx ratio", unit: "percentunit", kind: "timeseries", exprs: map[string]string{"{{cluster}}": `sum by (cluster) (rate(upshift_ingress_requests_total{code=~"5.."}[1m])) / sum by (cluster) (rate(upshift_ingress_requests_total[1m]))`}, w: 12, h: 8},
}

// Dashboard returns a Grafana dashboard (JSON model) for upshift's
// metrics, with a Prometheus data source variable.
func Dashboard() ([]byte, error) {
	var panels []map[string]any
	x, y := 0, 0
	for i, p := range dashboardPanels {
		var targets []map[string]any
		ref := 'A'
		for _, legend := range slices.Sorted(maps.Keys(p.exprs)) {
			targets = append(targets, map[string]any{"refId": string(ref), "expr": p.exprs[legend], "legendFormat": legend,
				"datasource": map[string]string{"type": "prometheus", "uid": "${datasource}"}})
			ref++
		}
		panels = append(panels, map[string]any{
			"id": i + 1, "type": p.kind, "title": p.title, "targets": targets,
			"datasource":  map[string]string{"type": "prometheus", "uid": "${datasource}"},
			"gridPos":     map[string]int{"x": x, "y": y, "w": p.w, "h": p.h},
			"fieldConfig": map[string]any{"defaults": map[string]any{"unit": p.unit}},
		})
		if x += p.w; x >= 24 {
			x, y = 0, y+p.h
		}
	}
	return json.MarshalIndent(map[string]any{
		"title": "upshift", "uid": "upshift", "schemaVersion": 39, "timezone": "utc", "refresh": "30s",
		"time":   map[string]string{"from": "now-6h", "to": "now"},
		"tags":   []string{"upshift", "kubernetes", "upgrades"},
		"panels": panels,
		"templating": map[string]any{"list": []map[string]any{{
			"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus",
		}}},
	}, "", "  ")
}
