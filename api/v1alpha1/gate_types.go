package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Gate timings.
const (
	GateBefore = "Before"
	GateAfter  = "After"
)

// GateSpec identifies a gate of a run. People act on it by setting State:
// Completed approves (or overrides a waiting gate of any type), Skipped
// skips it. RBAC can let approvers patch Gates without touching runs.
type GateSpec struct {
	UpdateRun string `json:"updateRun"`
	Stage     string `json:"stage"`
	// +kubebuilder:validation:Enum=Before;After
	Timing      string `json:"timing"`
	Type        string `json:"type"`
	DisplayName string `json:"displayName,omitempty"`
	// State is Pending until a person or the controller moves it.
	// +kubebuilder:validation:Enum=Pending;Completed;Skipped
	// +kubebuilder:default=Pending
	State string `json:"state"`
}

// GateObjectStatus mirrors the run's view of the gate.
type GateObjectStatus struct {
	// State is the run's: Pending (waiting), Completed, Skipped or Failed.
	State   string `json:"state,omitempty"`
	Message string `json:"message,omitempty"`
}

// Gate is one approval point of an update run.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=upshift
// +kubebuilder:printcolumn:name="Run",type=string,JSONPath=`.spec.updateRun`
// +kubebuilder:printcolumn:name="Stage",type=string,JSONPath=`.spec.stage`
// +kubebuilder:printcolumn:name="Timing",type=string,JSONPath=`.spec.timing`
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.state`
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.message`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Gate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   GateSpec         `json:"spec"`
	Status GateObjectStatus `json:"status,omitempty"`
}

// GateList is a list of Gates.
//
// +kubebuilder:object:root=true
type GateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Gate `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Gate{}, &GateList{})
}
