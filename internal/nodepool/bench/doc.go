// Command bench measures a node pool upgrade end to end, on real local
// control planes with kwok nodes, and compares upshift with what people do
// by hand today (`make bench-nodepool`).
//
// Each run gets an identical, fresh cluster, so no run benefits from
// another's warm caches or already-moved pods: an apps pool of -nodes nodes
// at Kubernetes 1.36.3 carrying -pods-per-node pods of ten Deployments
// (spread over the nodes, each with a realistic PodDisruptionBudget:
// maxUnavailable 1, 2, 10%, 20%, 25%, minAvailable 50%, 80%, 90%, one app
// without a PDB) plus one DaemonSet pod per node, kwok delays for pod start,
// pod stop and node ready (2s, 1s, 2s by default). The control plane is
// upgraded to 1.37.2 with Fleet.UpgradeControlPlane, then the pool's nodes
// go to 1.37.2 and localfleet.LatestNodeImage():
//
//   - upshift: nodepool.Upgrader.Run with the surge strategy, once per
//     -surges value (10% and 33% by default), drain timeout 10m, no soak;
//   - kubectl: a plain bash script that, node by node, runs kubectl cordon,
//     kubectl drain --ignore-daemonsets --delete-emptydir-data, then
//     "replaces" the node the way localfleet's ReimageNode does (a status
//     patch of nodeInfo.kubeletVersion, the image label, the node-ready
//     delay while still cordoned, kubectl uncordon), with the toolchain's
//     kubectl of the server's version.
//
// # Ideal lower bound
//
// A surge upgrade moves in batches of maxSurge+maxUnavailable nodes; each
// batch must drain, soak, and reboot (the reimage) before the next one may
// take its place, so no engine can beat
//
//	ideal = Σ over batches (R + D_batch + S)  (= batches × (R + D + S))
//
// where R is the node-ready delay, S the node soak and D_batch the slowest
// drain of the batch that PDBs permit: a PDB that allows k disruptions, with
// m of its pods on the batch's nodes (the pool's even spread: ⌈replicas ×
// batch size / nodes⌉), needs w = ⌈m/k⌉ waves of evictions; every wave but
// the last waits for its replacements to start (pod start delay P), the last
// only for its pods to stop (pod stop delay Q):
//
//	D_batch = Q + (max over PDBs of w − 1) × P
//
// The kubectl script is the same formula with batches of one node. The
// bound leaves out what both methods also pay (surge nodes booting and
// being drained away at the end, API and scheduling latency), so a ratio of
// 1.0 is unreachable; what matters is how far above it each method lands.
//
// # API requests
//
// upshift's are counted by an http.RoundTripper wrapped around the
// rest.Config of the Upgrader's client (rest.Config.WrapTransport): every
// request its engine, drain and event recorder send, a watch counting once.
// Node operations go through provider.Machines (on AKS they are ARM calls,
// not Kubernetes API requests) and are not counted. kubectl's are counted
// from its own -v=6 log: every line with an HTTP verb and a status code is
// one request; the cordon and drain commands are the comparable figure, the
// replace commands (patch, label, uncordon) are reported beside it.
//
// # Correctness
//
// A PDB watcher runs during each upgrade and records, per PDB, the minimum
// over time of currentHealthy − desiredHealthy (it must never go below 0).
// After each upgrade every pool node must be at the target, the pool at its
// original size, no node cordoned, and every pod Running and Ready.
//
// The machine is shared, so nproc and the load average are printed at start
// and end; no figure is asserted against a wall-clock threshold. Every
// cluster the bench starts is deleted at the end, also on failure and
// Ctrl-C.
//
//	go run ./internal/nodepool/bench [-nodes 50] [-pods-per-node 10] [-surges 10%,33%] [-kubectl=true]
package main
