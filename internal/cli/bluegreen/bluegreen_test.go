package bluegreen

import (
	"context"
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
	fleetcmd "upshift.dev/upshift/internal/cli/fleet"
	"upshift.dev/upshift/internal/testenv/hub"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with the golden file name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	cmdutil.Golden(t, filepath.Join("testdata", name), got, *update)
}

const manifests = "../../strategy/testdata/shop"

func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	io, _, out, errOut := cmdutil.Test()
	f := &cmdutil.Factory{IO: io, Now: func() time.Time { return now }}
	cmd := NewCmd(f)
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

var now = time.Date(2026, 11, 1, 10, 10, 0, 0, time.UTC)

func TestStartDryRun(t *testing.T) {
	out, _, err := run(t, "start", "shop-137", "--blue", "prod", "--green-cluster", "prod-green", "--kubernetes-version", "1.37.2",
		"-f", manifests, "--bake", "10m", "--retain-blue", "0", "--ignore-preflight-errors", "--post-switch-file", "testdata/error-rate.yaml", "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "start-dry-run.golden", out)
}

func TestStartRefusesBadInput(t *testing.T) {
	base := []string{"start", "x", "--blue", "prod", "--green-cluster", "green", "--kubernetes-version", "1.37.2", "-f", manifests, "--dry-run"}
	for _, tc := range []struct {
		name string
		args []string
		want string
		exit int
	}{
		{"no blue", []string{"start", "x", "--green-cluster", "g", "--kubernetes-version", "1.37.2", "-f", manifests}, "--blue is required", 1},
		{"no manifests", []string{"start", "x", "--blue", "b", "--green-cluster", "g", "--kubernetes-version", "1.37.2"}, "-f is required", 1},
		{"bad version", append(base, "--kubernetes-version", "1.20.0"), "spec.green.kubernetesVersion", 1},
		{"missing analysis file", append(base, "--post-switch-file", "nope.yaml"), "cannot read the analysis file", 1},
		{"dns without settings", append(base, "--router", "azure-dns"), "spec.traffic.dns", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := run(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %q", err, tc.want)
			}
			if code := cmdutil.ExitCode(err); code != tc.exit {
				t.Errorf("exit code %d, want %d", code, tc.exit)
			}
		})
	}
}

