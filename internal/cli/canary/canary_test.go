package canary

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

var now = time.Date(2026, 11, 1, 10, 10, 0, 0, time.UTC)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	io, _, out, _ := cmdutil.Test()
	cmd := NewCmd(&cmdutil.Factory{IO: io, Now: func() time.Time { return now }})
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	return out.String(), err
}

func TestStartDryRun(t *testing.T) {
	out, err := run(t, "start", "take-137", "--stable", "prod", "--canary-cluster", "prod-canary", "--kubernetes-version", "1.37.2",
		"-f", "../../strategy/testdata/shop", "--steps", "10,25%,100", "--bake", "2m", "--analysis-file", "testdata/error-rate.yaml", "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "start-dry-run.golden", out)
}

func TestParseSteps(t *testing.T) {
	for in, want := range map[string]string{"20,50,100": "", "20, 50 ,100%": "", "0,100": "not a percentage", "20,x": "not a percentage", "101": "not a percentage"} {
		_, err := ParseSteps(in)
		if (err == nil) != (want == "") || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("ParseSteps(%q) = %v, want %q", in, err, want)
		}
	}
}

func paused() *v1alpha1.CanaryIntake {
	at := func(min int) *metav1.Time { t := metav1.NewTime(now.Add(time.Duration(min) * time.Minute)); return &t }
	return &v1alpha1.CanaryIntake{
		ObjectMeta: metav1.ObjectMeta{Name: "take-137", Namespace: fleetcmd.DefaultNamespace, Generation: 1},
		Spec: v1alpha1.CanaryIntakeSpec{StableMember: "prod", Canary: v1alpha1.NewClusterSpec{ClusterName: "prod-canary", KubernetesVersion: "1.37.2"},
			Manifests: v1alpha1.ManifestBundle{ConfigMap: "take-137-manifests"}, Bake: "2m"},
		Status: v1alpha1.CanaryIntakeStatus{
			ObservedGeneration: 1, Phase: v1alpha1.CanaryPaused, CurrentStep: 1,
			Message:   "paused at step 2 (50% on prod-canary): analysis Inconclusive",
			Stable:    &v1alpha1.ClusterFacts{Provider: "local", Name: "prod"},
			Canary:    &v1alpha1.ClusterFacts{Provider: "local", Name: "prod-canary", CreationStartedAt: at(-9), CreatedAt: at(-8), DeployedAt: at(-8), ReadyAt: at(-7)},
			Preflight: &v1alpha1.PreflightResult{TargetVersion: "1.37.2", CompletedAt: at(-10)},
			Traffic:   &v1alpha1.TrafficStatus{Weights: map[string]int32{"prod": 50, "prod-canary": 50}, Applied: map[string]int32{"prod": 50, "prod-canary": 50}, AppliedAt: at(-3), SettledAt: at(-3)},
			Steps: []v1alpha1.CanaryStepStatus{
				{Weight: 20, Phase: v1alpha1.StepSuccessful, StartedAt: at(-6), FinishedAt: at(-4), Analysis: &v1alpha1.AnalysisStatus{Phase: v1alpha1.AnalysisPhaseSuccessful,
					MetricResults: []v1alpha1.MetricResult{{Name: "error-rate", Phase: v1alpha1.AnalysisPhaseSuccessful, Count: 4, Successful: 4}}}},
				{Weight: 50, Phase: v1alpha1.StepInconclusive, StartedAt: at(-3), Analysis: &v1alpha1.AnalysisStatus{Phase: v1alpha1.AnalysisPhaseInconclusive, Message: "no data",
					MetricResults: []v1alpha1.MetricResult{{Name: "error-rate", Phase: v1alpha1.AnalysisPhaseInconclusive, Count: 1, Inconclusive: 1,
						Measurements: []v1alpha1.Measurement{{Phase: v1alpha1.AnalysisPhaseInconclusive, Message: "the query returned no series", StartedAt: at(-2)}}}}}},
				{Weight: 100, Phase: v1alpha1.StepPending},
			},
			StartedAt: at(-10), StepStartedAt: at(-3),
		},
	}
}

func TestStatusRendersTheSteps(t *testing.T) {
	var b strings.Builder
	Render(&b, paused(), now, false)
	golden(t, "status-paused.golden", b.String())
	if got := cmdutil.ExitCode(exitStatus(paused())); got != cmdutil.ExitFindings {
		t.Errorf("a paused intake exits %d, want %d", got, cmdutil.ExitFindings)
	}
}

func TestMain(m *testing.M) { hub.Main(m) }

func TestPromoteAndAbortCheckThePhase(t *testing.T) {
	for _, tc := range []struct {
		action, phase, wantErr string
	}{
		{v1alpha1.ActionPromote, v1alpha1.CanaryPaused, ""},
		{v1alpha1.ActionPromote, v1alpha1.CanaryDeploying, "promote applies while"},
		{v1alpha1.ActionAbort, v1alpha1.CanaryProgressing, ""},
		{v1alpha1.ActionAbort, v1alpha1.CanaryAborted, "already Aborted"},
		{v1alpha1.ActionAbort, v1alpha1.CanaryFinished, "nothing to abort"},
		{v1alpha1.ActionFinish, v1alpha1.CanaryPromoted, ""},
		{v1alpha1.ActionFinish, v1alpha1.CanaryAborted, ""},
		{v1alpha1.ActionFinish, v1alpha1.CanaryProgressing, "finish applies once it is Promoted, Aborted or Failed"},
	} {
		t.Run(tc.action+" in "+tc.phase, func(t *testing.T) {
			ci := paused()
			ci.Status.Phase = tc.phase
			h := hub.Start(t)
			h.Seed(t, ci)
			c := h.Client
			io, _, _, _ := cmdutil.Test()
			err := actionRun(context.Background(), &ActionOptions{IO: io, Client: func() (client.Client, error) { return c, nil },
				Namespace: ci.Namespace, Name: ci.Name, Action: tc.action})
			got := &v1alpha1.CanaryIntake{}
			_ = c.Get(context.Background(), client.ObjectKeyFromObject(ci), got)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || got.Spec.Action != "" {
					t.Fatalf("err %v, action %q", err, got.Spec.Action)
				}
				return
			}
			if err != nil || got.Spec.Action != tc.action {
				t.Fatalf("err %v, action %q", err, got.Spec.Action)
			}
		})
	}
}
