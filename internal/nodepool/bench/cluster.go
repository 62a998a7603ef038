package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"upshift.dev/upshift/internal/localfleet"
	"upshift.dev/upshift/internal/provider"
)

// Versions of every run: the pool starts where the control plane starts and
// follows it one minor up, the upgrade the local toolchain supports.
const (
	fromVersion = "1.36.3"
	toVersion   = "1.37.2"
	poolName    = "apps"
)

// cluster is one fresh cluster, ready for an upgrade of its apps pool: the
// control plane already at toVersion, the nodes still at fromVersion.
type cluster struct {
	name   string
	cfg    *rest.Config
	client kubernetes.Interface
	nodes  int
	pods   int // Deployment pods; DaemonSet pods come on top, one per node
}

// startCluster creates the cluster with its pool, installs the workload,
// upgrades the control plane and waits until everything is Ready again.
// The caller tears it down (teardown), whether this returns an error or
// not.
func startCluster(ctx context.Context, fleet *localfleet.Fleet, name string, o options, log io.Writer) (*cluster, error) {
	start := time.Now()
	spec := localfleet.ClusterSpec{
		Name: name, KubernetesVersion: fromVersion, Delays: o.delays(),
		Pools: []provider.NodePool{{
			Name: poolName, Mode: provider.ModeUser, Count: o.nodes,
			OrchestratorVersion: fromVersion, NodeImageVersion: localfleet.DefaultNodeImage(),
		}},
	}
	err := fleet.Up(ctx, []localfleet.ClusterSpec{spec}, func(e localfleet.Event) {
		fmt.Fprintf(log, "  %s: %s: %s\n", e.Cluster, e.Step, e.Message)
	})
	if err != nil {
		return nil, err
	}
	cfg, err := fleet.RESTConfig(name)
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "  %s: workload: %d Deployments, %d pods on %d nodes, and a DaemonSet\n", name, len(apps()), o.nodes*o.podsPerNode, o.nodes)
	if err := installWorkload(ctx, client, o.nodes, o.podsPerNode); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "  %s: upgrading the control plane to %s\n", name, toVersion)
	if err := fleet.UpgradeControlPlane(ctx, name, toVersion); err != nil {
		return nil, err
	}
	// The restart re-creates the kwok controller; wait until it reports the
	// nodes and pods as before, so the upgrade starts from a settled pool.
	if v := verifyStart(ctx, client, o.nodes); !v.OK() {
		return nil, fmt.Errorf("cluster %q did not settle after the control-plane upgrade: %s", name, strings.Join(v.Problems, "; "))
	}
	if err := waitWorkloadReady(ctx, client, 3*time.Minute); err != nil {
		return nil, err
	}
	if err := checkBudgets(ctx, client); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "  %s: ready for the pool upgrade in %s\n", name, time.Since(start).Round(time.Second))
	return &cluster{name: name, cfg: cfg, client: client, nodes: o.nodes, pods: o.nodes * o.podsPerNode}, nil
}

// verifyStart waits until the pool is the one the spec asked for, at the old
// version, with every pod Running and Ready.
func verifyStart(ctx context.Context, client kubernetes.Interface, nodes int) verdict {
	from := provider.NodeTarget{KubernetesVersion: fromVersion, NodeImageVersion: localfleet.DefaultNodeImage()}
	return verify(ctx, client, nodes, from, 3*time.Minute)
}

// teardown deletes the cluster if it exists, with a context of its own:
// the caller's is cancelled on Ctrl-C, exactly when no cluster may stay.
func teardown(ctx context.Context, fleet *localfleet.Fleet, name string, log io.Writer) {
	if !fleet.Exists(name) {
		return
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	if err := fleet.Down(cctx, []string{name}, nil); err != nil {
		fmt.Fprintf(log, "  %s: teardown failed: %v; remove it with KWOK_WORKDIR=%s/kwok kwokctl delete cluster --name %s\n", name, err, fleet.Dir, name)
		return
	}
	fmt.Fprintf(log, "  %s: deleted\n", name)
}

// host describes the shared machine at one moment.
func host() string {
	load, err := os.ReadFile("/proc/loadavg")
	l := "unknown"
	if err == nil {
		f := strings.Fields(string(load))
		if len(f) >= 3 {
			l = strings.Join(f[:3], " ")
		}
	}
	return fmt.Sprintf("load average %s", l)
}
