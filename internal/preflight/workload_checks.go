package preflight

import (
	"fmt"
	"strings"
)

// scaled reports whether the workload checks about replicas apply: pod
// controllers a drain evicts from, not DaemonSets.
func scaled(w *workload) bool { return !w.daemon }

func checkReplicasSingle(x *evaluation, w *workload) *Finding {
	if !scaled(w) {
		return nil
	}
	n, why := x.replicas(w)
	if n != 1 {
		return nil
	}
	return &Finding{
		Check:   CheckReplicasSingle,
		Message: fmt.Sprintf("%s runs a single pod (%s): draining its node takes it down until the pod is rescheduled and ready", w.ref, why),
		Fix:     "run at least 2 replicas (and a PodDisruptionBudget with maxUnavailable: 1) if it must stay up during upgrades",
	}
}

func checkPDBMissing(x *evaluation, w *workload) *Finding {
	if !scaled(w) {
		return nil
	}
	n, why := x.replicas(w)
	if n < 2 || len(w.pdbs) > 0 {
		return nil
	}
	return &Finding{
		Check:   CheckPDBMissing,
		Message: fmt.Sprintf("%s has %s and no PodDisruptionBudget selects its pods: a drain may evict all of them at once", w.ref, why),
		Fix:     fmt.Sprintf("add a PodDisruptionBudget in namespace %s with maxUnavailable: 1 and a selector matching the pod template labels", namespaceKey("", w.ref.Kind, w.ref.Namespace)),
	}
}

func containersWithout(w *workload, has func(containerSummary) bool) []string {
	var out []string
	for _, c := range w.pod.containers {
		if !has(c) {
			out = append(out, c.name)
		}
	}
	return out
}

func checkReadinessProbe(x *evaluation, w *workload) *Finding {
	missing := containersWithout(w, func(c containerSummary) bool { return c.readiness })
	if len(missing) == 0 {
		return nil
	}
	return &Finding{
		Check:   CheckProbeReadinessMissing,
		Message: fmt.Sprintf("%s: container(s) %s have no readinessProbe, so a replacement pod counts as ready (and receives traffic, and lets the drain move on) before it can serve", w.ref, strings.Join(missing, ", ")),
		Fix:     "add a readinessProbe that passes only when the container can serve",
	}
}

func checkLivenessProbe(x *evaluation, w *workload) *Finding {
	missing := containersWithout(w, func(c containerSummary) bool { return c.liveness })
	if len(missing) == 0 {
		return nil
	}
	return &Finding{
		Check:   CheckProbeLivenessMissing,
		Message: fmt.Sprintf("%s: container(s) %s have no livenessProbe; a hung container after a restart on a new node is not restarted", w.ref, strings.Join(missing, ", ")),
		Fix:     "add a livenessProbe (different from the readinessProbe) if the container can hang",
	}
}

func checkPreStop(x *evaluation, w *workload) *Finding {
	svcs := w.services
	if len(svcs) == 0 {
		return nil
	}
	missing := containersWithout(w, func(c containerSummary) bool { return c.preStop })
	if len(missing) == 0 {
		return nil
	}
	return &Finding{
		Check: CheckPreStopMissing,
		Message: fmt.Sprintf("%s is behind Service %s but container(s) %s have no preStop hook: endpoints are removed while SIGTERM is already delivered, so requests still arrive at a stopping pod during a drain",
			w.ref, names(svcs, func(s *service) string { return s.ref.Name }), strings.Join(missing, ", ")),
		Fix: "add lifecycle.preStop (sleep: {seconds: 5}, or an exec sleep) so the pod keeps serving until it is out of the endpoints",
	}
}

func checkGraceOverDrain(x *evaluation, w *workload) *Finding {
	if w.pod.containers == nil || x.opts.DrainTimeout <= 0 {
		return nil
	}
	limit := int64(x.opts.DrainTimeout.Seconds())
	if w.pod.grace <= limit {
		return nil
	}
	return &Finding{
		Check:   CheckGraceOverDrainTimeout,
		Message: fmt.Sprintf("%s: terminationGracePeriodSeconds %d is longer than the drain timeout (%s): a drain gives up on the node before the pod has finished stopping", w.ref, w.pod.grace, x.opts.DrainTimeout),
		Fix:     fmt.Sprintf("lower terminationGracePeriodSeconds to at most %d, or raise --drain-timeout (AKS drainTimeoutInMinutes) above it", limit),
	}
}

func checkSpread(x *evaluation, w *workload) *Finding {
	if !scaled(w) || w.pod.containers == nil || w.pod.spread {
		return nil
	}
	if n, _ := x.replicas(w); n < 2 {
		return nil
	}
	return &Finding{
		Check:   CheckSpreadMissing,
		Message: fmt.Sprintf("%s has neither pod anti-affinity nor a topology spread constraint on kubernetes.io/hostname or topology.kubernetes.io/zone: its replicas may share a node, and one drain takes them all", w.ref),
		Fix:     "add topologySpreadConstraints (maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway) to the pod template",
	}
}
