package preflight

// namespaceKey is the namespace used to match objects across sources: a
// namespaced object without a namespace (a manifest file's usual form) goes
// to "default", as kubectl apply without -n would put it.
func namespaceKey(group, kind, ns string) string {
	if ns != "" || kind == "" || clusterScoped(group, kind) {
		return ns
	}
	return "default"
}

// clusterScoped reports whether a built-in kind is cluster-scoped, for
// manifests read without a cluster to ask. Unknown kinds are taken as
// namespaced, which only matters for matching a file object to a live one.
func clusterScoped(group, kind string) bool {
	switch kind {
	case "Namespace", "Node", "PersistentVolume", "ComponentStatus",
		"ClusterRole", "ClusterRoleBinding",
		"CustomResourceDefinition", "APIService",
		"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
		"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
		"MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
		"StorageClass", "CSIDriver", "CSINode", "VolumeAttachment", "VolumeAttributesClass",
		"PriorityClass", "RuntimeClass", "IngressClass", "PodSecurityPolicy",
		"FlowSchema", "PriorityLevelConfiguration",
		"CertificateSigningRequest", "ClusterTrustBundle",
		"IPAddress", "ServiceCIDR", "ClusterCIDR",
		"DeviceClass", "ResourceSlice", "DeviceTaintRule",
		"StorageVersionMigration", "StorageVersion",
		"TokenReview", "SubjectAccessReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview", "SelfSubjectReview":
		return true
	}
	return false
}
