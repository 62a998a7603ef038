package strategy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/controller"
	"upshift.dev/upshift/internal/localfleet/fleettest"
	"upshift.dev/upshift/internal/strategy"
	promtest "upshift.dev/upshift/internal/testenv/prometheus"
	"upshift.dev/upshift/internal/traffic"
	"upshift.dev/upshift/internal/traffic/local"
	"upshift.dev/upshift/internal/traffic/local/loadgen"
)

// The end-to-end tests run everything for real on this machine: a hub API
// server with upshift's CRDs, the cluster serving the app (1.36.3, one node
// per pool), the controller creating the new cluster (1.37.2) in the same
// local fleet, the data plane (an ingress per cluster and the weighted
// gateway) in this process, a Prometheus scraping the ingresses, and a
// load generator sending GET /shop/web/ through the gateway.

const (
	servingVersion = "1.36.3"
	newVersion     = "1.37.2"
	appPath        = "/shop/web/"
	// worldNS holds the end-to-end tests' members and strategies.
	worldNS = "upshift-system"
)

type world struct {
	t       *testing.T
	fleet   *fleettest.Fleet
	serving string
	hub     *fleettest.Cluster
	client  client.Client
	dp      *local.DataPlane
	gateway string
	prom    *promtest.Server
	// ingress is each cluster's ingress URL, chosen before the clusters
	// exist so Prometheus scrapes them from the start.
	ingress map[string]string
}

// startWorld starts the hub and the serving cluster with the shop app
// (and the fragile ledger when fragile is set), the data plane and
// Prometheus. future names the clusters the strategies will create.
func startWorld(t *testing.T, serving string, fragile bool, future ...string) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, serving: serving, ingress: map[string]string{}}
	for _, c := range append([]string{"hub", serving}, future...) {
		w.ingress[c] = "http://" + freeAddr(t)
	}
	w.fleet = fleettest.StartFleet(t,
		fleettest.Options{KubernetesVersion: servingVersion}.Spec("hub"),
		fleettest.Options{KubernetesVersion: servingVersion, Nodes: 1}.Spec(serving))
	w.hub = w.fleet.Clusters["hub"]

	dirs := []string{"testdata/shop"}
	if fragile {
		dirs = append(dirs, "testdata/fragile")
	}
	w.deploy(ctx, serving, dirs...)

	// The data plane gives a cluster the port it had in its state file, so
	// writing one first fixes every ingress's address.
	dir := w.fleet.DataPlaneDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(local.State{Ingresses: w.ingress})
	if err := os.WriteFile(filepath.Join(dir, local.StateFileName), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	w.startDataPlane(dir)

	var targets []string
	for _, u := range w.ingress {
		targets = append(targets, strings.TrimPrefix(u, "http://"))
	}
	w.prom = promtest.Start(t, promtest.Options{Targets: targets})
	w.prom.WaitFor(t, fmt.Sprintf(`up{instance=%q}`, strings.TrimPrefix(w.ingress[serving], "http://")), time.Minute, func(v model.Value) bool {
		vec, ok := v.(model.Vector)
		return ok && len(vec) == 1 && vec[0].Value == 1
	})

	if err := controller.Install(ctx, w.hub.RESTConfig); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(w.hub.RESTConfig, client.Options{Scheme: scheme()})
	if err != nil {
		t.Fatal(err)
	}
	w.client = c
	w.mustCreate(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: worldNS}})
	w.mustCreate(&v1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Name: serving, Namespace: worldNS},
		Spec: v1alpha1.MemberSpec{Provider: v1alpha1.ProviderLocal, ClusterName: serving, Group: "prod"}})
	data, err := strategy.Pack([]string{"testdata/shop"})
	if err != nil {
		t.Fatal(err)
	}
	w.mustCreate(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: worldNS}, Data: data})
	w.waitServing(serving)
	return w
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// deploy applies manifest directories to a cluster and waits until they
// are ready, the way the strategies do.
func (w *world) deploy(ctx context.Context, cluster string, dirs ...string) {
	w.t.Helper()
	data, err := strategy.Pack(dirs)
	if err != nil {
		w.t.Fatal(err)
	}
	objs, err := (&strategy.Bundle{ConfigMap: "test", Files: data}).Objects()
	if err != nil {
		w.t.Fatal(err)
	}
	cfg := w.restConfig(cluster)
	d := strategy.DefaultDeployer{}
	if err := d.Apply(ctx, cfg, objs); err != nil {
		w.t.Fatal(err)
	}
	var pending []string
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		pending, err = d.NotReady(ctx, cfg, objs)
		return err == nil && len(pending) == 0, nil
	})
	if err != nil {
		w.t.Fatalf("%s not ready: %v (%v)", cluster, pending, err)
	}
}

func (w *world) restConfig(cluster string) *rest.Config {
	w.t.Helper()
	cfg, err := w.fleet.RESTConfig(cluster)
	if err != nil {
		w.t.Fatal(err)
	}
	return cfg
}

