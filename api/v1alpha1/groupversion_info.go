// Package v1alpha1 holds upshift's API types, group upshift.dev, version
// v1alpha1: the CRDs that the controller reconciles on a hub cluster (update
// runs, blue-green upgrades, canary intakes) and the types they share, such
// as the metric analysis of analysis_types.go.
//
// Deepcopy functions and the CRDs in config/crd are generated; after
// editing a type run `make generate` (controller-gen v0.23.0).
//
// +kubebuilder:object:generate=true
// +groupName=upshift.dev
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

// These are the one sanctioned exception to "no package-level variables":
// controller-runtime, controller-gen and every kubebuilder project expect
// exactly these names. Kinds register themselves with SchemeBuilder.Register
// in an init function of their own file; nothing else mutates them.
var (
	// GroupVersion is the group and version of every kind in this package.
	GroupVersion = schema.GroupVersion{Group: "upshift.dev", Version: "v1alpha1"}

	// SchemeBuilder collects the kinds of this package.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds this package's kinds to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
