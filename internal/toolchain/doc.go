// Package toolchain builds and caches the binaries of the local fleet: the
// Kubernetes control plane (kube-apiserver, kube-controller-manager,
// kube-scheduler) for each supported version, etcd, and kwok/kwokctl.
//
// Everything is built from the Go module proxy. Each component gets a
// throwaway tools module of its own (its own go.mod, generated from the
// pinned versions), so upshift's own dependency graph never sees Kubernetes
// internals. Builds land in a cache outside any repository, by default
// ${XDG_CACHE_HOME:-$HOME/.cache}/upshift/toolchain, one directory per
// component and version:
//
//	kubernetes-v1.37.2/bin/{kube-apiserver,kube-controller-manager,kube-scheduler}
//	kubernetes-v1.37.2/manifest.json
//	etcd-v3.6.16/bin/etcd
//	kwok-v0.8.0/bin/{kwok,kwokctl}
//
// A component is built in a temporary directory next to its final place and
// renamed into place only once every binary exists and the manifest is
// written, so an interrupted build is never mistaken for a finished one. A
// file lock per component makes concurrent callers (parallel test packages,
// two terminals) wait for one build instead of running two.
package toolchain
