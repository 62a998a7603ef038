package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/controller"
	"upshift.dev/upshift/internal/fleet"
	"upshift.dev/upshift/internal/strategy"
	"upshift.dev/upshift/internal/traffic"
	"upshift.dev/upshift/internal/traffic/local"
	"upshift.dev/upshift/internal/traffic/local/loadgen"
)

// The rollback measurement runs the canary strategy's reconciler
// (strategy.CanaryReconciler) on the bench's two clusters: green is the
// canary at 20%, its analysis is the share of failed requests on green as a
// real Prometheus scrapes it from green's ingress, and the router is the
// local one, through the gateway's admin endpoint as a controller in
// another process would drive it. The intake lives on blue's own API server,
// which serves as the hub: upshift's CRDs are installed there, and the
// intake's status is its only memory, so an intake whose status says the
// canary is created, deployed and ready starts at its first step, and no
// third cluster is needed.
const (
	rollbackInterval = 2 * time.Second
	rollbackRate     = 200
	failPercent      = "20"
)

// measureRollback is "time from a failing metric to rollback": from the
// first moment the canary's error rate, as the analysis queries it, is at
// or above the threshold (Prometheus evaluated every 50ms) to the sending
// time of the last request the canary answered, after which every request
// is on blue.
func measureRollback(ctx context.Context, e *env) (*time.Duration, string) {
	d, note, err := rollback(ctx, e)
	if err != nil {
		return nil, "not measured: " + err.Error()
	}
	return &d, note
}

func errorRateQuery(cluster string) string {
	return fmt.Sprintf(`(sum(rate(upshift_ingress_requests_total{cluster=%q,namespace="shop",service="web",code=~"5.."}[5s])) or vector(0))`+
		` / sum(rate(upshift_ingress_requests_total{cluster=%q,namespace="shop",service="web"}[5s]))`, cluster, cluster)
}

func rollback(ctx context.Context, e *env) (time.Duration, string, error) {
	st := e.dp.State()
	dir, err := os.MkdirTemp("", "upshift-bench-prometheus-")
	if err != nil {
		return 0, "", err
	}
	defer os.RemoveAll(dir)
	prom, err := startPrometheus(ctx, dir, []string{hostPort(st.Ingresses["blue"]), hostPort(st.Ingresses["green"])})
	if err != nil {
		return 0, "", err
	}
	defer prom.stop()
	if _, err := e.router.SetWeights(ctx, traffic.Split("green", "blue", 100)); err != nil {
		return 0, "", err
	}

	hubConfig, err := e.fleet.RESTConfig("blue")
	if err != nil {
		return 0, "", err
	}
	hub, ci, err := seededIntake(ctx, hubConfig, prom.url)
	if err != nil {
		return 0, "", err
	}
	// Each variant measures with a fresh intake.
	defer func() { _ = hub.Delete(context.WithoutCancel(ctx), ci) }()
	r := &strategy.CanaryReconciler{Client: hub, Tools: strategy.Tools{
		Resolver: &fleet.ProviderResolver{Hub: hub, Local: e.fleet},
		Clusters: &strategy.LocalProvisioner{Fleet: e.fleet},
		Routers:  &strategy.Routers{DataPlaneDir: e.fleet.DataPlaneDir()},
	}}
	lctx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	loaded := make(chan *loadgen.Result, 1)
	go func() {
		res, _ := loadgen.Run(lctx, loadgen.Config{URL: e.gateway + appPath, Rate: rollbackRate, Duration: 3 * time.Minute})
		loaded <- res
	}()
	dctx, stopDriver := context.WithCancel(ctx)
	defer stopDriver()
	go drive(dctx, r, client.ObjectKeyFromObject(ci))

	if err := waitIntake(ctx, hub, ci, 2*time.Minute, func(ci *v1alpha1.CanaryIntake) bool {
		a := ci.Status.Steps[0].Analysis
		return ci.Status.Phase != v1alpha1.CanaryProgressing || (a != nil && len(a.MetricResults) > 0 && a.MetricResults[0].Successful >= 2)
	}); err != nil {
		return 0, "", err
	}
	if ci.Status.Phase != v1alpha1.CanaryProgressing {
		return 0, "", fmt.Errorf("the canary is %s before the fault: %s", ci.Status.Phase, ci.Status.Message)
	}
	injected := time.Now()
	if err := failGreen(ctx, e, failPercent); err != nil {
		return 0, "", err
	}
	defer func() { _ = failGreen(context.WithoutCancel(ctx), e, "") }()
	if err := waitIntake(ctx, hub, ci, time.Minute, func(ci *v1alpha1.CanaryIntake) bool { return ci.Status.Phase == v1alpha1.CanaryAborted }); err != nil {
		return 0, "", fmt.Errorf("the canary was not aborted within a minute of the fault: %w (%s)", err, ci.Status.Message)
	}
	time.Sleep(time.Second)
	stopDriver()
	stopLoad()
	res := <-loaded
	if res == nil {
		return 0, "", errors.New("the load generator gave no result")
	}
	crossed, err := prom.firstAtLeast(ctx, errorRateQuery("green"), 0.05, injected.Add(-time.Second), time.Now())
	if err != nil {
		return 0, "", err
	}
	lastGreen, ok := res.LastOn("green")
	if !ok {
		return 0, "", errors.New("green answered no request")
	}
	d := res.Start.Add(lastGreen).Sub(crossed)
	after := loadgen.Summarize(res.Window(lastGreen+time.Millisecond, res.Elapsed), res.Elapsed-lastGreen)
	note := fmt.Sprintf("(canary green at 20%%, %s%% of its requests failing; analysis interval %s, so at most %s is the bound; the error rate reached 5%% %s after the fault; afterwards %d/%d requests on blue, %d failed)",
		failPercent, rollbackInterval, rollbackInterval+time.Second, crossed.Sub(injected).Round(time.Millisecond), after.Clusters["blue"], after.Requests, after.Failed)
	return d, note, nil
}

