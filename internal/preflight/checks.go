package preflight

import (
	"fmt"
	"sort"
	"strings"
)

// Check ids. They are part of the JSON contract.
const (
	CheckAPIRemoved         = "api-removed"
	CheckAPIDeprecated      = "api-deprecated"
	CheckLastAppliedStale   = "last-applied-stale"
	CheckServerRejected     = "server-rejected"
	CheckDryRunSkipped      = "server-dry-run-skipped"
	CheckManifestUnparsable = "manifest-unparsable"
	CheckManifestNotObject  = "manifest-not-object"
	CheckObjectInvalid      = "object-invalid"
	CheckScanIncomplete     = "scan-incomplete"

	CheckPDBNeverAllowsEviction = "pdb-never-allows-eviction"
	CheckPDBSelectsNothing      = "pdb-selects-nothing"
	CheckPDBMissing             = "pdb-missing"
	CheckReplicasSingle         = "replicas-single"
	CheckProbeReadinessMissing  = "probe-readiness-missing"
	CheckProbeLivenessMissing   = "probe-liveness-missing"
	CheckPreStopMissing         = "prestop-missing"
	CheckGraceOverDrainTimeout  = "termination-grace-over-drain-timeout"
	CheckSpreadMissing          = "spread-missing"

	CheckVersionSkipMinor = "version-skip-minor"
	CheckVersionSkew      = "version-skew"
	CheckVersionDowngrade = "version-downgrade"
)

// Check groups, as --checks takes them.
const (
	GroupAPIs      = "apis"
	GroupWorkloads = "workloads"
	GroupVersions  = "versions"
	// GroupAlways holds the checks that report on the scan itself (a
	// document that does not parse, a resource that could not be listed);
	// they cannot be turned off, so nothing is skipped silently.
	GroupAlways = "always"
)

// CheckInfo describes a check.
type CheckInfo struct {
	ID       string
	Group    string
	Severity Severity
	Summary  string
}

// Checks lists every check, in the order of the groups.
func Checks() []CheckInfo {
	return []CheckInfo{
		{CheckAPIRemoved, GroupAPIs, SeverityError, "The object's apiVersion/kind is not served by the target version."},
		{CheckAPIDeprecated, GroupAPIs, SeverityWarning, "The object's apiVersion/kind is served by the target version but deprecated there."},
		{CheckLastAppliedStale, GroupAPIs, SeverityInfo, "A last-applied-configuration annotation records a removed or deprecated apiVersion, but the object has since been written at a served one."},
		{CheckServerRejected, GroupAPIs, SeverityError, "A kube-apiserver of the target version rejected the manifest in a server-side dry-run."},
		{CheckDryRunSkipped, GroupAPIs, SeverityInfo, "Objects of a custom kind whose CustomResourceDefinition is not among the manifests could not be dry-run."},
		{CheckPDBNeverAllowsEviction, GroupWorkloads, SeverityError, "A PodDisruptionBudget can never allow one eviction for what it selects, so a node drain blocks."},
		{CheckPDBSelectsNothing, GroupWorkloads, SeverityWarning, "A PodDisruptionBudget selects no workload."},
		{CheckPDBMissing, GroupWorkloads, SeverityWarning, "A workload with 2 or more replicas has no PodDisruptionBudget."},
		{CheckReplicasSingle, GroupWorkloads, SeverityWarning, "A workload runs a single replica; a drain takes it down."},
		{CheckProbeReadinessMissing, GroupWorkloads, SeverityWarning, "A container has no readiness probe."},
		{CheckProbeLivenessMissing, GroupWorkloads, SeverityInfo, "A container has no liveness probe."},
		{CheckPreStopMissing, GroupWorkloads, SeverityInfo, "A container behind a Service has no preStop hook."},
		{CheckGraceOverDrainTimeout, GroupWorkloads, SeverityWarning, "terminationGracePeriodSeconds is longer than the drain timeout."},
		{CheckSpreadMissing, GroupWorkloads, SeverityInfo, "A workload with 2 or more replicas has neither anti-affinity nor topology spread on hostname or zone."},
		{CheckVersionSkipMinor, GroupVersions, SeverityError, "The target skips a minor version for the control plane."},
		{CheckVersionSkew, GroupVersions, SeverityError, "A node pool would end more than 3 minors behind, or newer than, the control plane."},
		{CheckVersionDowngrade, GroupVersions, SeverityError, "The target is older than the control plane."},
		{CheckManifestUnparsable, GroupAlways, SeverityError, "A manifest document could not be read."},
		{CheckManifestNotObject, GroupAlways, SeverityInfo, "A manifest document has no apiVersion or kind."},
		{CheckObjectInvalid, GroupAlways, SeverityWarning, "An object's fields could not be read for a check."},
		{CheckScanIncomplete, GroupAlways, SeverityWarning, "Part of the cluster could not be scanned."},
	}
}

// CheckSet is the set of check groups to run.
type CheckSet map[string]bool

// AllGroups are the groups --checks accepts.
func AllGroups() []string { return []string{GroupAPIs, GroupWorkloads, GroupVersions} }

// ParseCheckSet reads --checks values; none means all groups.
func ParseCheckSet(groups []string) (CheckSet, error) {
	set := CheckSet{}
	if len(groups) == 0 {
		groups = AllGroups()
	}
	for _, g := range groups {
		g = strings.TrimSpace(g)
		ok := false
		for _, a := range AllGroups() {
			ok = ok || a == g
		}
		if !ok {
			return nil, fmt.Errorf("--checks %q is not a check group; use any of: %s", g, strings.Join(AllGroups(), ","))
		}
		set[g] = true
	}
	return set, nil
}

// Has reports whether the group runs. GroupAlways always does.
func (s CheckSet) Has(group string) bool { return group == GroupAlways || len(s) == 0 || s[group] }

// String lists the groups, sorted.
func (s CheckSet) String() string {
	var gs []string
	for g := range s {
		gs = append(gs, g)
	}
	sort.Strings(gs)
	return strings.Join(gs, ",")
}

func checkInfo(id string) CheckInfo {
	for _, c := range Checks() {
		if c.ID == id {
			return c
		}
	}
	return CheckInfo{ID: id, Severity: SeverityWarning}
}
