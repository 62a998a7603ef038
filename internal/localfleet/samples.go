package localfleet

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"upshift.dev/upshift/internal/apply"
)

//go:embed samples/*.yaml
var sampleFiles embed.FS

// LabelFragile marks the fragile sample app's objects.
const LabelFragile = "upshift.dev/fragile"

// SampleObjects returns the sample apps' objects; the fragile app only when
// fragile is set.
func SampleObjects(fragile bool) ([]*unstructured.Unstructured, error) {
	names, err := fs.Glob(sampleFiles, "samples/*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []*unstructured.Unstructured
	for _, name := range names {
		if !fragile && strings.Contains(name, "fragile") {
			continue
		}
		raw, err := sampleFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		objs, err := apply.Decode(raw)
		if err != nil {
			return nil, fmt.Errorf("sample %s: %w", name, err)
		}
		out = append(out, objs...)
	}
	return out, nil
}

func (f *Fleet) installSamples(ctx context.Context, s ClusterSpec, progress ProgressFunc) error {
	objs, err := SampleObjects(s.FragileApp)
	if err != nil {
		return err
	}
	cfg, err := f.RESTConfig(s.Name)
	if err != nil {
		return err
	}
	a, err := apply.New(cfg)
	if err != nil {
		return err
	}
	progress.emit(s.Name, "apps", "installing %d sample objects", len(objs))
	if err := a.Apply(ctx, objs); err != nil {
		return err
	}
	client, err := f.Client(s.Name)
	if err != nil {
		return err
	}
	progress.emit(s.Name, "apps", "waiting for sample workloads to be ready")
	return waitWorkloadsReady(ctx, client, 3*time.Minute)
}

// waitWorkloadsReady waits until every Deployment, StatefulSet and DaemonSet
// has all its replicas ready, and names the ones that are not on timeout.
func waitWorkloadsReady(ctx context.Context, client kubernetes.Interface, timeout time.Duration) error {
	var pending []string
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		var now []string
		defer func() { pending = now }()
		deps, err := client.AppsV1().Deployments("").List(ctx, metav1.ListOptions{})
		if err != nil {
			now = append(now, "cannot list deployments: "+err.Error())
			return false, nil
		}
		for _, d := range deps.Items {
			want := int32(1)
			if d.Spec.Replicas != nil {
				want = *d.Spec.Replicas
			}
			if d.Status.ReadyReplicas < want || d.Status.ObservedGeneration < d.Generation {
				now = append(now, fmt.Sprintf("deployment %s/%s %d/%d", d.Namespace, d.Name, d.Status.ReadyReplicas, want))
			}
		}
		sts, err := client.AppsV1().StatefulSets("").List(ctx, metav1.ListOptions{})
		if err != nil {
			now = append(now, "cannot list statefulsets: "+err.Error())
			return false, nil
		}
		for _, s := range sts.Items {
			want := int32(1)
			if s.Spec.Replicas != nil {
				want = *s.Spec.Replicas
			}
			if s.Status.ReadyReplicas < want {
				now = append(now, fmt.Sprintf("statefulset %s/%s %d/%d", s.Namespace, s.Name, s.Status.ReadyReplicas, want))
			}
		}
		dss, err := client.AppsV1().DaemonSets("").List(ctx, metav1.ListOptions{})
		if err != nil {
			now = append(now, "cannot list daemonsets: "+err.Error())
			return false, nil
		}
		for _, d := range dss.Items {
			if d.Status.NumberReady < d.Status.DesiredNumberScheduled || d.Status.ObservedGeneration < d.Generation {
				now = append(now, fmt.Sprintf("daemonset %s/%s %d/%d", d.Namespace, d.Name, d.Status.NumberReady, d.Status.DesiredNumberScheduled))
			}
		}
		return len(now) == 0, nil
	})
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted while waiting for workloads: %w", ctx.Err())
	}
	if err != nil {
		return fmt.Errorf("workloads not ready after %s: %s: %w", timeout, strings.Join(pending, ", "), err)
	}
	return nil
}
