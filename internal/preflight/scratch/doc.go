// Package scratch starts throwaway Kubernetes API servers: one etcd and one
// kube-apiserver from the toolchain cache, on free loopback ports, with a
// temporary data directory and a generated admin token. No controllers, no
// nodes: enough to ask a real API server of a given version what it serves
// and what it accepts (server-side dry-run), in a few seconds.
//
// The preflight uses it for --server-dry-run; tests use it to prove the API
// lifecycle dataset against the real thing.
package scratch
