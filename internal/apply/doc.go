// Package apply creates or updates Kubernetes objects with server-side apply,
// in dependency order: namespaces and CRDs before the objects that live in
// them, RBAC and configuration before the workloads that use them, workloads
// before the Services and PDBs that select them. It is how the local fleet
// installs its sample apps and how a blue-green swap deploys manifests to the
// green cluster.
package apply
