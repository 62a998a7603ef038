package local_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	promtest "upshift.dev/upshift/internal/testenv/prometheus"
)

func hostPort(url string) string { return strings.TrimPrefix(url, "http://") }

func apiserverPID(t *testing.T, fleetDir, cluster string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fleetDir, "kwok", "clusters", cluster, "pids", "kube-apiserver.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// scrape reads a counter from a /metrics page, summed by one label over
// the series that match the given labels.
func scrape(t *testing.T, base, metric, by string, match map[string]string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	fam := families[metric]
	if fam == nil {
		t.Fatalf("%s/metrics has no %s", base, metric)
	}
next:
	for _, m := range fam.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range match {
			if labels[k] != v {
				continue next
			}
		}
		out[labels[by]] += m.GetCounter().GetValue()
	}
	return out
}

// waitForCounts waits until query, summed by one label, gives exactly want.
func waitForCounts(t *testing.T, prom *promtest.Server, query, by string, want map[string]float64) {
	t.Helper()
	v := prom.WaitFor(t, query, 30*time.Second, func(v model.Value) bool {
		vec, ok := v.(model.Vector)
		if !ok || len(vec) != len(want) {
			return false
		}
		for _, s := range vec {
			if float64(s.Value) != want[string(s.Metric[model.LabelName(by)])] {
				return false
			}
		}
		return true
	})
	t.Logf("%s = %v", query, v)
}
