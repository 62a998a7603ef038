package local_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"upshift.dev/upshift/internal/localfleet"
	"upshift.dev/upshift/internal/localfleet/fleettest"
	promtest "upshift.dev/upshift/internal/testenv/prometheus"
	"upshift.dev/upshift/internal/traffic"
	"upshift.dev/upshift/internal/traffic/local"
	"upshift.dev/upshift/internal/traffic/local/loadgen"
)

// blueGreen starts the two clusters every data plane test uses: blue at
// 1.36.3 and green at 1.37.2, with the sample apps.
func blueGreen(t *testing.T) *fleettest.Fleet {
	t.Helper()
	o := fleettest.Options{Nodes: 2, SampleApps: true, Delays: localfleet.Delays{PodStart: 200 * time.Millisecond, PodStop: 200 * time.Millisecond}}
	blue, green := o, o
	blue.KubernetesVersion, green.KubernetesVersion = "1.36.3", "1.37.2"
	return fleettest.StartFleet(t, blue.Spec("blue"), green.Spec("green"))
}

// runDataPlane runs a data plane on free ports until the test ends.
func runDataPlane(t *testing.T, f *localfleet.Fleet, dir string) (*local.DataPlane, func()) {
	t.Helper()
	dp, err := local.NewDataPlane(local.DataPlaneOptions{
		Clusters: f, Dir: dir, GatewayAddr: "127.0.0.1:0",
		Ingress: local.IngressOptions{ProbeInterval: 200 * time.Millisecond, UnreachableAfter: time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- dp.Run(ctx) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("data plane: %v", err)
		}
	}
	t.Cleanup(func() {
		if ctx.Err() == nil {
			stop()
		}
	})
	select {
	case <-dp.Ready():
	case err := <-done:
		t.Fatalf("data plane: %v", err)
	}
	return dp, stop
}

// eventually polls cond until it holds, failing the test after a minute
// with cond's last word.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not so after a minute; last: %s", what, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func answers(t *testing.T, url string, code int, cluster string) func() (bool, string) {
	return func() (bool, string) {
		c, cl, body := get(t, url)
		return c == code && cl == cluster, fmt.Sprintf("%d from %q: %s", c, cl, strings.TrimSpace(body))
	}
}

