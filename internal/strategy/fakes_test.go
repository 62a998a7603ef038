package strategy_test

import (
	"context"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/analysis"
	"upshift.dev/upshift/internal/fleet"
	"upshift.dev/upshift/internal/provider"
	"upshift.dev/upshift/internal/strategy"
	"upshift.dev/upshift/internal/testenv/hub"
	"upshift.dev/upshift/internal/traffic"
)

// The fakes stand for everything outside the hub (clusters, routers,
// metrics), so the phase machines can be driven through every path in
// milliseconds with a fake clock. The hub itself is a real API server.

func scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = v1alpha1.AddToScheme(s)
	return s
}

type pools struct{ provider.NodePools }

func (pools) ListNodePools(context.Context, string) ([]provider.NodePool, error) {
	return []provider.NodePool{{Name: "system", Mode: provider.ModeSystem, Count: 1}, {Name: "apps", Mode: provider.ModeUser, Count: 2}}, nil
}

type resolver struct{}

func (resolver) Resolve(_ context.Context, m *v1alpha1.Member) (*fleet.Cluster, error) {
	return &fleet.Cluster{Name: m.Spec.ClusterName, RESTConfig: &rest.Config{}, Pools: pools{}}, nil
}

// clusters is a provisioner that remembers what exists.
type clusters struct {
	mu      sync.Mutex
	exists  map[string]bool
	created []strategy.NewCluster
	deleted []string
}

func (c *clusters) Exists(_ context.Context, _, name string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.exists[name], nil
}

func (c *clusters) Create(_ context.Context, nc strategy.NewCluster, progress func(string)) (string, error) {
	progress("creating " + nc.Name)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.exists[nc.Name] = true
	c.created = append(c.created, nc)
	return nc.KubernetesVersion, nil
}

func (c *clusters) Delete(_ context.Context, _, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.exists, name)
	c.deleted = append(c.deleted, name)
	return nil
}

func (c *clusters) RESTConfig(context.Context, string, string) (*rest.Config, error) {
	return &rest.Config{}, nil
}

func (c *clusters) deletedNames() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.deleted...)
}

// deployer is ready after readyAfter looks.
type deployer struct {
	mu         sync.Mutex
	applied    int
	looks      int
	readyAfter int
}

func (d *deployer) Apply(context.Context, *rest.Config, []*unstructured.Unstructured) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.applied++
	return nil
}

func (d *deployer) NotReady(context.Context, *rest.Config, []*unstructured.Unstructured) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.looks++
	if d.looks <= d.readyAfter {
		return []string{"Deployment shop/web: 0/2 ready"}, nil
	}
	return nil, nil
}

// router records every SetWeights call.
type router struct {
	mu          sync.Mutex
	propagation time.Duration
	calls       []traffic.Weights
	current     traffic.Weights
}

func (r *router) Router(context.Context, v1alpha1.TrafficSpec, []string) (traffic.Router, error) {
	return r, nil
}

func (r *router) Weights(context.Context) (traffic.Weights, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.current, nil
}

func (r *router) SetWeights(_ context.Context, w traffic.Weights) (time.Duration, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls, r.current = append(r.calls, w), w
	return r.propagation, nil
}

func (r *router) now() traffic.Weights {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.current
}

type preflighter struct{ errors int32 }

func (p preflighter) Preflight(context.Context, *rest.Config, string, *strategy.Bundle) (v1alpha1.PreflightResult, error) {
	r := v1alpha1.PreflightResult{Errors: p.errors}
	if p.errors > 0 {
		r.Findings = []string{"error pdb-never-allows-eviction PodDisruptionBudget legacy/ledger: never allows an eviction"}
	}
	return r, nil
}

// metric is a scripted measurement: the value the next measurement of any
// metric returns, set by the test.
type metric struct {
	mu    sync.Mutex
	value float64
	empty bool
}

func (m *metric) set(v float64, empty bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.value, m.empty = v, empty
}

func (m *metric) provider(v1alpha1.Metric) (analysis.Provider, error) {
	return analysis.ProviderFunc(func(context.Context, time.Time) (analysis.Value, error) {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.empty {
			return analysis.Value{Result: []float64{}}, nil
		}
		return analysis.Value{Result: []float64{m.value}}, nil
	}), nil
}

