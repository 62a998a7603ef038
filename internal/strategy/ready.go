package strategy

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
)

// notReady lists what of the bundle is not ready on the cluster yet, one
// short line each: workloads with fewer ready replicas than asked, and
// Services with a selector but no ready endpoint. The Service check is what
// makes a switch safe: an ingress (the local one, a cloud load balancer)
// sends a request to a cluster only through a ready endpoint, and the
// endpoints follow the pods a moment after the workload reports ready.
func notReady(ctx context.Context, c kubernetes.Interface, objs []*unstructured.Unstructured) ([]string, error) {
	var pending []string
	for _, o := range objs {
		ns, name := o.GetNamespace(), o.GetName()
		if ns == "" {
			ns = "default"
		}
		what := fmt.Sprintf("%s %s/%s", o.GetKind(), ns, name)
		var line string
		var err error
		switch o.GetKind() {
		case "Deployment":
			var d *appsv1.Deployment
			if d, err = c.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{}); err == nil {
				line = replicas(d.Status.ObservedGeneration < d.Generation, d.Spec.Replicas, d.Status.ReadyReplicas)
			}
		case "StatefulSet":
			var s *appsv1.StatefulSet
			if s, err = c.AppsV1().StatefulSets(ns).Get(ctx, name, metav1.GetOptions{}); err == nil {
				line = replicas(s.Status.ObservedGeneration < s.Generation, s.Spec.Replicas, s.Status.ReadyReplicas)
			}
		case "DaemonSet":
			var d *appsv1.DaemonSet
			if d, err = c.AppsV1().DaemonSets(ns).Get(ctx, name, metav1.GetOptions{}); err == nil {
				want := d.Status.DesiredNumberScheduled
				line = replicas(d.Status.ObservedGeneration < d.Generation, &want, d.Status.NumberReady)
			}
		case "Service":
			line, err = serviceReady(ctx, c, o, ns, name)
		default:
			continue
		}
		switch {
		case apierrors.IsNotFound(err):
			line = "not found"
		case err != nil:
			return nil, fmt.Errorf("failed to read %s: %w", what, err)
		}
		if line != "" {
			pending = append(pending, what+": "+line)
		}
	}
	return pending, nil
}

func replicas(stale bool, want *int32, ready int32) string {
	n := int32(1)
	if want != nil {
		n = *want
	}
	switch {
	case stale:
		return "the new spec is not rolled out yet"
	case ready < n:
		return fmt.Sprintf("%d/%d ready", ready, n)
	}
	return ""
}

func serviceReady(ctx context.Context, c kubernetes.Interface, o *unstructured.Unstructured, ns, name string) (string, error) {
	sel, _, _ := unstructured.NestedStringMap(o.Object, "spec", "selector")
	typ, _, _ := unstructured.NestedString(o.Object, "spec", "type")
	if len(sel) == 0 || typ == "ExternalName" {
		return "", nil // no endpoints of ours to wait for
	}
	if _, err := c.CoreV1().Services(ns).Get(ctx, name, metav1.GetOptions{}); err != nil {
		return "", err
	}
	slices, err := c.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + name})
	if err != nil {
		return "", err
	}
	for _, s := range slices.Items {
		for _, ep := range s.Endpoints {
			// Ready unset counts as ready, as the EndpointSlice API says.
			if ep.Conditions.Ready == nil || *ep.Conditions.Ready {
				return "", nil
			}
		}
	}
	return "no ready endpoint yet", nil
}
