package main

// guideRow is one row of the Kubernetes deprecation guide
// (https://kubernetes.io/docs/reference/using-api/deprecation-guide/), as
// transcribed in ../shared/ANCHORS.md section 7. The guide ends with 1.32;
// later removals come only from the lifecycle files.
type guideRow struct {
	removed     string   // "1.22"
	apiVersions []string // every apiVersion the row names
	kinds       []string
	replacement string // apiVersion, "" when there is none
	note        string // free text when the replacement is not a kind
}

// guide returns the deprecation guide's removals.
func guide() []guideRow {
	return []guideRow{
		{"1.16", []string{"extensions/v1beta1"}, []string{"NetworkPolicy"}, "networking.k8s.io/v1", ""},
		{"1.16", []string{"extensions/v1beta1", "apps/v1beta2"}, []string{"DaemonSet"}, "apps/v1", ""},
		{"1.16", []string{"extensions/v1beta1", "apps/v1beta1", "apps/v1beta2"}, []string{"Deployment", "ReplicaSet"}, "apps/v1", ""},
		{"1.16", []string{"apps/v1beta1", "apps/v1beta2"}, []string{"StatefulSet"}, "apps/v1", ""},
		{"1.16", []string{"extensions/v1beta1"}, []string{"PodSecurityPolicy"}, "policy/v1beta1", ""},
		{"1.22", []string{"admissionregistration.k8s.io/v1beta1"}, []string{"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}, "admissionregistration.k8s.io/v1", ""},
		{"1.22", []string{"apiextensions.k8s.io/v1beta1"}, []string{"CustomResourceDefinition"}, "apiextensions.k8s.io/v1", ""},
		{"1.22", []string{"apiregistration.k8s.io/v1beta1"}, []string{"APIService"}, "apiregistration.k8s.io/v1", ""},
		{"1.22", []string{"authentication.k8s.io/v1beta1"}, []string{"TokenReview"}, "authentication.k8s.io/v1", ""},
		{"1.22", []string{"authorization.k8s.io/v1beta1"}, []string{"LocalSubjectAccessReview", "SelfSubjectAccessReview", "SubjectAccessReview", "SelfSubjectRulesReview"}, "authorization.k8s.io/v1", ""},
		{"1.22", []string{"certificates.k8s.io/v1beta1"}, []string{"CertificateSigningRequest"}, "certificates.k8s.io/v1", ""},
		{"1.22", []string{"coordination.k8s.io/v1beta1"}, []string{"Lease"}, "coordination.k8s.io/v1", ""},
		{"1.22", []string{"extensions/v1beta1", "networking.k8s.io/v1beta1"}, []string{"Ingress"}, "networking.k8s.io/v1", ""},
		{"1.22", []string{"networking.k8s.io/v1beta1"}, []string{"IngressClass"}, "networking.k8s.io/v1", ""},
		{"1.22", []string{"rbac.authorization.k8s.io/v1beta1"}, []string{"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}, "rbac.authorization.k8s.io/v1", ""},
		{"1.22", []string{"scheduling.k8s.io/v1beta1"}, []string{"PriorityClass"}, "scheduling.k8s.io/v1", ""},
		{"1.22", []string{"storage.k8s.io/v1beta1"}, []string{"CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"}, "storage.k8s.io/v1", ""},
		{"1.25", []string{"batch/v1beta1"}, []string{"CronJob"}, "batch/v1", ""},
		{"1.25", []string{"discovery.k8s.io/v1beta1"}, []string{"EndpointSlice"}, "discovery.k8s.io/v1", ""},
		{"1.25", []string{"events.k8s.io/v1beta1"}, []string{"Event"}, "events.k8s.io/v1", ""},
		{"1.25", []string{"autoscaling/v2beta1"}, []string{"HorizontalPodAutoscaler"}, "autoscaling/v2", ""},
		{"1.25", []string{"policy/v1beta1"}, []string{"PodDisruptionBudget"}, "policy/v1", ""},
		{"1.25", []string{"policy/v1beta1"}, []string{"PodSecurityPolicy"}, "", "none: use Pod Security Admission (pod-security.kubernetes.io namespace labels)"},
		{"1.25", []string{"node.k8s.io/v1beta1"}, []string{"RuntimeClass"}, "node.k8s.io/v1", ""},
		{"1.26", []string{"flowcontrol.apiserver.k8s.io/v1beta1"}, []string{"FlowSchema", "PriorityLevelConfiguration"}, "flowcontrol.apiserver.k8s.io/v1", ""},
		{"1.26", []string{"autoscaling/v2beta2"}, []string{"HorizontalPodAutoscaler"}, "autoscaling/v2", ""},
		{"1.27", []string{"storage.k8s.io/v1beta1"}, []string{"CSIStorageCapacity"}, "storage.k8s.io/v1", ""},
		{"1.29", []string{"flowcontrol.apiserver.k8s.io/v1beta2"}, []string{"FlowSchema", "PriorityLevelConfiguration"}, "flowcontrol.apiserver.k8s.io/v1", ""},
		{"1.32", []string{"flowcontrol.apiserver.k8s.io/v1beta3"}, []string{"FlowSchema", "PriorityLevelConfiguration"}, "flowcontrol.apiserver.k8s.io/v1", ""},
	}
}
