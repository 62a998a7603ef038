package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"upshift.dev/upshift/internal/localfleet"
)

// budget is one PDB as the bound needs it: how many pods it covers and how
// many of them it lets go at once when all are healthy.
type budget struct {
	Name    string
	Pods    int
	Allowed int
}

// readBudgets reads every PDB of the workload while the pool is healthy:
// status.disruptionsAllowed is what the disruption controller computed from
// maxUnavailable/minAvailable, rounded as Kubernetes rounds them.
func readBudgets(ctx context.Context, client kubernetes.Interface) ([]budget, error) {
	list, err := client.PolicyV1().PodDisruptionBudgets(benchNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("failed to list PDBs: %w", err)
	}
	var out []budget
	for _, p := range list.Items {
		out = append(out, budget{Name: p.Name, Pods: int(p.Status.ExpectedPods), Allowed: int(p.Status.DisruptionsAllowed)})
	}
	return out, nil
}

// checkBudgets refuses a workload whose PDB allows no disruption at all
// (a minAvailable percentage of very few replicas): every method would
// wait for its drain timeout, which measures nothing.
func checkBudgets(ctx context.Context, client kubernetes.Interface) error {
	budgets, err := readBudgets(ctx, client)
	if err != nil {
		return err
	}
	for _, b := range budgets {
		if b.Allowed < 1 {
			return fmt.Errorf("PDB %s allows no disruption of its %d pods, so no drain could finish: use more -nodes or -pods-per-node (each of the %d apps gets nodes×pods-per-node/%d replicas)", b.Name, b.Pods, len(apps()), len(apps()))
		}
	}
	return nil
}

// bound is the ideal makespan of one plan (see the package comment).
type bound struct {
	Ready, Soak time.Duration
	Sizes       []int           // nodes per batch
	Drains      []time.Duration // slowest drain per batch
	Limiting    []string        // the PDB that sets each batch's drain
	Total       time.Duration
}

// idealBound computes Σ over batches (R + D_batch + S) for a pool of nodes
// upgraded batch nodes at a time, with D_batch = Q + (w−1)×P, w the most
// eviction waves any PDB needs for its pods on the batch's nodes at the
// pool's even spread.
func idealBound(nodes, batch int, d localfleet.Delays, soak time.Duration, budgets []budget) bound {
	b := bound{Ready: d.NodeReady, Soak: soak}
	for left := nodes; left > 0; left -= batch {
		size := min(batch, left)
		waves, limiting := 1, ""
		for _, p := range budgets {
			if p.Allowed <= 0 || p.Pods == 0 {
				continue // a PDB that allows nothing blocks; not an ideal plan
			}
			onBatch := ceilDiv(p.Pods*size, nodes)
			if w := ceilDiv(onBatch, p.Allowed); w > waves {
				waves, limiting = w, p.Name
			}
		}
		drain := d.PodStop + time.Duration(waves-1)*d.PodStart
		b.Sizes = append(b.Sizes, size)
		b.Drains = append(b.Drains, drain)
		b.Limiting = append(b.Limiting, limiting)
		b.Total += d.NodeReady + drain + soak
	}
	return b
}

// String shows the arithmetic: "10 batches × (2s ready + 9s drain + 0s
// soak) = 1m50s", or each batch's drain when they differ.
func (b bound) String() string {
	same := true
	for _, d := range b.Drains {
		same = same && d == b.Drains[0]
	}
	if same && len(b.Drains) > 0 {
		return fmt.Sprintf("%d batches × (%s ready + %s drain + %s soak) = %s", len(b.Drains), b.Ready, b.Drains[0], b.Soak, b.Total)
	}
	var parts []string
	for i, d := range b.Drains {
		parts = append(parts, fmt.Sprintf("%d nodes: %s", b.Sizes[i], d))
	}
	return fmt.Sprintf("Σ over %d batches (%s ready + drain + %s soak), drains [%s] = %s", len(b.Drains), b.Ready, b.Soak, strings.Join(parts, ", "), b.Total)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
