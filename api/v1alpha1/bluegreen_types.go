package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Phases of a BlueGreenUpgrade, in the order a successful one goes through
// them. RollingBack, RolledBack and Failed are the ways out; Finishing and
// Finished come after an explicit finish or the end of retainBlueFor.
const (
	BlueGreenPending           = "Pending"
	BlueGreenPreflight         = "Preflight"
	BlueGreenCreatingGreen     = "CreatingGreen"
	BlueGreenDeploying         = "Deploying"
	BlueGreenWaitingReady      = "WaitingReady"
	BlueGreenPreSwitchAnalysis = "PreSwitchAnalysis"
	BlueGreenSwitching         = "Switching"
	BlueGreenBaking            = "Baking"
	BlueGreenPromoted          = "Promoted"
	BlueGreenRollingBack       = "RollingBack"
	BlueGreenRolledBack        = "RolledBack"
	BlueGreenFinishing         = "Finishing"
	BlueGreenFinished          = "Finished"
	BlueGreenFailed            = "Failed"
)

// Actions people ask for in spec.action (the CLI sets them). An action is
// acted on once, for the spec generation that carries it (see
// status.actionGeneration).
const (
	// ActionPromote: blue-green: accept an Inconclusive pre-switch analysis
	// and switch, or end the bake now and promote. Canary: continue a
	// Paused intake with the next step, or, while Progressing, go to 100%
	// at once.
	ActionPromote = "Promote"
	// ActionRollback (blue-green): send all traffic back to blue, from any
	// phase up to and including Promoted; green is kept.
	ActionRollback = "Rollback"
	// ActionFinish: delete the side that lost now: blue (stable) after a
	// promotion, green (the canary) after a rollback, an abort or a
	// failure.
	ActionFinish = "Finish"
	// ActionAbort (canary): send all traffic back to stable and stop.
	ActionAbort = "Abort"
)

// Routers a strategy can drive (spec.traffic.router).
const (
	RouterLocal               = "local"
	RouterAzureTrafficManager = "azure-traffic-manager"
	RouterAzureDNS            = "azure-dns"
)

// Conditions of BlueGreenUpgrades and CanaryIntakes. Each is set on every
// reconcile; its Reason is one of those documented with it.
const (
	// ConditionPreflightPassed: True (Passed, Skipped, ErrorsIgnored) once
	// preflight let the strategy go on; False (Blocked) when its errors
	// stopped it; Unknown (Pending, Running) before.
	ConditionPreflightPassed = "PreflightPassed"
	// ConditionClusterReady: True (Ready) once the new cluster runs the
	// manifests with every workload ready; False (Creating, Deploying,
	// WaitingReady, Failed); Unknown (Pending) before it is created.
	ConditionClusterReady = "ClusterReady"
	// ConditionTrafficSettled: True (Settled) when the router has the
	// weights in status.traffic.weights and their propagation delay has
	// passed; False (Applying, Propagating) while it has not; Unknown
	// (NoChange) before traffic was touched.
	ConditionTrafficSettled = "TrafficSettled"
	// ConditionAnalysisHealthy: True (Running, Successful) while the
	// current analysis has no bad verdict; False (Failed, Error,
	// Inconclusive) once it has; Unknown (NotRunning) when none runs.
	ConditionAnalysisHealthy = "AnalysisHealthy"
)

// NewClusterSpec is the cluster a strategy creates next to the one serving
// traffic: the green cluster of a blue-green upgrade, the canary cluster of
// a canary intake.
type NewClusterSpec struct {
	// Provider creates the cluster: local (the controller's local fleet) or
	// aks (a clone of the serving member's AKS cluster, through ARM; the
	// serving member must be on AKS).
	// +kubebuilder:validation:Enum=local;aks
	// +kubebuilder:default=local
	// +optional
	Provider string `json:"provider,omitempty"`

	// ClusterName is the new cluster's name; it must not exist yet. For the
	// local router it is also the backend's name in the gateway. On AKS it
	// is any form the provider reads: name, resourceGroup/name,
	// aks://subscription/resourceGroup/name or the resource ID.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=400
	ClusterName string `json:"clusterName"`

	// KubernetesVersion of the new cluster, e.g. 1.37.2.
	// +kubebuilder:validation:MinLength=1
	KubernetesVersion string `json:"kubernetesVersion"`

	// Pools of the new cluster. Empty: cloned from the cluster serving
	// traffic now (names, modes, counts, VM sizes, upgrade settings), at
	// KubernetesVersion.
	// +listType=map
	// +listMapKey=name
	// +optional
	Pools []ClusterPool `json:"pools,omitempty"`
}

