package aks

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"upshift.dev/upshift/internal/azure/armclient"
	"upshift.dev/upshift/internal/azure/armserver"
	"upshift.dev/upshift/internal/provider"
)

const kubeconfig = "apiVersion: v1\nkind: Config\ncurrent-context: blue\n"

// env is a provider talking to a local ARM server seeded with cluster
// aks://sub/rg/blue at 1.36.3 with a System and a User pool.
type env struct {
	srv *armserver.Server
	p   *Provider
	// polls records OnPoll calls.
	mu    sync.Mutex
	polls []string
}

func newEnv(t *testing.T, o armserver.Options, version string) *env {
	t.Helper()
	srv := armserver.Start(t, o)
	err := srv.AddCluster(armserver.Cluster{
		Subscription: "sub", ResourceGroup: "rg", Name: "blue", KubernetesVersion: version,
		Kubeconfig: []byte(kubeconfig),
		Pools: []armserver.Pool{
			{Name: "system", Mode: "System", Count: 3},
			{Name: "user", Mode: "User", Count: 5, VMSize: "Standard_D8ds_v5",
				NodeImageVersion: "AKSUbuntu-2204gen2containerd-202607.20.0", LatestNodeImageVersion: "AKSUbuntu-2204gen2containerd-202608.03.0",
				UpgradeSettings: armserver.UpgradeSettings{MaxSurge: "33%", DrainTimeoutInMinutes: 45, NodeSoakDurationInMinutes: 5}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{srv: srv}
	e.p, err = New(Options{
		Subscription: "sub", ResourceGroup: "rg",
		Credential: srv.Credential(), ClientOptions: srv.ClientOptions(),
		PollInterval: 5 * time.Millisecond,
		OnPoll: func(op, status string, _ time.Duration) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.polls = append(e.polls, op+": "+status)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) cluster(t *testing.T) armserver.Cluster {
	t.Helper()
	c, ok := e.srv.Cluster("sub", "rg", "blue")
	if !ok {
		t.Fatal("cluster blue is gone from the server")
	}
	return c
}

// waitFor polls cond for up to five seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestParseClusterRef(t *testing.T) {
	want := ClusterRef{Subscription: "0000-1111", ResourceGroup: "prod-rg", Name: "aks-blue"}
	for _, tc := range []struct {
		in, sub, rg string
		want        ClusterRef
		err         string
	}{
		{in: "aks://0000-1111/prod-rg/aks-blue", want: want},
		{in: "/subscriptions/0000-1111/resourceGroups/prod-rg/providers/Microsoft.ContainerService/managedClusters/aks-blue", want: want},
		{in: "prod-rg/aks-blue", sub: "0000-1111", want: want},
		{in: "aks-blue", sub: "0000-1111", rg: "prod-rg", want: want},
		{in: "aks-blue", rg: "prod-rg", err: "no subscription"},
		{in: "aks-blue", sub: "0000-1111", err: "no resource group"},
		{in: "aks://a/b", err: "three parts"},
		{in: "/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/trafficmanagerprofiles/tm", err: "not a Microsoft.ContainerService/managedClusters"},
		{in: "rg/-bad-", sub: "s", err: "not an AKS cluster name"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseClusterRef(tc.in, tc.sub, tc.rg)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
			if back, err := ParseClusterRef(got.String(), "", ""); err != nil || back != got {
				t.Fatalf("String() %q does not parse back: %+v, %v", got.String(), back, err)
			}
		})
	}
}

func TestGetClusterAndUpgrades(t *testing.T) {
	e := newEnv(t, armserver.Options{}, "1.36.3")
	ctx := t.Context()
	c, err := e.p.GetCluster(ctx, "blue")
	if err != nil {
		t.Fatal(err)
	}
	if c.KubernetesVersion != "1.36.3" || c.ProvisioningState != "Succeeded" || c.Location != "eastus" {
		t.Fatalf("GetCluster = %+v", c)
	}
	ups, err := e.p.AvailableUpgrades(ctx, "aks://sub/rg/blue")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ups, ",") != "1.37.1,1.37.2" {
		t.Fatalf("AvailableUpgrades = %v, want [1.37.1 1.37.2]", ups)
	}
	for _, r := range e.srv.Requests() {
		if r.APIVersion != armserver.ContainerServiceAPIVersion || r.Header.Get("Authorization") != "Bearer "+armserver.DefaultToken {
			t.Errorf("%s %s: api-version %q, Authorization %q", r.Method, r.Path, r.APIVersion, r.Header.Get("Authorization"))
		}
	}
	kc, err := e.p.Kubeconfig(ctx, "blue")
	if err != nil || string(kc) != kubeconfig {
		t.Fatalf("Kubeconfig = %q, %v; want the seeded one", kc, err)
	}
	_, err = e.p.GetCluster(ctx, "green")
	if !errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "ResourceNotFound") || !strings.Contains(err.Error(), "aks://sub/rg/green") {
		t.Fatalf("GetCluster(green) = %v; want ErrNotFound naming the cluster and ARM's code", err)
	}
}

func TestThrottledCallSucceedsAfterRetryAfter(t *testing.T) {
	e := newEnv(t, armserver.Options{}, "1.36.3")
	e.srv.Throttle(armserver.Match{Method: "GET", Path: "/managedClusters/blue"}, 1, time.Second)
	if _, err := e.p.GetCluster(t.Context(), "blue"); err != nil {
		t.Fatalf("GetCluster after a 429: %v", err)
	}
	rs := e.srv.RequestsMatching(armserver.Match{Method: "GET", Path: "/managedClusters/blue"})
	if len(rs) != 2 || rs[0].Status != 429 || rs[1].Status != 200 {
		t.Fatalf("requests = %d (%v), want a 429 then a 200", len(rs), statuses(rs))
	}
	if gap := rs[1].At.Sub(rs[0].At); gap < time.Second {
		t.Fatalf("retried after %v; Retry-After said 1s", gap)
	}
}

// clusterPUTs counts PUTs of the managed cluster itself (not its pools).
func clusterPUTs(srv *armserver.Server) int {
	n := 0
	for _, r := range srv.RequestsMatching(armserver.Match{Method: "PUT"}) {
		if strings.HasSuffix(strings.ToLower(r.Path), "/managedclusters/blue") {
			n++
		}
	}
	return n
}

func statuses(rs []armserver.Request) []int {
	var out []int
	for _, r := range rs {
		out = append(out, r.Status)
	}
	return out
}

func TestUpgradeControlPlaneOnly(t *testing.T) {
	e := newEnv(t, armserver.Options{LROPolls: 3}, "1.36.3")
	ctx := t.Context()
	e.srv.HoldOperations()
	done := make(chan error, 1)
	go func() { done <- e.p.UpgradeControlPlane(ctx, "blue", "1.37.2") }()
	waitFor(t, "the managed cluster PUT", func() bool { return clusterPUTs(e.srv) == 1 })

	// While upgrading, the control plane still runs the old version, and
	// AKS refuses other writes with 409 OperationNotAllowed.
	c := e.cluster(t)
	if c.ProvisioningState != "Upgrading" || c.CurrentKubernetesVersion != "1.36.3" || c.KubernetesVersion != "1.37.2" {
		t.Fatalf("during the upgrade: state %s, current %s, asked %s", c.ProvisioningState, c.CurrentKubernetesVersion, c.KubernetesVersion)
	}
	err := e.p.CreateNodePool(ctx, "blue", provider.NodePool{Name: "extra", Count: 1})
	if !errors.Is(err, provider.ErrConflict) || !strings.Contains(err.Error(), "OperationNotAllowed") || !strings.Contains(err.Error(), `create agent pool "extra"`) {
		t.Fatalf("CreateNodePool during an upgrade = %v; want ErrConflict with OperationNotAllowed", err)
	}
	e.srv.ReleaseOperations()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	c = e.cluster(t)
	if c.CurrentKubernetesVersion != "1.37.2" || c.ProvisioningState != "Succeeded" {
		t.Fatalf("after the upgrade: %+v", c)
	}
	for _, p := range c.Pools {
		if p.CurrentOrchestratorVersion != "1.36.3" || p.OrchestratorVersion != "1.36.3" {
			t.Errorf("pool %s moved to %s/%s; a control-plane-only upgrade must not touch pools", p.Name, p.OrchestratorVersion, p.CurrentOrchestratorVersion)
		}
	}
	put := e.srv.RequestsMatching(armserver.Match{Method: "PUT", Path: "/managedClusters/blue"})[0]
	if put.Header.Get("If-Match") == "" {
		t.Error("the PUT was sent without If-Match")
	}
	var body struct {
		Properties struct {
			KubernetesVersion string `json:"kubernetesVersion"`
			AgentPoolProfiles []struct {
				Name                string `json:"name"`
				OrchestratorVersion string `json:"orchestratorVersion"`
			} `json:"agentPoolProfiles"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(put.Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Properties.KubernetesVersion != "1.37.2" || len(body.Properties.AgentPoolProfiles) != 2 {
		t.Fatalf("PUT body = %s", put.Body)
	}
	for _, ap := range body.Properties.AgentPoolProfiles {
		if ap.OrchestratorVersion != "1.36.3" {
			t.Errorf("PUT sent pool %s at %q; want its own 1.36.3", ap.Name, ap.OrchestratorVersion)
		}
	}
	if len(e.srv.RequestsMatching(armserver.Match{Method: "GET", Path: "/operations/"})) < 3 {
		t.Error("the operation status was not polled")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.polls) == 0 || !strings.Contains(e.polls[0], "control plane to 1.37.2: InProgress") {
		t.Errorf("OnPoll calls = %q", e.polls)
	}

	// Again: nothing to do, no PUT.
	if err := e.p.UpgradeControlPlane(ctx, "blue", "1.37.2"); err != nil {
		t.Fatal(err)
	}
	if n := clusterPUTs(e.srv); n != 1 {
		t.Errorf("%d PUTs of the cluster after a repeated upgrade, want 1", n)
	}
}

func TestUpgradeControlPlaneRefusesSkippedMinor(t *testing.T) {
	e := newEnv(t, armserver.Options{}, "1.35.4")
	err := e.p.UpgradeControlPlane(t.Context(), "blue", "1.37.2")
	if err == nil || !strings.Contains(err.Error(), "InvalidParameter") || !strings.Contains(err.Error(), "minor versions cannot be skipped") {
		t.Fatalf("err = %v; want ARM's 400 InvalidParameter about skipped minors", err)
	}
	if got := e.cluster(t).CurrentKubernetesVersion; got != "1.35.4" {
		t.Fatalf("version moved to %s", got)
	}
}

func TestUpgradeControlPlaneFailedOperation(t *testing.T) {
	e := newEnv(t, armserver.Options{}, "1.36.3")
	ctx := t.Context()
	e.srv.FailNextOperation("UpgradeFailed", "Drain of node aks-user-12345-vmss000001 did not complete: pods blocked by PodDisruptionBudget default/web")
	err := e.p.UpgradeControlPlane(ctx, "blue", "1.37.2")
	var ae *armclient.Error
	if !errors.As(err, &ae) || !ae.LRO {
		t.Fatalf("err = %v; want an *armclient.Error for a failed long-running operation", err)
	}
	for _, want := range []string{"upgrade AKS cluster aks://sub/rg/blue control plane to 1.37.2", "long-running operation failed", "UpgradeFailed", "PodDisruptionBudget default/web"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	c := e.cluster(t)
	if c.ProvisioningState != "Failed" || c.CurrentKubernetesVersion != "1.36.3" {
		t.Fatalf("after the failure: state %s, current %s", c.ProvisioningState, c.CurrentKubernetesVersion)
	}
	// Running the upgrade again resumes it.
	if err := e.p.UpgradeControlPlane(ctx, "blue", "1.37.2"); err != nil {
		t.Fatal(err)
	}
	if c := e.cluster(t); c.CurrentKubernetesVersion != "1.37.2" || c.ProvisioningState != "Succeeded" {
		t.Fatalf("after the retry: %+v", c)
	}
}

func TestUpgradeControlPlaneResumesAfterRestart(t *testing.T) {
	e := newEnv(t, armserver.Options{}, "1.36.3")
	e.srv.HoldOperations()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- e.p.UpgradeControlPlane(ctx, "blue", "1.37.2") }()
	waitFor(t, "the PUT", func() bool { return len(e.srv.RequestsMatching(armserver.Match{Method: "PUT"})) == 1 })
	cancel() // the process dies mid-operation
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled upgrade returned %v", err)
	}
	restarted, err := New(Options{Subscription: "sub", ResourceGroup: "rg", Credential: e.srv.Credential(), ClientOptions: e.srv.ClientOptions(), PollInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	go func() { done <- restarted.UpgradeControlPlane(t.Context(), "blue", "1.37.2") }()
	time.Sleep(50 * time.Millisecond)
	e.srv.ReleaseOperations()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := len(e.srv.RequestsMatching(armserver.Match{Method: "PUT"})); n != 1 {
		t.Errorf("the restarted provider sent %d PUTs in all; it should wait for the running operation", n)
	}
	if c := e.cluster(t); c.CurrentKubernetesVersion != "1.37.2" {
		t.Fatalf("after resuming: %+v", c)
	}
}
