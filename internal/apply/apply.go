package apply

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// FieldManager is the server-side apply field manager upshift writes with.
const FieldManager = "upshift"

// order ranks kinds so dependencies are applied first. Unknown kinds (custom
// resources) go after workloads and before Services, since their CRDs were
// applied first.
var order = map[string]int{
	"Namespace":                0,
	"CustomResourceDefinition": 1,
	"PriorityClass":            2,
	"StorageClass":             2,
	"ServiceAccount":           3,
	"ClusterRole":              3,
	"Role":                     3,
	"ClusterRoleBinding":       4,
	"RoleBinding":              4,
	"ConfigMap":                5,
	"Secret":                   5,
	"PersistentVolumeClaim":    6,
	"Deployment":               7,
	"StatefulSet":              7,
	"DaemonSet":                7,
	"ReplicaSet":               7,
	"Job":                      7,
	"CronJob":                  7,
	"Service":                  9,
	"PodDisruptionBudget":      9,
	"HorizontalPodAutoscaler":  9,
	"Ingress":                  10,
}

const customRank = 8

// Rank returns the position of kind in the apply order.
func Rank(kind string) int {
	if r, ok := order[kind]; ok {
		return r
	}
	return customRank
}

// Sort orders objects for applying, stably, so objects of the same rank keep
// the order the user gave them.
func Sort(objs []*unstructured.Unstructured) {
	sort.SliceStable(objs, func(i, j int) bool { return Rank(objs[i].GetKind()) < Rank(objs[j].GetKind()) })
}

// Applier applies objects to one cluster.
type Applier struct {
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

// New returns an Applier for the cluster cfg points at.
func New(cfg *rest.Config) (*Applier, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &Applier{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}, nil
}

// Apply server-side applies objs in dependency order. It stops at the first
// failure and names the object; objects applied before it stay applied
// (apply is idempotent, so running it again continues).
func (a *Applier) Apply(ctx context.Context, objs []*unstructured.Unstructured) error {
	sorted := append([]*unstructured.Unstructured(nil), objs...)
	Sort(sorted)
	for _, obj := range sorted {
		if err := a.applyOne(ctx, obj); err != nil {
			return fmt.Errorf("failed to apply %s %s: %w", obj.GetKind(), objectName(obj), err)
		}
		// A new CRD changes what the cluster serves.
		if obj.GetKind() == "CustomResourceDefinition" {
			a.mapper.Reset()
		}
	}
	return nil
}

func (a *Applier) applyOne(ctx context.Context, obj *unstructured.Unstructured) error {
	gvk := obj.GroupVersionKind()
	mapping, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		a.mapper.Reset()
		mapping, err = a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return fmt.Errorf("the cluster does not serve %s: %w", gvk, err)
	}
	body, err := json.Marshal(obj.Object)
	if err != nil {
		return err
	}
	var ri dynamic.ResourceInterface = a.dyn.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := obj.GetNamespace()
		if ns == "" {
			ns = "default"
		}
		ri = a.dyn.Resource(mapping.Resource).Namespace(ns)
	}
	force := true
	_, err = ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, body, metav1.PatchOptions{FieldManager: FieldManager, Force: &force})
	return err
}

// Resource returns the REST resource for a kind, for callers that read back
// what they applied.
func (a *Applier) Resource(gvk schema.GroupVersionKind) (schema.GroupVersionResource, bool, error) {
	m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return schema.GroupVersionResource{}, false, err
	}
	return m.Resource, m.Scope.Name() == meta.RESTScopeNameNamespace, nil
}

func objectName(obj *unstructured.Unstructured) string {
	if ns := obj.GetNamespace(); ns != "" {
		return ns + "/" + obj.GetName()
	}
	return obj.GetName()
}
