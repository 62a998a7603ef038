package aks

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"upshift.dev/upshift/internal/azure/armserver"
	"upshift.dev/upshift/internal/provider"
)

func TestNodePools(t *testing.T) {
	e := newEnv(t, armserver.Options{}, "1.36.3")
	ctx := t.Context()
	pools, err := e.p.ListNodePools(ctx, "blue")
	if err != nil {
		t.Fatal(err)
	}
	want := provider.NodePool{
		Name: "user", Mode: "User", Count: 5, VMSize: "Standard_D8ds_v5",
		OrchestratorVersion: "1.36.3", CurrentOrchestratorVersion: "1.36.3",
		NodeImageVersion:  "AKSUbuntu-2204gen2containerd-202607.20.0",
		UpgradeSettings:   provider.UpgradeSettings{MaxSurge: "33%", DrainTimeoutInMinutes: 45, NodeSoakDurationInMinutes: 5},
		ProvisioningState: "Succeeded",
	}
	if len(pools) != 2 || pools[0].Name != "system" || pools[1] != want {
		t.Fatalf("ListNodePools = %+v\nwant system, then %+v", pools, want)
	}

	canary := provider.NodePool{Name: "canary", Mode: provider.ModeUser, Count: 2, OrchestratorVersion: "1.36.3",
		UpgradeSettings: provider.UpgradeSettings{MaxSurge: "1", DrainTimeoutInMinutes: 10}}
	if err := e.p.CreateNodePool(ctx, "blue", canary); err != nil {
		t.Fatal(err)
	}
	err = e.p.CreateNodePool(ctx, "blue", canary)
	if !errors.Is(err, provider.ErrConflict) || !strings.Contains(err.Error(), "PreconditionFailed") {
		t.Fatalf("creating an existing pool = %v; want ErrConflict", err)
	}
	got := e.cluster(t).Pools
	if len(got) != 3 || got[0].Name != "canary" || got[0].Count != 2 || got[0].UpgradeSettings.MaxSurge != "1" || got[0].UpgradeSettings.DrainTimeoutInMinutes != 10 {
		t.Fatalf("server pools after create = %+v", got)
	}

	img, err := e.p.LatestNodeImage(ctx, "blue", "user")
	if err != nil || img != "AKSUbuntu-2204gen2containerd-202608.03.0" {
		t.Fatalf("LatestNodeImage = %q, %v", img, err)
	}
	if err := e.p.SetPoolTarget(ctx, "blue", "user", provider.NodeTarget{KubernetesVersion: "1.36.3"}); err != nil {
		t.Fatalf("SetPoolTarget to where the pool is: %v", err)
	}
	err = e.p.SetPoolTarget(ctx, "blue", "user", provider.NodeTarget{KubernetesVersion: "1.37.2"})
	if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "ManagedUpgrader") {
		t.Fatalf("SetPoolTarget to a new version = %v; want ErrUnsupported naming ManagedUpgrader", err)
	}

	if err := e.p.DeleteNodePool(ctx, "blue", "canary"); err != nil {
		t.Fatal(err)
	}
	if err := e.p.DeleteNodePool(ctx, "blue", "canary"); err != nil {
		t.Fatalf("deleting a deleted pool: %v", err)
	}
	err = e.p.DeleteNodePool(ctx, "blue", "system")
	if err == nil || !strings.Contains(err.Error(), "only System pool") {
		t.Fatalf("deleting the only System pool = %v", err)
	}
	if _, err := e.p.ListNodePools(ctx, "rg/green"); !errors.Is(err, provider.ErrNotFound) {
		t.Fatalf("ListNodePools(green) = %v; want ErrNotFound", err)
	}
}

