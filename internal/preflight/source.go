package preflight

import (
	"fmt"
	"sort"
	"strings"
)

// SourceKind says what kind of place an object was found in.
type SourceKind int

// Source kinds, in the order sources are listed in a finding.
const (
	// SourceFile is a manifest file or standard input.
	SourceFile SourceKind = iota
	// SourceCluster is a live object listed from the API server.
	SourceCluster
	// SourceLastApplied is the kubectl.kubernetes.io/last-applied-configuration
	// annotation of a live object: the manifest last applied with
	// `kubectl apply`.
	SourceLastApplied
	// SourceHelm is the manifest of a deployed Helm v3 release.
	SourceHelm
	// SourceMetric is the API server's apiserver_requested_deprecated_apis
	// metric: clients that called a deprecated API since it started.
	SourceMetric
	// SourceDryRun is a server-side dry-run against a throwaway API server
	// of the target version.
	SourceDryRun
)

// Source is where an object was found.
type Source struct {
	Kind SourceKind
	// Path, Doc, Item and Line locate a file source (see manifest.Document).
	Path      string
	Doc, Item int
	Line      int
	// Release and Namespace name a Helm release.
	Release, Namespace string
}

// String renders the source as it appears in findings: "file:x.yaml#2"
// ("#2.3" for the third item of a List document), "cluster",
// "cluster:last-applied", "helm:release/namespace", "metric" or
// "server-dry-run".
func (s Source) String() string {
	switch s.Kind {
	case SourceFile:
		ref := fmt.Sprintf("file:%s#%d", s.Path, s.Doc)
		if s.Item > 0 {
			ref += fmt.Sprintf(".%d", s.Item)
		}
		return ref
	case SourceCluster:
		return "cluster"
	case SourceLastApplied:
		return "cluster:last-applied"
	case SourceHelm:
		return "helm:" + s.Release + "/" + s.Namespace
	case SourceMetric:
		return "metric"
	case SourceDryRun:
		return "server-dry-run"
	}
	return "unknown"
}

func (s Source) location() []Location {
	if s.Kind != SourceFile || s.Path == "" || s.Path == "-" {
		return nil
	}
	return []Location{{Path: s.Path, Line: s.Line}}
}

// sourceRank orders rendered sources: files, cluster, last-applied, helm,
// metric, dry-run.
func sourceRank(s string) int {
	switch {
	case strings.HasPrefix(s, "file:"):
		return int(SourceFile)
	case s == "cluster":
		return int(SourceCluster)
	case strings.HasPrefix(s, "cluster:"):
		return int(SourceLastApplied)
	case strings.HasPrefix(s, "helm:"):
		return int(SourceHelm)
	case s == "metric":
		return int(SourceMetric)
	}
	return int(SourceDryRun)
}

func sortSources(s []string) {
	sort.SliceStable(s, func(i, j int) bool {
		ri, rj := sourceRank(s[i]), sourceRank(s[j])
		if ri != rj {
			return ri < rj
		}
		return s[i] < s[j]
	})
}

// preference ranks sources for choosing whose view of an object wins when
// several report it: the live cluster, then Helm, then files.
func (s Source) preference() int {
	switch s.Kind {
	case SourceCluster:
		return 0
	case SourceHelm:
		return 1
	case SourceLastApplied:
		return 2
	case SourceFile:
		return 3
	}
	return 4
}
