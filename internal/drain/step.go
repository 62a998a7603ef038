package drain

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	kubectldrain "k8s.io/kubectl/pkg/drain"

	"upshift.dev/upshift/internal/observe"
)

// Drainer drains nodes of one cluster. It is safe for concurrent use on
// different nodes; it remembers since when each pod has been blocked, which
// is the only thing it keeps between steps (after a restart, "blocked for"
// restarts too; the drain's own start time is on the node and survives).
type Drainer struct {
	Client kubernetes.Interface
	Options
	// Events records Drain and EvictionBlocked events on nodes; nil for none.
	Events *observe.Recorder
	// Cache, when set and started, serves the pod and DaemonSet reads of
	// each step; nil reads from the API server every time.
	Cache *Cache
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	mu     sync.Mutex
	memory map[string]map[types.UID]*podMemory // node -> pod
}

// podMemory is what a Drainer remembers of a pod whose eviction was refused.
type podMemory struct {
	block     Block
	lastAsked time.Time
}

// evictionWorkers bounds parallel eviction calls per step.
const evictionWorkers = 16

func (d *Drainer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// kubectlHelper is kubectl's drain helper configured with our options; only
// its pod selection (GetPodsForDeletion) is used. It stores a context, so a
// fresh one is made per step.
func (d *Drainer) kubectlHelper(ctx context.Context) *kubectldrain.Helper {
	client := d.Client
	if d.Cache != nil {
		client = d.Cache.clientset()
	}
	return &kubectldrain.Helper{
		Ctx: ctx, Client: client, Force: d.Force,
		IgnoreAllDaemonSets: d.IgnoreDaemonSets, DeleteEmptyDirData: d.DeleteEmptyDirData,
		PodSelector: d.PodSelector, ChunkSize: 500, GracePeriodSeconds: -1,
	}
}

// Step looks at the node once and evicts every pod it may evict now. It
// does not cordon (Drain and the node pool engine do that first) and never
// waits. An error wrapping *FilterError means kubectl's rules refuse the
// drain; other errors are the API server's and worth retrying.
func (d *Drainer) Step(ctx context.Context, node string, startedAt time.Time) (Status, error) {
	r := d.StepNodes(ctx, []Target{{Node: node, StartedAt: startedAt}})
	return r[0].Status, r[0].Err
}

// Target is one node of a StepNodes call.
type Target struct {
	Node      string
	StartedAt time.Time
}

// Result is one node's outcome of a StepNodes call.
type Result struct {
	Status Status
	Err    error
}

// StepNodes steps several nodes at once, as a node pool upgrade drains a
// batch: the PDBs are listed once and their budgets shared, so evictions
// from different nodes never overspend one PDB, and the API server is asked
// once per pass rather than once per node.
func (d *Drainer) StepNodes(ctx context.Context, targets []Target) []Result {
	results := make([]Result, len(targets))
	pending := make([][]corev1.Pod, len(targets))
	namespaces := map[string]bool{}
	for i, t := range targets {
		results[i].Status = Status{Node: t.Node, StartedAt: t.StartedAt}
		pods, err := d.podsToEvict(ctx, t.Node, &results[i].Status)
		if err != nil {
			results[i].Err = err
			continue
		}
		pending[i] = pods
		for _, p := range pods {
			namespaces[p.Namespace] = true
		}
	}
	defer func() {
		for i, t := range targets {
			if results[i].Err == nil {
				d.prune(t.Node, pending[i])
			}
		}
	}()
	if len(namespaces) == 0 {
		for i := range results {
			st := &results[i].Status
			st.Done = results[i].Err == nil && len(st.Terminating) == 0
		}
		return results
	}
	pdbs, err := d.listPDBs(ctx, namespaces)
	if err != nil {
		for i := range results {
			if results[i].Err == nil && len(pending[i]) > 0 {
				results[i].Err = err
			}
		}
		return results
	}
	now := d.now()
	budget := map[string]int32{}
	for key, pdb := range pdbs {
		budget[key] = pdb.Status.DisruptionsAllowed
	}
	spent := map[string]bool{} // budgets this step's own evictions used up
	type ask struct {
		node int
		pod  corev1.Pod
	}
	var asks []ask
	for i, t := range targets {
		for _, p := range pending[i] {
			covering := matchingPDBs(&p, pdbs)
			allowed, ours := true, false
			for _, key := range covering {
				if budget[key] <= 0 {
					allowed = false
					ours = ours || spent[key]
				}
			}
			switch {
			case allowed:
				for _, key := range covering {
					budget[key]--
					spent[key] = true
				}
				asks = append(asks, ask{i, p})
			case !ours && d.dueForRetry(t.Node, p.UID, now):
				// Out of budget by our count, but the API server is the
				// judge (an unhealthy pod may be evictable under the PDB's
				// unhealthyPodEvictionPolicy), so ask it now and then.
				asks = append(asks, ask{i, p})
			default:
				results[i].Status.Pending = append(results[i].Status.Pending, types.NamespacedName{Namespace: p.Namespace, Name: p.Name})
			}
		}
	}
	pods := make([]corev1.Pod, len(asks))
	for k, a := range asks {
		pods[k] = a.pod
	}
	errs := d.evictAll(ctx, pods)
	for k, a := range asks {
		st := &results[a.node].Status
		key := types.NamespacedName{Namespace: a.pod.Namespace, Name: a.pod.Name}
		err := errs[k]
		switch {
		case err == nil:
			st.Evicted++
			st.Terminating = append(st.Terminating, key)
		case apierrors.IsNotFound(err):
		case apierrors.IsTooManyRequests(err) || isMultiplePDB(err):
			st.Pending = append(st.Pending, key)
			d.markBlocked(ctx, targets[a.node].Node, &a.pod, pdbs, err, now)
		default:
			st.Pending = append(st.Pending, key)
			st.Warnings = append(st.Warnings, fmt.Sprintf("evicting %s: %v", key, err))
		}
	}
	for i, t := range targets {
		results[i].Status.Blocked = d.blocks(t.Node, pending[i])
	}
	return results
}

// podsToEvict lists the node's pods with kubectl's rules, records the
// terminating ones and kubectl's warnings in st, and returns the rest
// sorted.
func (d *Drainer) podsToEvict(ctx context.Context, node string, st *Status) ([]corev1.Pod, error) {
	list, errs := d.kubectlHelper(ctx).GetPodsForDeletion(node)
	if len(errs) > 0 {
		if list == nil {
			return nil, fmt.Errorf("failed to list pods on node %q: %w", node, errors.Join(errs...))
		}
		return nil, &FilterError{Node: node, Errors: errs}
	}
	if w := list.Warnings(); w != "" {
		st.Warnings = append(st.Warnings, w)
	}
	var out []corev1.Pod
	for _, p := range list.Pods() {
		if p.DeletionTimestamp != nil {
			st.Terminating = append(st.Terminating, types.NamespacedName{Namespace: p.Namespace, Name: p.Name})
			continue
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Namespace+"/"+out[i].Name < out[j].Namespace+"/"+out[j].Name })
	return out, nil
}

func (d *Drainer) listPDBs(ctx context.Context, namespaces map[string]bool) (map[string]*policyv1.PodDisruptionBudget, error) {
	out := map[string]*policyv1.PodDisruptionBudget{}
	// One cluster-wide list is cheaper than one per namespace once a node
	// carries pods of more than a couple of namespaces.
	list, err := d.Client.PolicyV1().PodDisruptionBudgets(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("failed to list PodDisruptionBudgets: %w", err)
	}
	for i := range list.Items {
		pdb := &list.Items[i]
		if namespaces[pdb.Namespace] {
			out[pdb.Namespace+"/"+pdb.Name] = pdb
		}
	}
	return out, nil
}

// matchingPDBs returns the keys of the PDBs that select pod, sorted.
func matchingPDBs(pod *corev1.Pod, pdbs map[string]*policyv1.PodDisruptionBudget) []string {
	var keys []string
	for key, pdb := range pdbs {
		if pdb.Namespace != pod.Namespace || pdb.Spec.Selector == nil {
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil || sel.Empty() {
			// The disruption controller ignores PDBs with an empty or
			// invalid selector for policy/v1 too.
			continue
		}
		if sel.Matches(labels.Set(pod.Labels)) {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	return keys
}

func (d *Drainer) evictAll(ctx context.Context, pods []corev1.Pod) []error {
	results := make([]error, len(pods))
	sem := make(chan struct{}, evictionWorkers)
	var wg sync.WaitGroup
	for i := range pods {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = d.evict(ctx, &pods[i])
		}()
	}
	wg.Wait()
	return results
}

func (d *Drainer) evict(ctx context.Context, pod *corev1.Pod) error {
	opts := metav1.DeleteOptions{
		// Evict exactly the pod we saw: a StatefulSet's replacement with
		// the same name must not be evicted by a stale request.
		Preconditions: &metav1.Preconditions{UID: &pod.UID},
	}
	if d.GracePeriodSeconds != nil {
		opts.GracePeriodSeconds = d.GracePeriodSeconds
	}
	err := d.Client.PolicyV1().Evictions(pod.Namespace).Evict(ctx, &policyv1.Eviction{
		ObjectMeta:    metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace},
		DeleteOptions: &opts,
	})
	if apierrors.IsConflict(err) { // UID precondition failed: our pod is gone
		return apierrors.NewNotFound(corev1.Resource("pods"), pod.Name)
	}
	return err
}

func isMultiplePDB(err error) bool {
	return apierrors.IsInternalError(err) && strings.Contains(err.Error(), "more than one PodDisruptionBudget")
}

// disruptionTimeout is how long the disruption controller keeps counting an
// evicted pod as disrupted (DeletionTimeout in pkg/controller/disruption).
const disruptionTimeout = 2 * time.Minute

// staleDisruptions explains a budget held down by status.disruptedPods
// entries that name pods which were evicted and have since been recreated
// under the same name (StatefulSet pods). The disruption controller keys
// that map by pod name, so it goes on counting the new, Ready pod as
// disrupted until two minutes after the eviction. Nothing is wrong and
// nothing may be bypassed; the drain says so and when it clears.
func (d *Drainer) staleDisruptions(ctx context.Context, pdb *policyv1.PodDisruptionBudget) string {
	if len(pdb.Status.DisruptedPods) == 0 {
		return ""
	}
	var stale []string
	var clears time.Time
	for name, at := range pdb.Status.DisruptedPods {
		p, err := d.Client.CoreV1().Pods(pdb.Namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil || p.DeletionTimestamp != nil || !p.CreationTimestamp.After(at.Time) || !podReady(p) {
			continue
		}
		stale = append(stale, pdb.Namespace+"/"+name)
		if t := at.Add(disruptionTimeout); t.After(clears) {
			clears = t
		}
	}
	if len(stale) == 0 {
		return ""
	}
	sort.Strings(stale)
	return fmt.Sprintf("the PDB still counts %s as disrupted although recreated and Ready (Kubernetes keys disruptedPods by pod name); this clears by %s",
		strings.Join(stale, ", "), clears.UTC().Format(time.RFC3339))
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
