package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Phases of a CanaryIntake. Progressing walks the steps; Paused waits for a
// person after an Inconclusive analysis; Aborting and Aborted are the way
// back to stable; Finishing deletes the cluster that lost (stable after a
// promotion, the canary after an abort or a failure).
const (
	CanaryPreflight      = "Preflight"
	CanaryCreatingCanary = "CreatingCanary"
	CanaryDeploying      = "Deploying"
	CanaryWaitingReady   = "WaitingReady"
	CanaryProgressing    = "Progressing"
	CanaryPaused         = "Paused"
	CanaryPromoted       = "Promoted"
	CanaryAborting       = "Aborting"
	CanaryAborted        = "Aborted"
	CanaryFailed         = "Failed"
	CanaryFinishing      = "Finishing"
	CanaryFinished       = "Finished"
)

// Phases of one canary step.
const (
	StepPending = "Pending"
	// StepShifting: the router is taking the step's weight, or it is
	// propagating.
	StepShifting = "Shifting"
	// StepBaking: the canary carries the step's weight and is analysed.
	StepBaking     = "Baking"
	StepSuccessful = "Successful"
	// StepPromoted: a person let the step through (promote) after an
	// Inconclusive analysis, or promoted the whole intake.
	StepPromoted = "Promoted"
	StepFailed   = "Failed"
	// StepInconclusive: the analysis could not tell; the intake is Paused.
	StepInconclusive = "Inconclusive"
)

// CanaryStep is one traffic step.
type CanaryStep struct {
	// Weight is the canary's share of traffic, in percent.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	Weight int32 `json:"weight"`
	// Bake is how long the canary carries Weight, counted once the weight
	// has propagated, before the next step. Default spec.bake.
	// +optional
	Bake Duration `json:"bake,omitempty"`
	// Analysis runs while the step bakes; spec.analysis when unset.
	// +optional
	Analysis *AnalysisSpec `json:"analysis,omitempty"`
}

// CanaryIntakeSpec takes a new Kubernetes version in with a canary cluster:
// create it next to the stable one, deploy the manifests, then move traffic
// to it step by step (20%, 50%, 100% by default), analysing each step.
// Failed or Error send all traffic back to stable and stop (Aborted);
// Inconclusive pauses for a person.
type CanaryIntakeSpec struct {
	// StableMember names the Member (in this namespace) whose cluster
	// serves the traffic now.
	// +kubebuilder:validation:MinLength=1
	StableMember string `json:"stableMember"`

	// Canary is the cluster to create.
	Canary NewClusterSpec `json:"canary"`

	// Manifests are deployed to the canary.
	Manifests ManifestBundle `json:"manifests"`

	// ReadinessTimeout bounds the wait for the canary's workloads to be
	// ready.
	// +kubebuilder:default="10m"
	// +optional
	ReadinessTimeout Duration `json:"readinessTimeout,omitempty"`

	// Traffic is the router that shares traffic between the clusters.
	// azure-dns cannot split traffic and is refused.
	Traffic TrafficSpec `json:"traffic"`

	// Steps, in order; the weights must rise and the last must be 100.
	// Default: 20, 50, 100.
	// +kubebuilder:validation:MaxItems=20
	// +optional
	Steps []CanaryStep `json:"steps,omitempty"`

	// Bake is each step's bake time when the step sets none.
	// +kubebuilder:default="5m"
	// +optional
	Bake Duration `json:"bake,omitempty"`

	// Analysis runs during each step that has none of its own.
	// +optional
	Analysis *AnalysisSpec `json:"analysis,omitempty"`

	// +optional
	Preflight PreflightPolicy `json:"preflight,omitempty"`

	// RetainStableFor is how long the stable cluster is kept after the
	// promotion before it is deleted. Empty: it is deleted only by an
	// explicit finish.
	// +optional
	RetainStableFor Duration `json:"retainStableFor,omitempty"`

	// Action is what a person asks for: Promote, Abort or Finish. Set by
	// `upshift canary promote|abort|finish`.
	// +kubebuilder:validation:Enum="";Promote;Abort;Finish
	// +optional
	Action string `json:"action,omitempty"`
}

// CanaryStepStatus is one step's progress.
type CanaryStepStatus struct {
	Weight int32 `json:"weight"`
	// Phase is Pending, Shifting, Baking, Successful, Promoted, Failed or
	// Inconclusive.
	Phase string `json:"phase"`
	// StartedAt is when the step's weight had propagated; the bake and the
	// analysis count from it.
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
	// Analysis is the step's analysis, every measurement kept.
	// +optional
	Analysis *AnalysisStatus `json:"analysis,omitempty"`
}

// CanaryIntakeStatus is the intake's only memory.
type CanaryIntakeStatus struct {
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Phase is where the intake is (see the Canary* constants).
	// +optional
	Phase string `json:"phase,omitempty"`
	// +optional
	Message string `json:"message,omitempty"`
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// ActionGeneration is the generation whose spec.action was acted on.
	// +optional
	ActionGeneration int64 `json:"actionGeneration,omitempty"`

	// Stable is the cluster that served traffic when the intake started.
	// +optional
	Stable *ClusterFacts `json:"stable,omitempty"`
	// Canary is the cluster the intake created.
	// +optional
	Canary *ClusterFacts `json:"canary,omitempty"`
	// +optional
	Preflight *PreflightResult `json:"preflight,omitempty"`
	// +optional
	Traffic *TrafficStatus `json:"traffic,omitempty"`

	// CurrentStep is the index of the step in progress (or the last one).
	// +optional
	CurrentStep int32 `json:"currentStep"`
	// StepStartedAt is status.steps[currentStep].startedAt, for kubectl.
	// +optional
	StepStartedAt *metav1.Time `json:"stepStartedAt,omitempty"`
	// Steps has one entry per spec step, with its analysis.
	// +optional
	Steps []CanaryStepStatus `json:"steps,omitempty"`

	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
	// +optional
	PromotedAt *metav1.Time `json:"promotedAt,omitempty"`
	// AbortStartedAt is when the abort was decided, AbortReason why.
	// +optional
	AbortStartedAt *metav1.Time `json:"abortStartedAt,omitempty"`
	// +optional
	AbortReason string `json:"abortReason,omitempty"`
	// AbortedAt is when the router accepted all traffic on stable.
	// +optional
	AbortedAt *metav1.Time `json:"abortedAt,omitempty"`
	// +optional
	FailedPhase string `json:"failedPhase,omitempty"`
	// FinishedAt is when the cluster that lost was deleted (or found not
	// to be upshift's to delete).
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
}

// CanaryIntake takes a new Kubernetes version in with a canary cluster and
// stepped traffic, analysed at each step.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ci,categories=upshift
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Step",type=integer,JSONPath=`.status.currentStep`
// +kubebuilder:printcolumn:name="Stable",type=string,JSONPath=`.spec.stableMember`
// +kubebuilder:printcolumn:name="Canary",type=string,JSONPath=`.spec.canary.clusterName`
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.spec.canary.kubernetesVersion`
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.message`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type CanaryIntake struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   CanaryIntakeSpec   `json:"spec"`
	Status CanaryIntakeStatus `json:"status,omitempty"`
}

// CanaryIntakeList is a list of CanaryIntakes.
//
// +kubebuilder:object:root=true
type CanaryIntakeList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []CanaryIntake `json:"items"`
}

func init() {
	SchemeBuilder.Register(&CanaryIntake{}, &CanaryIntakeList{})
}
