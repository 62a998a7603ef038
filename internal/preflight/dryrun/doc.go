// Package dryrun implements preflight --server-dry-run: it starts a
// throwaway kube-apiserver of the target version (package scratch) and
// applies every manifest to it with server-side apply and dryRun=All. What
// the real server of the target version refuses (a kind it no longer
// serves, a field its validation no longer accepts) becomes a
// server-rejected finding.
//
// The scratch server is empty, so the run prepares what manifests usually
// assume: every namespace they name is created, and their
// CustomResourceDefinitions are created for real (and waited for) before
// the custom resources are dry-run. Admission plugins that judge the
// environment rather than the manifest (ServiceAccount, Priority) are off.
// Custom resources whose CRD is not among the manifests cannot be judged
// and are reported once per kind as server-dry-run-skipped.
package dryrun
