package preflight

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"upshift.dev/upshift/internal/version"
)

// VersionInfo is what the version checks need from a cluster.
type VersionInfo struct {
	// ControlPlane is the API server's version.
	ControlPlane version.Version
	// Pools are the node pools and their kubelet versions.
	Pools []NodePool
}

// NodePool is a group of nodes upgraded together.
type NodePool struct {
	Name string
	// Versions are the distinct kubelet versions in the pool.
	Versions []version.Version
	// Nodes counts the pool's nodes.
	Nodes int
}

// versionChecks run in order; each returns its findings.
func versionChecks() []func(target version.Version, info VersionInfo) []Finding {
	return []func(version.Version, VersionInfo) []Finding{
		checkControlPlaneVersion,
		checkNodeSkew,
	}
}

// CheckVersions runs the version checks against a cluster's versions.
func (e *Engine) CheckVersions(info VersionInfo) {
	if !e.opts.Checks.Has(GroupVersions) {
		return
	}
	for _, check := range versionChecks() {
		for _, f := range check(e.opts.Target, info) {
			f.Sources = []string{SourceCluster.String()}
			e.Add(f)
		}
	}
}

func checkControlPlaneVersion(target version.Version, info VersionInfo) []Finding {
	err := version.CheckControlPlaneUpgrade(info.ControlPlane, target, false)
	if err == nil {
		return nil
	}
	ref := ObjectRef{Kind: "ControlPlane", Name: "kube-apiserver"}
	switch {
	case errors.Is(err, version.ErrDowngrade):
		return []Finding{{Check: CheckVersionDowngrade, Object: ref, Message: err.Error(),
			Fix: "choose a target at or above " + info.ControlPlane.String()}}
	case errors.Is(err, version.ErrSkipMinor):
		return []Finding{{Check: CheckVersionSkipMinor, Object: ref, Message: err.Error(),
			Fix: fmt.Sprintf("upgrade to %d.%d first, then run preflight again for %s", info.ControlPlane.Major, info.ControlPlane.Minor+1, target.MinorString())}}
	}
	return nil
}

func checkNodeSkew(target version.Version, info VersionInfo) []Finding {
	var out []Finding
	for _, p := range info.Pools {
		var problems []string
		for _, v := range p.Versions {
			if err := version.CheckNodeSkew(target, v); err != nil {
				problems = append(problems, strings.TrimPrefix(err.Error(), version.ErrSkew.Error()+": "))
			}
		}
		if len(problems) == 0 {
			continue
		}
		sort.Strings(problems)
		out = append(out, Finding{
			Check:   CheckVersionSkew,
			Object:  ObjectRef{Kind: "NodePool", Name: p.Name},
			Message: fmt.Sprintf("node pool %s (%d nodes) would be out of the kubelet skew policy once the control plane is at %s: %s", p.Name, p.Nodes, target, strings.Join(problems, "; ")),
			Fix:     fmt.Sprintf("upgrade node pool %s to within %d minors of %s (and never past it) before or together with the control plane", p.Name, version.MaxKubeletSkew, target.MinorString()),
		})
	}
	return out
}
