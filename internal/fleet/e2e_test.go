package fleet_test

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/controller"
	"upshift.dev/upshift/internal/fleet"
	"upshift.dev/upshift/internal/localfleet"
	"upshift.dev/upshift/internal/localfleet/fleettest"
	"upshift.dev/upshift/internal/provider"
)

// TestRealMembersFragileFailsThenRetry runs an update run over real local
// clusters: dev carries the fragile app, whose PDB never allows an
// eviction, so with undrainableNodeBehavior Schedule its node pool upgrade
// fails after the drain timeout and fails the run before prod starts. Once
// the PDB is fixed, a retry finishes dev and the run goes on to prod.
func TestRealMembersFragileFailsThenRetry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fast := localfleet.Delays{PodStart: 300 * time.Millisecond, PodStop: 200 * time.Millisecond, NodeReady: 300 * time.Millisecond}
	hubSpec := fleettest.Options{KubernetesVersion: "1.36.3"}.Spec("hub")
	dev := fleettest.Options{KubernetesVersion: "1.36.3", Nodes: 2, SampleApps: true, FragileApp: true, Delays: fast}.Spec("dev")
	prod := fleettest.Options{KubernetesVersion: "1.36.3", Nodes: 2, SampleApps: true, Delays: fast}.Spec("prod")
	f := fleettest.StartFleet(t, hubSpec, dev, prod)
	for _, m := range []string{"dev", "prod"} {
		for _, pool := range []string{"system", "apps"} {
			if err := f.SetUpgradeSettings(ctx, m, pool, provider.UpgradeSettings{MaxSurge: "1", DrainTimeoutInMinutes: 1, UndrainableNodeBehavior: "Schedule"}); err != nil {
				t.Fatal(err)
			}
		}
	}

	h := &hub{cfg: f.Clusters["hub"].RESTConfig}
	if err := controller.Install(ctx, h.cfg); err != nil {
		t.Fatal(err)
	}
	var err error
	if h.client, err = client.New(h.cfg, client.Options{Scheme: scheme()}); err != nil {
		t.Fatal(err)
	}
	if err := fleet.EnsureNamespace(ctx, h.client, ns); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"dev", "prod"} {
		kc, err := f.Kubeconfig(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fleet.Join(ctx, h.client, fleet.Membership{Namespace: ns, Name: m, Group: m, Provider: v1alpha1.ProviderLocal, Cluster: m, Kubeconfig: kc}); err != nil {
			t.Fatal(err)
		}
	}
	mgr, err := controller.NewManager(h.cfg, controller.Options{LocalFleetDir: f.Dir, SeveralPerProcess: true})
	if err != nil {
		t.Fatal(err)
	}
	runMgr(t, mgr)

	if err := h.client.Create(ctx, newRun("real", stages("dev", "prod"))); err != nil {
		t.Fatal(err)
	}
	run := h.waitRun(t, "real", 6*time.Minute, "Failed on dev's fragile app", stateIs(v1alpha1.StateFailed))
	for _, want := range []string{"dev", "legacy/ledger"} {
		if !strings.Contains(run.Status.Error+describe(run), want) {
			t.Errorf("the failure does not name %q:\n%s\n%s", want, run.Status.Error, describe(run))
		}
	}
	if run.Status.Stages[1].State != v1alpha1.StateNotStarted {
		t.Fatalf("prod started although dev failed")
	}

	// The fix: a PDB that allows one disruption. Then retry dev.
	c := f.Clusters["dev"].Client
	if err := c.PolicyV1().PodDisruptionBudgets("legacy").Delete(ctx, "ledger", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	h.update(t, "real", func(r *v1alpha1.UpdateRun) {
		r.Spec.Retries = []v1alpha1.MemberRetry{{Member: "dev", Attempt: 2}}
	})
	run = h.waitRun(t, "real", 6*time.Minute, "Completed after the retry", stateIs(v1alpha1.StateCompleted))
	for _, m := range []string{"dev", "prod"} {
		cl, err := f.GetCluster(ctx, m)
		if err != nil || cl.KubernetesVersion != "1.37.2" {
			t.Errorf("%s control plane at %s (%v), want 1.37.2", m, cl.KubernetesVersion, err)
		}
		pools, _ := f.ListNodePools(ctx, m)
		for _, p := range pools {
			if p.CurrentOrchestratorVersion != "1.37.2" || p.NodeImageVersion != localfleet.LatestNodeImage() {
				t.Errorf("%s pool %s at %s/%s", m, p.Name, p.CurrentOrchestratorVersion, p.NodeImageVersion)
			}
		}
	}
}

func runMgr(t *testing.T, mgr ctrl.Manager) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}
