package apidata_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"

	"upshift.dev/upshift/internal/preflight/apidata"
	"upshift.dev/upshift/internal/preflight/scratch"
	"upshift.dev/upshift/internal/toolchain"
	"upshift.dev/upshift/internal/version"
)

// TestDatasetAgainstRealAPIServers proves the dataset against real
// kube-apiservers of every version the toolchain builds (1.36.3, 1.37.2),
// each started twice: with default APIs, and with every API enabled
// (--runtime-config=api/all=true, so alpha and beta versions that are off by
// default are judged too). For each server:
//
//   - every kind the dataset calls removed at or before the server's version
//     is absent from discovery, and a server-side dry-run create of it is
//     refused (404);
//   - every group/version whose known kinds are all removed is not served;
//   - nothing the server serves is called removed by the dataset.
func TestDatasetAgainstRealAPIServers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	bins, err := toolchain.Cache{}.Ensure(ctx, nil, toolchain.KubernetesVersions...)
	if err != nil {
		t.Fatal(err)
	}
	d := apidata.New()
	for _, b := range bins {
		for _, rc := range []string{"", "api/all=true"} {
			name := b.KubernetesVersion + "/default-apis"
			if rc != "" {
				name = b.KubernetesVersion + "/all-apis"
			}
			t.Run(name, func(t *testing.T) {
				s, err := scratch.Start(ctx, scratch.Options{Binaries: b, RuntimeConfig: rc})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Stop()
				proveAt(ctx, t, d, version.MustParse(b.KubernetesVersion), s, rc != "")
			})
		}
	}
}

func proveAt(ctx context.Context, t *testing.T, d *apidata.Dataset, v version.Version, s *scratch.Server, allAPIs bool) {
	dc, err := discovery.NewDiscoveryClientForConfig(s.Config)
	if err != nil {
		t.Fatal(err)
	}
	_, lists, err := dc.ServerGroupsAndResources()
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	served := map[string]map[string]bool{} // apiVersion -> kinds of top-level resources
	for _, l := range lists {
		kinds := map[string]bool{}
		for _, r := range l.APIResources {
			if !strings.Contains(r.Name, "/") {
				kinds[r.Kind] = true
			}
		}
		served[l.GroupVersion] = kinds
	}

	// Nothing served is called removed.
	var servedGVs []string
	for gv := range served {
		servedGVs = append(servedGVs, gv)
	}
	sort.Strings(servedGVs)
	checkedServed := 0
	for _, gv := range servedGVs {
		for kind := range served[gv] {
			checkedServed++
			if a, ok := d.Lookup(gv, kind); ok && a.IsRemoved(v) {
				t.Errorf("%s serves %s %s, but the dataset says removed in %s (source %s)", v, gv, kind, apidata.Minor(a.Removed), a.Source)
			}
		}
	}

	// Every removed group/version is gone.
	for _, gv := range d.RemovedGroupVersions(v) {
		if _, ok := served[gv]; ok {
			t.Errorf("%s still serves %s, which the dataset says is removed", v, gv)
		}
	}

	// Every removed kind is gone from discovery and refused by a dry-run.
	dyn, err := dynamic.NewForConfig(s.Config)
	if err != nil {
		t.Fatal(err)
	}
	removed := 0
	for _, a := range d.All() {
		if !a.IsRemoved(v) {
			continue
		}
		removed++
		if served[a.APIVersion()][a.Kind] {
			t.Errorf("%s serves %s, which the dataset says was removed in %s", v, a.GVK, apidata.Minor(a.Removed))
		}
		gvk := schema.GroupVersionKind{Group: a.Group, Version: a.Version, Kind: a.Kind}
		gvr, _ := meta.UnsafeGuessKindToResource(gvk)
		obj := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": a.APIVersion(), "kind": a.Kind, "metadata": map[string]any{"name": "upshift-proof"}}}
		_, err := dyn.Resource(gvr).Namespace("default").Create(ctx, obj, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if !apierrors.IsNotFound(err) {
			t.Errorf("%s: dry-run create of removed %s: got %v, want 404 Not Found", v, a.GVK, err)
		}
	}
	if removed < 80 {
		t.Errorf("only %d kinds removed at %s; the dataset looks truncated", removed, v)
	}

	// And a served replacement is accepted, so the 404s above mean something.
	pdb := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
		"metadata": map[string]any{"name": "upshift-proof"},
		"spec":     map[string]any{"maxUnavailable": int64(1), "selector": map[string]any{"matchLabels": map[string]any{"app": "x"}}},
	}}
	if _, err := dyn.Resource(schema.GroupVersionResource{Group: "policy", Version: "v1", Resource: "poddisruptionbudgets"}).
		Namespace("default").Create(ctx, pdb, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Errorf("%s: dry-run create of policy/v1 PodDisruptionBudget: %v", v, err)
	}
	// What the next minor removes is still here, so "removed in 1.38" is a
	// warning about something users can have today (checked with every API
	// on: most such kinds are betas that are off by default; alpha kinds also
	// need feature gates, so they are left out).
	next := 0
	if allAPIs {
		for _, a := range d.All() {
			if a.Removed.Major == v.Major && a.Removed.Minor == v.Minor+1 && !strings.Contains(a.Version, "alpha") {
				next++
				if !served[a.APIVersion()][a.Kind] {
					t.Errorf("%s does not serve %s, which the dataset says is removed only in %s", v, a.GVK, apidata.Minor(a.Removed))
				}
			}
		}
	}
	t.Logf("%s: %d served group/versions, %d served kinds checked, %d removed kinds refused, %d kinds removed next release still served",
		v, len(servedGVs), checkedServed, removed, next)
}
