package fleet_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/fleet"
	"upshift.dev/upshift/internal/window"
)

func newRun(name string, strategy v1alpha1.UpdateStrategySpec) *v1alpha1.UpdateRun {
	return &v1alpha1.UpdateRun{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1alpha1.UpdateRunSpec{
			Strategy: &strategy, State: v1alpha1.RunStart,
			Upgrade: v1alpha1.UpgradeSpec{Type: v1alpha1.UpgradeFull, KubernetesVersion: "1.37.2"},
		},
	}
}

func stages(names ...string) v1alpha1.UpdateStrategySpec {
	var s v1alpha1.UpdateStrategySpec
	for _, n := range names {
		s.Stages = append(s.Stages, v1alpha1.StageSpec{Name: n, Groups: []v1alpha1.GroupSpec{{Name: n}}})
	}
	return s
}

func upgrades(t *testing.T, h *hub, name string) string {
	m := &v1alpha1.Member{}
	if err := h.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, m); err != nil {
		t.Fatal(err)
	}
	return m.Annotations[fleet.AnnotationSimulatedUpgrades]
}

func TestRunStagesInOrderWithinConcurrency(t *testing.T) {
	t.Parallel()
	h := startHub(t)
	var rec *recorder
	h.run(t, simulated(400*time.Millisecond, &rec, nil), nil)
	h.members(t, map[string][]string{"dev": {"dev-1"}, "test": {"test-1", "test-2"}, "prod": {"prod-1", "prod-2", "prod-3", "prod-4"}})

	s := stages("dev", "test", "prod")
	s.Stages[2].Groups[0].MaxConcurrency = "50%" // 2 of 4
	if err := h.client.Create(context.Background(), newRun("r1", s)); err != nil {
		t.Fatal(err)
	}
	run := h.waitRun(t, "r1", time.Minute, "Completed", stateIs(v1alpha1.StateCompleted))

	// Stages in order: each stage's members all finished before the next
	// stage's first member started.
	order := [][]string{{"dev-1"}, {"test-1", "test-2"}, {"prod-1", "prod-2", "prod-3", "prod-4"}}
	for i := 1; i < len(order); i++ {
		for _, prev := range order[i-1] {
			for _, next := range order[i] {
				if rec.interval(next)[0].Before(rec.interval(prev)[1]) {
					t.Errorf("%s started before %s of the previous stage finished", next, prev)
				}
			}
		}
	}
	if got := rec.maxOverlap("test-1", "test-2"); got != 1 {
		t.Errorf("group test (one at a time) had %d members upgrading at once", got)
	}
	if got := rec.maxOverlap("prod-1", "prod-2", "prod-3", "prod-4"); got != 2 {
		t.Errorf("group prod (maxConcurrency 50%% of 4) had %d upgrading at once, want exactly 2", got)
	}
	for _, m := range []string{"dev-1", "test-1", "test-2", "prod-1", "prod-2", "prod-3", "prod-4"} {
		if n := upgrades(t, h, m); n != "1" {
			t.Errorf("member %s upgraded %s times", m, n)
		}
	}
	if run.Status.Progress != "7/7 members" {
		t.Errorf("progress %q", run.Status.Progress)
	}

	// A second run to the same version skips every member.
	if err := h.client.Create(context.Background(), newRun("r2", s)); err != nil {
		t.Fatal(err)
	}
	run = h.waitRun(t, "r2", time.Minute, "Completed", stateIs(v1alpha1.StateCompleted))
	if n := countState(run, v1alpha1.StateSkipped); n != 7 {
		t.Errorf("second run skipped %d of 7 members already at the target", n)
	}
}

func countState(r *v1alpha1.UpdateRun, state string) int {
	n := 0
	for _, s := range r.Status.Stages {
		for _, g := range s.Groups {
			for _, m := range g.Members {
				if m.State == state {
					n++
				}
			}
		}
	}
	return n
}

