package fleet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/controller"
)

// The kill test runs the controller in a child process (this test binary
// again, with childEnv set) and SIGKILLs it, as kill -9 would.
const childEnv = "UPSHIFT_FLEET_CONTROLLER_CHILD"

type childConfig struct{ Kubeconfig, Context string }

func TestMain(m *testing.M) {
	if cfg := os.Getenv(childEnv); cfg != "" {
		os.Exit(runChild(cfg))
	}
	os.Exit(m.Run())
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
	err = controller.Run(context.Background(), cfg, controller.Options{
		LeaderElection: true, SkipMemberProbes: true,
		Upgrader: simulated(1500*time.Millisecond, nil, nil),
	})
	fmt.Fprintln(os.Stderr, err)
	return 1
}

type child struct {
	cmd  *exec.Cmd
	out  *strings.Builder
	done chan struct{}
}

func startChild(t *testing.T, h *hub) *child {
	t.Helper()
	raw, _ := json.Marshal(childConfig{Kubeconfig: h.kubeconfig, Context: h.context})
	c := &child{cmd: exec.Command(os.Args[0], "-test.run=^$"), out: &strings.Builder{}, done: make(chan struct{})}
	c.cmd.Env = append(os.Environ(), childEnv+"="+string(raw))
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = c.cmd.Wait(); close(c.done) }()
	t.Cleanup(func() { c.kill() })
	return c
}

func (c *child) kill() {
	_ = c.cmd.Process.Kill() // SIGKILL
	<-c.done
}

func TestControllerSurvivesKill9(t *testing.T) {
	t.Parallel()
	h := startHub(t)
	names := map[string][]string{"one": {"a-1", "a-2"}, "two": {"b-1", "b-2", "b-3"}, "three": {"c-1", "c-2", "c-3"}}
	h.members(t, names)
	s := stages("one", "two", "three")
	s.Stages[1].Groups[0].MaxConcurrency = "2"
	s.Stages[0].AfterStageWaitInSeconds = 2
	if err := h.client.Create(context.Background(), newRun("crashy", s)); err != nil {
		t.Fatal(err)
	}
	// Kill the controller at several points of the run, each reached by
	// a fresh controller after it took over the leader lease: mid member
	// upgrade, mid after-stage wait, mid parallel group.
	points := []struct {
		what string
		at   func(*v1alpha1.UpdateRun) bool
	}{
		{"a member of stage one upgrading", func(r *v1alpha1.UpdateRun) bool {
			return len(r.Status.Stages) > 0 && countIn(r.Status.Stages[0], v1alpha1.StateRunning) == 1
		}},
		{"stage one's after-stage wait", func(r *v1alpha1.UpdateRun) bool {
			return len(r.Status.Stages) > 0 && r.Status.Stages[0].AfterStageWaitState == v1alpha1.StateRunning
		}},
		{"two members of stage two upgrading", func(r *v1alpha1.UpdateRun) bool {
			return len(r.Status.Stages) > 1 && countIn(r.Status.Stages[1], v1alpha1.StateRunning) == 2
		}},
	}
	for i, p := range points {
		c := startChild(t, h)
		run := h.waitRun(t, "crashy", time.Minute, p.what, p.at)
		t.Logf("kill -9 #%d at %s: stage %q, %s", i+1, p.what, run.Status.CurrentStage, run.Status.Progress)
		c.kill()
	}
	c := startChild(t, h)
	run := h.waitRun(t, "crashy", 3*time.Minute, "Completed after the kills", stateIs(v1alpha1.StateCompleted))
	c.kill()
	for _, group := range names {
		for _, m := range group {
			if n := upgrades(t, h, m); n != "1" {
				t.Errorf("member %s upgraded %q times, want exactly once", m, n)
			}
		}
	}
	if got := countState(run, v1alpha1.StateCompleted); got != 8 {
		t.Errorf("%d of 8 members completed\n%s", got, describe(run))
	}
}

func countIn(s v1alpha1.StageStatus, state string) int {
	n := 0
	for _, g := range s.Groups {
		for _, m := range g.Members {
			if m.State == state {
				n++
			}
		}
	}
	return n
}
