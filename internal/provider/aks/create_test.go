package aks

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"upshift.dev/upshift/internal/azure/armserver"
	"upshift.dev/upshift/internal/provider"
)

// blueProperties are what a production cluster carries beyond what the
// server models: the clone must take them along, minus what is the old
// cluster's own.
const blueProperties = `{
  "nodeResourceGroup": "MC_rg_blue_eastus",
  "enableRBAC": true,
  "networkProfile": {"networkPlugin": "azure", "networkPluginMode": "overlay", "podCidr": "192.168.0.0/16",
    "loadBalancerProfile": {"outboundIPs": {"publicIPs": [{"id": "/subscriptions/sub/resourceGroups/net/providers/Microsoft.Network/publicIPAddresses/egress-1"}, {"id": "/subscriptions/sub/resourceGroups/net/providers/Microsoft.Network/publicIPAddresses/egress-2"}]},
      "effectiveOutboundIPs": [{"id": "/subscriptions/sub/resourceGroups/net/providers/Microsoft.Network/publicIPAddresses/egress-1"}]}},
  "addonProfiles": {"azureKeyvaultSecretsProvider": {"enabled": true, "config": {"enableSecretRotation": "true"},
    "identity": {"resourceId": "/subscriptions/sub/resourceGroups/MC_rg_blue_eastus/providers/Microsoft.ManagedIdentity/userAssignedIdentities/kv", "clientId": "c1", "objectId": "o1"}}},
  "oidcIssuerProfile": {"enabled": true, "issuerURL": "https://eastus.oic.prod-aks.azure.com/tenant/blue/"},
  "identityProfile": {"kubeletidentity": {"resourceId": "/subscriptions/sub/resourceGroups/MC_rg_blue_eastus/providers/Microsoft.ManagedIdentity/userAssignedIdentities/blue-agentpool", "clientId": "c2", "objectId": "o2"}},
  "autoUpgradeProfile": {"upgradeChannel": "patch", "nodeOSUpgradeChannel": "NodeImage"},
  "servicePrincipalProfile": {"clientId": "msi"}
}`

