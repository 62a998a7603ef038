// Package provider defines what upshift needs from a place that runs
// clusters, in small interfaces shaped after the AKS resource model
// (managedClusters and agentPools) so that one engine drives AKS, the local
// fleet and, later, other clouds:
//
//   - Clusters: a cluster's control plane (version, upgrade, credentials).
//   - NodePools: pools of identical nodes with AKS upgradeSettings.
//   - Machines: node-level operations. A provider that offers them (the local
//     fleet) lets upshift's own surge engine run node by node; one that does
//     not (AKS) upgrades a pool server-side with the same upgradeSettings and
//     upshift watches and reports. Engines test for it with a type assertion,
//     the io.WriterTo way.
//
// Long operations block until done or until ctx ends; a provider whose cloud
// runs them asynchronously (ARM long-running operations) polls internally.
// Errors wrap ErrNotFound or ErrConflict where those apply, so callers can
// branch with errors.Is.
package provider