// ClusterPool is a node pool of a new cluster.
type ClusterPool struct {
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// Mode is System or User.
	// +kubebuilder:validation:Enum=System;User
	// +kubebuilder:default=User
	// +optional
	Mode string `json:"mode,omitempty"`
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	Count int32 `json:"count"`
	// +optional
	VMSize string `json:"vmSize,omitempty"`
}

// ManifestBundle names the manifests to deploy to the new cluster.
type ManifestBundle struct {
	// ConfigMap in the strategy's namespace whose data keys each hold
	// Kubernetes YAML (one or more documents). Every object of every key is
	// applied with server-side apply in dependency order: namespaces and
	// CRDs, RBAC, configuration and secrets, workloads, then Services and
	// PDBs. `upshift bluegreen start -f DIR` packs a directory into one.
	// +kubebuilder:validation:MinLength=1
	ConfigMap string `json:"configMap"`
}

// TrafficSpec says which router moves traffic between the two clusters and
// how to reach it. Backends are the clusters' names.
type TrafficSpec struct {
	// Router is local (the local fleet's L7 gateway: weights per request,
	// no propagation delay), azure-traffic-manager (weighted endpoints; DNS,
	// so clients follow within the profile's TTL) or azure-dns (a CNAME
	// swap: all or nothing, not for canary steps).
	// +kubebuilder:validation:Enum=local;azure-traffic-manager;azure-dns
	// +kubebuilder:default=local
	// +optional
	Router string `json:"router,omitempty"`
	// TrafficManager is required with router azure-traffic-manager.
	// +optional
	TrafficManager *TrafficManagerRouter `json:"trafficManager,omitempty"`
	// DNS is required with router azure-dns.
	// +optional
	DNS *DNSRouter `json:"dns,omitempty"`
}

// TrafficManagerRouter is a Traffic Manager profile with Weighted routing
// and one endpoint per cluster.
type TrafficManagerRouter struct {
	Subscription  string `json:"subscription"`
	ResourceGroup string `json:"resourceGroup"`
	Profile       string `json:"profile"`
	// Endpoints maps each cluster to its endpoint in the profile.
	// +listType=map
	// +listMapKey=backend
	// +kubebuilder:validation:MinItems=2
	Endpoints []RouterEndpoint `json:"endpoints"`
}

// RouterEndpoint is a Traffic Manager endpoint of one cluster.
type RouterEndpoint struct {
	// Backend is the cluster's name.
	Backend string `json:"backend"`
	// Type is AzureEndpoints (default), ExternalEndpoints or NestedEndpoints.
	// +optional
	Type string `json:"type,omitempty"`
	Name string `json:"name"`
}

// DNSRouter is an Azure DNS CNAME record set swapped between the clusters.
type DNSRouter struct {
	Subscription  string `json:"subscription"`
	ResourceGroup string `json:"resourceGroup"`
	Zone          string `json:"zone"`
	RecordSet     string `json:"recordSet"`
	// Targets maps each cluster to the host name the CNAME points at to
	// send it all traffic.
	// +listType=map
	// +listMapKey=backend
	// +kubebuilder:validation:MinItems=2
	Targets []DNSTarget `json:"targets"`
	// LowTTL is the TTL set before the swap (restored after); 30s when
	// empty.
	// +optional
	LowTTL Duration `json:"lowTTL,omitempty"`
}

// DNSTarget is the CNAME target of one cluster.
type DNSTarget struct {
	Backend string `json:"backend"`
	Host    string `json:"host"`
}

// PreflightPolicy says what the preflight for the target version may do.
// It scans the cluster serving traffic and the manifests for what breaks at
// the new cluster's version (removed APIs, workloads that block drains).
type PreflightPolicy struct {
	// Skip the preflight altogether.
	// +optional
	Skip bool `json:"skip,omitempty"`
	// IgnoreErrors lets the strategy go on when preflight finds errors;
	// they stay in status.preflight.
	// +optional
	IgnoreErrors bool `json:"ignoreErrors,omitempty"`
}

