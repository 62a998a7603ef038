package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"upshift.dev/upshift/internal/localfleet"
	"upshift.dev/upshift/internal/toolchain"
)

// options are the bench's flags. The defaults are the minimums: a
// pool of 50 nodes with 10 pods each, 2s pod start, 1s pod stop, 2s node
// ready.
type options struct {
	nodes, podsPerNode                 int
	surges                             []string
	kubectl                            bool
	podStart, podStop, nodeReady, soak time.Duration
}

func (o options) delays() localfleet.Delays {
	return localfleet.Delays{PodStart: o.podStart, PodStop: o.podStop, NodeReady: o.nodeReady}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole bench; it returns the exit code: 0 when every run
// finished correctly, 1 when one failed or ended incorrectly, 2 for bad
// flags, 130 when interrupted. Clusters are deleted before it returns.
func run(args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.nodes, "nodes", 50, "nodes in the apps pool")
	fs.IntVar(&o.podsPerNode, "pods-per-node", 10, "Deployment pods per node (a DaemonSet pod per node comes on top)")
	surges := fs.String("surges", "10%,33%", "comma-separated maxSurge values, one upshift run each (empty: none)")
	fs.BoolVar(&o.kubectl, "kubectl", true, "also run the kubectl cordon/drain/replace script")
	fs.DurationVar(&o.podStart, "pod-start", 2*time.Second, "kwok delay from scheduling to Ready")
	fs.DurationVar(&o.podStop, "pod-stop", time.Second, "kwok delay from deletion to gone")
	fs.DurationVar(&o.nodeReady, "node-ready", 2*time.Second, "kwok delay for a new node to become Ready, and a reimaged one to come back")
	fs.DurationVar(&o.soak, "soak", 0, "upshift's node soak (nodeSoakDuration)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	for _, s := range strings.Split(*surges, ",") {
		if s = strings.TrimSpace(s); s != "" {
			o.surges = append(o.surges, s)
		}
	}
	if o.nodes < 1 || o.podsPerNode < 1 {
		fmt.Fprintln(stderr, "bench: -nodes and -pods-per-node must be at least 1")
		return 2
	}
	if o.nodes < 50 || o.podsPerNode < 10 {
		fmt.Fprintln(stderr, "bench: note: below the issue's minimum of 50 nodes with 10 pods each; fine for a trial, not for the figures")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	results, err := bench(ctx, o, stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
	}
	switch {
	case ctx.Err() != nil:
		return 130
	case err != nil:
		return 1
	}
	for _, r := range results {
		if r.Err != nil || !r.Verdict.OK() {
			return 1
		}
	}
	return 0
}

// bench runs every method on its own fresh cluster, one after another so
// no run shares the machine with another cluster, and prints the table.
func bench(ctx context.Context, o options, stdout, log io.Writer) ([]result, error) {
	started := time.Now()
	startHost := host()
	fmt.Fprintf(stdout, "machine: nproc %d, %s at start (shared with other engineers: figures vary with their load)\n", runtime.NumCPU(), startHost)
	bins, err := toolchain.Cache{}.Ensure(ctx, nil, fromVersion, toVersion)
	if err != nil {
		return nil, err
	}
	kubectl := bins[len(bins)-1].Kubectl
	for _, b := range bins {
		if b.KubernetesVersion == toVersion {
			kubectl = b.Kubectl
		}
	}
	// A fleet directory of our own: other engineers' clusters live in the
	// default one, and test sweepers kill what is under upshift-fleettest.
	dir, err := os.MkdirTemp("", "upshift-bench-nodepool-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	fleet := &localfleet.Fleet{Dir: dir}
	defer func() { // a last sweep, should a teardown have failed
		names, _ := fleet.Names()
		for _, n := range names {
			teardown(ctx, fleet, n, log)
		}
	}()

	var results []result
	for _, surge := range o.surges {
		name := "bench-s" + strings.Map(keepAlnum, surge)
		r := one(ctx, fleet, name, o, log, func(c *cluster) result { return runUpshift(ctx, fleet, c, surge, o, log) })
		r.Method = "upshift surge " + surge
		results = append(results, r)
		if ctx.Err() != nil {
			break
		}
	}
	if o.kubectl && ctx.Err() == nil {
		r := one(ctx, fleet, "bench-kubectl", o, log, func(c *cluster) result { return runKubectl(ctx, fleet, c, kubectl, o, log) })
		r.Method = "kubectl node by node"
		results = append(results, r)
	}
	writeTable(stdout, results, o)
	fmt.Fprintf(stdout, "machine: nproc %d, %s at start, %s at end; bench took %s\n", runtime.NumCPU(), startHost, host(), time.Since(started).Round(time.Second))
	if ctx.Err() != nil {
		return results, fmt.Errorf("interrupted: %w", ctx.Err())
	}
	return results, nil
}

// one runs a method on a fresh cluster and deletes the cluster before it
// returns, so the next run has the machine to itself.
func one(ctx context.Context, fleet *localfleet.Fleet, name string, o options, log io.Writer, method func(*cluster) result) result {
	defer teardown(ctx, fleet, name, log)
	fmt.Fprintf(log, "%s: starting cluster %s (%d nodes at %s)\n", time.Now().Format(time.TimeOnly), name, o.nodes, fromVersion)
	c, err := startCluster(ctx, fleet, name, o, log)
	if err != nil {
		return result{Nodes: o.nodes, Pods: o.nodes * o.podsPerNode, Err: fmt.Errorf("cluster %s: %w", name, err)}
	}
	fmt.Fprintf(log, "%s: upgrading the pool of %s\n", time.Now().Format(time.TimeOnly), name)
	return method(c)
}

func keepAlnum(r rune) rune {
	if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
		return r
	}
	return -1
}

// writeTable prints one row per run and, under it, what each figure is made
// of.
func writeTable(w io.Writer, results []result, o options) {
	fmt.Fprintf(w, "\nnode pool upgrade %s -> %s/%s; kwok delays: pod start %s, pod stop %s, node ready %s; upshift soak %s\n",
		fromVersion, toVersion, localfleet.LatestNodeImage(), o.podStart, o.podStop, o.nodeReady, o.soak)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "METHOD\tNODES\tPODS\tMAKESPAN\tIDEAL\tRATIO\tAPI REQ/NODE\tPDB MIN MARGIN\tCORRECT")
	for _, r := range results {
		ratio, reqs, margin, ok := "-", "-", "-", "no"
		if r.Err == nil && r.Ideal.Total > 0 && r.Makespan > 0 {
			ratio = fmt.Sprintf("%.2f", r.Makespan.Seconds()/r.Ideal.Total.Seconds())
		}
		if r.Requests > 0 {
			reqs = fmt.Sprintf("%.1f", perNode(r.Requests, r.Nodes))
			if r.Extra > 0 {
				reqs += fmt.Sprintf(" (+%.1f)", perNode(r.Extra, r.Nodes))
			}
		}
		if len(r.PDB.Margins) > 0 && r.PDB.Err == nil {
			margin = fmt.Sprint(r.PDB.Min())
		}
		if r.Err == nil && r.Verdict.OK() && r.PDB.Err == nil && len(r.PDB.Margins) > 0 && r.PDB.Min() >= 0 {
			ok = "yes"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d+%dds\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Method, r.Nodes, r.Pods, r.Nodes,
			round(r.Makespan), round(r.Ideal.Total), ratio, reqs, margin, ok)
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, r := range results {
		fmt.Fprintf(w, "%s:\n", r.Method)
		if r.Ideal.Total > 0 {
			fmt.Fprintf(w, "  ideal: %s\n", r.Ideal)
		}
		if len(r.PDB.Margins) > 0 {
			fmt.Fprintf(w, "  PDB min(currentHealthy - desiredHealthy) over %d status updates: %s\n", r.PDB.Updates, r.PDB)
		}
		if r.Verdict.Settle > 0 {
			fmt.Fprintf(w, "  end state held %s after the upgrade returned; %d DaemonSet pods of deleted surge nodes awaiting pod GC\n", round(r.Verdict.Settle), r.Verdict.Orphans)
		}
		for _, p := range r.Verdict.Problems {
			fmt.Fprintf(w, "  INCORRECT: %s\n", p)
		}
		if r.PDB.Err != nil {
			fmt.Fprintf(w, "  INCORRECT: %v\n", r.PDB.Err)
		}
		if r.Err != nil && !errors.Is(r.Err, context.Canceled) {
			fmt.Fprintf(w, "  FAILED: %v\n", r.Err)
		}
	}
	fmt.Fprintln(w, "\nideal = Σ over batches (node ready + slowest drain the PDBs permit + soak); slowest drain = pod stop + (most eviction waves any PDB needs on the batch − 1) × pod start; kubectl: batches of one node.")
	fmt.Fprintln(w, "API REQ/NODE: upshift = every request of the Upgrader's client (counting RoundTripper on its rest.Config), node operations via provider.Machines not counted;")
	fmt.Fprintln(w, "              kubectl = request lines (verb + status) in -v=6 logs of cordon and drain; (+N) = its replace step (patch status, label, uncordon), node list and discovery.")
}
