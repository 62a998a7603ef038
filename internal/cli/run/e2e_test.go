package run_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
	fleetcmd "upshift.dev/upshift/internal/cli/fleet"
	"upshift.dev/upshift/internal/cli/root"
	"upshift.dev/upshift/internal/controller"
	"upshift.dev/upshift/internal/fleet"
	"upshift.dev/upshift/internal/localfleet/fleettest"
)

// hub is a real hub API server, driven through the upshift command line.
type hub struct {
	cfg                 *rest.Config
	kubeconfig, context string
	client              client.Client
}

// syncBuffer lets a test read what a command running in another goroutine
// (run status -w) has written so far.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// result is what one upshift invocation did.
type result struct {
	out, errOut string
	err         error
	code        int
}

// upshift runs the command line against the hub, as a person would.
func (h *hub) upshift(ctx context.Context, out, errOut *syncBuffer, args ...string) result {
	ios := &cmdutil.IOStreams{In: strings.NewReader(""), Out: out, ErrOut: errOut}
	cmd := root.NewCmd(&cmdutil.Factory{IO: ios})
	cmd.SetArgs(append([]string{"--kubeconfig", h.kubeconfig, "--context", h.context}, args...))
	err := cmd.ExecuteContext(ctx)
	return result{out: out.String(), errOut: errOut.String(), err: err, code: cmdutil.ExitCode(err)}
}

func (h *hub) run(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := h.upshift(ctx, &syncBuffer{}, &syncBuffer{}, args...)
	t.Logf("$ upshift %s\n%s%s(exit %d %v)", strings.Join(args, " "), r.out, r.errOut, r.code, r.err)
	return r
}

// ok runs a command that must succeed and returns its stdout.
func (h *hub) ok(t *testing.T, args ...string) string {
	t.Helper()
	r := h.run(t, args...)
	if r.err != nil {
		t.Fatalf("upshift %s: %v", strings.Join(args, " "), r.err)
	}
	return r.out
}

// fails runs a command that must fail with code and an error containing
// want.
func (h *hub) fails(t *testing.T, code int, want string, args ...string) {
	t.Helper()
	r := h.run(t, args...)
	if r.code != code || r.err == nil || !strings.Contains(r.err.Error(), want) {
		t.Fatalf("upshift %s: exit %d, error %v; want exit %d and an error with %q", strings.Join(args, " "), r.code, r.err, code, want)
	}
}

// watch starts `run status NAME -w` and returns its output so far and a
// channel with its result.
func (h *hub) watch(name string) (*syncBuffer, <-chan result) {
	out, done := &syncBuffer{}, make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		done <- h.upshift(ctx, out, &syncBuffer{}, "run", "status", name, "-w")
	}()
	return out, done
}

func waitFor(t *testing.T, what string, out *syncBuffer, want string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		return strings.Contains(out.String(), want), nil
	})
	if err != nil {
		t.Fatalf("%s: the watch never printed %q; it printed:\n%s", what, want, out.String())
	}
}

func finished(t *testing.T, log *syncBuffer, done <-chan result) result {
	t.Helper()
	select {
	case r := <-done:
		t.Logf("$ upshift run status -w\n%s(exit %d %v)", r.out, r.code, r.err)
		return r
	case <-time.After(2 * time.Minute):
		t.Fatalf("run status -w did not end; it printed:\n%s", log.String())
	}
	return result{}
}

// startHub starts a hub, installs upshift with `fleet install`, and runs
// the controller in this process with simulated member upgrades; fail
// says which members fail their next upgrade.
func startHub(t *testing.T, fail func(member string) bool) *hub {
	t.Helper()
	c := fleettest.Start(t, fleettest.Options{})
	h := &hub{cfg: c.RESTConfig, kubeconfig: c.Kubeconfig, context: c.Context}
	h.ok(t, "fleet", "install")
	var err error
	if h.client, err = client.New(c.RESTConfig, client.Options{Scheme: fleetcmd.Scheme()}); err != nil {
		t.Fatal(err)
	}
	up := func(mgr ctrl.Manager) fleet.MemberUpgrader {
		cl, err := client.New(mgr.GetConfig(), client.Options{Scheme: mgr.GetScheme()})
		if err != nil {
			panic(err)
		}
		return &fleet.SimulatedUpgrader{Client: cl, Duration: 500 * time.Millisecond, Fail: fail}
	}
	mgr, err := controller.NewManager(c.RESTConfig, controller.Options{Upgrader: up, SkipMemberProbes: true, SeveralPerProcess: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-stopped; err != nil {
			t.Errorf("controller: %v", err)
		}
	})
	return h
}