// errorRate is an analysis that fails at 5% errors: interval 10s, so a
// test sees each measurement.
func errorRate(count *int32) *v1alpha1.AnalysisSpec {
	return &v1alpha1.AnalysisSpec{Metrics: []v1alpha1.Metric{{
		Name: "error-rate", Interval: "10s", Count: count,
		SuccessCondition: "result[0] < 0.05", FailureCondition: "result[0] >= 0.05",
		Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://127.0.0.1:9", Query: "errors"}},
	}}}
}

func ptr[T any](v T) *T { return &v }

// env is a real hub with a member and a bundle in the test's namespace,
// and the fakes.
type env struct {
	t        *testing.T
	c        client.Client
	ns       string
	clk      *clocktesting.FakeClock
	clusters *clusters
	deployer *deployer
	router   *router
	metric   *metric
	tools    strategy.Tools
}

func newEnv(t *testing.T, preflightErrors int32) *env {
	t.Helper()
	h := hub.Start(t)
	e := &env{
		t:        t,
		c:        h.Client,
		ns:       h.Namespace,
		clk:      clocktesting.NewFakeClock(time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)),
		clusters: &clusters{exists: map[string]bool{"blue": true}},
		deployer: &deployer{readyAfter: 2},
		router:   &router{},
		metric:   &metric{},
	}
	e.create(&v1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Name: "blue"},
		Spec: v1alpha1.MemberSpec{Provider: v1alpha1.ProviderLocal, ClusterName: "blue", Group: "prod"}})
	e.create(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "shop"},
		Data: map[string]string{"shop.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"}})
	e.tools = strategy.Tools{
		Resolver: resolver{}, Clusters: e.clusters, Routers: e.router, Deploy: e.deployer,
		Preflight: preflighter{errors: preflightErrors},
		Analysis:  analysis.Options{NewProvider: e.metric.provider},
	}
	return e
}

// drive reconciles until cond holds: a pass that asks to come back later
// moves the fake clock there; one that waits for a job gives it a moment.
func (e *env) drive(r reconcile.Reconciler, name, what string, cond func() bool) {
	e.t.Helper()
	req := ctrl.Request{NamespacedName: client.ObjectKey{Namespace: e.ns, Name: name}}
	for range 2000 {
		res, err := r.Reconcile(context.Background(), req)
		if err != nil {
			e.t.Fatalf("reconcile: %v", err)
		}
		if cond() {
			return
		}
		if res.RequeueAfter > 0 {
			e.clk.Step(res.RequeueAfter)
		} else {
			time.Sleep(2 * time.Millisecond)
		}
	}
	e.t.Fatalf("never reached %s", what)
}

func (e *env) bg(name string) *v1alpha1.BlueGreenUpgrade {
	e.t.Helper()
	bg := &v1alpha1.BlueGreenUpgrade{}
	if err := e.c.Get(context.Background(), client.ObjectKey{Namespace: e.ns, Name: name}, bg); err != nil {
		e.t.Fatal(err)
	}
	return bg
}

func (e *env) ci(name string) *v1alpha1.CanaryIntake {
	e.t.Helper()
	ci := &v1alpha1.CanaryIntake{}
	if err := e.c.Get(context.Background(), client.ObjectKey{Namespace: e.ns, Name: name}, ci); err != nil {
		e.t.Fatal(err)
	}
	return ci
}

// act sets spec.action as the CLI does.
func (e *env) act(obj client.Object, set func()) {
	e.t.Helper()
	set()
	if err := e.c.Update(context.Background(), obj); err != nil {
		e.t.Fatal(err)
	}
}

// create creates obj in the test's namespace.
func (e *env) create(obj client.Object) {
	e.t.Helper()
	obj.SetNamespace(e.ns)
	if err := e.c.Create(context.Background(), obj); err != nil {
		e.t.Fatal(err)
	}
}

func weightsOf(w traffic.Weights) string {
	if w == nil {
		return "none"
	}
	return w.String()
}
