package preflight

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// identity matches one object across sources: the kind without its group
// (a Deployment read at extensions/v1beta1 from a file and at apps/v1 from
// the cluster is one object), the namespace as kubectl would apply it, and
// the name.
type identity struct{ kind, ns, name string }

// seen is what every inventory entry keeps about where it came from.
type seen struct {
	ref       ObjectRef
	pref      int // Source.preference of the view kept
	sources   []string
	locations []Location
}

func (s *seen) absorb(o *seen) (replace bool) {
	s.sources = unionStrings(s.sources, o.sources)
	s.locations = append(s.locations, o.locations...)
	return o.pref < s.pref
}

// inventoryItem is a summary of one object the workload checks need.
type inventoryItem interface{ base() *seen }

func (s *seen) base() *seen { return s }

// workload is a pod controller's summary.
type workload struct {
	seen
	daemon    bool   // a DaemonSet: drains skip its pods
	replicas  *int64 // nil when unset
	podLabels map[string]string
	pod       podSummary

	pdbs     []*pdb     // the PDBs selecting its pods, set by evaluate
	services []*service // the Services selecting its pods, set by evaluate
}

type podSummary struct {
	containers []containerSummary
	grace      int64 // seconds
	spread     bool  // anti-affinity or topology spread on hostname or zone
}

type containerSummary struct {
	name                         string
	readiness, liveness, preStop bool
}

// pdb is a PodDisruptionBudget's summary.
type pdb struct {
	seen
	selector       labels.Selector // nil: selects nothing, for noSelector's reason
	noSelector     string
	minAvailable   *intstr.IntOrString
	maxUnavailable *intstr.IntOrString
	live           *policyv1.PodDisruptionBudgetStatus

	selected []*workload // set by evaluate
}

// hpa is a HorizontalPodAutoscaler's summary.
type hpa struct {
	seen
	targetKind, targetName string
	minReplicas            int64
}

// service is a Service's summary.
type service struct {
	seen
	selector map[string]string
}

type inventory struct {
	items map[identity]inventoryItem
}

func newInventory() *inventory { return &inventory{items: map[identity]inventoryItem{}} }

func (in *inventory) add(item inventoryItem) {
	b := item.base()
	id := identity{kind: b.ref.Kind, ns: namespaceKey("", b.ref.Kind, b.ref.Namespace), name: b.ref.Name}
	old, ok := in.items[id]
	if !ok {
		in.items[id] = item
		return
	}
	ob := old.base()
	if ob.absorb(b) {
		nb := item.base()
		nb.sources, nb.locations = ob.sources, ob.locations
		in.items[id] = item
	}
}

// summarize extracts what the workload checks need from obj; nil for kinds
// they do not look at and for objects a controller owns (a Deployment's
// ReplicaSets are judged through the Deployment).
func summarize(obj map[string]any, ref ObjectRef, src Source) (inventoryItem, error) {
	group, _ := splitAPIVersion(ref.APIVersion)
	base := seen{ref: ref, pref: src.preference(), sources: []string{src.String()}, locations: src.location()}
	switch {
	case ownedByController(obj):
		return nil, nil
	case (group == "apps" || group == "extensions") && (ref.Kind == "Deployment" || ref.Kind == "StatefulSet" || ref.Kind == "ReplicaSet" || ref.Kind == "DaemonSet"),
		group == "" && ref.Kind == "ReplicationController":
		return summarizeWorkload(obj, base)
	case group == "policy" && ref.Kind == "PodDisruptionBudget":
		return summarizePDB(obj, base, src.Kind == SourceCluster)
	case group == "autoscaling" && ref.Kind == "HorizontalPodAutoscaler":
		return summarizeHPA(obj, base)
	case group == "" && ref.Kind == "Service":
		sel, _, err := nestedStringMap(obj, "spec", "selector")
		if err != nil {
			return nil, err
		}
		return &service{seen: base, selector: sel}, nil
	}
	return nil, nil
}

func ownedByController(obj map[string]any) bool {
	md, _ := obj["metadata"].(map[string]any)
	refs, _ := md["ownerReferences"].([]any)
	for _, r := range refs {
		if m, ok := r.(map[string]any); ok && m["controller"] == true {
			return true
		}
	}
	return false
}

func summarizeWorkload(obj map[string]any, base seen) (inventoryItem, error) {
	w := &workload{seen: base, daemon: base.ref.Kind == "DaemonSet"}
	if v, ok, err := nestedField(obj, "spec", "replicas"); err != nil {
		return nil, err
	} else if ok && v != nil {
		n, ok := asInt64(v)
		if !ok {
			return nil, fmt.Errorf("spec.replicas is %v, want an integer", v)
		}
		w.replicas = &n
	}
	tmpl, ok, _ := nestedField(obj, "spec", "template")
	if !ok {
		return w, nil
	}
	tm, ok := tmpl.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("spec.template is not an object")
	}
	var pt corev1.PodTemplateSpec
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(tm, &pt); err != nil {
		return nil, fmt.Errorf("spec.template does not match the Pod schema: %v", err)
	}
	w.podLabels = pt.Labels
	w.pod = summarizePod(&pt.Spec)
	return w, nil
}

