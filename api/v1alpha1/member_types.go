package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"upshift.dev/upshift/internal/window"
)

// Providers a Member can name.
const (
	// ProviderLocal is a cluster of upshift's local fleet on the
	// controller's machine.
	ProviderLocal = "local"
	// ProviderAKS is an Azure Kubernetes Service cluster.
	ProviderAKS = "aks"
	// ProviderKubeconfig is any cluster reached through its kubeconfig;
	// upshift can drain and check it but cannot upgrade its control plane.
	ProviderKubeconfig = "kubeconfig"
)

// MemberSpec says how to reach a cluster of the fleet and where it sits in
// update runs.
type MemberSpec struct {
	// Provider runs the cluster: local, aks or kubeconfig.
	// +kubebuilder:validation:Enum=local;aks;kubeconfig
	// +kubebuilder:default=local
	Provider string `json:"provider"`

	// ClusterName is the provider's name for the cluster: the local
	// cluster's name, or aks://SUBSCRIPTION/RESOURCE_GROUP/NAME.
	// +kubebuilder:validation:MinLength=1
	ClusterName string `json:"clusterName"`

	// KubeconfigSecretRef names a Secret in the Member's namespace whose
	// key holds a kubeconfig for the cluster. Required for local and
	// kubeconfig members; AKS members get credentials from Azure.
	// +optional
	KubeconfigSecretRef *SecretKeyRef `json:"kubeconfigSecretRef,omitempty"`

	// Group is the update group the member belongs to; strategies list
	// groups by name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=50
	Group string `json:"group"`

	// MaintenanceWindow gates the start of the member's upgrades (AKS
	// maintenanceWindow semantics: an upgrade that started inside a window
	// runs to completion). None means always open.
	// +optional
	MaintenanceWindow *window.Spec `json:"maintenanceWindow,omitempty"`
}

// SecretKeyRef points at one key of a Secret in the same namespace.
type SecretKeyRef struct {
	Name string `json:"name"`
	// +kubebuilder:default=kubeconfig
	Key string `json:"key,omitempty"`
}

// MemberStatus is what the controller last saw of the cluster.
type MemberStatus struct {
	// KubernetesVersion is the control plane's version.
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	// NodePools are the cluster's pools as last observed.
	NodePools []MemberNodePool `json:"nodePools,omitempty"`
	// LastProbeTime is when the cluster last answered.
	LastProbeTime *metav1.Time `json:"lastProbeTime,omitempty"`
	// Conditions: Reachable.
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// MemberNodePool summarises one node pool of a member.
type MemberNodePool struct {
	Name              string `json:"name"`
	KubernetesVersion string `json:"kubernetesVersion"`
	NodeImageVersion  string `json:"nodeImageVersion"`
	Count             int32  `json:"count"`
}

// ConditionReachable says whether the member's API server answered the last
// probe.
const ConditionReachable = "Reachable"

// Member is a cluster joined to the fleet.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=mem,categories=upshift
// +kubebuilder:printcolumn:name="Provider",type=string,JSONPath=`.spec.provider`
// +kubebuilder:printcolumn:name="Cluster",type=string,JSONPath=`.spec.clusterName`
// +kubebuilder:printcolumn:name="Group",type=string,JSONPath=`.spec.group`
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.status.kubernetesVersion`
// +kubebuilder:printcolumn:name="Reachable",type=string,JSONPath=`.status.conditions[?(@.type=="Reachable")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Member struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   MemberSpec   `json:"spec"`
	Status MemberStatus `json:"status,omitempty"`
}

// MemberList is a list of Members.
//
// +kubebuilder:object:root=true
type MemberList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Member `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Member{}, &MemberList{})
}
