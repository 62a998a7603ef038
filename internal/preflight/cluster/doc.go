// Package cluster feeds a preflight engine from a live cluster:
//
//   - every served resource type (discovery, the server's preferred version
//     of each), listed page by page (limit/continue) so a large cluster
//     neither times out nor fills memory: workload kinds in full, everything
//     else as metadata only;
//   - each object's kubectl.kubernetes.io/last-applied-configuration
//     annotation (judged stale or current by the engine from managedFields);
//   - Helm v3 release records of deployed releases, from Secrets and
//     ConfigMaps (owner=helm), decoded with Helm's own storage driver, their
//     manifests split into documents;
//   - the API server's apiserver_requested_deprecated_apis metric (GET
//     /metrics), which shows deprecated APIs that clients still call;
//   - the control plane's and the node pools' versions.
//
// What cannot be scanned (a group whose discovery fails, a resource the
// credentials may not list, /metrics without permission) becomes a
// scan-incomplete finding rather than a failure or a silent gap.
package cluster
