package strategy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/controller"
	"upshift.dev/upshift/internal/testenv/hub"
	"upshift.dev/upshift/internal/traffic/local/loadgen"
)

// The kill test runs the controller in a child process (this test binary
// again, with childEnv set) and SIGKILLs it, as kill -9 would.
const childEnv = "UPSHIFT_STRATEGY_CONTROLLER_CHILD"

type childConfig struct{ Kubeconfig, Context, FleetDir string }

func TestMain(m *testing.M) {
	// controller-runtime complains on stderr when no logger is set.
	ctrl.SetLogger(logr.Discard())
	if cfg := os.Getenv(childEnv); cfg != "" {
		os.Exit(runChild(cfg))
	}
	hub.Main(m)
}

func runChild(raw string) int {
	var c childConfig
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: c.Kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: c.Context}).ClientConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	err = controller.Run(context.Background(), cfg, controller.Options{LeaderElection: true, SkipMemberProbes: true, LocalFleetDir: c.FleetDir})
	fmt.Fprintln(os.Stderr, err)
	return 1
}

type child struct {
	cmd  *exec.Cmd
	out  *strings.Builder
	done chan struct{}
}

func startChild(t *testing.T, w *world) *child {
	t.Helper()
	raw, _ := json.Marshal(childConfig{Kubeconfig: w.hub.Kubeconfig, Context: w.hub.Context, FleetDir: w.fleet.Dir})
	c := &child{cmd: exec.Command(os.Args[0], "-test.run=^$"), out: &strings.Builder{}, done: make(chan struct{})}
	c.cmd.Env = append(os.Environ(), childEnv+"="+string(raw))
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = c.cmd.Wait(); close(c.done) }()
	t.Cleanup(func() {
		c.kill()
		if t.Failed() {
			t.Logf("controller child output:\n%s", tail(c.out.String(), 40))
		}
	})
	return c
}

func (c *child) kill() {
	_ = c.cmd.Process.Kill() // SIGKILL
	<-c.done
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func measurementsOf(ss v1alpha1.CanaryStepStatus) []v1alpha1.Measurement {
	if ss.Analysis == nil || len(ss.Analysis.MetricResults) == 0 {
		return nil
	}
	return ss.Analysis.MetricResults[0].Measurements
}

func testCanaryKill9(t *testing.T, w *world) {
	defer w.reset("canary-c")
	stopLoad := w.load(100)
	steps := []v1alpha1.CanaryStep{{Weight: 20, Bake: "4s"}, {Weight: 50, Bake: "40s"}, {Weight: 100, Bake: "4s"}}
	ci := newIntake("resume", "canary-c", steps, "", ingressErrorRate(w.prom.URL(), "canary-c", analysisInterval.String()))
	first := startChild(t, w)
	w.mustCreate(ci)
	ci = waitFor(w, ci, 5*time.Minute, "step 2 baking with 3 measurements", func(ci *v1alpha1.CanaryIntake) bool {
		if ci.Status.Phase != v1alpha1.CanaryProgressing || ci.Status.CurrentStep != 1 {
			return canaryIn(v1alpha1.CanaryAborted, v1alpha1.CanaryFailed, v1alpha1.CanaryPaused, v1alpha1.CanaryPromoted)(ci)
		}
		return len(measurementsOf(ci.Status.Steps[1])) >= 3
	})
	if ci.Status.Phase != v1alpha1.CanaryProgressing {
		t.Fatalf("phase %s: %s", ci.Status.Phase, ci.Status.Message)
	}
	first.kill()
	killed := time.Now()
	before := ci.Status.DeepCopy()
	t.Logf("kill -9 at step %d (%d%%), bake started %s, %d measurements kept", before.CurrentStep+1, before.Steps[1].Weight,
		before.Steps[1].StartedAt.Format(time.TimeOnly), len(measurementsOf(before.Steps[1])))

	second := startChild(t, w)
	ci = waitFor(w, ci, 2*time.Minute, "a new measurement after the restart", func(ci *v1alpha1.CanaryIntake) bool {
		return len(ci.Status.Steps) > 1 && len(measurementsOf(ci.Status.Steps[1])) > len(measurementsOf(before.Steps[1]))
	})
	t.Logf("resumed: the first measurement after the kill started %s after it", measurementsOf(ci.Status.Steps[1])[len(measurementsOf(before.Steps[1]))].StartedAt.Sub(killed).Round(time.Second))
	if ci.Status.CurrentStep != before.CurrentStep || !ci.Status.Steps[1].StartedAt.Equal(before.Steps[1].StartedAt) {
		t.Fatalf("resumed at step %d started %s, want step %d started %s", ci.Status.CurrentStep+1, ci.Status.Steps[1].StartedAt, before.CurrentStep+1, before.Steps[1].StartedAt)
	}
	if !equality.Semantic.DeepEqual(ci.Status.Steps[0], before.Steps[0]) {
		t.Errorf("step 1 changed across the restart:\nbefore %+v\nafter  %+v", before.Steps[0], ci.Status.Steps[0])
	}
	kept := measurementsOf(before.Steps[1])
	if got := measurementsOf(ci.Status.Steps[1])[:len(kept)]; !equality.Semantic.DeepEqual(got, kept) {
		t.Errorf("measurements before the kill were not kept:\nbefore %+v\nafter  %+v", kept, got)
	}
	ci = waitFor(w, ci, 3*time.Minute, "Promoted", canaryIn(v1alpha1.CanaryPromoted, v1alpha1.CanaryAborted, v1alpha1.CanaryFailed, v1alpha1.CanaryPaused))
	second.kill()
	res := stopLoad()
	if ci.Status.Phase != v1alpha1.CanaryPromoted {
		t.Fatalf("phase %s after the restart: %s", ci.Status.Phase, ci.Status.Message)
	}
	if bake := ci.Status.Steps[1].FinishedAt.Sub(ci.Status.Steps[1].StartedAt.Time); bake < 40*time.Second || bake > 60*time.Second {
		t.Errorf("step 2 baked %s across the kill, want its 40s counted from the first controller's start", bake)
	}
	sum := loadgen.Summarize(res.Samples, res.Elapsed)
	t.Logf("load across the kill: %s", sum)
	if sum.Failed > 0 {
		t.Errorf("%d requests failed: %v", sum.Failed, sum.Codes)
	}
}
