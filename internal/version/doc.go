// Package version parses Kubernetes versions and applies the upgrade rules
// every engine shares: no downgrades, no skipped minors for the control plane,
// and the kubelet skew policy for node pools (never newer than the control
// plane, at most three minors older).
package version