// baking is an upgrade in the middle of its bake.
func baking() *v1alpha1.BlueGreenUpgrade {
	at := func(min int) *metav1.Time { t := metav1.NewTime(now.Add(time.Duration(min) * time.Minute)); return &t }
	count := int32(3)
	return &v1alpha1.BlueGreenUpgrade{
		ObjectMeta: metav1.ObjectMeta{Name: "shop-137", Namespace: fleetcmd.DefaultNamespace, Generation: 1},
		Spec: v1alpha1.BlueGreenUpgradeSpec{
			BlueMember: "prod", Green: v1alpha1.NewClusterSpec{ClusterName: "prod-green", KubernetesVersion: "1.37.2"},
			Manifests:  v1alpha1.ManifestBundle{ConfigMap: "shop-137-manifests"},
			PreSwitch:  &v1alpha1.AnalysisSpec{Metrics: []v1alpha1.Metric{{Name: "green-answers", Count: &count, Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://prometheus:9090", Query: "q"}}}}},
			PostSwitch: &v1alpha1.AnalysisSpec{Metrics: []v1alpha1.Metric{{Name: "error-rate", Interval: "30s", Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://prometheus:9090", Query: "q"}}}}},
			BakeTime:   "10m", Preflight: v1alpha1.PreflightPolicy{IgnoreErrors: true},
		},
		Status: v1alpha1.BlueGreenUpgradeStatus{
			ObservedGeneration: 1, Phase: v1alpha1.BlueGreenBaking,
			Message:   "baking on prod-green: 8m left; post-switch analysis: error-rate Running (4/4 ok)",
			Blue:      &v1alpha1.ClusterFacts{Provider: "local", Name: "prod"},
			Green:     &v1alpha1.ClusterFacts{Provider: "local", Name: "prod-green", KubernetesVersion: "1.37.2", Pools: []v1alpha1.ClusterPool{{Name: "system", Count: 1}, {Name: "apps", Count: 2}}, CreationStartedAt: at(-9), CreatedAt: at(-7), DeployedAt: at(-7), ReadyAt: at(-6)},
			Preflight: &v1alpha1.PreflightResult{TargetVersion: "1.37.2", Errors: 1, Warnings: 2, CompletedAt: at(-10), Findings: []string{"error pdb-never-allows-eviction PodDisruptionBudget legacy/ledger (policy/v1): never allows an eviction"}},
			Traffic:   &v1alpha1.TrafficStatus{Weights: map[string]int32{"prod": 0, "prod-green": 100}, Applied: map[string]int32{"prod": 0, "prod-green": 100}, AppliedAt: at(-2), SettledAt: at(-2)},
			PreSwitch: &v1alpha1.AnalysisStatus{Phase: v1alpha1.AnalysisPhaseSuccessful, MetricResults: []v1alpha1.MetricResult{{Name: "green-answers", Phase: v1alpha1.AnalysisPhaseSuccessful, Count: 3, Successful: 3}}},
			PostSwitch: &v1alpha1.AnalysisStatus{Phase: v1alpha1.AnalysisPhaseRunning, MetricResults: []v1alpha1.MetricResult{{Name: "error-rate", Phase: v1alpha1.AnalysisPhaseRunning, Count: 2, Successful: 2,
				Measurements: []v1alpha1.Measurement{{Phase: v1alpha1.AnalysisPhaseSuccessful, Value: "[0.001]", StartedAt: at(-2)}, {Phase: v1alpha1.AnalysisPhaseSuccessful, Value: "[0]", StartedAt: at(-1)}}}}},
			StartedAt: at(-10), SwitchedAt: at(-2), BakeStartedAt: at(-2),
		},
	}
}

func TestStatusRendersEveryAspect(t *testing.T) {
	var b strings.Builder
	Render(&b, baking(), now, false)
	golden(t, "status-baking.golden", b.String())
}

func TestMain(m *testing.M) { hub.Main(m) }

// hubWith is a real API server holding the objects, with their status, in
// the test's own namespace.
func hubWith(t *testing.T, objs ...client.Object) client.Client {
	h := hub.Start(t)
	h.Seed(t, objs...)
	return h.Client
}

func TestActionsCheckThePhase(t *testing.T) {
	for _, tc := range []struct {
		action, phase string
		wantErr       string
	}{
		{v1alpha1.ActionPromote, v1alpha1.BlueGreenBaking, ""},
		{v1alpha1.ActionPromote, v1alpha1.BlueGreenCreatingGreen, "promote applies while"},
		{v1alpha1.ActionRollback, v1alpha1.BlueGreenPromoted, ""},
		{v1alpha1.ActionRollback, v1alpha1.BlueGreenRolledBack, "already RolledBack"},
		{v1alpha1.ActionFinish, v1alpha1.BlueGreenRolledBack, ""},
		{v1alpha1.ActionFinish, v1alpha1.BlueGreenBaking, "finish applies once"},
	} {
		t.Run(tc.action+" in "+tc.phase, func(t *testing.T) {
			bg := baking()
			bg.Status.Phase = tc.phase
			c := hubWith(t, bg)
			io, _, out, _ := cmdutil.Test()
			err := actionRun(context.Background(), &ActionOptions{IO: io, Client: func() (client.Client, error) { return c, nil },
				Namespace: bg.Namespace, Name: bg.Name, Action: tc.action})
			got := &v1alpha1.BlueGreenUpgrade{}
			_ = c.Get(context.Background(), client.ObjectKeyFromObject(bg), got)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || got.Spec.Action != "" {
					t.Fatalf("err %v, action %q; want an error naming %q and no action", err, got.Spec.Action, tc.wantErr)
				}
				return
			}
			if err != nil || got.Spec.Action != tc.action || !strings.Contains(out.String(), "status shop-137 -w") {
				t.Fatalf("err %v, action %q, out %q", err, got.Spec.Action, out.String())
			}
		})
	}
}

func TestStatusExitCodes(t *testing.T) {
	for phase, want := range map[string]int{
		v1alpha1.BlueGreenBaking: 0, v1alpha1.BlueGreenPromoted: 0, v1alpha1.BlueGreenFinished: 0,
		v1alpha1.BlueGreenRolledBack: cmdutil.ExitFindings, v1alpha1.BlueGreenFailed: cmdutil.ExitFindings,
	} {
		bg := baking()
		bg.Status.Phase = phase
		if got := cmdutil.ExitCode(exitStatus(bg)); got != want {
			t.Errorf("%s: exit %d, want %d", phase, got, want)
		}
	}
}
