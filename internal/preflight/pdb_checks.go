package preflight

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/intstr"
)

// checkPDBNeverAllows computes what the disruption controller would allow
// with every selected pod healthy, from the workloads the PDB selects:
//
//   - maxUnavailable: scaled against the expected pod count, rounding up;
//     0 (or 0%) allows nothing;
//   - minAvailable as an integer: allowed = pods - minAvailable;
//   - minAvailable as a percentage: scaled against the expected pod count,
//     rounding up (50% of 1 is 1), then allowed = pods - that.
//
// The expected pod count is the sum of the selected workloads' replicas (see
// evaluation.replicas). A PDB over workloads scaled to 0 blocks nothing.
func checkPDBNeverAllows(x *evaluation, p *pdb) *Finding {
	var expected int64
	var whys []string
	for _, w := range p.selected {
		n, why := x.replicas(w)
		expected += n
		whys = append(whys, fmt.Sprintf("%s %s (%s)", w.ref.Kind, w.ref.Name, why))
	}
	if expected == 0 {
		return nil
	}
	allowed, rule, err := allowedDisruptions(p, expected)
	if err != nil {
		return &Finding{Check: CheckObjectInvalid, Message: fmt.Sprintf("%s: %v", p.ref, err), Fix: "use an integer or a percentage such as \"25%\""}
	}
	if allowed > 0 {
		return nil
	}
	return &Finding{
		Check: CheckPDBNeverAllowsEviction,
		Message: fmt.Sprintf("%s never allows an eviction for %s: %s; draining a node that runs one of these pods blocks until the drain times out",
			p.ref, names(whys, func(s string) string { return s }), rule),
		Fix: "use maxUnavailable: 1 (or a minAvailable below the replica count), or raise the replicas; with an HPA raise its minReplicas",
	}
}

// allowedDisruptions mirrors the disruption controller with all pods
// healthy, and explains the arithmetic.
func allowedDisruptions(p *pdb, expected int64) (int64, string, error) {
	switch {
	case p.maxUnavailable != nil:
		mu, err := intstr.GetScaledValueFromIntOrPercent(p.maxUnavailable, int(expected), true)
		if err != nil {
			return 0, "", fmt.Errorf("spec.maxUnavailable %q: %v", p.maxUnavailable.String(), err)
		}
		return min(int64(mu), expected), fmt.Sprintf("maxUnavailable %s of %d pods is %d", p.maxUnavailable.String(), expected, mu), nil
	case p.minAvailable != nil && p.minAvailable.Type == intstr.Int:
		m := int64(p.minAvailable.IntVal)
		return expected - m, fmt.Sprintf("minAvailable %d >= %d pods", m, expected), nil
	case p.minAvailable != nil:
		m, err := intstr.GetScaledValueFromIntOrPercent(p.minAvailable, int(expected), true)
		if err != nil {
			return 0, "", fmt.Errorf("spec.minAvailable %q: %v", p.minAvailable.String(), err)
		}
		return expected - int64(m), fmt.Sprintf("minAvailable %s of %d pods rounds up to %d", p.minAvailable.String(), expected, m), nil
	}
	return expected, "", nil // neither set: the controller requires nothing
}

// checkPDBLiveBlocked reads a live PDB's status: no disruption allowed
// while every pod it selects is healthy means none ever will be, whatever
// controller runs the pods.
func checkPDBLiveBlocked(x *evaluation, p *pdb) *Finding {
	s := p.live
	if s == nil || s.ExpectedPods == 0 || s.DisruptionsAllowed > 0 || s.CurrentHealthy < s.ExpectedPods {
		return nil
	}
	return &Finding{
		Check: CheckPDBNeverAllowsEviction,
		Message: fmt.Sprintf("%s: status.disruptionsAllowed is 0 while all %d selected pods are healthy (desiredHealthy %d), so no eviction will ever be allowed and a drain blocks",
			p.ref, s.ExpectedPods, s.DesiredHealthy),
		Fix: "use maxUnavailable: 1 (or a minAvailable below the pod count), or run more pods",
	}
}

// checkPDBSelectsNothing: a PDB that selects no workload protects nothing,
// which usually means a selector that drifted from the pod labels. A live
// PDB is judged by its status (it may select pods of controllers the checks
// do not know); a PDB from files, by the workloads among the inputs.
func checkPDBSelectsNothing(x *evaluation, p *pdb) *Finding {
	if p.live != nil {
		if p.live.ExpectedPods > 0 {
			return nil
		}
	} else {
		if len(p.selected) > 0 {
			return nil
		}
		if p.selector != nil && len(x.workloads) == 0 {
			return nil // nothing to compare with: only the PDB was given
		}
	}
	why := "its selector matches no workload's pod template labels"
	switch {
	case p.selector == nil:
		why = p.noSelector
	case p.live != nil:
		why = "status.expectedPods is 0"
	}
	return &Finding{
		Check:   CheckPDBSelectsNothing,
		Message: fmt.Sprintf("%s selects no pods: %s; it protects nothing during a drain", p.ref, why),
		Fix:     "fix spec.selector to match the pod template labels of the workload it should protect, or delete the PDB",
	}
}
