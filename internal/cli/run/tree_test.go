package run

import (
	"bytes"
	"flag"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// fixedNow is the clock of the golden tests.
func fixedNow() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) }

func at(min int) *metav1.Time {
	t := metav1.NewTime(fixedNow().Add(time.Duration(min) * time.Minute))
	return &t
}

// golden compares got with the golden file name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	cmdutil.Golden(t, filepath.Join("testdata", "golden", name), got, *update)
}

func rollout() *v1alpha1.UpdateStrategySpec {
	count := int32(3)
	return &v1alpha1.UpdateStrategySpec{Stages: []v1alpha1.StageSpec{
		{Name: "dev", Groups: []v1alpha1.GroupSpec{{Name: "dev"}}, AfterStageWaitInSeconds: 300,
			AfterGates: []v1alpha1.GateDefinition{{Type: v1alpha1.GateValidation, DisplayName: "error rate",
				Validation: &v1alpha1.AnalysisSpec{Metrics: []v1alpha1.Metric{{Name: "errors", Count: &count, SuccessCondition: "result[0] < 0.05",
					Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://prometheus:9090", Query: "errors"}}}}}}}},
		{Name: "test", Groups: []v1alpha1.GroupSpec{{Name: "test", MaxConcurrency: "2"}}, AfterStageWaitInSeconds: 600},
		{Name: "prod", Groups: []v1alpha1.GroupSpec{{Name: "prod-east"}, {Name: "prod-west"}},
			BeforeGates: []v1alpha1.GateDefinition{{Type: v1alpha1.GateApproval, DisplayName: "change board"}}},
	}}
}

// running is a run in its second stage: one member done, one upgrading,
// one waiting for its window, one failed after a retry.
func running() *v1alpha1.UpdateRun {
	return &v1alpha1.UpdateRun{
		ObjectMeta: metav1.ObjectMeta{Name: "to-1.37", Namespace: "upshift-system", Generation: 3},
		Spec: v1alpha1.UpdateRunSpec{UpdateStrategyName: "rollout", State: v1alpha1.RunStart,
			Upgrade: v1alpha1.UpgradeSpec{Type: v1alpha1.UpgradeFull, KubernetesVersion: "1.37.2"}},
		Status: v1alpha1.UpdateRunStatus{
			State: v1alpha1.StateRunning, StartTime: at(-42), Strategy: rollout(), CurrentStage: "test", Progress: "2/8 members",
			Message: "waiting: test-3: maintenance window closed; next opens 2026-11-28T22:00:00Z", ObservedGeneration: 3,
			FailedMembers: 1,
			Stages: []v1alpha1.StageStatus{
				{Name: "dev", State: v1alpha1.StateCompleted, StartTime: at(-42), CompletedTime: at(-20),
					AfterGates: []v1alpha1.GateStatus{{Name: "to-1.37-dev-after-0", Type: v1alpha1.GateValidation, State: v1alpha1.StateCompleted,
						ReachedTime: at(-30), CompletedTime: at(-27), Message: "validation Successful"}},
					AfterStageWaitStartTime: at(-27), AfterStageWaitState: v1alpha1.StateCompleted,
					Groups: []v1alpha1.GroupStatus{{Name: "dev", State: v1alpha1.StateCompleted, StartTime: at(-42), CompletedTime: at(-30),
						Members: []v1alpha1.MemberRunStatus{{Name: "dev-1", State: v1alpha1.StateCompleted, StartTime: at(-42), CompletedTime: at(-30), Attempt: 1, FromVersion: "1.36.3"}}}}},
				{Name: "test", State: v1alpha1.StateRunning, StartTime: at(-20), Message: "waiting: test-3: maintenance window closed; next opens 2026-11-28T22:00:00Z",
					Groups: []v1alpha1.GroupStatus{{Name: "test", State: v1alpha1.StateRunning, StartTime: at(-20), Members: []v1alpha1.MemberRunStatus{
						{Name: "test-1", State: v1alpha1.StateFailed, StartTime: at(-20), CompletedTime: at(-9), Attempt: 2,
							Error: "node pool apps: drain of node test-1-apps-2 blocked for 10m by PodDisruptionBudget shop/checkout"},
						{Name: "test-2", State: v1alpha1.StateRunning, StartTime: at(-8), Attempt: 1, Step: "NodePool/apps", Message: "2 of 5 nodes upgraded; draining test-2-apps-3"},
						{Name: "test-3", State: v1alpha1.StatePending, Message: "maintenance window closed; next opens 2026-11-28T22:00:00Z"},
						{Name: "test-4", State: v1alpha1.StateSkipped, CompletedTime: at(-19), Message: "already at the target"},
					}}}},
				{Name: "prod", State: v1alpha1.StateNotStarted,
					BeforeGates: []v1alpha1.GateStatus{{Name: "to-1.37-prod-before-0", Type: v1alpha1.GateApproval, State: v1alpha1.StateNotStarted}},
					Groups: []v1alpha1.GroupStatus{
						{Name: "prod-east", State: v1alpha1.StateNotStarted, Members: []v1alpha1.MemberRunStatus{{Name: "prod-east-1", State: v1alpha1.StateNotStarted}}},
						{Name: "prod-west", State: v1alpha1.StateNotStarted, Members: []v1alpha1.MemberRunStatus{{Name: "prod-west-1", State: v1alpha1.StateNotStarted}}},
					}},
			},
		},
	}
}

// gated is the same run later: test done and soaking, then held at prod's
// approval gate.
func gated() *v1alpha1.UpdateRun {
	r := running()
	st := &r.Status
	st.CurrentStage, st.Progress, st.FailedMembers = "prod", "4/6 members", 0
	st.Message = "gate to-1.37-prod-before-0: waiting for approval: 'upshift gate approve to-1.37-prod-before-0 -n upshift-system'"
	test := &st.Stages[1]
	test.State, test.CompletedTime, test.Message = v1alpha1.StateCompleted, at(-1), ""
	test.AfterStageWaitStartTime, test.AfterStageWaitState = at(-4), v1alpha1.StateSkipped
	test.Groups[0].State, test.Groups[0].CompletedTime = v1alpha1.StateCompleted, at(-5)
	test.Groups[0].Members = []v1alpha1.MemberRunStatus{
		{Name: "test-1", State: v1alpha1.StateCompleted, StartTime: at(-8), CompletedTime: at(-6), Attempt: 3, FromVersion: "1.36.3"},
		{Name: "test-2", State: v1alpha1.StateCompleted, StartTime: at(-8), CompletedTime: at(-5), Attempt: 1, FromVersion: "1.36.3"},
	}
	prod := &st.Stages[2]
	prod.State, prod.StartTime = v1alpha1.StateRunning, at(-1)
	prod.BeforeGates[0].State, prod.BeforeGates[0].ReachedTime = v1alpha1.StatePending, at(-1)
	prod.BeforeGates[0].Message = "waiting for approval: 'upshift gate approve to-1.37-prod-before-0 -n upshift-system'"
	prod.Message = st.Message
	return r
}

func TestStatusTreeGolden(t *testing.T) {
	for name, run := range map[string]*v1alpha1.UpdateRun{"running": running(), "gated": gated()} {
		for _, tty := range []bool{true, false} {
			file := name + ".table"
			if tty {
				file = name + ".tty.table"
			}
			t.Run(file, func(t *testing.T) {
				var b bytes.Buffer
				if err := (view{now: fixedNow(), tty: tty}).render(&b, run); err != nil {
					t.Fatal(err)
				}
				golden(t, file, b.String())
			})
		}
	}
}

// TestWatchLogsChanges checks that -w off a terminal prints a line per
// change and nothing for what did not change.
func TestWatchLogsChanges(t *testing.T) {
	ios, _, out, _ := cmdutil.Test()
	w := newWatcher(&StatusOptions{IO: ios, Output: cmdutil.OutputTable, Now: fixedNow})
	if err := w.update(running()); err != nil {
		t.Fatal(err)
	}
	first := out.String()
	golden(t, "watch-first.log", first)
	if err := w.update(running()); err != nil {
		t.Fatal(err)
	}
	if out.Len() != len(first) {
		t.Fatalf("an unchanged run printed more lines:\n%s", out.String()[len(first):])
	}
	if err := w.update(gated()); err != nil {
		t.Fatal(err)
	}
	golden(t, "watch-changes.log", out.String()[len(first):])
}

func TestExitStatus(t *testing.T) {
	r := running()
	if err := exitStatus(r); err != nil {
		t.Errorf("running run: %v", err)
	}
	r.Status.State, r.Status.Error = v1alpha1.StateFailed, "1 members failed, more than maxAllowedFailures 0: test-1"
	err := exitStatus(r)
	if code := cmdutil.ExitCode(err); code != cmdutil.ExitFindings {
		t.Errorf("failed run: exit %d, want %d", code, cmdutil.ExitFindings)
	}
	if !strings.Contains(err.Error(), "test-1") {
		t.Errorf("the error does not say what failed: %v", err)
	}
	// A run retried after it failed is not final until the controller
	// has seen the retry.
	r.Generation = 4
	if final(r) {
		t.Error("a Failed run whose newer spec the controller has not seen is final")
	}
	r.Status.ObservedGeneration = 4
	if !final(r) {
		t.Error("a Failed run is not final")
	}
}

// TestWatchRedrawsOnTerminal checks that -w on a terminal draws the tree
// once, redraws it in place when it changes, and not at all when not.
func TestWatchRedrawsOnTerminal(t *testing.T) {
	ios, _, out, _ := cmdutil.Test()
	ios.SetTTY(true, true)
	w := newWatcher(&StatusOptions{IO: ios, Output: cmdutil.OutputTable, Now: fixedNow})
	if err := w.update(running()); err != nil {
		t.Fatal(err)
	}
	first := out.String()
	lines := strings.Count(first, "\n")
	if strings.Contains(first, "\033[") || !strings.Contains(first, "42m ago") {
		t.Fatalf("first drawing:\n%s", first)
	}
	if err := w.update(running()); err != nil || out.Len() != len(first) {
		t.Fatalf("an unchanged run was redrawn: %v", err)
	}
	if err := w.update(gated()); err != nil {
		t.Fatal(err)
	}
	rest := out.String()[len(first):]
	if want := "\033[" + strconv.Itoa(lines) + "A\033[J"; !strings.HasPrefix(rest, want) || !strings.Contains(rest, "waiting for approval") {
		t.Errorf("the redraw does not start by going %d lines up:\n%q", lines, rest[:min(len(rest), 40)])
	}
}
