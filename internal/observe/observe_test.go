package observe_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/yaml"

	"upshift.dev/upshift/internal/fleet"
	"upshift.dev/upshift/internal/nodepool"
	"upshift.dev/upshift/internal/observe"
)

// promtool checks rules files; Debian's prometheus package ships it, and
// 'make deps' installs that.
func promtool(t *testing.T, rules []byte) {
	t.Helper()
	bin, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool is not installed; run 'make deps' (Debian package prometheus)")
	}
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, rules, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "check", "rules", path).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s\n%s", err, out, rules)
	}
}

func TestAlertRulesPassPromtool(t *testing.T) {
	b, err := observe.RulesFile(observe.Alerts(observe.AlertOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	promtool(t, b)
}

// TestDashboardQueriesPassPromtool wraps every dashboard query in a
// recording rule, so promtool's PromQL parser checks it.
func TestDashboardQueriesPassPromtool(t *testing.T) {
	b, err := observe.Dashboard()
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	var rules []map[string]string
	for i, p := range d.Panels {
		for j, tg := range p.Targets {
			rules = append(rules, map[string]string{"record": "upshift:dashboard:" + string(rune('a'+i)) + string(rune('a'+j)), "expr": tg.Expr})
		}
	}
	if len(rules) == 0 {
		t.Fatal("the dashboard has no queries")
	}
	out, _ := yaml.Marshal(map[string]any{"groups": []map[string]any{{"name": "dashboard", "rules": rules}}})
	promtool(t, out)
}

// capture is a Registerer that keeps what is registered, to read the
// metric names from the collectors' descriptions.
type capture struct{ collectors []prometheus.Collector }

func (c *capture) Register(col prometheus.Collector) error {
	c.collectors = append(c.collectors, col)
	return nil
}
func (c *capture) MustRegister(cols ...prometheus.Collector) {
	c.collectors = append(c.collectors, cols...)
}
func (c *capture) Unregister(prometheus.Collector) bool { return false }

// TestReferencedMetricsExist checks that every upshift metric the rules and
// the dashboard use is one upshift registers.
func TestReferencedMetricsExist(t *testing.T) {
	reg := &capture{}
	fleet.NewMetrics(reg)
	nodepool.NewMetrics(reg)
	known := map[string]bool{
		// The local data plane's ingress (internal/traffic/local).
		"upshift_ingress_requests_total": true,
	}
	fqName := regexp.MustCompile(`fqName: "([a-z_]+)"`)
	for _, col := range reg.collectors {
		ch := make(chan *prometheus.Desc, 16)
		go func() { col.Describe(ch); close(ch) }()
		for d := range ch {
			if m := fqName.FindStringSubmatch(d.String()); m != nil {
				known[m[1]] = true
			}
		}
	}
	if len(known) < 5 {
		t.Fatalf("found only %v: the descriptions were not read", known)
	}
	rules, _ := observe.RulesFile(observe.Alerts(observe.AlertOptions{}))
	dash, _ := observe.Dashboard()
	for _, name := range regexp.MustCompile(`upshift_[a-z_]+`).FindAllString(string(rules)+string(dash), -1) {
		base := strings.TrimSuffix(name, "_bucket")
		if !known[base] {
			t.Errorf("%s is used by the rules or the dashboard but upshift exports no such metric", name)
		}
	}
}
