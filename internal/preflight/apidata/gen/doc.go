// Command gen writes upshift's API lifecycle dataset (zz_generated.apis.go in
// package apidata) from upstream sources, so the dataset is reproducible:
//
//	go generate ./internal/preflight/apidata
//
// Inputs, in order (-modules):
//
//   - k8s.io/api@v0.24.17: the last release that still has the Go types of
//     APIs removed in 1.16-1.27 (PodSecurityPolicy, autoscaling/v2beta1 and
//     v2beta2, ...), so their lifecycles come from upstream too;
//   - k8s.io/api at every other minor from 1.26 to 1.34: upstream deletes a
//     removed API's types a few releases after the removal, so sampling
//     every second release catches every kind removed in between (alpha
//     APIs included);
//   - k8s.io/api@v0.36.3, v0.37.2 and v0.38.0-alpha.2: the releases upshift
//     targets, and the 1.38 development branch, which says what 1.38 will
//     remove;
//   - k8s.io/apiextensions-apiserver and k8s.io/kube-aggregator @v0.37.2:
//     CustomResourceDefinition and APIService, which live outside k8s.io/api.
//
// Every zz_generated.prerelease-lifecycle.go in those modules is parsed with
// go/parser (never executed); the group comes from the package's register.go.
//
// Merge rules:
//
//  1. Later modules win for the kinds they contain (a newer release may
//     change a schedule, as 1.38 did for alpha APIs); a kind missing from a
//     later module keeps its older record (its type was deleted after
//     removal).
//  2. A deprecated prerelease kind whose Go type a later release of the same
//     module deleted is removed at the latest in that release (see
//     inferDeletions).
//  3. Kinds with neither a deprecation nor a removal are left out.
//  4. The deprecation guide (guide.go) is a cross-check: a guide row whose
//     removal release disagrees with upstream fails the generator; a row
//     upstream lacks is added with source "deprecation-guide"; the guide's
//     replacement fills in where upstream has none.
//  5. Replacement fixes: upstream's IngressClass points at "IngressClassList"
//     (a List suffix on a non-List kind is dropped); a kind with no
//     replacement anywhere gets the same kind at the newest stable version
//     (v1, v2, ...) of its group that no input schedules for removal.
//
// The generator needs the modules in the module cache; it runs
// `go mod download` for any that is missing.
package main
