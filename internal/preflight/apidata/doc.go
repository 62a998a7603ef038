// Package apidata is upshift's dataset of Kubernetes API lifecycles: for
// every group/version/kind that upstream has deprecated or removed, the
// release that deprecated it, the release that stopped serving it and what to
// use instead.
//
// The dataset is generated (go generate ./internal/preflight/apidata) from
// the zz_generated.prerelease-lifecycle.go files of k8s.io/api,
// k8s.io/apiextensions-apiserver and k8s.io/kube-aggregator in the Go module
// cache, cross-checked against the Kubernetes deprecation guide; see
// gen/main.go for the inputs and the merge rules, and Sources for the exact
// module versions. kube-apiserver itself decides what to serve from the same
// APILifecycleRemoved functions, so the dataset says what a server of a given
// version refuses; a test proves it against real 1.36 and 1.37 servers.
//
// Versions are minors: a lifecycle event happens in a minor release, and
// every patch of that minor behaves the same.
package apidata

//go:generate go run ./gen -o zz_generated.apis.go
