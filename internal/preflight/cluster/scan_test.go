package cluster

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"upshift.dev/upshift/internal/localfleet/fleettest"
	"upshift.dev/upshift/internal/preflight"
	"upshift.dev/upshift/internal/preflight/scratch"
	"upshift.dev/upshift/internal/toolchain"
	"upshift.dev/upshift/internal/version"
)

func deployment(ns, name string, replicas int32, annotations map[string]string) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Annotations: annotations},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: name, Image: "nginx"}}},
			},
		},
	}
}

// TestScanLocalCluster scans a real local cluster (kube-apiserver,
// controller-manager, scheduler and kwok nodes at 1.36.3) holding objects
// created with and without a last-applied annotation, Helm releases stored
// by both of Helm's Kubernetes drivers, and the sample fragile app, and
// checks that the scan finds all of them, with their sources.
func TestScanLocalCluster(t *testing.T) {
	c := fleettest.Start(t, fleettest.Options{KubernetesVersion: "1.36.3", Nodes: 1, SampleApps: true, FragileApp: true})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	kube := c.Client
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "store"}}, metav1.CreateOptions{}))

	// Without last-applied: only a scan of the objects themselves finds it
	// (the peers read annotations only).
	must(kube.AppsV1().Deployments("store").Create(ctx, deployment("store", "lonely", 1, nil), metav1.CreateOptions{FieldManager: "deployer"}))
	must(kube.AppsV1().Deployments("store").Create(ctx, deployment("store", "web", 3, nil), metav1.CreateOptions{}))
	three := intstr.FromInt32(3)
	must(kube.PolicyV1().PodDisruptionBudgets("store").Create(ctx, &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "store"},
		Spec:       policyv1.PodDisruptionBudgetSpec{MinAvailable: &three, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}},
	}, metav1.CreateOptions{}))

	// With a last-applied annotation from before the migration to apps/v1,
	// and no later declarative write: the manifest still says
	// extensions/v1beta1.
	must(kube.AppsV1().Deployments("store").Create(ctx, deployment("store", "api", 2, map[string]string{
		preflight.LastAppliedAnnotation: `{"apiVersion":"extensions/v1beta1","kind":"Deployment","metadata":{"name":"api","namespace":"store"}}`,
	}), metav1.CreateOptions{FieldManager: "restored-from-backup"}))

	// A stale annotation: applied with kubectl, then taken over by Helm at
	// policy/v1. Reported at info level, not as a removed API.
	one := intstr.FromInt32(1)
	_, err := kube.PolicyV1().PodDisruptionBudgets("store").Create(ctx, &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: "stale", Namespace: "store", Annotations: map[string]string{
			preflight.LastAppliedAnnotation: `{"apiVersion":"policy/v1beta1","kind":"PodDisruptionBudget","metadata":{"name":"stale"}}`}},
		Spec: policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &one, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}}},
	}, metav1.CreateOptions{FieldManager: "kubectl-client-side-apply"})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // managedFields times have second precision
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		stale, err := kube.PolicyV1().PodDisruptionBudgets("store").Get(ctx, "stale", metav1.GetOptions{})
		if err != nil {
			return err
		}
		stale.Labels = map[string]string{"app.kubernetes.io/managed-by": "Helm"}
		_, err = kube.PolicyV1().PodDisruptionBudgets("store").Update(ctx, stale, metav1.UpdateOptions{FieldManager: "helm"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// Helm releases, written by Helm's own drivers.
	write := func(d driver.Driver, rel *release.Release) {
		t.Helper()
		if err := d.Create(fmt.Sprintf("sh.helm.release.v1.%s.v%d", rel.Name, rel.Version), rel); err != nil {
			t.Fatal(err)
		}
	}
	secrets := driver.NewSecrets(kube.CoreV1().Secrets("store"))
	cms := driver.NewConfigMaps(kube.CoreV1().ConfigMaps("store"))
	write(secrets, helmRelease("db", "store", 1, release.StatusSuperseded, "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: superseded-ingress}\n"))
	write(secrets, helmRelease("db", "store", 2, release.StatusDeployed,
		"---\n# Source: db/templates/pdb.yaml\napiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: db}\nspec: {maxUnavailable: 1, selector: {matchLabels: {app: db}}}\n"+
			"---\n# Source: db/templates/backup.yaml\napiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: backup}\n"))
	write(cms, helmRelease("cache", "store", 1, release.StatusDeployed,
		"apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: cache}\nspec: {scaleTargetRef: {kind: Deployment, name: cache}, minReplicas: 2, maxReplicas: 4}\n"))

	// Wait for the disruption controller to judge the fragile app's PDB.
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		p, err := kube.PolicyV1().PodDisruptionBudgets("legacy").Get(ctx, "ledger", metav1.GetOptions{})
		if err == nil && p.Status.ObservedGeneration > 0 && p.Status.ExpectedPods > 0 && p.Status.CurrentHealthy >= p.Status.ExpectedPods {
			break
		}
		time.Sleep(time.Second)
	}

	e := preflight.New(preflight.Options{Target: version.MustParse("1.37.2")})
	s := &Scanner{Config: c.RESTConfig, PageSize: 3, HelmPageSize: 1, Progress: func(m string) { t.Log(m) }}
	st, err := s.Scan(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("scanned %+v", st)
	if st.HelmReleases != 2 || st.ResourceTypes < 30 || st.Objects < 50 {
		t.Errorf("stats %+v: want 2 Helm releases and the whole cluster", st)
	}
	r := e.Report()
	got := map[string][]string{}
	for _, f := range r.Findings {
		k := f.Check + " " + f.Object.Kind + " " + f.Object.Namespace + "/" + f.Object.Name
		got[k] = f.Sources
		if f.Object.Namespace == "store" || f.Object.Namespace == "shop" || f.Object.Namespace == "legacy" || f.Check == preflight.CheckScanIncomplete {
			t.Logf("%s %v: %s", k, f.Sources, f.Message)
		}
	}
	want := map[string]string{
		"replicas-single Deployment store/lonely":                     "cluster",
		"pdb-never-allows-eviction PodDisruptionBudget store/web":     "cluster",
		"api-removed Deployment store/api":                            "cluster:last-applied",
		"last-applied-stale PodDisruptionBudget store/stale":          "cluster:last-applied",
		"api-removed PodDisruptionBudget store/db":                    "helm:db/store",
		"api-removed CronJob store/backup":                            "helm:db/store",
		"api-removed HorizontalPodAutoscaler store/cache":             "helm:cache/store",
		"pdb-never-allows-eviction PodDisruptionBudget legacy/ledger": "cluster",
	}
	for k, src := range want {
		if !strings.Contains(strings.Join(got[k], " "), src) {
			t.Errorf("%s: sources %v, want %s", k, got[k], src)
		}
	}
	for k := range got {
		if strings.Contains(k, "superseded") || strings.HasPrefix(k, "api-removed PodDisruptionBudget store/stale") ||
			strings.HasPrefix(k, "version-") || strings.HasPrefix(k, preflight.CheckScanIncomplete) {
			t.Errorf("unexpected finding %s %v", k, got[k])
		}
	}

	// The same cluster judged for other targets: the version checks.
	for target, wantCheck := range map[string]string{"1.38.0": preflight.CheckVersionSkipMinor, "1.35.0": preflight.CheckVersionDowngrade} {
		e := preflight.New(preflight.Options{Target: version.MustParse(target), Checks: preflight.CheckSet{preflight.GroupVersions: true}})
		if _, err := (&Scanner{Config: c.RESTConfig, Checks: preflight.CheckSet{preflight.GroupVersions: true}}).Scan(ctx, e); err != nil {
			t.Fatal(err)
		}
		var checks []string
		for _, f := range e.Report().Findings {
			checks = append(checks, f.Check)
		}
		sort.Strings(checks)
		if len(checks) == 0 || checks[0] != wantCheck {
			t.Errorf("target %s: got %v, want %s", target, checks, wantCheck)
		}
	}
}

// TestMetricRevealsClientsOfDeprecatedAPIs calls a deprecated API on a
// real 1.37 API server (resource.k8s.io/v1beta1, deprecated in 1.35 and
// served when enabled) and checks that the scan reports it from the
// apiserver_requested_deprecated_apis metric alone: no object of that kind
// exists.
func TestMetricRevealsClientsOfDeprecatedAPIs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	bins, err := toolchain.Cache{}.Ensure(ctx, nil, "1.37.2")
	if err != nil {
		t.Fatal(err)
	}
	s, err := scratch.Start(ctx, scratch.Options{Binaries: bins[0], RuntimeConfig: "resource.k8s.io/v1beta1=true"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	dyn, err := dynamic.NewForConfig(s.Config)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dyn.Resource(schema.GroupVersionResource{Group: "resource.k8s.io", Version: "v1beta1", Resource: "deviceclasses"}).List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	for target, want := range map[string]string{"1.37.2": preflight.CheckAPIDeprecated, "1.38.0": preflight.CheckAPIRemoved} {
		e := preflight.New(preflight.Options{Target: version.MustParse(target), Checks: preflight.CheckSet{preflight.GroupAPIs: true}})
		kube, err := kubernetes.NewForConfig(s.Config)
		if err != nil {
			t.Fatal(err)
		}
		n, err := scanMetric(ctx, kube, e)
		if err != nil || n == 0 {
			t.Fatalf("scanMetric: %d series, %v", n, err)
		}
		found := false
		for _, f := range e.Report().Findings {
			if f.Check == want && f.Object.APIVersion == "resource.k8s.io/v1beta1" && f.Object.Kind == "DeviceClass" && f.Sources[0] == "metric" {
				found = true
				t.Logf("%s: %s", target, f.Message)
			}
		}
		if !found {
			t.Errorf("target %s: no %s for resource.k8s.io/v1beta1 DeviceClass from the metric: %+v", target, want, e.Report().Findings)
		}
	}
}