func seedProduction(t *testing.T, e *env, name string, tags map[string]string, state string) {
	t.Helper()
	err := e.srv.AddCluster(armserver.Cluster{
		Subscription: "sub", ResourceGroup: "rg", Name: name, KubernetesVersion: "1.36.3", ProvisioningState: state,
		Tags:       tags,
		Identity:   json.RawMessage(`{"type": "UserAssigned", "userAssignedIdentities": {"/subscriptions/sub/resourceGroups/id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/cp": {"clientId": "c0", "principalId": "p0"}}}`),
		SKU:        json.RawMessage(`{"name": "Base", "tier": "Standard"}`),
		Properties: json.RawMessage(blueProperties),
		Pools: []armserver.Pool{
			{Name: "system", Mode: "System", Count: 3, Properties: json.RawMessage(`{"vnetSubnetID": "/subscriptions/sub/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v/subnets/nodes", "availabilityZones": ["1", "2", "3"]}`)},
			{Name: "apps", Mode: "User", Count: 5, VMSize: "Standard_D8ds_v5", UpgradeSettings: armserver.UpgradeSettings{MaxSurge: "33%", DrainTimeoutInMinutes: 45},
				Properties: json.RawMessage(`{"vnetSubnetID": "/subscriptions/sub/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v/subnets/nodes", "nodeLabels": {"tier": "web"}, "nodeTaints": ["dedicated=web:NoSchedule"]}`)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func props(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	var m map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func TestCloneClusterCarriesTheOldClustersSettings(t *testing.T) {
	e := newEnv(t, armserver.Options{}, "1.36.3")
	seedProduction(t, e, "prod", map[string]string{"team": "shop"}, "")
	var notes []string
	c, err := e.p.CloneCluster(context.Background(), CloneSpec{Name: "prod-green", From: "prod", KubernetesVersion: "1.37.2",
		For: "BlueGreenUpgrade upshift-system/shop", Progress: func(s string) { notes = append(notes, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if c.KubernetesVersion != "1.37.2" || c.ProvisioningState != "Succeeded" || c.Location != "eastus" {
		t.Errorf("created %+v", c)
	}
	puts := e.srv.RequestsMatching(armserver.Match{Method: "PUT", Path: "/managedClusters/prod-green"})
	if len(puts) != 1 || puts[0].Header.Get("If-None-Match") != "*" {
		t.Fatalf("want one PUT with If-None-Match: *, got %d", len(puts))
	}
	green, ok := e.srv.Cluster("sub", "rg", "prod-green")
	if !ok {
		t.Fatal("no cluster prod-green on the server")
	}
	if green.Tags["team"] != "shop" || green.Tags[CreatedForTag] != "BlueGreenUpgrade upshift-system/shop" {
		t.Errorf("tags %v", green.Tags)
	}
	if !strings.Contains(string(green.Identity), `"type":"UserAssigned"`) || strings.Contains(string(green.Identity), "c0") || !strings.Contains(string(green.SKU), "Standard") {
		t.Errorf("identity %s, sku %s", green.Identity, green.SKU)
	}
	p := props(t, green.Properties)
	net := p["networkProfile"].(map[string]any)
	lb := net["loadBalancerProfile"].(map[string]any)
	if net["networkPluginMode"] != "overlay" || lb["outboundIPs"] != nil || lb["effectiveOutboundIPs"] != nil ||
		lb["managedOutboundIPs"].(map[string]any)["count"] != 2.0 {
		t.Errorf("networkProfile %v", net)
	}
	kv := p["addonProfiles"].(map[string]any)["azureKeyvaultSecretsProvider"].(map[string]any)
	if kv["enabled"] != true || kv["identity"] != nil {
		t.Errorf("add-on %v", kv)
	}
	if p["nodeResourceGroup"] != nil || p["identityProfile"] != nil || p["oidcIssuerProfile"].(map[string]any)["issuerURL"] != nil ||
		p["autoUpgradeProfile"].(map[string]any)["upgradeChannel"] != "patch" || p["enableRBAC"] != true {
		t.Errorf("properties %v", p)
	}
	if len(green.Pools) != 2 {
		t.Fatalf("pools %+v", green.Pools)
	}
	for _, pl := range green.Pools {
		pp := props(t, pl.Properties)
		if pl.OrchestratorVersion != "1.37.2" || !strings.HasSuffix(pp["vnetSubnetID"].(string), "/subnets/nodes") {
			t.Errorf("pool %s: version %s, properties %v", pl.Name, pl.OrchestratorVersion, pp)
		}
		if pl.Name == "apps" && (pl.Count != 5 || pl.VMSize != "Standard_D8ds_v5" || pl.UpgradeSettings.MaxSurge != "33%" || pp["nodeLabels"] == nil || pp["nodeTaints"] == nil) {
			t.Errorf("apps pool %+v %v", pl, pp)
		}
	}
	if !strings.Contains(strings.Join(notes, "\n"), "2 managed outbound IPs instead") {
		t.Errorf("no note about the outbound IPs: %q", notes)
	}
}

func TestCloneClusterWithOtherPools(t *testing.T) {
	e := newEnv(t, armserver.Options{}, "1.36.3")
	_, err := e.p.CloneCluster(context.Background(), CloneSpec{Name: "small", From: "blue", KubernetesVersion: "1.37.2",
		Pools: []provider.NodePool{{Name: "sys", Mode: "System", Count: 1}, {Name: "web", Mode: "User", Count: 2, VMSize: "Standard_D2ds_v5"}}})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := e.srv.Cluster("sub", "rg", "small")
	if len(c.Pools) != 2 || c.Pools[0].Name != "sys" || c.Pools[0].Count != 1 || c.Pools[1].VMSize != "Standard_D2ds_v5" || c.Pools[1].UpgradeSettings.MaxSurge != "33%" {
		t.Errorf("pools %+v", c.Pools)
	}
	_, err = e.p.CloneCluster(context.Background(), CloneSpec{Name: "nosys", From: "blue", KubernetesVersion: "1.37.2",
		Pools: []provider.NodePool{{Name: "web", Mode: "User", Count: 2}}})
	if err == nil || !strings.Contains(err.Error(), "no System pool") {
		t.Errorf("no system pool: %v", err)
	}
}

func TestCloneClusterResumesAndNeverOverwrites(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, armserver.Options{}, "1.36.3")
	spec := CloneSpec{Name: "green", From: "blue", KubernetesVersion: "1.37.2", For: "test"}
	if _, err := e.p.CloneCluster(ctx, spec); err != nil {
		t.Fatal(err)
	}
	// Again, as after a restart: the finished cluster is taken as it is.
	if c, err := e.p.CloneCluster(ctx, spec); err != nil || c.KubernetesVersion != "1.37.2" {
		t.Fatalf("second call: %+v %v", c, err)
	}
	if n := len(e.srv.RequestsMatching(armserver.Match{Method: "PUT", Path: "/managedClusters/green"})); n != 1 {
		t.Errorf("%d PUTs of green, want 1", n)
	}

	// Someone else's cluster of that name is never touched.
	_, err := e.p.CloneCluster(ctx, CloneSpec{Name: "blue", From: "blue", KubernetesVersion: "1.37.2"})
	if !errors.Is(err, ErrNotCreatedByUpshift) {
		t.Errorf("cloning onto an existing cluster: %v", err)
	}

	// One that failed in an earlier attempt is deleted and made again.
	seedProduction(t, e, "broken", map[string]string{CreatedForTag: "test"}, "Failed")
	e.srv.ResetRequests()
	if _, err := e.p.CloneCluster(ctx, CloneSpec{Name: "broken", From: "blue", KubernetesVersion: "1.37.2"}); err != nil {
		t.Fatal(err)
	}
	var methods []string
	for _, r := range e.srv.RequestsMatching(armserver.Match{Path: "/managedClusters/broken"}) {
		if r.Method != "GET" {
			methods = append(methods, r.Method)
		}
	}
	if strings.Join(methods, ",") != "DELETE,PUT" {
		t.Errorf("requests %v, want DELETE then PUT", methods)
	}
}

func TestCloneClusterFailedOperation(t *testing.T) {
	e := newEnv(t, armserver.Options{}, "1.36.3")
	e.srv.FailNextOperation("QuotaExceeded", "Operation could not be completed as it results in exceeding approved standardDDSv5Family Cores quota.")
	_, err := e.p.CloneCluster(context.Background(), CloneSpec{Name: "green", From: "blue", KubernetesVersion: "1.37.2"})
	if err == nil || !strings.Contains(err.Error(), "QuotaExceeded") || !strings.Contains(err.Error(), "create AKS cluster") {
		t.Fatalf("got %v, want the failed operation with ARM's code", err)
	}
	c, _ := e.srv.Cluster("sub", "rg", "green")
	if c.ProvisioningState != "Failed" {
		t.Errorf("green is %s", c.ProvisioningState)
	}
}

func TestCloneClusterRefusesWhatItCannotCopy(t *testing.T) {
	for name, extra := range map[string]string{
		"service principal": `{"servicePrincipalProfile": {"clientId": "11111111-2222-3333-4444-555555555555"}}`,
		"windows":           `{"windowsProfile": {"adminUsername": "azureuser"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, armserver.Options{}, "1.36.3")
			if err := e.srv.AddCluster(armserver.Cluster{Subscription: "sub", ResourceGroup: "rg", Name: "old", KubernetesVersion: "1.36.3",
				Pools: []armserver.Pool{{Name: "system", Mode: "System", Count: 1}}, Properties: json.RawMessage(extra)}); err != nil {
				t.Fatal(err)
			}
			_, err := e.p.CloneCluster(context.Background(), CloneSpec{Name: "new", From: "old", KubernetesVersion: "1.37.2"})
			if err == nil || !strings.Contains(err.Error(), "does not return") {
				t.Fatalf("got %v", err)
			}
			if _, ok := e.srv.Cluster("sub", "rg", "new"); ok {
				t.Error("a cluster was created")
			}
		})
	}
}

func TestDeleteClusterOnlyDeletesItsOwn(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, armserver.Options{}, "1.36.3")
	if err := e.p.DeleteCluster(ctx, "blue"); !errors.Is(err, ErrNotCreatedByUpshift) {
		t.Errorf("deleting blue: %v", err)
	}
	if _, ok := e.srv.Cluster("sub", "rg", "blue"); !ok {
		t.Fatal("blue was deleted")
	}
	if _, err := e.p.CloneCluster(ctx, CloneSpec{Name: "green", From: "blue", KubernetesVersion: "1.37.2"}); err != nil {
		t.Fatal(err)
	}
	if err := e.p.DeleteCluster(ctx, "green"); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.srv.Cluster("sub", "rg", "green"); ok {
		t.Error("green is still there")
	}
	if err := e.p.DeleteCluster(ctx, "green"); err != nil {
		t.Errorf("deleting a cluster that is gone: %v", err)
	}
}
