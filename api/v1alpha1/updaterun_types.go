package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Upgrade types, as Fleet names them.
const (
	UpgradeFull             = "Full"
	UpgradeControlPlaneOnly = "ControlPlaneOnly"
	UpgradeNodeImageOnly    = "NodeImageOnly"
)

// Node image selections.
const (
	// NodeImageLatest gives each member the newest image when its upgrade
	// starts.
	NodeImageLatest = "Latest"
	// NodeImageConsistent picks the image once, when the run starts, so
	// every member ends on the same one.
	NodeImageConsistent = "Consistent"
)

// States of runs, stages, groups, members and gates (Fleet's).
const (
	StateNotStarted = "NotStarted"
	StateRunning    = "Running"
	StateStopping   = "Stopping"
	StateStopped    = "Stopped"
	StateSkipped    = "Skipped"
	StateFailed     = "Failed"
	StatePending    = "Pending"
	StateCompleted  = "Completed"
)

// Desired run states in spec.state.
const (
	RunStart = "Started"
	RunStop  = "Stopped"
)

// Skip target types.
const (
	SkipMember         = "Member"
	SkipGroup          = "Group"
	SkipStage          = "Stage"
	SkipAfterStageWait = "AfterStageWait"
)

// UpdateRunSpec is one run of upgrades across the fleet.
type UpdateRunSpec struct {
	// UpdateStrategyName names an UpdateStrategy in the run's namespace;
	// it is copied into status when the run starts, so later edits to the
	// strategy do not change a run in flight.
	// +optional
	UpdateStrategyName string `json:"updateStrategyName,omitempty"`
	// Strategy is an inline strategy, used when no name is given.
	// +optional
	Strategy *UpdateStrategySpec `json:"strategy,omitempty"`

	Upgrade UpgradeSpec `json:"upgrade"`

	// +optional
	NodeImageSelection NodeImageSelection `json:"nodeImageSelection,omitempty"`

	// State is what the run should do: empty (created, not started),
	// Started or Stopped. Stopping lets member upgrades in flight finish
	// and starts nothing new; starting again continues.
	// +kubebuilder:validation:Enum="";Started;Stopped
	// +optional
	State string `json:"state,omitempty"`

	// Skip lists what the run must not do: a member, a group, a stage, or
	// a stage's after-stage wait. Members already upgrading finish.
	// +optional
	Skip []SkipTarget `json:"skip,omitempty"`

	// Retries asks for another attempt at failed members: a member is
	// retried while its status attempt is lower than the attempt given
	// here.
	// +optional
	Retries []MemberRetry `json:"retries,omitempty"`
}

// UpgradeSpec is what each member gets.
type UpgradeSpec struct {
	// +kubebuilder:validation:Enum=Full;ControlPlaneOnly;NodeImageOnly
	// +kubebuilder:default=Full
	Type string `json:"type"`
	// KubernetesVersion is required for Full and ControlPlaneOnly and must
	// be empty for NodeImageOnly.
	// +optional
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
}

// NodeImageSelection chooses node images.
type NodeImageSelection struct {
	// +kubebuilder:validation:Enum=Latest;Consistent
	// +kubebuilder:default=Latest
	Type string `json:"type,omitempty"`
}

// SkipTarget is one thing to skip.
type SkipTarget struct {
	// +kubebuilder:validation:Enum=Member;Group;Stage;AfterStageWait
	Type string `json:"type"`
	// Name is the member, group or stage name (the stage's name for
	// AfterStageWait).
	Name string `json:"name"`
}

// MemberRetry asks for attempt number Attempt of a failed member.
type MemberRetry struct {
	Member string `json:"member"`
	// +kubebuilder:validation:Minimum=1
	Attempt int32 `json:"attempt"`
}