func TestUpgradePoolKubernetesVersion(t *testing.T) {
	e := newEnv(t, armserver.Options{}, "1.36.3")
	ctx := t.Context()
	settings := &provider.UpgradeSettings{MaxSurge: "50%", DrainTimeoutInMinutes: 60, NodeSoakDurationInMinutes: 10}

	// A pool cannot pass the control plane: ARM says so.
	err := e.p.UpgradePool(ctx, "blue", "user", PoolUpgrade{KubernetesVersion: "1.37.2", Settings: settings})
	if err == nil || !strings.Contains(err.Error(), "newer than the control plane") || !strings.Contains(err.Error(), "InvalidParameter") {
		t.Fatalf("pool upgrade past the control plane = %v", err)
	}
	if err := e.p.UpgradeControlPlane(ctx, "blue", "1.37.2"); err != nil {
		t.Fatal(err)
	}
	if err := e.p.UpgradePool(ctx, "blue", "user", PoolUpgrade{KubernetesVersion: "1.37.2", Settings: settings}); err != nil {
		t.Fatal(err)
	}
	p := e.cluster(t).Pools[1]
	wantSettings := armserver.UpgradeSettings{MaxSurge: "50%", DrainTimeoutInMinutes: 60, NodeSoakDurationInMinutes: 10}
	if p.CurrentOrchestratorVersion != "1.37.2" || p.NodeImageVersion != "AKSUbuntu-2204gen2containerd-202608.03.0" || p.UpgradeSettings != wantSettings {
		t.Fatalf("pool after upgrade = %+v", p)
	}
	puts := e.srv.RequestsMatching(armserver.Match{Method: "PUT", Path: "/agentPools/user"})
	last := puts[len(puts)-1]
	var body struct {
		Properties struct {
			OrchestratorVersion string         `json:"orchestratorVersion"`
			UpgradeSettings     map[string]any `json:"upgradeSettings"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(last.Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Properties.OrchestratorVersion != "1.37.2" || body.Properties.UpgradeSettings["maxSurge"] != "50%" ||
		body.Properties.UpgradeSettings["drainTimeoutInMinutes"] != 60.0 || body.Properties.UpgradeSettings["nodeSoakDurationInMinutes"] != 10.0 {
		t.Fatalf("agent pool PUT body = %s", last.Body)
	}
	if last.Header.Get("If-Match") == "" {
		t.Error("the agent pool PUT was sent without If-Match")
	}
	n := len(e.srv.Requests())
	if err := e.p.UpgradePool(ctx, "blue", "user", PoolUpgrade{KubernetesVersion: "1.37.2", Settings: settings}); err != nil {
		t.Fatal(err)
	}
	if extra := e.srv.Requests()[n:]; len(extra) != 1 || extra[0].Method != "GET" {
		t.Errorf("a repeated upgrade sent %d requests; want one GET", len(extra))
	}
}

func TestUpgradePoolNodeImage(t *testing.T) {
	e := newEnv(t, armserver.Options{}, "1.36.3")
	ctx := t.Context()
	if err := e.p.UpgradePool(ctx, "blue", "user", PoolUpgrade{NodeImageOnly: true}); err != nil {
		t.Fatal(err)
	}
	p := e.cluster(t).Pools[1]
	if p.NodeImageVersion != "AKSUbuntu-2204gen2containerd-202608.03.0" || p.CurrentOrchestratorVersion != "1.36.3" {
		t.Fatalf("pool after node image upgrade = %+v", p)
	}
	if n := len(e.srv.RequestsMatching(armserver.Match{Method: "POST", Path: "/agentPools/user/upgradeNodeImageVersion"})); n != 1 {
		t.Fatalf("%d upgradeNodeImageVersion calls, want 1", n)
	}
	if n := len(e.srv.RequestsMatching(armserver.Match{Method: "PUT", Path: "/agentPools/user"})); n != 0 {
		t.Fatalf("%d agent pool PUTs for a node image upgrade without new settings, want 0", n)
	}

	e.srv.FailNextOperation("DrainTimeout", "drain of node aks-user-0 exceeded drainTimeoutInMinutes (45)")
	if err := e.srv.SetLatestNodeImage("sub", "rg", "blue", "user", "AKSUbuntu-2204gen2containerd-202608.10.0"); err != nil {
		t.Fatal(err)
	}
	err := e.p.UpgradePool(ctx, "blue", "user", PoolUpgrade{NodeImageOnly: true})
	if err == nil || !strings.Contains(err.Error(), `upgrade agent pool "user" of AKS cluster aks://sub/rg/blue to node image`) || !strings.Contains(err.Error(), "DrainTimeout: drain of node aks-user-0") {
		t.Fatalf("failed node image upgrade = %v", err)
	}
}

func TestUpgradePoolRefusesWhatTheAPICannotCarry(t *testing.T) {
	e := newEnv(t, armserver.Options{}, "1.36.3")
	for _, tc := range []struct {
		u    PoolUpgrade
		want string
	}{
		{PoolUpgrade{NodeImageOnly: true, Settings: &provider.UpgradeSettings{MaxUnavailable: "1"}}, "upgradeSettings.maxUnavailable \"1\" is not in AKS API 2025-02-01"},
		{PoolUpgrade{NodeImageOnly: true, Settings: &provider.UpgradeSettings{UndrainableNodeBehavior: "Cordon"}}, "undrainableNodeBehavior"},
		{PoolUpgrade{NodeImageOnly: true, Settings: &provider.UpgradeSettings{DrainTimeoutInMinutes: 2000}}, "use 1..1440"},
		{PoolUpgrade{}, "set exactly one of KubernetesVersion and NodeImageOnly"},
		{PoolUpgrade{KubernetesVersion: "1.37.2", NodeImageOnly: true}, "set exactly one"},
	} {
		err := e.p.UpgradePool(t.Context(), "blue", "user", tc.u)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("UpgradePool(%+v) = %v; want %q", tc.u, err, tc.want)
		}
	}
	if n := len(e.srv.Requests()); n != 0 {
		t.Errorf("refused upgrades sent %d requests", n)
	}
}
