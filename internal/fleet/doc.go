// Package fleet runs update runs: staged upgrades across the members of a
// fleet, with Azure Kubernetes Fleet Manager's model (stages in sequence,
// groups in parallel, members one at a time or up to maxConcurrency;
// Approval and ScheduledStart gates; after-stage waits; start, stop, skip)
// and what its users still ask for: Validation gates with Argo Rollouts
// analysis semantics, retrying failed members, a failure budget
// (maxAllowedFailures) and maintenance windows per member.
//
// The UpdateRun's status is the run's only memory. Every reconcile
// recomputes the run's position from it and measures every wait from a
// timestamp in it, the way KubeFleet and Cluster API reconcile. Member
// upgrades run as workers in the controller process; a controller killed at
// any point and started again finds members Running in status and starts
// their upgrades again, which is safe because a member upgrade is
// idempotent: a control plane already at the target is left alone, and the
// node pool engine never reimages a node twice.
package fleet