// UpdateRunStatus is the run's whole memory: every reconcile recomputes
// its position from here, and timed waits are measured from its timestamps.
type UpdateRunStatus struct {
	// State is NotStarted, Running, Stopping, Stopped, Failed or Completed.
	State         string       `json:"state,omitempty"`
	StartTime     *metav1.Time `json:"startTime,omitempty"`
	CompletedTime *metav1.Time `json:"completedTime,omitempty"`
	Error         string       `json:"error,omitempty"`
	// Message says what the run waits for now.
	Message string `json:"message,omitempty"`

	// Strategy is the strategy copied when the run started.
	Strategy *UpdateStrategySpec `json:"strategy,omitempty"`
	// NodeImages are the images chosen for Consistent selection, by pool.
	NodeImages map[string]string `json:"nodeImages,omitempty"`

	Stages []StageStatus `json:"stages,omitempty"`

	// CurrentStage and Progress are for kubectl get.
	CurrentStage string `json:"currentStage,omitempty"`
	Progress     string `json:"progress,omitempty"`
	// FailedMembers counts members that ended Failed (retried ones no
	// longer count).
	FailedMembers int32 `json:"failedMembers,omitempty"`

	// ObservedGeneration is the spec generation the status reflects.
	ObservedGeneration int64              `json:"observedGeneration,omitempty"`
	Conditions         []metav1.Condition `json:"conditions,omitempty"`
}

// StageStatus is one stage's progress.
type StageStatus struct {
	Name          string       `json:"name"`
	State         string       `json:"state"`
	StartTime     *metav1.Time `json:"startTime,omitempty"`
	CompletedTime *metav1.Time `json:"completedTime,omitempty"`
	Error         string       `json:"error,omitempty"`
	Message       string       `json:"message,omitempty"`

	BeforeGates []GateStatus  `json:"beforeGates,omitempty"`
	AfterGates  []GateStatus  `json:"afterGates,omitempty"`
	Groups      []GroupStatus `json:"groups"`

	// AfterStageWaitStartTime is when the after-stage wait began.
	AfterStageWaitStartTime *metav1.Time `json:"afterStageWaitStartTime,omitempty"`
	// AfterStageWaitState is Running, Skipped or Completed.
	AfterStageWaitState string `json:"afterStageWaitState,omitempty"`
}

// GroupStatus is one group's progress.
type GroupStatus struct {
	Name          string            `json:"name"`
	State         string            `json:"state"`
	StartTime     *metav1.Time      `json:"startTime,omitempty"`
	CompletedTime *metav1.Time      `json:"completedTime,omitempty"`
	Members       []MemberRunStatus `json:"members"`
}

// MemberRunStatus is one member's progress in a run.
type MemberRunStatus struct {
	Name          string       `json:"name"`
	State         string       `json:"state"`
	StartTime     *metav1.Time `json:"startTime,omitempty"`
	CompletedTime *metav1.Time `json:"completedTime,omitempty"`
	Error         string       `json:"error,omitempty"`
	// Message says what the member waits for (a maintenance window, a
	// blocked drain) or what it is doing.
	Message string `json:"message,omitempty"`
	// Attempt counts the member's upgrade attempts in this run.
	Attempt int32 `json:"attempt,omitempty"`
	// Step is the upgrade step: Preflight, ControlPlane, NodePool/<name>.
	Step string `json:"step,omitempty"`
	// FromVersion is the control plane's version when the member started.
	FromVersion string `json:"fromVersion,omitempty"`
}

// GateStatus is a gate's state in the run; the Gate object of the same
// name is where people approve it.
type GateStatus struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	State string `json:"state"`
	// ReachedTime is when the run reached the gate.
	ReachedTime   *metav1.Time `json:"reachedTime,omitempty"`
	CompletedTime *metav1.Time `json:"completedTime,omitempty"`
	// ScheduledTime is when a ScheduledStart gate opens.
	ScheduledTime *metav1.Time `json:"scheduledTime,omitempty"`
	Message       string       `json:"message,omitempty"`
	// Analysis is a Validation gate's analysis, every measurement kept.
	Analysis *AnalysisStatus `json:"analysis,omitempty"`
}

// UpdateRun upgrades the fleet's members stage by stage.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ur,categories=upshift
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.state`
// +kubebuilder:printcolumn:name="Stage",type=string,JSONPath=`.status.currentStage`
// +kubebuilder:printcolumn:name="Progress",type=string,JSONPath=`.status.progress`
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.spec.upgrade.kubernetesVersion`
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.message`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type UpdateRun struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   UpdateRunSpec   `json:"spec"`
	Status UpdateRunStatus `json:"status,omitempty"`
}

// UpdateRunList is a list of UpdateRuns.
//
// +kubebuilder:object:root=true
type UpdateRunList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []UpdateRun `json:"items"`
}

func init() {
	SchemeBuilder.Register(&UpdateRun{}, &UpdateRunList{})
}