// BlueGreenUpgradeSpec moves an app from the cluster serving it (blue) to a
// new cluster at another Kubernetes version (green): create green, deploy
// the manifests, wait until they are ready, check green, switch all traffic,
// watch it for a bake time, then promote, or roll back to blue
// automatically when the post-switch analysis fails.
type BlueGreenUpgradeSpec struct {
	// BlueMember names the Member (in this namespace) whose cluster serves
	// the traffic now.
	// +kubebuilder:validation:MinLength=1
	BlueMember string `json:"blueMember"`

	// Green is the cluster to create.
	Green NewClusterSpec `json:"green"`

	// Manifests are deployed to green.
	Manifests ManifestBundle `json:"manifests"`

	// ReadinessTimeout bounds the wait for green's workloads (and the
	// Services' endpoints) to be ready, from the end of the deployment.
	// +kubebuilder:default="10m"
	// +optional
	ReadinessTimeout Duration `json:"readinessTimeout,omitempty"`

	// PreSwitch is an analysis of green before any traffic moves (every
	// metric must have a count, so it ends). Failed or Error fail the
	// upgrade with blue untouched; Inconclusive waits for promote or
	// rollback.
	// +optional
	PreSwitch *AnalysisSpec `json:"preSwitch,omitempty"`

	// Traffic is the router that switches between blue and green.
	Traffic TrafficSpec `json:"traffic"`

	// PostSwitch is the analysis run while green takes all traffic, for
	// bakeTime. Failed or Error roll back to blue at once (green is kept
	// for inspection); Inconclusive waits for promote or rollback.
	// +optional
	PostSwitch *AnalysisSpec `json:"postSwitch,omitempty"`

	// BakeTime is how long green must carry all traffic, counted once the
	// switch has propagated, before it is promoted.
	// +kubebuilder:default="5m"
	// +optional
	BakeTime Duration `json:"bakeTime,omitempty"`

	// RetainBlueFor is how long blue is kept after the promotion before it
	// is deleted. Empty: blue is deleted only by an explicit finish.
	// +optional
	RetainBlueFor Duration `json:"retainBlueFor,omitempty"`

	// +optional
	Preflight PreflightPolicy `json:"preflight,omitempty"`

	// Action is what a person asks for: Promote, Rollback or Finish (see
	// the Action constants). Set by `upshift bluegreen promote|rollback|
	// finish`.
	// +kubebuilder:validation:Enum="";Promote;Rollback;Finish
	// +optional
	Action string `json:"action,omitempty"`
}

// PreflightResult is what the preflight found.
type PreflightResult struct {
	// TargetVersion is the version checked against.
	TargetVersion string `json:"targetVersion,omitempty"`
	Errors        int32  `json:"errors"`
	Warnings      int32  `json:"warnings"`
	// Findings are the errors (then warnings), one line each, at most 20.
	// +optional
	Findings []string `json:"findings,omitempty"`
	// Skipped is true when spec.preflight.skip was set.
	// +optional
	Skipped bool `json:"skipped,omitempty"`
	// +optional
	CompletedAt *metav1.Time `json:"completedAt,omitempty"`
}

// ClusterFacts is what the controller knows of a cluster it created.
type ClusterFacts struct {
	Provider string `json:"provider"`
	Name     string `json:"name"`
	// KubernetesVersion is the version its API server reports.
	// +optional
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	// Pools it was created with.
	// +optional
	Pools []ClusterPool `json:"pools,omitempty"`
	// CreationStartedAt is set before the controller first asks for the
	// cluster: from then on a cluster of this name is the strategy's own.
	// +optional
	CreationStartedAt *metav1.Time `json:"creationStartedAt,omitempty"`
	// +optional
	CreatedAt *metav1.Time `json:"createdAt,omitempty"`
	// +optional
	DeployedAt *metav1.Time `json:"deployedAt,omitempty"`
	// +optional
	ReadyAt *metav1.Time `json:"readyAt,omitempty"`
	// DeletedAt is set when the strategy deleted the cluster.
	// +optional
	DeletedAt *metav1.Time `json:"deletedAt,omitempty"`
}