func summarizePod(spec *corev1.PodSpec) podSummary {
	s := podSummary{grace: corev1.DefaultTerminationGracePeriodSeconds}
	if spec.TerminationGracePeriodSeconds != nil {
		s.grace = *spec.TerminationGracePeriodSeconds
	}
	for _, c := range spec.Containers {
		s.containers = append(s.containers, containerSummary{
			name:      c.Name,
			readiness: c.ReadinessProbe != nil,
			liveness:  c.LivenessProbe != nil,
			preStop:   c.Lifecycle != nil && c.Lifecycle.PreStop != nil,
		})
	}
	for _, t := range spec.TopologySpreadConstraints {
		s.spread = s.spread || spreadKey(t.TopologyKey)
	}
	if a := spec.Affinity; a != nil && a.PodAntiAffinity != nil {
		for _, t := range a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution {
			s.spread = s.spread || spreadKey(t.TopologyKey)
		}
		for _, t := range a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
			s.spread = s.spread || spreadKey(t.PodAffinityTerm.TopologyKey)
		}
	}
	return s
}

// spreadKey reports whether a topology key spreads pods over nodes or zones.
func spreadKey(k string) bool {
	switch k {
	case corev1.LabelHostname, corev1.LabelTopologyZone, corev1.LabelFailureDomainBetaZone:
		return true
	}
	return false
}

func summarizePDB(obj map[string]any, base seen, live bool) (inventoryItem, error) {
	var p policyv1.PodDisruptionBudget
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, &p); err != nil {
		return nil, fmt.Errorf("does not match the PodDisruptionBudget schema: %v", err)
	}
	out := &pdb{seen: base, minAvailable: p.Spec.MinAvailable, maxUnavailable: p.Spec.MaxUnavailable}
	_, ver := splitAPIVersion(base.ref.APIVersion)
	switch {
	case p.Spec.Selector == nil:
		out.noSelector = "it has no spec.selector"
	case ver == "v1beta1" && len(p.Spec.Selector.MatchLabels) == 0 && len(p.Spec.Selector.MatchExpressions) == 0:
		out.noSelector = "its spec.selector is empty, which selects nothing in policy/v1beta1 (policy/v1 would select every pod in the namespace)"
	default:
		sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
		if err != nil {
			return nil, fmt.Errorf("spec.selector: %v", err)
		}
		out.selector = sel
	}
	if live && p.Status.ObservedGeneration > 0 {
		st := p.Status
		out.live = &st
	}
	return out, nil
}

func summarizeHPA(obj map[string]any, base seen) (inventoryItem, error) {
	h := &hpa{seen: base, minReplicas: 1}
	h.targetKind, _, _ = nestedString(obj, "spec", "scaleTargetRef", "kind")
	h.targetName, _, _ = nestedString(obj, "spec", "scaleTargetRef", "name")
	if v, ok, _ := nestedField(obj, "spec", "minReplicas"); ok && v != nil {
		n, ok := asInt64(v)
		if !ok {
			return nil, fmt.Errorf("spec.minReplicas is %v, want an integer", v)
		}
		h.minReplicas = n
	}
	return h, nil
}

func nestedField(obj map[string]any, path ...string) (any, bool, error) {
	var cur any = obj
	for i, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			if cur == nil {
				return nil, false, nil
			}
			return nil, false, fmt.Errorf("%s is not an object", joinPath(path[:i]))
		}
		cur, ok = m[p]
		if !ok {
			return nil, false, nil
		}
	}
	return cur, true, nil
}

func nestedString(obj map[string]any, path ...string) (string, bool, error) {
	v, ok, err := nestedField(obj, path...)
	s, _ := v.(string)
	return s, ok, err
}

func nestedStringMap(obj map[string]any, path ...string) (map[string]string, bool, error) {
	v, ok, err := nestedField(obj, path...)
	if err != nil || !ok || v == nil {
		return nil, ok, err
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		return nil, true, fmt.Errorf("%s is not a map of strings", joinPath(path))
	}
	out := make(map[string]string, len(m))
	for k, x := range m {
		s, isStr := x.(string)
		if !isStr {
			return nil, true, fmt.Errorf("%s.%s is not a string", joinPath(path), k)
		}
		out[k] = s
	}
	return out, true, nil
}

func joinPath(p []string) string {
	s := ""
	for i, x := range p {
		if i > 0 {
			s += "."
		}
		s += x
	}
	return s
}

func asInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case float64:
		if n == float64(int64(n)) {
			return int64(n), true
		}
	}
	return 0, false
}