// seededIntake installs upshift's CRDs on the hub and creates an intake
// whose canary (green) is ready: the reconciler takes it from its first
// step.
func seededIntake(ctx context.Context, cfg *rest.Config, promURL string) (client.Client, *v1alpha1.CanaryIntake, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, nil, err
	}
	if err := v1alpha1.AddToScheme(s); err != nil {
		return nil, nil, err
	}
	if err := controller.Install(ctx, cfg); err != nil {
		return nil, nil, err
	}
	hub, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		return nil, nil, err
	}
	if err := hub.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bench"}}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, nil, err
	}
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	an := &v1alpha1.AnalysisSpec{Metrics: []v1alpha1.Metric{{
		Name: "error-rate", Interval: v1alpha1.Duration(rollbackInterval.String()), InitialDelay: "3s", InconclusiveLimit: 2,
		SuccessCondition: "result[0] < 0.05", FailureCondition: "result[0] >= 0.05",
		Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: promURL, Query: errorRateQuery("green")}},
	}}}
	ci := &v1alpha1.CanaryIntake{
		ObjectMeta: metav1.ObjectMeta{Name: "bench-rollback", Namespace: "bench"},
		Spec: v1alpha1.CanaryIntakeSpec{
			StableMember: "blue", Canary: v1alpha1.NewClusterSpec{ClusterName: "green", KubernetesVersion: greenVersion},
			Manifests: v1alpha1.ManifestBundle{ConfigMap: "already-deployed"},
			Steps:     []v1alpha1.CanaryStep{{Weight: 20, Bake: "10m"}, {Weight: 100}}, Analysis: an,
		},
		Status: v1alpha1.CanaryIntakeStatus{
			ObservedGeneration: 1, Phase: v1alpha1.CanaryProgressing, StartedAt: &now,
			Preflight: &v1alpha1.PreflightResult{Skipped: true, CompletedAt: &now},
			Stable:    &v1alpha1.ClusterFacts{Provider: v1alpha1.ProviderLocal, Name: "blue"},
			Canary: &v1alpha1.ClusterFacts{Provider: v1alpha1.ProviderLocal, Name: "green", KubernetesVersion: greenVersion,
				CreationStartedAt: &now, CreatedAt: &now, DeployedAt: &now, ReadyAt: &now},
			Steps: []v1alpha1.CanaryStepStatus{{Weight: 20, Phase: v1alpha1.StepPending}, {Weight: 100, Phase: v1alpha1.StepPending}},
		},
	}
	status := ci.Status
	if err := hub.Create(ctx, ci); err != nil {
		return nil, nil, err
	}
	ci.Status = status
	if err := hub.Status().Update(ctx, ci); err != nil {
		return nil, nil, err
	}
	return hub, ci, nil
}

// drive reconciles the intake as a controller would, at the moments it
// asks for; between them it looks every 25ms, which is how soon a finished
// router call is noticed (a manager would be woken by it instead).
func drive(ctx context.Context, r *strategy.CanaryReconciler, key client.ObjectKey) {
	for ctx.Err() == nil {
		res, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: key})
		wait := 25 * time.Millisecond
		if err == nil && res.RequeueAfter > 0 {
			wait = min(wait, res.RequeueAfter)
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
}

func waitIntake(ctx context.Context, hub client.Client, ci *v1alpha1.CanaryIntake, timeout time.Duration, cond func(*v1alpha1.CanaryIntake) bool) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if err := hub.Get(ctx, client.ObjectKeyFromObject(ci), ci); err == nil && cond(ci) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("timed out after %s in phase %s", timeout, ci.Status.Phase)
}

// failGreen makes green's shop/web fail pct percent of requests ("" stops
// it), through the Service annotation its ingress reads.
func failGreen(ctx context.Context, e *env, pct string) error {
	c, err := e.fleet.Client("green")
	if err != nil {
		return err
	}
	value := any(nil) // JSON null removes the annotation
	if pct != "" {
		value = pct
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]any{local.AnnotationFailPercent: value}}})
	if err != nil {
		return err
	}
	_, err = c.CoreV1().Services("shop").Patch(ctx, "web", types.MergePatchType, patch, metav1.PatchOptions{})
	return err
}

func hostPort(url string) string { return strings.TrimPrefix(url, "http://") }
