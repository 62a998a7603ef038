package apidata

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"upshift.dev/upshift/internal/version"
)

func TestDatasetIsConsistent(t *testing.T) {
	d := New()
	all := d.All()
	if len(all) < 100 {
		t.Fatalf("only %d entries", len(all))
	}
	for _, a := range all {
		if a.Removed.Major > 0 && a.Deprecated.Major > 0 && minorLess(a.Removed, a.Deprecated) {
			t.Errorf("%s: removed before deprecated", a)
		}
		if a.Deprecated.Major == 0 && a.Removed.Major == 0 {
			t.Errorf("%s: no lifecycle event; it should not be in the dataset", a)
		}
		if a.Source == "" {
			t.Errorf("%s: no source", a)
		}
		if r := a.Replacement; !r.IsZero() && strings.HasSuffix(r.Kind, "List") {
			t.Errorf("%s: replacement %s is a list kind", a, r)
		}
	}
}

// TestCoverage pins the removals the dataset must know: every release of
// the deprecation guide, the post-guide removals up to 1.37, and 1.38.
func TestCoverage(t *testing.T) {
	d := New()
	for _, tc := range []struct {
		apiVersion, kind, removed string
	}{
		{"extensions/v1beta1", "Deployment", "1.16"},
		{"extensions/v1beta1", "PodSecurityPolicy", "1.16"},
		{"apps/v1beta2", "StatefulSet", "1.16"},
		{"apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", "1.22"},
		{"apiregistration.k8s.io/v1beta1", "APIService", "1.22"},
		{"networking.k8s.io/v1beta1", "Ingress", "1.22"},
		{"batch/v1beta1", "CronJob", "1.25"},
		{"policy/v1beta1", "PodSecurityPolicy", "1.25"},
		{"autoscaling/v2beta1", "HorizontalPodAutoscaler", "1.25"},
		{"autoscaling/v2beta2", "HorizontalPodAutoscaler", "1.26"},
		{"storage.k8s.io/v1beta1", "CSIStorageCapacity", "1.27"},
		{"flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema", "1.29"},
		{"flowcontrol.apiserver.k8s.io/v1beta3", "PriorityLevelConfiguration", "1.32"},
		{"authentication.k8s.io/v1beta1", "SelfSubjectReview", "1.33"},
		{"admissionregistration.k8s.io/v1beta1", "ValidatingAdmissionPolicy", "1.34"},
		{"storage.k8s.io/v1beta1", "VolumeAttributesClass", "1.37"},
		{"networking.k8s.io/v1beta1", "ServiceCIDR", "1.37"},
		{"resource.k8s.io/v1beta1", "ResourceClaim", "1.38"},
	} {
		a, ok := d.Lookup(tc.apiVersion, tc.kind)
		if !ok || Minor(a.Removed) != tc.removed {
			t.Errorf("%s %s: got %v (found %v), want removed in %s", tc.apiVersion, tc.kind, a, ok, tc.removed)
		}
	}
	if _, ok := d.Lookup("apps/v1", "Deployment"); ok {
		t.Error("apps/v1 Deployment has no lifecycle event and must not be in the dataset")
	}
}

func TestReplacementAt(t *testing.T) {
	d := New()
	fs, _ := d.Lookup("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema")
	for target, want := range map[string]string{"1.28.0": "flowcontrol.apiserver.k8s.io/v1beta3", "1.32.0": "flowcontrol.apiserver.k8s.io/v1"} {
		if got := d.ReplacementAt(fs, version.MustParse(target)).APIVersion(); got != want {
			t.Errorf("at %s: %s, want %s", target, got, want)
		}
	}
	ic, _ := d.Lookup("networking.k8s.io/v1beta1", "IngressClass")
	if ic.Replacement != (GVK{"networking.k8s.io", "v1", "IngressClass"}) {
		t.Errorf("IngressClass replacement %v (upstream says IngressClassList)", ic.Replacement)
	}
	psp, _ := d.Lookup("extensions/v1beta1", "PodSecurityPolicy")
	if r := d.ReplacementAt(psp, version.MustParse("1.25.0")); !r.IsZero() {
		t.Errorf("PodSecurityPolicy at 1.25 has no replacement, got %v", r)
	}
}

func TestRemovedGroupVersions(t *testing.T) {
	gvs := New().RemovedGroupVersions(version.MustParse("1.37.2"))
	for _, want := range []string{"extensions/v1beta1", "policy/v1beta1", "networking.k8s.io/v1beta1", "flowcontrol.apiserver.k8s.io/v1beta3"} {
		if !slices.Contains(gvs, want) {
			t.Errorf("%s not removed at 1.37: %v", want, gvs)
		}
	}
	for _, no := range []string{"resource.k8s.io/v1beta1", "policy/v1"} {
		if slices.Contains(gvs, no) {
			t.Errorf("%s wrongly removed at 1.37", no)
		}
	}
}

func ExampleDataset_Lookup() {
	d := New()
	a, _ := d.Lookup("policy/v1beta1", "PodDisruptionBudget")
	target := version.MustParse("1.37.2")
	fmt.Println(a.Describe())
	fmt.Println(a.IsRemoved(target), d.ReplacementAt(a, target).APIVersion())
	// Output:
	// deprecated in 1.21, removed in 1.25
	// true policy/v1
}
