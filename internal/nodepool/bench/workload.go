package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// benchNamespace holds the timed workload.
const benchNamespace = "bench"

// app is one Deployment of the timed workload and its PDB. Deployments
// only: a StatefulSet pod recreated under its old name counts as disrupted
// for up to two minutes (drain's staleDisruptions), which would measure the
// disruption controller, not the upgrade.
type app struct {
	name string
	// maxUnavailable or minAvailable ("1", "10%"); both empty: no PDB, as
	// some apps in every real cluster have none.
	maxUnavailable, minAvailable string
	emptyDir                     bool
}

// apps are the workload's ten apps, with the PDB shapes found in real
// clusters: absolute and percentage, maxUnavailable and minAvailable.
func apps() []app {
	return []app{
		{name: "web", maxUnavailable: "10%"},
		{name: "api", maxUnavailable: "1"},
		{name: "checkout", minAvailable: "90%", emptyDir: true},
		{name: "search", maxUnavailable: "20%", emptyDir: true},
		{name: "catalog", maxUnavailable: "2"},
		{name: "worker", minAvailable: "50%"},
		{name: "frontend", minAvailable: "80%"},
		{name: "auth", maxUnavailable: "25%"},
		{name: "recommend", maxUnavailable: "10%"},
		{name: "batch"},
	}
}

// replicas splits nodes×podsPerNode pods over the apps as evenly as
// possible, the first apps taking the remainder.
func replicas(nodes, podsPerNode, napps int) []int {
	total := nodes * podsPerNode
	out := make([]int, napps)
	for i := range out {
		out[i] = total / napps
		if i < total%napps {
			out[i]++
		}
	}
	return out
}

func (a app) objects(n int) (*appsv1.Deployment, *policyv1.PodDisruptionBudget) {
	labels := map[string]string{"app": a.name}
	tmpl := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec: corev1.PodSpec{
			NodeSelector:                  map[string]string{"agentpool": "apps"},
			TerminationGracePeriodSeconds: ptr(int64(30)),
			TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{
				MaxSkew: 1, TopologyKey: corev1.LabelHostname, WhenUnsatisfiable: corev1.ScheduleAnyway,
				LabelSelector: &metav1.LabelSelector{MatchLabels: labels},
			}},
			Containers: []corev1.Container{{
				Name: a.name, Image: "mcr.microsoft.com/oss/nginx/nginx:1.27.3",
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
					corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi"),
				}},
			}},
		},
	}
	if a.emptyDir {
		tmpl.Spec.Volumes = []corev1.Volume{{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
		tmpl.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "scratch", MountPath: "/scratch"}}
	}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: a.name, Namespace: benchNamespace},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(int32(n)), Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: tmpl,
		},
	}
	if a.maxUnavailable == "" && a.minAvailable == "" {
		return d, nil
	}
	pdb := &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: a.name, Namespace: benchNamespace},
		Spec:       policyv1.PodDisruptionBudgetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}},
	}
	if a.maxUnavailable != "" {
		pdb.Spec.MaxUnavailable = ptr(intstr.Parse(a.maxUnavailable))
	} else {
		pdb.Spec.MinAvailable = ptr(intstr.Parse(a.minAvailable))
	}
	return d, pdb
}

// daemonSet is the node agent every real pool runs, which a drain leaves in
// place (--ignore-daemonsets).
func daemonSet() *appsv1.DaemonSet {
	labels := map[string]string{"app": "node-agent"}
	return &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "node-agent", Namespace: benchNamespace},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					NodeSelector: map[string]string{"agentpool": "apps"},
					Tolerations:  []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
					Containers: []corev1.Container{{
						Name: "agent", Image: "mcr.microsoft.com/oss/fluent/fluent-bit:3.2.4",
						Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("20m")}},
					}},
				},
			},
		},
	}
}

// installWorkload creates the workload and waits until every replica is
// Ready.
func installWorkload(ctx context.Context, client kubernetes.Interface, nodes, podsPerNode int) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: benchNamespace}}
	if _, err := client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("failed to create namespace %s: %w", benchNamespace, err)
	}
	list := apps()
	counts := replicas(nodes, podsPerNode, len(list))
	for i, a := range list {
		d, pdb := a.objects(counts[i])
		if pdb != nil {
			if _, err := client.PolicyV1().PodDisruptionBudgets(benchNamespace).Create(ctx, pdb, metav1.CreateOptions{}); err != nil {
				return fmt.Errorf("failed to create PDB %s: %w", a.name, err)
			}
		}
		if _, err := client.AppsV1().Deployments(benchNamespace).Create(ctx, d, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("failed to create Deployment %s: %w", a.name, err)
		}
	}
	if _, err := client.AppsV1().DaemonSets(benchNamespace).Create(ctx, daemonSet(), metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("failed to create the DaemonSet: %w", err)
	}
	return waitWorkloadReady(ctx, client, 5*time.Minute)
}

// waitWorkloadReady waits until every Deployment and the DaemonSet have all
// their replicas Ready and every PDB's status is current.
func waitWorkloadReady(ctx context.Context, client kubernetes.Interface, timeout time.Duration) error {
	var pending []string
	err := wait.PollUntilContextTimeout(ctx, time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		pending = pending[:0]
		deps, err := client.AppsV1().Deployments(benchNamespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		for _, d := range deps.Items {
			if d.Status.ReadyReplicas != *d.Spec.Replicas || d.Status.Replicas != *d.Spec.Replicas || d.Status.ObservedGeneration < d.Generation {
				pending = append(pending, fmt.Sprintf("deployment %s %d/%d", d.Name, d.Status.ReadyReplicas, *d.Spec.Replicas))
			}
		}
		ds, err := client.AppsV1().DaemonSets(benchNamespace).Get(ctx, "node-agent", metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		if ds.Status.DesiredNumberScheduled == 0 || ds.Status.NumberReady < ds.Status.DesiredNumberScheduled {
			pending = append(pending, fmt.Sprintf("daemonset %d/%d", ds.Status.NumberReady, ds.Status.DesiredNumberScheduled))
		}
		pdbs, err := client.PolicyV1().PodDisruptionBudgets(benchNamespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		for _, p := range pdbs.Items {
			if p.Status.ObservedGeneration < p.Generation || p.Status.CurrentHealthy < p.Status.ExpectedPods {
				pending = append(pending, fmt.Sprintf("pdb %s %d/%d healthy", p.Name, p.Status.CurrentHealthy, p.Status.ExpectedPods))
			}
		}
		return len(pending) == 0, nil
	})
	if err != nil {
		return fmt.Errorf("workload not ready after %s: %s: %w", timeout, strings.Join(pending, ", "), err)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