// TrafficStatus is where traffic should be and where the router has it.
type TrafficStatus struct {
	// Weights are the shares, in percent by cluster, the strategy wants.
	// +optional
	Weights map[string]int32 `json:"weights,omitempty"`
	// Applied are the shares the router last accepted.
	// +optional
	Applied map[string]int32 `json:"applied,omitempty"`
	// AppliedAt is when the router accepted Applied.
	// +optional
	AppliedAt *metav1.Time `json:"appliedAt,omitempty"`
	// PropagationSeconds is the delay the router gave for clients to follow
	// (a DNS TTL; 0 for the local gateway).
	// +optional
	PropagationSeconds int64 `json:"propagationSeconds,omitempty"`
	// SettledAt is AppliedAt plus the propagation: no analysis judges the
	// new weights before it.
	// +optional
	SettledAt *metav1.Time `json:"settledAt,omitempty"`
	// LastError is the router's last failure, retried.
	// +optional
	LastError string `json:"lastError,omitempty"`
	// Restored is true once a router that changed something for the
	// cutover (the DNS TTL) has put it back.
	// +optional
	Restored bool `json:"restored,omitempty"`
}

// BlueGreenUpgradeStatus is the upgrade's only memory.
type BlueGreenUpgradeStatus struct {
	// ObservedGeneration is the spec generation this status reflects.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Phase is where the upgrade is (see the BlueGreen* constants).
	// +optional
	Phase string `json:"phase,omitempty"`
	// Message says what the upgrade is doing or waiting for, and what a
	// person can do.
	// +optional
	Message string `json:"message,omitempty"`
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// ActionGeneration is the generation whose spec.action was acted on.
	// +optional
	ActionGeneration int64 `json:"actionGeneration,omitempty"`

	// Blue is the cluster that served traffic when the upgrade started.
	// +optional
	Blue *ClusterFacts `json:"blue,omitempty"`
	// Green is the cluster the upgrade created.
	// +optional
	Green *ClusterFacts `json:"green,omitempty"`
	// +optional
	Preflight *PreflightResult `json:"preflight,omitempty"`
	// +optional
	Traffic *TrafficStatus `json:"traffic,omitempty"`
	// PreSwitch is the pre-switch analysis, every measurement kept.
	// +optional
	PreSwitch *AnalysisStatus `json:"preSwitch,omitempty"`
	// PostSwitch is the post-switch analysis, every measurement kept.
	// +optional
	PostSwitch *AnalysisStatus `json:"postSwitch,omitempty"`

	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
	// SwitchedAt is when the router accepted all traffic on green.
	// +optional
	SwitchedAt *metav1.Time `json:"switchedAt,omitempty"`
	// BakeStartedAt is when the switch had propagated; the bake counts
	// from it.
	// +optional
	BakeStartedAt *metav1.Time `json:"bakeStartedAt,omitempty"`
	// +optional
	PromotedAt *metav1.Time `json:"promotedAt,omitempty"`
	// RollbackStartedAt is when the rollback was decided, and RollbackReason
	// why.
	// +optional
	RollbackStartedAt *metav1.Time `json:"rollbackStartedAt,omitempty"`
	// +optional
	RollbackReason string `json:"rollbackReason,omitempty"`
	// RolledBackAt is when the router accepted all traffic on blue.
	// +optional
	RolledBackAt *metav1.Time `json:"rolledBackAt,omitempty"`
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
	// FailedPhase is the phase the upgrade failed in.
	// +optional
	FailedPhase string `json:"failedPhase,omitempty"`
}

// BlueGreenUpgrade moves an app to a new cluster at a new Kubernetes
// version and switches traffic to it, with analysis and automatic rollback.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=bgu,categories=upshift
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Blue",type=string,JSONPath=`.spec.blueMember`
// +kubebuilder:printcolumn:name="Green",type=string,JSONPath=`.spec.green.clusterName`
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.spec.green.kubernetesVersion`
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.message`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type BlueGreenUpgrade struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   BlueGreenUpgradeSpec   `json:"spec"`
	Status BlueGreenUpgradeStatus `json:"status,omitempty"`
}

// BlueGreenUpgradeList is a list of BlueGreenUpgrades.
//
// +kubebuilder:object:root=true
type BlueGreenUpgradeList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []BlueGreenUpgrade `json:"items"`
}

func init() {
	SchemeBuilder.Register(&BlueGreenUpgrade{}, &BlueGreenUpgradeList{})
}
