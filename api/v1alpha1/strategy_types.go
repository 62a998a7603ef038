package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// UpdateStrategySpec orders a fleet's members for update runs, with Azure
// Kubernetes Fleet Manager's names and semantics: stages run in sequence,
// the groups of a stage in parallel, the members of a group one at a time
// unless maxConcurrency allows more.
type UpdateStrategySpec struct {
	// Stages run in order.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=50
	Stages []StageSpec `json:"stages"`

	// MaxAllowedFailures is how many members may fail before the run
	// fails; 0 (Fleet's behaviour) fails the run at the first failure.
	// Members already upgrading finish either way.
	// +kubebuilder:validation:Minimum=0
	// +optional
	MaxAllowedFailures int32 `json:"maxAllowedFailures,omitempty"`
}

// StageSpec is one stage.
type StageSpec struct {
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]{0,48}[a-z0-9])?$`
	Name string `json:"name"`

	// Groups run in parallel; each names the Members with that
	// spec.group.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=50
	Groups []GroupSpec `json:"groups"`

	// MaxConcurrency bounds how many members of the stage upgrade at once,
	// across its groups: a count ("3") or a percentage of the stage's
	// members ("25%", rounded up, at least 1). Unset: no stage-wide bound.
	// +kubebuilder:validation:Pattern=`^([1-9][0-9]*|([1-9]|[1-9][0-9]|100)%)$`
	// +optional
	MaxConcurrency string `json:"maxConcurrency,omitempty"`

	// AfterStageWaitInSeconds is the soak between this stage and the next.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=604800
	// +optional
	AfterStageWaitInSeconds int32 `json:"afterStageWaitInSeconds,omitempty"`

	// BeforeGates must all pass before the stage's members start.
	// +optional
	BeforeGates []GateDefinition `json:"beforeGates,omitempty"`
	// AfterGates must all pass before the stage completes.
	// +optional
	AfterGates []GateDefinition `json:"afterGates,omitempty"`
}

// GroupSpec is one update group of a stage.
type GroupSpec struct {
	// Name matches Member.spec.group.
	Name string `json:"name"`
	// MaxConcurrency bounds how many of the group's members upgrade at
	// once: a count or a percentage of the group (rounded up, at least 1).
	// Unset: one at a time.
	// +kubebuilder:validation:Pattern=`^([1-9][0-9]*|([1-9]|[1-9][0-9]|100)%)$`
	// +optional
	MaxConcurrency string `json:"maxConcurrency,omitempty"`
}

// Gate types. Approval and ScheduledStart are Fleet's; Validation is
// upshift's: a health check with Argo Rollouts analysis semantics.
const (
	GateApproval       = "Approval"
	GateScheduledStart = "ScheduledStart"
	GateValidation     = "Validation"
)

// GateDefinition is one gate of a stage.
type GateDefinition struct {
	// DisplayName is shown to approvers.
	DisplayName string `json:"displayName,omitempty"`
	// +kubebuilder:validation:Enum=Approval;ScheduledStart;Validation
	Type string `json:"type"`
	// ScheduledStart holds the gate until the given time.
	// +optional
	ScheduledStart *ScheduledStart `json:"scheduledStart,omitempty"`
	// Validation passes when its analysis is Successful; Failed or Error
	// fails the stage; Inconclusive waits for a person (approve or skip
	// the gate).
	// +optional
	Validation *AnalysisSpec `json:"validation,omitempty"`
}

// ScheduledStart is a point in time: a date, or the next given weekday, or
// the next day at Time if neither is set, in UTCOffset.
type ScheduledStart struct {
	// Date is YYYY-MM-DD.
	// +kubebuilder:validation:Pattern=`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`
	// +optional
	Date string `json:"date,omitempty"`
	// DayOfWeek is Monday..Sunday; the first such day at Time after the
	// gate is reached.
	// +kubebuilder:validation:Enum=Monday;Tuesday;Wednesday;Thursday;Friday;Saturday;Sunday
	// +optional
	DayOfWeek string `json:"dayOfWeek,omitempty"`
	// Time is HH:mm.
	// +kubebuilder:validation:Pattern=`^([01][0-9]|2[0-3]):[0-5][0-9]$`
	Time string `json:"time"`
	// UTCOffset is +HH:mm or -HH:mm; +00:00 when empty.
	// +kubebuilder:validation:Pattern=`^[+-]([01][0-9]|2[0-3]):[0-5][0-9]$`
	// +optional
	UTCOffset string `json:"utcOffset,omitempty"`
}

// UpdateStrategy is a reusable stage layout; runs copy it when they start.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=us,categories=upshift
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type UpdateStrategy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec UpdateStrategySpec `json:"spec"`
}

// UpdateStrategyList is a list of UpdateStrategies.
//
// +kubebuilder:object:root=true
type UpdateStrategyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []UpdateStrategy `json:"items"`
}

func init() {
	SchemeBuilder.Register(&UpdateStrategy{}, &UpdateStrategyList{})
}

// Gates returns the stage's gates of one timing (GateBefore or GateAfter).
func (s StageSpec) Gates(timing string) []GateDefinition {
	if timing == GateAfter {
		return s.AfterGates
	}
	return s.BeforeGates
}
