// Package aks implements upshift's provider interfaces for Azure Kubernetes
// Service over Azure Resource Manager, with the armcontainerservice/v6
// SDK (v6.6.0, API version 2025-02-01) on azcore's pipeline.
//
// # Naming a cluster
//
// Every method takes a cluster name in one of these forms (see
// ParseClusterRef):
//
//	aks://<subscription>/<resourceGroup>/<cluster>
//	/subscriptions/<subscription>/resourceGroups/<resourceGroup>/providers/Microsoft.ContainerService/managedClusters/<cluster>
//	<resourceGroup>/<cluster>   (subscription from Options.Subscription)
//	<cluster>                   (subscription and resource group from Options)
//
// The CLI fills Options.Subscription and Options.ResourceGroup from flags
// (or AZURE_SUBSCRIPTION_ID), so `aks://` names are needed only to reach
// across subscriptions.
//
// # Authentication
//
// Options.Credential is any azcore.TokenCredential. When nil, the provider
// uses azidentity's DefaultAzureCredential: a service principal from
// AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or a
// certificate), workload identity in a pod, a managed identity on an Azure
// VM, then the account signed in with `az login` or `azd auth login`.
// Options.ClientOptions points the provider at another cloud, or at the
// local ARM-protocol server (package armserver) in tests and demos.
//
// # Behaviour
//
//   - UpgradeControlPlane is AKS's control-plane-only upgrade: a PUT of the
//     managed cluster with the new kubernetesVersion and every agent pool
//     kept at its own orchestratorVersion, then the long-running operation
//     is awaited. Called again for a cluster already upgrading to the same
//     version, it waits for that operation instead of starting another.
//   - CloneCluster creates a cluster in the image of another (blue-green
//     and canary green clusters): the GET of the old cluster, minus what is
//     read-only or its own, at the new version, PUT with If-None-Match: *
//     and tagged CreatedForTag. Called again it resumes: waits for a
//     creation still running, keeps a finished one, re-creates one that
//     failed; a cluster of that name without the tag is never touched.
//     DeleteCluster deletes only clusters with the tag.
//   - Long-running operations are polled every Options.PollInterval, or
//     after ARM's Retry-After when it sends one, on Options.Clock. A failed
//     operation's error names the operation and carries ARM's code and
//     message.
//   - Throttling (429) and transient 5xx are retried by azcore's retry
//     policy, which waits the Retry-After ARM sends.
//   - Errors: 404 wraps provider.ErrNotFound; 409 (OperationNotAllowed:
//     another operation runs) and 412 (the object changed, or already
//     exists on create) wrap provider.ErrConflict. ARM's code and message
//     stay in the text.
//
// # Node pools on AKS
//
// AKS runs surge upgrades server-side (maxSurge, drain, soak, reimage), so
// upshift's node pool engine does not add and drain nodes itself on AKS: it
// calls ManagedUpgrader.UpgradePool, which PUTs the agent pool with the new
// orchestratorVersion and upgradeSettings, or calls upgradeNodeImageVersion
// for a node-image-only upgrade, and waits. SetPoolTarget therefore cannot
// record a target without upgrading (a changed orchestratorVersion starts
// the upgrade); it wraps errors.ErrUnsupported unless the pool is already at
// the target. The provider does not implement provider.Machines.
//
// API 2025-02-01 limits: agentPool upgradeSettings has maxSurge,
// drainTimeoutInMinutes and nodeSoakDurationInMinutes only; maxUnavailable,
// undrainableNodeBehavior and maxBlockedNodes are refused with an error
// that says so (and read back empty), and nodeImageVersion is read-only, so
// new pools get AKS's newest image for their version.
package aks
