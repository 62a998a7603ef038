// Package preflight answers "what will break if this cluster, or these
// manifests, move to Kubernetes version X?" before an upgrade starts.
//
// An Engine takes objects from any number of sources (manifest files, a live
// cluster, the last-applied-configuration annotations of its objects, Helm
// release records, the API server's own deprecated-API metric), runs checks
// on them and returns a Report of findings. Objects stream through: each is
// checked against the API lifecycle dataset (package apidata) as it arrives
// and then dropped; only what the cross-object workload checks need (a small
// summary per workload, PodDisruptionBudget, HorizontalPodAutoscaler and
// Service) is kept until the report is built. Memory therefore grows with
// the findings and the workloads, not with the number of objects scanned.
//
// Checks are small functions in ordered lists, one list per group (apis,
// workloads, versions); Checks lists every check id with its severity. A
// finding names the object, every source that reported it ("file:x.yaml#2",
// "cluster", "cluster:last-applied", "helm:release/namespace", "metric"),
// what is wrong and how to fix it. Several sources reporting the same object
// make one finding.
//
// The JSON form of Report is a contract other tools parse; see Report and
// docs/preflight.md.
package preflight