func (w *world) startDataPlane(dir string) {
	w.t.Helper()
	dp, err := local.NewDataPlane(local.DataPlaneOptions{Clusters: w.fleet.Fleet, Dir: dir, GatewayAddr: "127.0.0.1:0"})
	if err != nil {
		w.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- dp.Run(ctx) }()
	w.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			w.t.Errorf("data plane: %v", err)
		}
	})
	select {
	case <-dp.Ready():
	case err := <-done:
		w.t.Fatalf("data plane: %v", err)
	}
	w.dp, w.gateway = dp, dp.State().Gateway
	// The app is served where it runs: a gateway starts with no weights.
	if err := dp.Gateway().SetWeights(context.Background(), traffic.Weights{w.serving: 100}); err != nil {
		w.t.Fatal(err)
	}
	if got := dp.State().Ingresses[w.serving]; got != w.ingress[w.serving] {
		w.t.Fatalf("ingress of %s at %s, want the address chosen for it, %s", w.serving, got, w.ingress[w.serving])
	}
}

// waitServing waits until the cluster's ingress answers the app.
func (w *world) waitServing(cluster string) {
	w.t.Helper()
	url := w.ingress[cluster] + appPath
	last := ""
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		resp, err := http.Get(url)
		if err != nil {
			last = err.Error()
			return false, nil
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		last = fmt.Sprintf("%d %s", resp.StatusCode, b)
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		w.t.Fatalf("%s does not serve %s: %s", cluster, url, last)
	}
}

func (w *world) mustCreate(obj client.Object) {
	w.t.Helper()
	if err := w.client.Create(context.Background(), obj); err != nil {
		w.t.Fatal(err)
	}
}

// runController runs the controller in this process until stop is called
// or the test ends.
func (w *world) runController() (stop func()) {
	w.t.Helper()
	mgr, err := controller.NewManager(w.hub.RESTConfig, controller.Options{LocalFleetDir: w.fleet.Dir, SkipMemberProbes: true, SeveralPerProcess: true})
	if err != nil {
		w.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			w.t.Errorf("controller: %v", err)
		}
	}
	w.t.Cleanup(stop)
	return stop
}

// load sends GET /shop/web/ through the gateway until the returned
// function is called, which returns every request.
func (w *world) load(rate int) func() *loadgen.Result {
	w.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	type out struct {
		res *loadgen.Result
		err error
	}
	done := make(chan out, 1)
	go func() {
		res, err := loadgen.Run(ctx, loadgen.Config{URL: w.gateway + appPath, Rate: rate, Duration: 9 * time.Minute})
		done <- out{res, err}
	}()
	var res *loadgen.Result
	finish := func() *loadgen.Result {
		if res == nil {
			cancel()
			o := <-done
			if o.err != nil {
				w.t.Fatalf("load: %v", o.err)
			}
			res = o.res
		}
		return res
	}
	w.t.Cleanup(func() { finish() })
	return finish
}

// waitFor polls an object of the hub until cond holds.
func waitFor[T client.Object](w *world, obj T, timeout time.Duration, what string, cond func(T) bool) T {
	w.t.Helper()
	key := client.ObjectKeyFromObject(obj)
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		if err := w.client.Get(ctx, key, obj); err != nil {
			return false, nil
		}
		return cond(obj), nil
	})
	if err != nil {
		raw, _ := json.MarshalIndent(obj, "", "  ")
		w.t.Fatalf("%s %s never got %s within %s; last:\n%s", obj.GetObjectKind().GroupVersionKind().Kind, key.Name, what, timeout, raw)
	}
	return obj
}

// ingressErrorRate is the analysis both strategies use in these tests: the share
// of the app's requests on cluster that failed, over 5s, as Prometheus
// scraped it from the cluster's ingress. No 5xx series at all is 0 errors;
// no requests at all is no data (Inconclusive), which initialDelay and
// inconclusiveLimit absorb while the first scrapes come in.
func ingressErrorRate(promURL, cluster, interval string) *v1alpha1.AnalysisSpec {
	q := fmt.Sprintf(`(sum(rate(upshift_ingress_requests_total{cluster=%q,namespace="shop",service="web",code=~"5.."}[5s])) or vector(0))`+
		` / sum(rate(upshift_ingress_requests_total{cluster=%q,namespace="shop",service="web"}[5s]))`, cluster, cluster)
	return &v1alpha1.AnalysisSpec{Metrics: []v1alpha1.Metric{{
		Name: "error-rate", Interval: v1alpha1.Duration(interval), InitialDelay: "3s", InconclusiveLimit: 2,
		SuccessCondition: "result[0] < 0.05", FailureCondition: "result[0] >= 0.05",
		Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: promURL, Query: q}},
	}}}
}

// annotate sets an annotation on the app's Service in a cluster.
func (w *world) annotate(cluster, key, value string) {
	w.t.Helper()
	c, err := client.New(w.restConfig(cluster), client.Options{Scheme: scheme()})
	if err != nil {
		w.t.Fatal(err)
	}
	svc := &corev1.Service{}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: "shop", Name: "web"}, svc); err != nil {
		w.t.Fatal(err)
	}
	patch := client.MergeFrom(svc.DeepCopy())
	if svc.Annotations == nil {
		svc.Annotations = map[string]string{}
	}
	svc.Annotations[key] = value
	if err := c.Patch(context.Background(), svc, patch); err != nil {
		w.t.Fatal(err)
	}
}

// down deletes a cluster a strategy created, to keep the machine light.
func (w *world) down(cluster string) {
	if !w.fleet.Exists(cluster) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := w.fleet.Down(ctx, []string{cluster}, nil); err != nil {
		w.t.Errorf("down %s: %v", cluster, err)
	}
}
