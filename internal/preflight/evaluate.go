package preflight

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// evaluation is one pass of the workload checks over the inventory.
type evaluation struct {
	opts        Options
	workloads   []*workload // sorted by identity
	pdbs        []*pdb
	hpas        []*hpa
	services    []*service
	hpaByTarget map[identity]*hpa
	byNS        map[string]*namespaceIndex
}

// workloadCheck inspects one workload; it returns nil when all is well.
type workloadCheck func(x *evaluation, w *workload) *Finding

// pdbCheck inspects one PodDisruptionBudget.
type pdbCheck func(x *evaluation, p *pdb) *Finding

// workloadChecks run in this order on every workload.
func workloadChecks() []workloadCheck {
	return []workloadCheck{
		checkReplicasSingle,
		checkPDBMissing,
		checkReadinessProbe,
		checkLivenessProbe,
		checkPreStop,
		checkGraceOverDrain,
		checkSpread,
	}
}

// pdbChecks run in this order on every PodDisruptionBudget.
func pdbChecks() []pdbCheck {
	return []pdbCheck{
		checkPDBNeverAllows,
		checkPDBLiveBlocked,
		checkPDBSelectsNothing,
	}
}

func (in *inventory) evaluate(opts Options) []Finding {
	x := &evaluation{opts: opts, hpaByTarget: map[identity]*hpa{}, byNS: map[string]*namespaceIndex{}}
	ids := make([]identity, 0, len(in.items))
	for id := range in.items {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := ids[i], ids[j]
		if a.ns != b.ns {
			return a.ns < b.ns
		}
		if a.kind != b.kind {
			return a.kind < b.kind
		}
		return a.name < b.name
	})
	for _, id := range ids {
		switch it := in.items[id].(type) {
		case *workload:
			x.workloads = append(x.workloads, it)
			x.ns(id.ns).add(it)
		case *pdb:
			x.pdbs = append(x.pdbs, it)
		case *hpa:
			x.hpas = append(x.hpas, it)
			target := identity{kind: it.targetKind, ns: id.ns, name: it.targetName}
			if _, ok := x.hpaByTarget[target]; !ok {
				x.hpaByTarget[target] = it
			}
		case *service:
			x.services = append(x.services, it)
		}
	}
	// Match selectors once, through a label index per namespace, so a
	// large corpus is not a product of every PDB with every workload.
	for _, p := range x.pdbs {
		if p.selector == nil {
			continue
		}
		for _, w := range x.ns(nsOf(&p.seen)).candidates(p.selector) {
			if p.selects(w) {
				p.selected = append(p.selected, w)
				w.pdbs = append(w.pdbs, p)
			}
		}
	}
	for _, sv := range x.services {
		if len(sv.selector) == 0 {
			continue
		}
		sel := labels.SelectorFromSet(sv.selector)
		for _, w := range x.ns(nsOf(&sv.seen)).candidates(sel) {
			if len(w.podLabels) > 0 && sel.Matches(labels.Set(w.podLabels)) {
				w.services = append(w.services, sv)
			}
		}
	}
	var out []Finding
	emit := func(s *seen, f *Finding) {
		if f == nil {
			return
		}
		f.Object = s.ref
		f.Sources = append([]string(nil), s.sources...)
		f.Locations = append([]Location(nil), s.locations...)
		f.rank = s.pref
		out = append(out, *f)
	}
	for _, w := range x.workloads {
		for _, check := range workloadChecks() {
			emit(&w.seen, check(x, w))
		}
	}
	for _, p := range x.pdbs {
		for _, check := range pdbChecks() {
			emit(&p.seen, check(x, p))
		}
	}
	return out
}

// namespaceIndex holds one namespace's workloads, indexed by pod label.
type namespaceIndex struct {
	workloads []*workload
	byLabel   map[string][]*workload // "key=value" -> workloads whose pods carry it
}

func (x *evaluation) ns(name string) *namespaceIndex {
	n := x.byNS[name]
	if n == nil {
		n = &namespaceIndex{byLabel: map[string][]*workload{}}
		x.byNS[name] = n
	}
	return n
}

func (n *namespaceIndex) add(w *workload) {
	n.workloads = append(n.workloads, w)
	for k, v := range w.podLabels {
		n.byLabel[k+"="+v] = append(n.byLabel[k+"="+v], w)
	}
}

// candidates narrows the workloads a selector may match to those carrying
// one of its equality requirements; the caller still matches in full.
func (n *namespaceIndex) candidates(sel labels.Selector) []*workload {
	reqs, ok := sel.Requirements()
	if !ok {
		return nil
	}
	for _, r := range reqs {
		switch r.Operator() {
		case selection.Equals, selection.DoubleEquals, selection.In:
			if vals := r.Values(); vals.Len() == 1 {
				return n.byLabel[r.Key()+"="+vals.UnsortedList()[0]]
			}
		}
	}
	return n.workloads
}

func nsOf(s *seen) string { return namespaceKey("", s.ref.Kind, s.ref.Namespace) }

// hpaFor returns the HorizontalPodAutoscaler that scales w, if any.
func (x *evaluation) hpaFor(w *workload) *hpa {
	return x.hpaByTarget[identity{kind: w.ref.Kind, ns: nsOf(&w.seen), name: w.ref.Name}]
}

// replicas is the number of pods a drain has to work with: the
// HorizontalPodAutoscaler's minReplicas when one scales the workload (it
// may shrink to that floor at any time, and it owns spec.replicas), else
// spec.replicas, else 1 (the API default). why explains the number.
func (x *evaluation) replicas(w *workload) (n int64, why string) {
	if h := x.hpaFor(w); h != nil {
		return h.minReplicas, fmt.Sprintf("HorizontalPodAutoscaler %s minReplicas %d", h.ref.Name, h.minReplicas)
	}
	if w.replicas != nil {
		return *w.replicas, fmt.Sprintf("spec.replicas %d", *w.replicas)
	}
	return 1, "spec.replicas unset, so 1"
}

// selects reports whether p selects w's pods.
func (p *pdb) selects(w *workload) bool {
	return p.selector != nil && !w.daemon && nsOf(&p.seen) == nsOf(&w.seen) && p.selector.Matches(labels.Set(w.podLabels))
}

func names[T any](items []T, name func(T) string) string {
	var ns []string
	for _, it := range items {
		ns = append(ns, name(it))
	}
	return strings.Join(ns, ", ")
}