func TestGates(t *testing.T) {
	t.Parallel()
	h := startHub(t)
	clk := clocktesting.NewFakeClock(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	h.run(t, simulated(100*time.Millisecond, nil, nil), clk)
	h.members(t, map[string][]string{"dev": {"dev-1"}, "prod": {"prod-1"}})

	s := stages("dev", "prod")
	s.Stages[0].AfterGates = []v1alpha1.GateDefinition{{Type: v1alpha1.GateScheduledStart, ScheduledStart: &v1alpha1.ScheduledStart{Time: "10:00"}}}
	s.Stages[1].BeforeGates = []v1alpha1.GateDefinition{{Type: v1alpha1.GateApproval, DisplayName: "change board"}}
	if err := h.client.Create(context.Background(), newRun("gated", s)); err != nil {
		t.Fatal(err)
	}
	run := h.waitRun(t, "gated", 30*time.Second, "to wait for the scheduled start", func(r *v1alpha1.UpdateRun) bool {
		return strings.Contains(r.Status.Message, "scheduled start at 2026-11-25T10:00:00Z")
	})
	if run.Status.Stages[1].State != v1alpha1.StateNotStarted {
		t.Fatalf("stage prod started before the scheduled gate opened")
	}
	clk.SetTime(time.Date(2026, 11, 25, 10, 0, 1, 0, time.UTC))
	h.nudge(t, "gated")
	h.waitRun(t, "gated", 30*time.Second, "to wait for approval", func(r *v1alpha1.UpdateRun) bool {
		return strings.Contains(r.Status.Message, "waiting for approval")
	})
	gate := &v1alpha1.Gate{}
	name := "gated-prod-before-0"
	if err := h.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, gate); err != nil {
		t.Fatalf("Gate object %s: %v", name, err)
	}
	if gate.Status.State != v1alpha1.StatePending || gate.Spec.DisplayName != "change board" {
		t.Fatalf("gate %+v", gate)
	}
	time.Sleep(time.Second) // the run must still be held
	if r := h.get(t, "gated"); r.Status.Stages[1].Groups[0].Members[0].State != v1alpha1.StateNotStarted {
		t.Fatal("prod started without approval")
	}
	gate.Spec.State = v1alpha1.StateCompleted
	if err := h.client.Update(context.Background(), gate); err != nil {
		t.Fatal(err)
	}
	h.waitRun(t, "gated", 30*time.Second, "Completed", stateIs(v1alpha1.StateCompleted))
}

func TestFailingValidationFailsTheStage(t *testing.T) {
	t.Parallel()
	h := startHub(t)
	var calls atomic.Int32
	health := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		fmt.Fprint(w, `{"errorRate": 0.2}`)
	}))
	defer health.Close()
	h.run(t, simulated(100*time.Millisecond, nil, nil), nil)
	h.members(t, map[string][]string{"dev": {"dev-1"}, "prod": {"prod-1"}})

	one := int32(2)
	s := stages("dev", "prod")
	s.Stages[0].AfterGates = []v1alpha1.GateDefinition{{Type: v1alpha1.GateValidation, Validation: &v1alpha1.AnalysisSpec{
		Metrics: []v1alpha1.Metric{{
			Name: "error-rate", Interval: "200ms", Count: &one, SuccessCondition: "result < 0.05",
			Provider: v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{URL: health.URL, JSONPath: "{$.errorRate}"}},
		}},
	}}}
	if err := h.client.Create(context.Background(), newRun("validated", s)); err != nil {
		t.Fatal(err)
	}
	run := h.waitRun(t, "validated", 30*time.Second, "Failed", stateIs(v1alpha1.StateFailed))
	time.Sleep(time.Second) // a failed run stays failed
	run = h.get(t, "validated")
	if run.Status.Stages[0].State != v1alpha1.StateFailed || !strings.Contains(run.Status.Error, "validation Failed") {
		t.Errorf("stage %s, run error %q; want the dev stage Failed by its validation gate", run.Status.Stages[0].State, run.Status.Error)
	}
	if run.Status.Stages[1].State != v1alpha1.StateNotStarted {
		t.Errorf("prod ran after dev's validation failed")
	}
	a := run.Status.Stages[0].AfterGates[0].Analysis
	if a == nil || len(a.MetricResults) == 0 || len(a.MetricResults[0].Measurements) == 0 {
		t.Fatalf("the gate's measurements are not in status: %+v", a)
	}
}

func TestFailureBudgetAndRetry(t *testing.T) {
	t.Parallel()
	h := startHub(t)
	var failing atomic.Bool
	failing.Store(true)
	h.run(t, simulated(100*time.Millisecond, nil, func(m string) bool { return m == "prod-2" && failing.Load() }), nil)
	h.members(t, map[string][]string{"prod": {"prod-1", "prod-2", "prod-3"}, "late": {"late-1"}})

	// No budget: the failure fails the run; later stages never start.
	if err := h.client.Create(context.Background(), newRun("strict", stages("prod", "late"))); err != nil {
		t.Fatal(err)
	}
	run := h.waitRun(t, "strict", 30*time.Second, "Failed", stateIs(v1alpha1.StateFailed))
	if !strings.Contains(run.Status.Error, "prod-2") || run.Status.Stages[1].State != v1alpha1.StateNotStarted {
		t.Fatalf("error %q, stage late %s", run.Status.Error, run.Status.Stages[1].State)
	}

	// Retry after the cause is fixed: the member, then the run, finish.
	failing.Store(false)
	h.update(t, "strict", func(r *v1alpha1.UpdateRun) {
		r.Spec.Retries = append(r.Spec.Retries, v1alpha1.MemberRetry{Member: "prod-2", Attempt: 2})
	})
	run = h.waitRun(t, "strict", 30*time.Second, "Completed after the retry", stateIs(v1alpha1.StateCompleted))
	for _, m := range run.Status.Stages[0].Groups[0].Members {
		if m.Name == "prod-2" && m.Attempt != 2 {
			t.Errorf("prod-2 attempt %d, want 2", m.Attempt)
		}
	}
}

