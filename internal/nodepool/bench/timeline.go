package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"upshift.dev/upshift/internal/nodepool"
	"upshift.dev/upshift/internal/provider"
)

// span is one node's step, relative to the upgrade's start.
type span struct {
	node     string
	from, to time.Duration
}

// timeline records when each node of an upshift run started and ended its
// drain (from the statuses Run reports on every pass) and every node
// operation (from timedMachines), to show where the makespan goes beyond
// the ideal bound.
type timeline struct {
	mu          sync.Mutex
	start       time.Time
	drainFrom   map[string]time.Duration
	drainTo     map[string]time.Duration
	reimages    []span
	adds, dels  []span
	passes      int
	lastMessage string
}

func newTimeline(start time.Time) *timeline {
	return &timeline{start: start, drainFrom: map[string]time.Duration{}, drainTo: map[string]time.Duration{}}
}

// observe is Run's onStatus: a node's drain starts on the first pass that
// sees it draining and ends on the first that sees it soaking.
func (t *timeline) observe(st nodepool.Status) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Since(t.start)
	t.passes++
	t.lastMessage = st.Message
	for _, n := range st.Nodes {
		if n.Surge {
			continue
		}
		switch n.State {
		case nodepool.StateDraining:
			if _, ok := t.drainFrom[n.Name]; !ok {
				t.drainFrom[n.Name] = now
			}
		case nodepool.StateSoaking:
			if _, ok := t.drainTo[n.Name]; !ok {
				t.drainTo[n.Name] = now
			}
		}
	}
}

func (t *timeline) record(list *[]span, node string, from time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	*list = append(*list, span{node: node, from: from.Sub(t.start), to: time.Since(t.start)})
}

// timedMachines times the node operations the engine asks for.
type timedMachines struct {
	next provider.Machines
	t    *timeline
}

var _ provider.Machines = timedMachines{}

func (m timedMachines) AddNode(ctx context.Context, cluster, pool string, target provider.NodeTarget) (string, error) {
	from := time.Now()
	name, err := m.next.AddNode(ctx, cluster, pool, target)
	m.t.record(&m.t.adds, name, from)
	return name, err
}

func (m timedMachines) ReimageNode(ctx context.Context, cluster, node string, target provider.NodeTarget) error {
	from := time.Now()
	err := m.next.ReimageNode(ctx, cluster, node, target)
	m.t.record(&m.t.reimages, node, from)
	return err
}

func (m timedMachines) DeleteNode(ctx context.Context, cluster, node string) error {
	from := time.Now()
	err := m.next.DeleteNode(ctx, cluster, node)
	m.t.record(&m.t.dels, node, from)
	return err
}

// write summarises the run: surge-in, drains, reimages and how long the
// engine's loop sat inside reimage calls while other nodes were mid-drain
// (a reimage blocks the pass that makes it), and surge-out.
func (t *timeline) write(w io.Writer, total time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var drains []time.Duration
	first := time.Duration(-1)
	for n, from := range t.drainFrom {
		if first < 0 || from < first {
			first = from
		}
		if to, ok := t.drainTo[n]; ok {
			drains = append(drains, to-from)
		}
	}
	sort.Slice(drains, func(i, j int) bool { return drains[i] < drains[j] })
	lastReimage := time.Duration(0)
	var reimageSum time.Duration
	for _, r := range t.reimages {
		lastReimage = max(lastReimage, r.to)
		reimageSum += r.to - r.from
	}
	fmt.Fprintf(w, "    %d passes; surge in: %d nodes added, first drain at %s\n", t.passes, len(t.adds), round(first))
	if len(drains) > 0 {
		fmt.Fprintf(w, "    node drains (as the engine saw them): %d, min %s, median %s, max %s\n",
			len(drains), round(drains[0]), round(drains[len(drains)/2]), round(drains[len(drains)-1]))
	}
	if len(t.reimages) > 0 {
		blocked := union(t.reimages)
		var blockedSum, overlap time.Duration
		paused := map[string]bool{}
		for _, b := range blocked {
			blockedSum += b.to - b.from
			for n, from := range t.drainFrom {
				to, ok := t.drainTo[n]
				if !ok {
					to = total
				}
				if o := min(to, b.to) - max(from, b.from); o > 0 {
					overlap += o
					paused[n] = true
				}
			}
		}
		fmt.Fprintf(w, "    reimages: %d calls in %d rounds, mean %s; the loop sat in them for %s, while %d other nodes were mid-drain (%s node-time without eviction retries)\n",
			len(t.reimages), len(blocked), round(reimageSum/time.Duration(len(t.reimages))), round(blockedSum), len(paused), round(overlap))
	}
	fmt.Fprintf(w, "    surge out: %d nodes deleted, %s from the last reimage to done\n", len(t.dels), round(total-lastReimage))
}

// union merges overlapping spans (a batch's reimages run together).
func union(spans []span) []span {
	s := append([]span(nil), spans...)
	sort.Slice(s, func(i, j int) bool { return s[i].from < s[j].from })
	var out []span
	for _, x := range s {
		if len(out) > 0 && x.from <= out[len(out)-1].to {
			out[len(out)-1].to = max(out[len(out)-1].to, x.to)
			continue
		}
		out = append(out, x)
	}
	return out
}

func round(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }
