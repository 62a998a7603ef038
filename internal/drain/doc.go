// Package drain empties a node the way kubectl drain does (cordon, then
// evict through the policy/v1 Eviction API so PodDisruptionBudgets are
// honoured), with three things kubectl drain lacks:
//
//   - It is non-blocking at its core. Step looks at the node once, issues the
//     evictions that are possible now and returns a Status; a controller
//     requeues on it, and Drain is a loop over Step for the CLI. This is the
//     shape Cluster API gave its fork of kubectl's drain.
//   - It evicts in parallel across PDBs but never more pods of one PDB than
//     its status.disruptionsAllowed: kubectl fires every eviction at once
//     and retries the 429s every 5 seconds; here a PDB's budget is read, spent
//     and re-read when the PDB changes, so the next eviction goes out the
//     moment a replacement is ready.
//   - When it is blocked it says by what: the pod, the PDB, its
//     disruptionsAllowed and healthy counts, and for how long, in the Status,
//     as a Warning Event on the node and in the final error.
//
// Which pods are drained, and the refusals for pods without a controller,
// with local storage or owned by a DaemonSet, come from
// k8s.io/kubectl/pkg/drain itself (GetPodsForDeletion), so --force,
// --ignore-daemonsets and --delete-emptydir-data mean exactly what they mean
// to kubectl, with kubectl's messages. Only the eviction loop is upshift's
// own: kubectl's evictPods blocks per pod and cannot report what blocks it.
//
// There is no PDB bypass: pods are only ever evicted, never deleted.
package drain