func TestFailureWithinBudgetCompletes(t *testing.T) {
	t.Parallel()
	h := startHub(t)
	h.run(t, simulated(100*time.Millisecond, nil, func(m string) bool { return m == "a-2" }), nil)
	h.members(t, map[string][]string{"a": {"a-1", "a-2", "a-3"}, "b": {"b-1"}})
	s := stages("a", "b")
	s.MaxAllowedFailures = 1
	if err := h.client.Create(context.Background(), newRun("lenient", s)); err != nil {
		t.Fatal(err)
	}
	run := h.waitRun(t, "lenient", 30*time.Second, "Completed", stateIs(v1alpha1.StateCompleted))
	if run.Status.FailedMembers != 1 || !strings.Contains(run.Status.Message, "1 failed") {
		t.Errorf("failedMembers %d, message %q", run.Status.FailedMembers, run.Status.Message)
	}
}

func TestStopStartAndSkip(t *testing.T) {
	t.Parallel()
	h := startHub(t)
	h.run(t, simulated(time.Second, nil, nil), nil)
	h.members(t, map[string][]string{"g": {"m-1", "m-2", "m-3", "m-4"}})
	if err := h.client.Create(context.Background(), newRun("steer", stages("g"))); err != nil {
		t.Fatal(err)
	}
	h.waitRun(t, "steer", 30*time.Second, "a member running", func(r *v1alpha1.UpdateRun) bool { return countState(r, v1alpha1.StateRunning) == 1 })
	h.update(t, "steer", func(r *v1alpha1.UpdateRun) {
		r.Spec.State = v1alpha1.RunStop
		r.Spec.Skip = []v1alpha1.SkipTarget{{Type: v1alpha1.SkipMember, Name: "m-4"}}
	})
	run := h.waitRun(t, "steer", 30*time.Second, "Stopped", stateIs(v1alpha1.StateStopped))
	if got := countState(run, v1alpha1.StateCompleted); got != 1 {
		t.Errorf("%d members completed by the time the run stopped; the one in flight must finish and no other start", got)
	}
	time.Sleep(1500 * time.Millisecond)
	if got := countState(h.get(t, "steer"), v1alpha1.StateRunning); got != 0 {
		t.Fatalf("%d members started while the run was stopped", got)
	}
	h.update(t, "steer", func(r *v1alpha1.UpdateRun) { r.Spec.State = v1alpha1.RunStart })
	run = h.waitRun(t, "steer", time.Minute, "Completed", stateIs(v1alpha1.StateCompleted))
	if countState(run, v1alpha1.StateCompleted) != 3 || countState(run, v1alpha1.StateSkipped) != 1 {
		t.Errorf("completed %d, skipped %d; want 3 and 1\n%s", countState(run, v1alpha1.StateCompleted), countState(run, v1alpha1.StateSkipped), describe(run))
	}
	if n := upgrades(t, h, "m-4"); n != "" {
		t.Errorf("skipped member m-4 was upgraded")
	}
}

func TestClosedWindowHoldsMemberNotRun(t *testing.T) {
	t.Parallel()
	h := startHub(t)
	clk := clocktesting.NewFakeClock(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)) // a Wednesday
	h.run(t, simulated(100*time.Millisecond, nil, nil), clk)
	h.members(t, map[string][]string{"g": {"open-1", "shut-1", "open-2"}})
	shut := &v1alpha1.Member{}
	if err := h.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "shut-1"}, shut); err != nil {
		t.Fatal(err)
	}
	shut.Spec.MaintenanceWindow = &window.Spec{
		Schedule:      window.Schedule{Daily: &window.DailySchedule{IntervalDays: 1}},
		DurationHours: 4, StartTime: "22:00", StartDate: "2026-11-01",
	}
	if err := h.client.Update(context.Background(), shut); err != nil {
		t.Fatal(err)
	}
	if err := h.client.Create(context.Background(), newRun("windowed", stages("g"))); err != nil {
		t.Fatal(err)
	}
	run := h.waitRun(t, "windowed", 30*time.Second, "the others done while shut-1 waits", func(r *v1alpha1.UpdateRun) bool {
		return countState(r, v1alpha1.StateCompleted) == 2
	})
	var m v1alpha1.MemberRunStatus
	for _, x := range run.Status.Stages[0].Groups[0].Members {
		if x.Name == "shut-1" {
			m = x
		}
	}
	if m.State != v1alpha1.StatePending || !strings.Contains(m.Message, "2026-11-25T22:00:00Z") {
		t.Fatalf("shut-1: %s %q; want Pending until the window opens at 22:00", m.State, m.Message)
	}
	if run.Status.State != v1alpha1.StateRunning || run.Status.Stages[0].State != v1alpha1.StateRunning {
		t.Fatalf("the stage must stay open while a member is Pending: run %s stage %s", run.Status.State, run.Status.Stages[0].State)
	}
	clk.SetTime(time.Date(2026, 11, 25, 22, 30, 0, 0, time.UTC))
	h.nudge(t, "windowed")
	h.waitRun(t, "windowed", 30*time.Second, "Completed once the window opened", stateIs(v1alpha1.StateCompleted))
}
