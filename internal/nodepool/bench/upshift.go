package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"upshift.dev/upshift/internal/localfleet"
	"upshift.dev/upshift/internal/nodepool"
	"upshift.dev/upshift/internal/observe"
	"upshift.dev/upshift/internal/provider"
)

// result is one row of the table.
type result struct {
	Method   string
	Nodes    int
	Pods     int
	Makespan time.Duration
	Ideal    bound
	// Requests are the client's own API requests for the comparable work:
	// all of upshift's Upgrader client; kubectl's cordon and drain.
	Requests int
	// Extra are kubectl's requests for the replace step and the node list,
	// which upshift does through provider.Machines (not counted).
	Extra   int
	PDB     pdbReport
	Verdict verdict
	Err     error
}

// target is where every run takes the pool.
func target() provider.NodeTarget {
	return provider.NodeTarget{KubernetesVersion: toVersion, NodeImageVersion: localfleet.LatestNodeImage()}
}

// runUpshift upgrades the pool with upshift's surge strategy at maxSurge
// surge, counting the requests of the Upgrader's client.
func runUpshift(ctx context.Context, fleet *localfleet.Fleet, c *cluster, surge string, o options, log io.Writer) result {
	r := result{Method: "upshift surge " + surge, Nodes: c.nodes, Pods: c.pods}
	count, err := nodepool.ParseCount("maxSurge", surge, "")
	if err != nil {
		r.Err = err
		return r
	}
	budgets, err := readBudgets(ctx, c.client)
	if err != nil {
		r.Err = err
		return r
	}
	batch := count.Of(c.nodes)
	r.Ideal = idealBound(c.nodes, batch, o.delays(), o.soak, budgets)

	counter := &requestCounter{}
	cfg := rest.CopyConfig(c.cfg)
	cfg.Wrap(counter.wrap)
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		r.Err = err
		return r
	}
	start := time.Now()
	tl := newTimeline(start)
	u := &nodepool.Upgrader{
		Client: client, Pools: fleet, Machines: timedMachines{next: fleet, t: tl}, Clusters: fleet,
		Events: &observe.Recorder{Client: client},
	}
	spec := nodepool.Spec{
		Cluster: c.name, Pool: poolName, Target: target(), Strategy: nodepool.StrategySurge,
		Settings: provider.UpgradeSettings{MaxSurge: surge, MaxUnavailable: "0"},
		// Long enough never to fire: a timeout here would be a finding.
		DrainTimeout: 10 * time.Minute, NodeSoak: o.soak,
	}
	fmt.Fprintf(log, "  %s: upshift surge upgrade, maxSurge %s (%d nodes per batch), maxUnavailable 0, soak %s\n", c.name, surge, batch, o.soak)
	watcher := watchPDBs(ctx, c.client)
	r.Err = u.Run(ctx, spec, tl.observe)
	r.Makespan = time.Since(start)
	r.PDB = watcher.stop()
	r.Requests = counter.Total()
	fmt.Fprintf(log, "  %s: Run returned after %s (err=%v); ideal %s\n", c.name, round(r.Makespan), r.Err, r.Ideal)
	tl.write(log, r.Makespan)
	fmt.Fprintf(log, "    API requests of the Upgrader's client: %d (%.1f per node)\n", r.Requests, perNode(r.Requests, c.nodes))
	counter.write(log, c.nodes)
	if r.Err != nil {
		r.Err = fmt.Errorf("upshift: %w", r.Err)
		return r
	}
	r.Verdict = verify(ctx, c.client, c.nodes, target(), 3*time.Minute)
	return r
}

func perNode(n, nodes int) float64 { return float64(n) / float64(max(nodes, 1)) }
