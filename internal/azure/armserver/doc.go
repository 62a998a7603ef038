// Package armserver is a local HTTP server that speaks the Azure Resource
// Manager wire protocol for the resources upshift drives: AKS managed
// clusters and agent pools (Microsoft.ContainerService, api-version
// 2025-02-01, the one armcontainerservice/v6 v6.6.0 sends), Traffic Manager
// profiles and endpoints (Microsoft.Network, 2022-04-01) and Azure DNS CNAME
// record sets (Microsoft.Network, 2018-05-01). Azure is not reachable from
// where upshift is built and tested, so upshift's Azure code is tested over
// real HTTPS, through azcore's real pipeline (bearer token, retry, pollers),
// against this server; `upshift` demos can run against it too.
//
// Use it from a test with Start, which serves over TLS (azcore sends bearer
// tokens only over https) and hands out ClientOptions (cloud endpoint and
// transport) and a Credential the server accepts:
//
//	srv := armserver.Start(t, armserver.Options{})
//	srv.AddCluster(armserver.Cluster{Subscription: "sub", ResourceGroup: "rg", Name: "blue", ...})
//	client, _ := armcontainerservice.NewManagedClustersClient("sub", srv.Credential(), srv.ClientOptions())
//
// Behaviour, as ARM documents it:
//
//   - Every request needs `Authorization: Bearer <token>` (401
//     AuthenticationFailed otherwise) and the resource provider's
//     api-version (400 MissingApiVersionParameter or
//     NoRegisteredProviderFound).
//   - Errors use ARM's envelope {"error":{"code","message"}}: 404
//     ResourceNotFound, 400 InvalidParameter / BadRequest /
//     InvalidRequestContent, 409 OperationNotAllowed, 412
//     PreconditionFailed, 429 SubscriptionRequestsThrottled.
//   - AKS writes are long-running: 200/201 (PUT) or 202 (DELETE, POST) with
//     an Azure-AsyncOperation header (and Location for 202), a body whose
//     provisioningState is Creating, Updating, Upgrading, Deleting or
//     UpgradingNodeImageVersion, and an operation status resource that
//     answers {"status":"InProgress"} until the operation ends Succeeded or
//     Failed (with error.code and error.message). An operation ends after
//     Options.LROPolls observations (status polls, or GETs of its resource)
//     and Options.LRODuration. A control plane upgrade changes
//     currentKubernetesVersion only when it ends.
//   - While an operation runs on a cluster, writes to the cluster and its
//     agent pools get 409 OperationNotAllowed, as in AKS.
//   - Managed clusters are created by PUT (201 and an operation) and
//     deleted by DELETE (202 and an operation; 204 when there is none).
//     Properties, tags, identity and sku the server does not model are kept
//     and returned as sent (or as seeded), as ARM returns what it was
//     given: networkProfile, addonProfiles, a pool's vnetSubnetID...
//   - ETags: managed clusters (eTag), agent pools (properties.eTag), DNS
//     record sets (etag) and Traffic Manager endpoints honour If-Match and
//     If-None-Match: * with 412 PreconditionFailed. Traffic Manager's REST
//     specification (2022-04-01) defines no etag for endpoints; the server
//     sends an ETag header and honours If-Match there as an extension, to
//     test clients' read-modify-write. Real Traffic Manager may ignore
//     If-Match.
//   - Validation as ARM does it: Traffic Manager weight 1..1000 and
//     endpointStatus Enabled|Disabled; DNS TTL 0..2147483647 and a CNAME
//     target; agent pool upgradeSettings ranges (maxSurge, maxUnavailable,
//     drainTimeoutInMinutes 1..1440, nodeSoakDurationInMinutes 0..30,
//     undrainableNodeBehavior Cordon|Schedule, pool plus surge at most
//     1000 nodes); Kubernetes versions (upgrades only to what the upgrade
//     profile offers, pools never newer than the control plane nor more
//     than three minors older).
//
// Fault injection: Throttle (429 with Retry-After for the next N matching
// requests), FailRequests (any status and ARM code), FailNextOperation (the
// next long-running operation ends Failed) and HoldOperations (operations
// stay InProgress until released, to test 409 conflicts). Every request is
// recorded (method, path, api-version, headers, body, status) for tests to
// assert what was sent.
//
// The server keeps everything in memory and models the newest shapes of the
// resources it serves; it accepts upgradeSettings.maxUnavailable and
// undrainableNodeBehavior, which API 2025-02-01 does not define.
package armserver
