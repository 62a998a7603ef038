package strategy_test

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/azure/armserver"
	"upshift.dev/upshift/internal/fleet"
	"upshift.dev/upshift/internal/provider/aks"
	"upshift.dev/upshift/internal/strategy"
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