func scale(t *testing.T, c kubernetes.Interface, ns, name string, n int32) {
	t.Helper()
	_, err := c.AppsV1().Deployments(ns).UpdateScale(context.Background(), name,
		&autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: autoscalingv1.ScaleSpec{Replicas: n}}, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

func annotate(t *testing.T, c kubernetes.Interface, ns, svc, key string, value *string) {
	t.Helper()
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]*string{key: value}}})
	if _, err := c.CoreV1().Services(ns).Patch(context.Background(), svc, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

func load(t *testing.T, c loadgen.Config) *loadgen.Result {
	t.Helper()
	res, err := loadgen.Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestDataPlane(t *testing.T) {
	ctx := context.Background()
	f := blueGreen(t)
	blue, green := f.Clusters["blue"].Client, f.Clusters["green"].Client
	dir := t.TempDir()
	dp, stop := runDataPlane(t, f.Fleet, dir)
	st := dp.State()
	if len(st.Ingresses) != 2 {
		t.Fatalf("ingresses %v, want blue and green", st.Ingresses)
	}
	web := func(cluster string) string { return st.Ingresses[cluster] + "/shop/web/" }

	t.Run("ingress names its cluster and version", func(t *testing.T) {
		for cluster, version := range map[string]string{"blue": "1.36.3", "green": "1.37.2"} {
			// The EndpointSlice controller may still be adding the last
			// pod when the Deployment reports it ready.
			eventually(t, cluster+" answers with 3 endpoints", func() (bool, string) {
				code, _, body := get(t, web(cluster)+"cart?id=1")
				var a local.AppResponse
				if code != 200 || json.Unmarshal([]byte(body), &a) != nil {
					return false, fmt.Sprintf("%d %s", code, body)
				}
				return a == local.AppResponse{Cluster: cluster, KubernetesVersion: version, Service: "shop/web", ReadyEndpoints: 3, Path: "/shop/web/cart"}, body
			})
		}
		if code, _, body := get(t, st.Ingresses["blue"]+"/shop/nope/"); code != 404 || !strings.Contains(body, "no Service shop/nope") {
			t.Errorf("unknown Service: %d %q", code, body)
		}
	})

	t.Run("ingress answers only while endpoints are ready", func(t *testing.T) {
		scale(t, blue, "shop", "web", 0)
		eventually(t, "blue's web goes away", answers(t, web("blue"), 503, "blue"))
		if _, _, body := get(t, web("blue")); !strings.Contains(body, "Service shop/web has no ready endpoints") {
			t.Errorf("503 body %q does not say why", body)
		}
		scale(t, blue, "shop", "web", 3)
		eventually(t, "blue's web comes back", answers(t, web("blue"), 200, "blue"))
	})

	t.Run("gateway weights", func(t *testing.T) {
		r := local.NewRouter(dp.Gateway(), "blue", "green")
		for _, to := range []string{"green", "blue"} {
			if _, err := r.SetWeights(ctx, traffic.Split(other(to), to, 100)); err != nil {
				t.Fatal(err)
			}
			res := load(t, loadgen.Config{URL: st.Gateway + "/shop/web/", Rate: 500, Duration: 400 * time.Millisecond})
			if s := loadgen.Summarize(res.Samples, 0); s.Failed != 0 || s.Clusters[to] != s.Requests {
				t.Fatalf("100%% to %s: %s", to, s)
			}
		}
		if _, err := r.SetWeights(ctx, traffic.Weights{"blue": 80, "green": 20}); err != nil {
			t.Fatal(err)
		}
		res := load(t, loadgen.Config{URL: st.Gateway + "/shop/web/", Rate: 1000, Duration: 3 * time.Second})
		s := loadgen.Summarize(res.Samples, res.Elapsed)
		// 3000 draws at p=0.2: one standard deviation is 0.7 points, so
		// 17..23% fails a correct gateway about once in 10^5 runs.
		share := float64(s.Clusters["green"]) / float64(s.Requests)
		if s.Failed != 0 || share < 0.17 || share > 0.23 {
			t.Fatalf("80/20: green got %.1f%% (%s)", 100*share, s)
		}
		t.Logf("80/20: %s", s)
	})

	t.Run("switch under load fails no request", func(t *testing.T) {
		r := local.NewRouter(dp.Gateway(), "blue", "green")
		if _, err := r.SetWeights(ctx, traffic.Split("green", "blue", 100)); err != nil {
			t.Fatal(err)
		}
		type switchAt struct {
			to               string
			called, returned time.Time
		}
		var switches []switchAt
		done := make(chan *loadgen.Result)
		go func() {
			res, err := loadgen.Run(ctx, loadgen.Config{URL: st.Gateway + "/shop/web/", Rate: 500, Duration: 6 * time.Second})
			if err != nil {
				t.Error(err)
			}
			done <- res
		}()
		for _, to := range []string{"green", "blue", "green"} {
			time.Sleep(1500 * time.Millisecond)
			called := time.Now()
			if _, err := r.SetWeights(ctx, traffic.Split(other(to), to, 100)); err != nil {
				t.Fatal(err)
			}
			switches = append(switches, switchAt{to, called, time.Now()})
		}
		res := <-done
		all := loadgen.Summarize(res.Samples, res.Elapsed)
		t.Logf("under load: %s", all)
		if all.Failed != 0 {
			for _, s := range res.Samples {
				if s.Failed() {
					t.Errorf("failed request at %s: %d %s", s.Start, s.Code, s.Err)
				}
			}
		}
		// Every request sent after a SetWeights returned, and answered
		// before the next one was called, went where it said.
		for i, sw := range switches {
			end := res.Elapsed + time.Second
			if i+1 < len(switches) {
				end = res.Offset(switches[i+1].called)
			}
			win := loadgen.Summarize(res.Between(res.Offset(sw.returned), end), 0)
			if win.Requests == 0 || win.Clusters[sw.to] != win.Requests {
				t.Errorf("after switching to %s: %s", sw.to, win)
			}
		}
	})

	t.Run("fault injection", func(t *testing.T) {
		twenty := "20"
		annotate(t, green, "shop", "web", local.AnnotationFailPercent, &twenty)
		t.Cleanup(func() { annotate(t, green, "shop", "web", local.AnnotationFailPercent, nil) })
		eventually(t, "green starts failing", answers(t, web("green"), 500, "green"))
		res := load(t, loadgen.Config{URL: web("green"), Rate: 1000, Duration: 3 * time.Second})
		s := loadgen.Summarize(res.Samples, 0)
		share := float64(s.Codes[500]) / float64(s.Requests)
		if s.Codes[500]+s.Codes[200] != s.Requests || share < 0.17 || share > 0.23 {
			t.Fatalf("fail-percent 20: %.1f%% failed, codes %v", 100*share, s.Codes)
		}
		t.Logf("fail-percent 20: %.1f%% of %d failed", 100*share, s.Requests)

		// A real Prometheus scraping the ingresses and the gateway sees
		// the same counts, per status code, as the /metrics pages.
		prom := promtest.Start(t, promtest.Options{Targets: []string{hostPort(st.Ingresses["blue"]), hostPort(st.Ingresses["green"]), hostPort(st.Gateway)}})
		prom.WaitForTargets(t)
		want := scrape(t, st.Ingresses["green"], "upshift_ingress_requests_total", "code", map[string]string{"namespace": "shop", "service": "web"})
		if want["500"] < float64(s.Codes[500]) || want["200"] < float64(s.Codes[200]) {
			t.Fatalf("green's /metrics counts %v, fewer than the %v the load generator saw", want, s.Codes)
		}
		waitForCounts(t, prom, `sum by (code) (upshift_ingress_requests_total{cluster="green",namespace="shop",service="web"})`, "code", want)
		wantGW := scrape(t, st.Gateway, "upshift_gateway_requests_total", "backend", map[string]string{"code": "200"})
		waitForCounts(t, prom, `sum by (backend) (upshift_gateway_requests_total{code="200"})`, "backend", wantGW)
	})

	t.Run("routers in process and over the admin endpoint", func(t *testing.T) {
		remote, err := local.NewRemoteRouter(st.Gateway, "blue", "green")
		if err != nil {
			t.Fatal(err)
		}
		for name, r := range map[string]traffic.Router{"in-process": local.NewRouter(dp.Gateway(), "blue", "green"), "remote": remote} {
			for _, w := range []traffic.Weights{{"blue": 50, "green": 50}, {"blue": 0, "green": 100}} {
				prop, err := r.SetWeights(ctx, w)
				if err != nil || prop != 0 {
					t.Fatalf("%s: SetWeights(%s) = %v, %v", name, w, prop, err)
				}
				got, err := r.Weights(ctx)
				if err != nil || got.String() != w.String() {
					t.Fatalf("%s: Weights() = %s, %v; want %s", name, got, err, w)
				}
			}
			if _, err := r.SetWeights(ctx, traffic.Weights{"blue": 100}); err == nil {
				t.Errorf("%s: weights without green were accepted", name)
			}
		}
		if _, err := local.NewRemoteRouter("http://192.0.2.1:8080"); err == nil {
			t.Error("a router for a gateway off loopback was created")
		}
		if code, cluster, _ := get(t, st.Gateway+"/shop/web/"); code != 200 || cluster != "green" {
			t.Fatalf("after the remote router set green=100: %d from %q", code, cluster)
		}
	})

	t.Run("ingress stops serving while its API server does not answer", func(t *testing.T) {
		eventually(t, "green answers", answers(t, web("green"), 200, "green"))
		pid := apiserverPID(t, f.Fleet.Dir, "green")
		if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		resumed := false
		resume := func() {
			if !resumed {
				resumed = true
				if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
					t.Error(err)
				}
			}
		}
		t.Cleanup(resume)
		eventually(t, "green stops serving", answers(t, web("green"), 503, "green"))
		if _, _, body := get(t, web("green")); !strings.Contains(body, "API server has not answered") {
			t.Errorf("503 body %q does not say why", body)
		}
		resume()
		eventually(t, "green serves again", answers(t, web("green"), 200, "green"))
	})

	t.Run("detached data plane process", func(t *testing.T) { testDaemon(t, f.Fleet) })

	t.Run("weights survive a restart of the data plane", func(t *testing.T) {
		stop()
		again, _ := runDataPlane(t, f.Fleet, dir)
		if got := again.Gateway().Weights().String(); got != "blue=0 green=100" {
			t.Fatalf("weights after the restart: %s, want blue=0 green=100", got)
		}
		st2 := again.State()
		if st2.Ingresses["blue"] != st.Ingresses["blue"] || st2.Ingresses["green"] != st.Ingresses["green"] {
			t.Errorf("ingress URLs changed across the restart: %v, then %v", st.Ingresses, st2.Ingresses)
		}
		eventually(t, "the restarted gateway sends to green", answers(t, st2.Gateway+"/shop/web/", 200, "green"))
	})
}

func other(cluster string) string {
	if cluster == "blue" {
		return "green"
	}
	return "blue"
}
