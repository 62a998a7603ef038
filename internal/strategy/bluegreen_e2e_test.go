package strategy_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/traffic/local"
	"upshift.dev/upshift/internal/traffic/local/loadgen"
)

// TestBlueGreenUpgrade moves the shop from blue (1.36.3, which also runs a
// ledger whose PDB never allows an eviction) to a new green cluster at
// 1.37.2. Preflight's error about the ledger stops a first upgrade before
// anything is created; a second one that ignores it creates green, deploys
// the shop, checks green through the gateway before any traffic moves,
// switches under load, bakes under analysis and is promoted; a person then
// rolls back to blue and finishes, which deletes green. Not one request
// fails across the switch or the rollback.
func TestBlueGreenUpgrade(t *testing.T) {
	w := startWorld(t, "blue", true, "green")
	w.runController()

	blocked := newUpgrade("blocked", "green-x", w, false)
	w.mustCreate(blocked)
	blocked = waitFor(w, blocked, 2*time.Minute, "Failed", bgIn(v1alpha1.BlueGreenFailed, v1alpha1.BlueGreenCreatingGreen, v1alpha1.BlueGreenDeploying))
	if blocked.Status.Phase != v1alpha1.BlueGreenFailed || blocked.Status.FailedPhase != v1alpha1.BlueGreenPreflight {
		t.Fatalf("phase %s (failed in %q): %s", blocked.Status.Phase, blocked.Status.FailedPhase, blocked.Status.Message)
	}
	for _, want := range []string{"legacy/ledger", "ignoreErrors"} {
		if !strings.Contains(blocked.Status.Message, want) {
			t.Errorf("preflight stop %q does not name %q", blocked.Status.Message, want)
		}
	}
	if w.fleet.Exists("green-x") {
		t.Fatal("green-x was created although preflight stopped the upgrade")
	}
	t.Logf("preflight stopped %q: %s", blocked.Name, blocked.Status.Message)

	stopLoad := w.load(200)
	bg := newUpgrade("main", "green", w, true)
	w.mustCreate(bg)
	bg = waitFor(w, bg, 6*time.Minute, "Promoted", bgIn(v1alpha1.BlueGreenPromoted, v1alpha1.BlueGreenRolledBack, v1alpha1.BlueGreenFailed))
	if bg.Status.Phase != v1alpha1.BlueGreenPromoted {
		t.Fatalf("phase %s: %s", bg.Status.Phase, bg.Status.Message)
	}
	if pf := bg.Status.Preflight; pf == nil || pf.Errors == 0 {
		t.Errorf("preflight %+v: the ledger's error should be there, ignored", pf)
	}
	if a := bg.Status.PreSwitch; a == nil || a.Phase != v1alpha1.AnalysisPhaseSuccessful {
		t.Errorf("pre-switch analysis %+v", a)
	}
	if a := bg.Status.PostSwitch; a == nil || a.Phase != v1alpha1.AnalysisPhaseSuccessful || a.MetricResults[0].Successful == 0 {
		t.Errorf("post-switch analysis %+v", a)
	}
	t.Logf("switched %s, bake from %s, promoted %s", bg.Status.SwitchedAt.Format(time.TimeOnly), bg.Status.BakeStartedAt.Format(time.TimeOnly), bg.Status.PromotedAt.Format(time.TimeOnly))
	time.Sleep(2 * time.Second)

	setAction(t, w, bg, v1alpha1.ActionRollback)
	bg = waitFor(w, bg, time.Minute, "RolledBack", bgIn(v1alpha1.BlueGreenRolledBack, v1alpha1.BlueGreenFailed))
	if bg.Status.Phase != v1alpha1.BlueGreenRolledBack {
		t.Fatalf("phase %s: %s", bg.Status.Phase, bg.Status.Message)
	}
	time.Sleep(2 * time.Second)
	res := stopLoad()

	sum := loadgen.Summarize(res.Samples, res.Elapsed)
	t.Logf("load across the switch and the rollback: %s", sum)
	if sum.Failed > 0 {
		t.Errorf("%d requests failed: %v; %s", sum.Failed, sum.Codes, failures(res))
	}
	firstGreen, lastGreen := span(res, "green")
	t.Logf("green answered requests sent from %s to %s", firstGreen.Format("15:04:05.000"), lastGreen.Format("15:04:05.000"))
	for _, s := range res.Samples {
		at := res.Start.Add(s.Start)
		if (at.Before(firstGreen) || at.After(lastGreen)) && !s.Failed() && s.Cluster != "blue" {
			t.Fatalf("a request sent at %s, outside green's span, was answered by %q", at.Format("15:04:05.000"), s.Cluster)
		}
	}
	if got := w.dp.Gateway().Weights(); got["blue"] != 100 {
		t.Errorf("gateway weights after the rollback: %v", got)
	}

	setAction(t, w, bg, v1alpha1.ActionFinish)
	bg = waitFor(w, bg, 2*time.Minute, "Finished", bgIn(v1alpha1.BlueGreenFinished))
	if w.fleet.Exists("green") || !w.fleet.Exists("blue") {
		t.Errorf("after finishing a rolled-back upgrade green exists=%v, blue exists=%v; want green deleted, blue kept", w.fleet.Exists("green"), w.fleet.Exists("blue"))
	}
	t.Logf("finished: %s", bg.Status.Message)
}