// kubeconfigFile writes a kubeconfig for cfg, as a person would get one
// for a cluster to join.
func kubeconfigFile(t *testing.T, cfg *rest.Config, path string) {
	t.Helper()
	data := func(b []byte, file string) []byte {
		if len(b) > 0 || file == "" {
			return b
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	c := clientcmdapi.NewConfig()
	c.Clusters["member"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: data(cfg.CAData, cfg.CAFile), InsecureSkipTLSVerify: cfg.Insecure}
	c.AuthInfos["member"] = &clientcmdapi.AuthInfo{ClientCertificateData: data(cfg.CertData, cfg.CertFile), ClientKeyData: data(cfg.KeyData, cfg.KeyFile), Token: cfg.BearerToken}
	c.Contexts["member"] = &clientcmdapi.Context{Cluster: "member", AuthInfo: "member"}
	c.CurrentContext = "member"
	if err := clientcmd.WriteToFile(*c, path); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func (h *hub) getRun(t *testing.T, name string) *v1alpha1.UpdateRun {
	t.Helper()
	r := &v1alpha1.UpdateRun{}
	if err := h.client.Get(context.Background(), client.ObjectKey{Namespace: fleetcmd.DefaultNamespace, Name: name}, r); err != nil {
		t.Fatal(err)
	}
	return r
}

func member(r *v1alpha1.UpdateRun, name string) v1alpha1.MemberRunStatus {
	for _, s := range r.Status.Stages {
		for _, g := range s.Groups {
			for _, m := range g.Members {
				if m.Name == name {
					return m
				}
			}
		}
	}
	return v1alpha1.MemberRunStatus{}
}

// TestRunLifecycle joins members by kubeconfig, creates a run from a
// strategy file with an Approval gate, follows it with run status -w to the
// gate, approves it and sees the run complete; then fails a member,
// retries it, skips one and stops and starts a run.
func TestRunLifecycle(t *testing.T) {
	// Armed, test-2's next upgrade fails (once).
	var armed atomic.Bool
	h := startHub(t, func(m string) bool { return m == "test-2" && armed.CompareAndSwap(true, false) })
	dir := t.TempDir()

	kc := filepath.Join(dir, "member.kubeconfig")
	kubeconfigFile(t, h.cfg, kc)
	for _, m := range [][2]string{{"dev-1", "dev"}, {"test-1", "test"}, {"test-2", "test"}, {"prod-1", "prod"}} {
		out := h.ok(t, "fleet", "join", m[0], "--group", m[1], "--provider", "kubeconfig", "--kubeconfig-file", kc)
		if !strings.Contains(out, "Kubeconfig stored in Secret member-"+m[0]+"-kubeconfig") {
			t.Errorf("join %s: %s", m[0], out)
		}
	}
	var members []fleetcmd.MemberSummary
	if err := json.Unmarshal([]byte(h.ok(t, "fleet", "list", "-o", "json")), &members); err != nil || len(members) != 4 {
		t.Fatalf("fleet list -o json: %v %+v", err, members)
	}

	strategyFile := write(t, filepath.Join(dir, "strategy.yaml"), `
stages:
- name: dev
  groups: [{name: dev}]
- name: test
  groups: [{name: test, maxConcurrency: "2"}]
- name: prod
  groups: [{name: prod}]
  beforeGates: [{type: Approval, displayName: change board}]
`)
	h.ok(t, "strategy", "create", "rollout", "-f", strategyFile)
	out := h.ok(t, "run", "create", "r1", "--strategy", "rollout", "--kubernetes-version", "1.37.2", "--start")
	if !strings.Contains(out, "dev -> test -> prod [1 gate]") {
		t.Errorf("run create does not describe the strategy: %s", out)
	}
	h.fails(t, 1, `update run "r1" already exists`, "run", "create", "r1", "--strategy", "rollout", "--kubernetes-version", "1.37.2")

	// Follow the run to the gate, approve it, and see it complete.
	log, done := h.watch("r1")
	waitFor(t, "run r1", log, "gate r1-prod-before-0 Pending: waiting for approval: 'upshift gate approve r1-prod-before-0'")
	if got := h.ok(t, "gate", "list", "--run", "r1"); !strings.Contains(got, "r1-prod-before-0") || !strings.Contains(got, `Approval "change board"`) {
		t.Errorf("gate list --run r1:\n%s", got)
	}
	if r := h.getRun(t, "r1"); member(r, "prod-1").State != v1alpha1.StateNotStarted {
		t.Fatalf("prod-1 started before the gate was approved: %+v", member(r, "prod-1"))
	}
	h.ok(t, "gate", "approve", "r1-prod-before-0")
	h.fails(t, 1, `gate "r1-prod-before-0" is already Completed (spec.state); only Pending gates can be approved`, "gate", "approve", "r1-prod-before-0")
	h.fails(t, 1, `gate "nope" not found in namespace upshift-system; list the gates runs have reached with 'upshift gate list'`, "gate", "approve", "nope")
	res := finished(t, log, done)
	if res.err != nil || !strings.Contains(res.out, "run r1 Completed") || !strings.Contains(res.out, "member prod-1 Completed") {
		t.Fatalf("run status -w: %v\n%s", res.err, res.out)
	}
	if got := h.ok(t, "run", "status", "r1"); !strings.Contains(got, "State:       Completed, 4/4 members") {
		t.Errorf("run status r1:\n%s", got)
	}
	h.fails(t, 1, `update run "nope" not found in namespace upshift-system; list runs with 'upshift run list'`, "run", "status", "nope")

	// A second run, inline strategy: skip dev-1 before it starts; test-2
	// fails; the run fails (exit 3); retry it and the run completes.
	armed.Store(true)
	inline := write(t, filepath.Join(dir, "inline.yaml"), "stages:\n- {name: dev, groups: [{name: dev}]}\n- {name: test, groups: [{name: test}]}\n")
	h.ok(t, "run", "create", "r2", "--strategy-file", inline, "--kubernetes-version", "1.38.0")
	h.fails(t, 1, `update run "r2" has not been started; nothing to stop`, "run", "stop", "r2")
	h.fails(t, 1, `update run "r2" has no group "prod"; its groups: dev, test`, "run", "skip", "r2", "--group", "prod")
	h.ok(t, "run", "skip", "r2", "--member", "dev-1")
	h.ok(t, "run", "start", "r2")
	log, done = h.watch("r2")
	res = finished(t, log, done)
	if res.code != cmdutil.ExitFindings || !strings.Contains(res.err.Error(), `update run "r2" Failed`) || !strings.Contains(log.String(), "member test-2 Failed") {
		t.Fatalf("run status -w of a failing run: exit %d, %v\n%s", res.code, res.err, log.String())
	}
	if r := h.run(t, "run", "status", "r2"); r.code != cmdutil.ExitFindings {
		t.Errorf("run status of a Failed run: exit %d, want %d", r.code, cmdutil.ExitFindings)
	}
	h.fails(t, 1, `member "test-1" of update run "r2" is Completed, not Failed; only failed members can be retried`, "run", "retry", "r2", "--member", "test-1")
	if out := h.ok(t, "run", "retry", "r2", "--member", "test-2"); !strings.Contains(out, "(attempt 2)") {
		t.Errorf("run retry: %s", out)
	}
	log, done = h.watch("r2")
	if res = finished(t, log, done); res.err != nil {
		t.Fatalf("run status -w after the retry: %v\n%s", res.err, res.out)
	}
	r := h.getRun(t, "r2")
	if m := member(r, "test-2"); m.State != v1alpha1.StateCompleted || m.Attempt != 2 {
		t.Errorf("test-2 after the retry: %+v", m)
	}
	if m := member(r, "dev-1"); m.State != v1alpha1.StateSkipped {
		t.Errorf("dev-1 was skipped before the run started, but is %s", m.State)
	}

	// Stop a run once it runs (prod's gate holds it before prod), then
	// start it again.
	h.ok(t, "run", "create", "r3", "--strategy", "rollout", "--kubernetes-version", "1.39.0", "--start")
	if err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		return h.getRun(t, "r3").Status.State == v1alpha1.StateRunning, nil
	}); err != nil {
		t.Fatal("run r3 never started")
	}
	h.ok(t, "run", "stop", "r3")
	log, done = h.watch("r3")
	if res = finished(t, log, done); res.err != nil || !strings.Contains(res.out, "run r3 Stopped") {
		t.Fatalf("run status -w of a stopped run: %v\n%s", res.err, res.out)
	}
	if m := member(h.getRun(t, "r3"), "prod-1"); m.State != v1alpha1.StateNotStarted {
		t.Errorf("prod-1 of a stopped run is %s", m.State)
	}
	h.ok(t, "run", "start", "r3")
	log, done = h.watch("r3")
	waitFor(t, "run r3", log, "gate r3-prod-before-0 Pending")
	h.ok(t, "gate", "skip", "r3-prod-before-0")
	if res = finished(t, log, done); res.err != nil || !strings.Contains(res.out, "run r3 Completed") {
		t.Fatalf("run r3 after start and skip of its gate: %v\n%s", res.err, res.out)
	}

	var runs []v1alpha1.UpdateRun
	if err := json.Unmarshal([]byte(h.ok(t, "run", "list", "-o", "json")), &runs); err != nil || len(runs) != 3 {
		t.Fatalf("run list -o json: %v, %d runs", err, len(runs))
	}
	h.ok(t, "run", "delete", "r1")
	h.fails(t, 1, `update run "r1" not found`, "run", "delete", "r1")
}
