package fleet_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/controller"
	"upshift.dev/upshift/internal/fleet"
	"upshift.dev/upshift/internal/localfleet/fleettest"
)

const ns = "upshift-system"

func scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = v1alpha1.AddToScheme(s)
	return s
}

// hub is a real hub API server with upshift's CRDs installed.
type hub struct {
	cfg        *rest.Config
	client     client.Client
	kubeconfig string
	context    string
}

func startHub(t *testing.T) *hub {
	t.Helper()
	c := fleettest.Start(t, fleettest.Options{})
	if err := controller.Install(context.Background(), c.RESTConfig); err != nil {
		t.Fatal(err)
	}
	cl, err := client.New(c.RESTConfig, client.Options{Scheme: scheme()})
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	return &hub{cfg: c.RESTConfig, client: cl, kubeconfig: c.Kubeconfig, context: c.Context}
}

// run starts the controller in this process until the test ends.
func (h *hub) run(t *testing.T, up func(ctrl.Manager) fleet.MemberUpgrader, clk clock.PassiveClock) {
	t.Helper()
	mgr, err := controller.NewManager(h.cfg, controller.Options{Upgrader: up, Clock: clk, SkipMemberProbes: true, SeveralPerProcess: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("controller: %v", err)
		}
	})
}

func (h *hub) members(t *testing.T, groups map[string][]string) {
	t.Helper()
	for group, names := range groups {
		for _, n := range names {
			m := &v1alpha1.Member{
				ObjectMeta: metav1.ObjectMeta{Name: n, Namespace: ns},
				Spec:       v1alpha1.MemberSpec{Provider: v1alpha1.ProviderKubeconfig, ClusterName: n, Group: group},
			}
			if err := h.client.Create(context.Background(), m); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func (h *hub) get(t *testing.T, name string) *v1alpha1.UpdateRun {
	t.Helper()
	r := &v1alpha1.UpdateRun{}
	if err := h.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, r); err != nil {
		t.Fatal(err)
	}
	return r
}

// waitRun waits until cond holds for the run and returns it.
func (h *hub) waitRun(t *testing.T, name string, timeout time.Duration, what string, cond func(*v1alpha1.UpdateRun) bool) *v1alpha1.UpdateRun {
	t.Helper()
	var last *v1alpha1.UpdateRun
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		r := &v1alpha1.UpdateRun{}
		if err := h.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, r); err != nil {
			return false, nil
		}
		last = r
		return cond(r), nil
	})
	if err != nil {
		t.Fatalf("run %s never got %s; last status: state=%s message=%q error=%q\n%s", name, what, last.Status.State, last.Status.Message, last.Status.Error, describe(last))
	}
	return last
}

func stateIs(s string) func(*v1alpha1.UpdateRun) bool {
	return func(r *v1alpha1.UpdateRun) bool { return r.Status.State == s }
}

// update applies fn to the run's spec with retries on conflict.
func (h *hub) update(t *testing.T, name string, fn func(*v1alpha1.UpdateRun)) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		r := &v1alpha1.UpdateRun{}
		if err := h.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, r); err != nil {
			return false, err
		}
		fn(r)
		return h.client.Update(ctx, r) == nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// nudge makes the controller look at the run now (after a fake clock
// moved): it reacts to annotation changes.
func (h *hub) nudge(t *testing.T, name string) {
	h.update(t, name, func(r *v1alpha1.UpdateRun) {
		if r.Annotations == nil {
			r.Annotations = map[string]string{}
		}
		r.Annotations["test/nudge"] = fmt.Sprint(time.Now().UnixNano())
	})
}

func describe(r *v1alpha1.UpdateRun) string {
	if r == nil {
		return ""
	}
	s := ""
	for _, st := range r.Status.Stages {
		s += fmt.Sprintf("  stage %s %s %s\n", st.Name, st.State, st.Message)
		for _, g := range st.Groups {
			for _, m := range g.Members {
				s += fmt.Sprintf("    %s/%s %s %s %s\n", g.Name, m.Name, m.State, m.Message, m.Error)
			}
		}
	}
	return s
}

// recorder wraps an upgrader and records when each upgrade ran, with
// nanosecond precision, to check order and concurrency.
type recorder struct {
	fleet.MemberUpgrader
	mu        sync.Mutex
	intervals map[string][2]time.Time
}

func (r *recorder) Upgrade(ctx context.Context, up fleet.MemberUpgrade, p func(fleet.Progress)) error {
	start := time.Now()
	err := r.MemberUpgrader.Upgrade(ctx, up, p)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.intervals == nil {
		r.intervals = map[string][2]time.Time{}
	}
	r.intervals[up.Member.Name] = [2]time.Time{start, time.Now()}
	return err
}

// maxOverlap is the largest number of the named members upgrading at once.
func (r *recorder) maxOverlap(names ...string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	type ev struct {
		at    time.Time
		delta int
	}
	var evs []ev
	for _, n := range names {
		iv := r.intervals[n]
		evs = append(evs, ev{iv[0], 1}, ev{iv[1], -1})
	}
	sort.Slice(evs, func(i, j int) bool {
		if evs[i].at.Equal(evs[j].at) {
			return evs[i].delta < evs[j].delta
		}
		return evs[i].at.Before(evs[j].at)
	})
	cur, peak := 0, 0
	for _, e := range evs {
		cur += e.delta
		peak = max(peak, cur)
	}
	return peak
}

func (r *recorder) interval(name string) [2]time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.intervals[name]
}

func simulated(d time.Duration, rec **recorder, fail func(string) bool) func(ctrl.Manager) fleet.MemberUpgrader {
	return func(mgr ctrl.Manager) fleet.MemberUpgrader {
		c, err := client.New(mgr.GetConfig(), client.Options{Scheme: mgr.GetScheme()})
		if err != nil {
			panic(err)
		}
		r := &recorder{MemberUpgrader: &fleet.SimulatedUpgrader{Client: c, Duration: d, Fail: fail}}
		if rec != nil {
			*rec = r
		}
		return r
	}
}
