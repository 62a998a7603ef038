package cluster

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"

	"upshift.dev/upshift/internal/preflight"
)

// resourceType is one served resource at the server's preferred version.
type resourceType struct {
	gvr        schema.GroupVersionResource
	kind       string
	namespaced bool
}

func (r resourceType) apiVersion() string { return r.gvr.GroupVersion().String() }

// fullObjects reports whether the workload checks read this kind's spec
// (and status); everything else is listed as metadata only, which is all
// the last-applied check needs and far lighter (Secrets without data).
func fullObjects(group, kind string) bool {
	switch group + "/" + kind {
	case "apps/Deployment", "apps/StatefulSet", "apps/ReplicaSet", "apps/DaemonSet",
		"/ReplicationController", "/Service",
		"policy/PodDisruptionBudget", "autoscaling/HorizontalPodAutoscaler":
		return true
	}
	return false
}

// discover lists the served, listable resource types, sorted. Groups whose
// discovery failed (an aggregated API that is down) are reported.
func discover(dc discovery.DiscoveryInterface, sink Sink) ([]resourceType, error) {
	lists, err := dc.ServerPreferredResources()
	if err != nil {
		var gdf *discovery.ErrGroupDiscoveryFailed
		if !errors.As(err, &gdf) {
			return nil, fmt.Errorf("cannot discover the cluster's API resources: %w", err)
		}
		var gvs []schema.GroupVersion
		for gv := range gdf.Groups {
			gvs = append(gvs, gv)
		}
		sort.Slice(gvs, func(i, j int) bool { return gvs[i].String() < gvs[j].String() })
		for _, gv := range gvs {
			incomplete(sink, preflight.ObjectRef{APIVersion: gv.String()}, "discovery of "+gv.String()+" failed", gdf.Groups[gv],
				"fix the aggregated API behind "+gv.String()+" (kubectl get apiservices) and run preflight again")
		}
	}
	var out []resourceType
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || !hasVerb(r.Verbs, "list") {
				continue
			}
			out = append(out, resourceType{gvr: gv.WithResource(r.Name), kind: r.Kind, namespaced: r.Namespaced})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].gvr.String() < out[j].gvr.String() })
	return out, nil
}

func hasVerb(verbs metav1.Verbs, v string) bool {
	for _, x := range verbs {
		if x == v {
			return true
		}
	}
	return false
}

// scanResources lists every resource type with a bounded number of workers.
func (s *Scanner) scanResources(ctx context.Context, c *clients, sink Sink) (types, objects int, err error) {
	rts, err := discover(c.kube.Discovery(), sink)
	if err != nil {
		return 0, 0, err
	}
	if !s.Checks.Has(preflight.GroupAPIs) {
		// Only the workload checks run: they read the workload kinds alone;
		// the last-applied annotations of everything else are for the API
		// checks.
		var only []resourceType
		for _, rt := range rts {
			if fullObjects(rt.gvr.Group, rt.kind) {
				only = append(only, rt)
			}
		}
		rts = only
	}
	s.progress("listing %d resource types, %d objects per page", len(rts), s.pageSize())
	var (
		wg    sync.WaitGroup
		count counter
		jobs  = make(chan resourceType)
	)
	for range s.workers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rt := range jobs {
				n, err := s.listResource(ctx, c, rt, sink)
				count.add(n)
				if err != nil && ctx.Err() == nil {
					incomplete(sink, preflight.ObjectRef{APIVersion: rt.apiVersion(), Kind: rt.kind},
						fmt.Sprintf("cannot list %s", rt.gvr.GroupResource()), err,
						"give the credentials list permission on "+rt.gvr.GroupResource().String()+" (kubectl auth can-i list "+rt.gvr.GroupResource().String()+" -A)")
				}
			}
		}()
	}
feed:
	for _, rt := range rts {
		select {
		case jobs <- rt:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return len(rts), count.value(), err
	}
	return len(rts), count.value(), nil
}

// listResource pages through one resource type. A continue token that
// expired mid-list (410 Gone on a very large type) restarts the list once;
// objects seen twice merge in the engine.
func (s *Scanner) listResource(ctx context.Context, c *clients, rt resourceType, sink Sink) (int, error) {
	n := 0
	for attempt := 0; ; attempt++ {
		m, err := s.listPages(ctx, c, rt, sink)
		n += m
		if err == nil || !apierrors.IsResourceExpired(err) || attempt > 0 {
			return n, err
		}
	}
}

func (s *Scanner) listPages(ctx context.Context, c *clients, rt resourceType, sink Sink) (int, error) {
	full := fullObjects(rt.gvr.Group, rt.kind)
	opts := metav1.ListOptions{Limit: s.pageSize()}
	n := 0
	for {
		var cont string
		if full {
			list, err := c.dynamic.Resource(rt.gvr).List(ctx, opts)
			if err != nil {
				return n, err
			}
			for i := range list.Items {
				u := &list.Items[i]
				u.SetAPIVersion(rt.apiVersion())
				u.SetKind(rt.kind)
				s.observe(sink, rt, u.Object, u)
			}
			n += len(list.Items)
			cont = list.GetContinue()
		} else {
			list, err := c.metadata.Resource(rt.gvr).List(ctx, opts)
			if err != nil {
				return n, err
			}
			for i := range list.Items {
				m := &list.Items[i]
				obj := map[string]any{"apiVersion": rt.apiVersion(), "kind": rt.kind,
					"metadata": map[string]any{"name": m.Name, "namespace": m.Namespace}}
				s.observe(sink, rt, obj, m)
			}
			n += len(list.Items)
			cont = list.Continue
		}
		if cont == "" {
			return n, nil
		}
		opts.Continue = cont
	}
}

func (s *Scanner) observe(sink Sink, rt resourceType, obj map[string]any, meta metav1.Object) {
	sink.Observe(obj, preflight.Source{Kind: preflight.SourceCluster})
	if _, ok := meta.GetAnnotations()[preflight.LastAppliedAnnotation]; ok {
		sink.ObserveLastApplied(preflight.ObjectRef{APIVersion: rt.apiVersion(), Kind: rt.kind, Namespace: meta.GetNamespace(), Name: meta.GetName()}, meta)
	}
}