func newUpgrade(name, green string, w *world, ignorePreflight bool) *v1alpha1.BlueGreenUpgrade {
	// Before any traffic moves, green must answer for the app itself:
	// requests pinned to it through the gateway.
	pre := &v1alpha1.AnalysisSpec{Metrics: []v1alpha1.Metric{{
		Name: "green-answers", Interval: "1s", Count: ptr(int32(3)), SuccessCondition: `result == "` + green + `"`,
		Provider: v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{URL: w.gateway + appPath, JSONPath: "{$.cluster}",
			Headers: []v1alpha1.Header{{Key: local.HeaderBackend, Value: green}}}},
	}}}
	return &v1alpha1.BlueGreenUpgrade{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: worldNS},
		Spec: v1alpha1.BlueGreenUpgradeSpec{
			BlueMember: "blue",
			Green:      v1alpha1.NewClusterSpec{ClusterName: green, KubernetesVersion: newVersion},
			Manifests:  v1alpha1.ManifestBundle{ConfigMap: "shop"},
			PreSwitch:  pre,
			PostSwitch: ingressErrorRate(w.prom.URL(), green, analysisInterval.String()),
			BakeTime:   "10s",
			Preflight:  v1alpha1.PreflightPolicy{IgnoreErrors: ignorePreflight},
		},
	}
}

func bgIn(phases ...string) func(*v1alpha1.BlueGreenUpgrade) bool {
	return func(bg *v1alpha1.BlueGreenUpgrade) bool {
		for _, p := range phases {
			if bg.Status.Phase == p {
				return true
			}
		}
		return false
	}
}

// setAction sets spec.action, as the CLI does.
func setAction(t *testing.T, w *world, bg *v1alpha1.BlueGreenUpgrade, action string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		cur := &v1alpha1.BlueGreenUpgrade{}
		if err := w.client.Get(ctx, client.ObjectKeyFromObject(bg), cur); err != nil {
			return false, err
		}
		cur.Spec.Action = action
		return w.client.Update(ctx, cur) == nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// span is when the first and the last request a cluster answered were
// sent.
func span(res *loadgen.Result, cluster string) (first, last time.Time) {
	for _, s := range res.Samples {
		if s.Cluster != cluster {
			continue
		}
		at := res.Start.Add(s.Start)
		if first.IsZero() || at.Before(first) {
			first = at
		}
		if at.After(last) {
			last = at
		}
	}
	return first, last
}

// failures describes failed requests: by cluster and code, with the
// first and last time each happened.
func failures(res *loadgen.Result) string {
	type span struct {
		n           int
		first, last time.Time
	}
	by := map[string]*span{}
	var keys []string
	for _, s := range res.Samples {
		if !s.Failed() {
			continue
		}
		k := fmt.Sprintf("%s/%d/%s", s.Cluster, s.Code, s.Err)
		at := res.Start.Add(s.Start)
		if by[k] == nil {
			by[k] = &span{first: at}
			keys = append(keys, k)
		}
		by[k].n++
		by[k].last = at
	}
	var out []string
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%s: %d from %s to %s", k, by[k].n, by[k].first.Format("15:04:05.000"), by[k].last.Format("15:04:05.000")))
	}
	return strings.Join(out, "; ")
}
