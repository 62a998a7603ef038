package strategy_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/azure/armserver"
	"upshift.dev/upshift/internal/fleet"
	"upshift.dev/upshift/internal/provider/aks"
	"upshift.dev/upshift/internal/strategy"
	"upshift.dev/upshift/internal/traffic/azure"
)

// TestBlueGreenOnAKSClonesBlueThroughARM runs a blue-green upgrade whose
// blue is an AKS member: green is created through ARM (the local
// ARM-protocol server) in blue's image, tagged as upshift's, and blue,
// which upshift did not create, is left for its owner to delete.
func TestBlueGreenOnAKSClonesBlueThroughARM(t *testing.T) {
	e := newEnv(t, 0)
	srv := armserver.Start(t, armserver.Options{})
	err := srv.AddCluster(armserver.Cluster{
		Subscription: "sub", ResourceGroup: "shop-rg", Name: "prod", KubernetesVersion: "1.36.3",
		Pools: []armserver.Pool{
			{Name: "system", Mode: "System", Count: 3},
			{Name: "apps", Mode: "User", Count: 6, VMSize: "Standard_D8ds_v5", UpgradeSettings: armserver.UpgradeSettings{MaxSurge: "33%", DrainTimeoutInMinutes: 45}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	provider := func() (*aks.Provider, error) {
		return aks.New(aks.Options{Subscription: "sub", ResourceGroup: "shop-rg", Credential: srv.Credential(), ClientOptions: srv.ClientOptions(), PollInterval: 5 * time.Millisecond})
	}
	e.tools.Resolver = &fleet.ProviderResolver{Hub: e.c, AKS: provider}
	e.tools.Clusters = strategy.ByProvider{v1alpha1.ProviderAKS: &strategy.AKSProvisioner{Provider: provider}}
	e.create(&v1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Name: "prod"},
		Spec: v1alpha1.MemberSpec{Provider: v1alpha1.ProviderAKS, ClusterName: "prod", Group: "prod"}})
	e.create(newBlueGreen("up", func(s *v1alpha1.BlueGreenUpgradeSpec) {
		s.BlueMember = "prod"
		s.Green = v1alpha1.NewClusterSpec{Provider: v1alpha1.ProviderAKS, ClusterName: "prod-green", KubernetesVersion: "1.37.2"}
		s.RetainBlueFor = "1h"
	}))
	r := &strategy.BlueGreenReconciler{Client: e.c, Clock: e.clk, Tools: e.tools}

	e.drive(r, "up", "Baking", phaseIs(e, "up", v1alpha1.BlueGreenBaking))
	green, ok := srv.Cluster("sub", "shop-rg", "prod-green")
	if !ok {
		t.Fatal("green was not created through ARM")
	}
	if want := "BlueGreenUpgrade " + e.ns + "/up"; green.Tags[aks.CreatedForTag] != want || green.CurrentKubernetesVersion != "1.37.2" {
		t.Errorf("green: tag %q (want %q), version %s", green.Tags[aks.CreatedForTag], want, green.CurrentKubernetesVersion)
	}
	apps := green.Pools[0] // sorted by name
	if len(green.Pools) != 2 || apps.Name != "apps" || apps.Count != 6 || apps.VMSize != "Standard_D8ds_v5" ||
		apps.UpgradeSettings.MaxSurge != "33%" || apps.OrchestratorVersion != "1.37.2" || green.Pools[1].Mode != "System" {
		t.Errorf("green's pools are not blue's at 1.37.2: %+v", green.Pools)
	}
	puts := srv.RequestsMatching(armserver.Match{Method: "PUT", Path: "/managedClusters/prod-green"})
	if len(puts) != 1 || puts[0].Header.Get("If-None-Match") != "*" {
		t.Errorf("%d PUTs of green; want one, with If-None-Match: *", len(puts))
	}
	if bg := e.bg("up"); bg.Status.Green.KubernetesVersion != "1.37.2" || len(bg.Status.Green.Pools) != 2 {
		t.Errorf("status.green %+v", bg.Status.Green)
	}

	e.drive(r, "up", "Finished", phaseIs(e, "up", v1alpha1.BlueGreenFinished))
	if _, ok := srv.Cluster("sub", "shop-rg", "prod"); !ok {
		t.Fatal("blue, which upshift did not create, was deleted")
	}
	if msg := e.bg("up").Status.Message; !strings.Contains(msg, "upshift-created-for") {
		t.Errorf("message %q does not say why blue is kept", msg)
	}
	if n := len(srv.RequestsMatching(armserver.Match{Method: "DELETE"})); n != 0 {
		t.Errorf("%d DELETE requests", n)
	}
}

// TestCanaryOnAKSStepsTrafficManagerThroughARM takes a version in on AKS
// end to end over ARM: the canary cluster is a clone of stable's, and
// Traffic Manager's weights go 20/50/100 (800/200, 500/500, then stable
// Disabled) through the ARM server, each judged after the profile's TTL.
func TestCanaryOnAKSStepsTrafficManagerThroughARM(t *testing.T) {
	e := newEnv(t, 0)
	srv := armserver.Start(t, armserver.Options{})
	if err := srv.AddCluster(armserver.Cluster{Subscription: "sub", ResourceGroup: "shop-rg", Name: "prod", KubernetesVersion: "1.36.3",
		Pools: []armserver.Pool{{Name: "system", Mode: "System", Count: 3}}}); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddProfile(armserver.Profile{Subscription: "sub", ResourceGroup: "net-rg", Name: "shop", TTL: 30, Endpoints: []armserver.Endpoint{
		{Type: "ExternalEndpoints", Name: "prod", Target: "prod.shop.example.com", Weight: 1000},
		{Type: "ExternalEndpoints", Name: "prod-canary", Target: "canary.shop.example.com", Weight: 1, Status: "Disabled"},
	}}); err != nil {
		t.Fatal(err)
	}
	provider := func() (*aks.Provider, error) {
		return aks.New(aks.Options{Subscription: "sub", ResourceGroup: "shop-rg", Credential: srv.Credential(), ClientOptions: srv.ClientOptions(), PollInterval: 5 * time.Millisecond})
	}
	e.tools.Resolver = &fleet.ProviderResolver{Hub: e.c, AKS: provider}
	e.tools.Clusters = strategy.ByProvider{v1alpha1.ProviderAKS: &strategy.AKSProvisioner{Provider: provider}}
	e.tools.Routers = &strategy.Routers{Azure: azure.Options{Credential: srv.Credential(), ClientOptions: srv.ClientOptions()}}
	e.create(&v1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Name: "prod"},
		Spec: v1alpha1.MemberSpec{Provider: v1alpha1.ProviderAKS, ClusterName: "prod", Group: "prod"}})
	e.create(newCanary("in", func(s *v1alpha1.CanaryIntakeSpec) {
		s.StableMember = "prod"
		s.Canary = v1alpha1.NewClusterSpec{Provider: v1alpha1.ProviderAKS, ClusterName: "prod-canary", KubernetesVersion: "1.37.2"}
		s.Traffic = v1alpha1.TrafficSpec{Router: v1alpha1.RouterAzureTrafficManager, TrafficManager: &v1alpha1.TrafficManagerRouter{
			Subscription: "sub", ResourceGroup: "net-rg", Profile: "shop",
			Endpoints: []v1alpha1.RouterEndpoint{{Backend: "prod", Type: "ExternalEndpoints", Name: "prod"}, {Backend: "prod-canary", Type: "ExternalEndpoints", Name: "prod-canary"}},
		}}
	}))
	r := &strategy.CanaryReconciler{Client: e.c, Clock: e.clk, Tools: e.tools}

	// The profile as each pass leaves it, without repeats.
	var seen []string
	weights := func() string {
		p, _ := srv.Profile("sub", "net-rg", "shop")
		var parts []string
		for _, ep := range p.Endpoints {
			w := fmt.Sprint(ep.Weight)
			if ep.Status == "Disabled" {
				w = "Disabled"
			}
			parts = append(parts, ep.Name+"="+w)
		}
		return strings.Join(parts, " ")
	}
	e.drive(r, "in", "Promoted", func() bool {
		if w := weights(); len(seen) == 0 || seen[len(seen)-1] != w {
			seen = append(seen, w)
		}
		return e.ci("in").Status.Phase == v1alpha1.CanaryPromoted
	})
	want := "prod=1000 prod-canary=Disabled, prod=800 prod-canary=200, prod=500 prod-canary=500, prod=Disabled prod-canary=1000"
	if got := strings.Join(seen, ", "); got != want {
		t.Errorf("Traffic Manager went\n  %s\nwant\n  %s", got, want)
	}
	ci := e.ci("in")
	for i, s := range ci.Status.Steps {
		if s.Phase != v1alpha1.StepSuccessful || s.FinishedAt.Sub(s.StartedAt.Time) < time.Minute {
			t.Errorf("step %d: %s after %s", i, s.Phase, s.FinishedAt.Sub(s.StartedAt.Time))
		}
	}
	// The bake counts from when the weights have propagated: the profile's
	// 30 s TTL after Traffic Manager accepted them.
	if tr := ci.Status.Traffic; tr.SettledAt.Sub(tr.AppliedAt.Time) != 30*time.Second {
		t.Errorf("traffic applied at %s, settled at %s; want the 30 s TTL between", tr.AppliedAt, tr.SettledAt)
	}
	if c, ok := srv.Cluster("sub", "shop-rg", "prod-canary"); !ok || c.CurrentKubernetesVersion != "1.37.2" {
		t.Errorf("canary cluster %+v", c)
	}
}
