// Package nodepool upgrades a node pool without breaking a
// PodDisruptionBudget, by two strategies:
//
//   - Surge, with AKS's order and semantics (agentPool.upgradeSettings):
//     add maxSurge nodes at the target, cordon and drain a batch of
//     maxSurge+maxUnavailable old nodes, soak, reimage them (they become the
//     buffer for the next batch), repeat, then drain and delete the surge
//     nodes so the pool ends at its original size. A node whose drain outlasts
//     drainTimeoutInMinutes is handled by undrainableNodeBehavior: Schedule
//     stops the upgrade (blocked nodes uncordoned, surge nodes drained and
//     removed, result Failed); Cordon quarantines it with
//     kubernetes.azure.com/upgrade-status=Quarantined, keeps one surge node
//     for it, upgrades the rest and ends Failed, within maxBlockedNodes.
//   - Blue-green, as AKS's preview and GKE do it: create a green set of nodes
//     at the target in the same pool, cordon the blue ones, drain them in
//     batches with a soak after each, soak once more, then delete blue. Until
//     blue is deleted, Rollback moves the workloads back and removes green,
//     which AKS cannot do for a pool (Azure/AKS#2744).
//
// Progress lives only on the nodes (labels and annotations), and every pass
// derives what to do next from them, so a process killed at any moment and
// started again continues where it stopped: no node is upgraded twice, none
// is left cordoned, no surge node is left behind. Timed waits (drain
// timeout, soaks) are measured from timestamps in those annotations.
//
// Reconcile is one non-blocking pass, for controllers; Run loops over it for
// the CLI, waking on node, pod and PDB changes. Node operations go through
// provider.Machines; a provider without them (AKS) upgrades pools itself.
package nodepool
