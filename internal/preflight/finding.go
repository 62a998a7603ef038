package preflight

import (
	"sort"
	"strings"
)

// Severity of a finding.
type Severity string

// Severities, from the most to the least serious.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

func (s Severity) rank() int {
	switch s {
	case SeverityError:
		return 0
	case SeverityWarning:
		return 1
	}
	return 2
}

// AtLeast reports whether s is as serious as o or more.
func (s Severity) AtLeast(o Severity) bool { return s.rank() <= o.rank() }

// ObjectRef names the object a finding is about. Fields are empty when they
// do not apply (a cluster-scoped object has no namespace, a manifest
// document that does not parse has no kind).
type ObjectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
}

// String renders "Kind namespace/name (apiVersion)".
func (r ObjectRef) String() string {
	var b strings.Builder
	if r.Kind != "" {
		b.WriteString(r.Kind)
	} else {
		b.WriteString("document")
	}
	if r.Name != "" {
		b.WriteString(" ")
		if r.Namespace != "" {
			b.WriteString(r.Namespace + "/")
		}
		b.WriteString(r.Name)
	}
	if r.APIVersion != "" {
		b.WriteString(" (" + r.APIVersion + ")")
	}
	return b.String()
}

// Location is a place in a file, for SARIF output.
type Location struct {
	Path string
	Line int
}

// Finding is one problem with one object. The JSON field names are a
// contract; see Report.
type Finding struct {
	// Check is the check id, for example "api-removed"; see Checks.
	Check    string    `json:"check"`
	Severity Severity  `json:"severity"`
	Object   ObjectRef `json:"object"`
	// Sources lists every place the object was seen, sorted: files first,
	// then the cluster, its last-applied annotations, Helm releases and the
	// API server metric.
	Sources []string `json:"sources"`
	Message string   `json:"message"`
	Fix     string   `json:"fix"`
	// DeprecatedIn, RemovedIn and Replacement are set by the API checks:
	// minors such as "1.22", and the apiVersion to use instead.
	DeprecatedIn string `json:"deprecatedIn,omitempty"`
	RemovedIn    string `json:"removedIn,omitempty"`
	Replacement  string `json:"replacement,omitempty"`
	// Locations are the file sources' places, for SARIF. Not in JSON.
	Locations []Location `json:"-"`

	rank int // best source rank, to choose between merged findings
}

// Summary counts findings by severity.
type Summary struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Infos    int `json:"infos"`
}

// Report is the result of a preflight. Its JSON form is a stable contract:
//
//	{"targetVersion": "1.37.2",
//	 "findings": [{"check": "<id>", "severity": "error|warning|info",
//	   "object": {"apiVersion": "...", "kind": "...", "namespace": "...", "name": "..."},
//	   "sources": ["file:path/to/x.yaml#2", "cluster", "helm:release/namespace", "metric"],
//	   "message": "...", "fix": "...",
//	   "deprecatedIn": "1.x", "removedIn": "1.y", "replacement": "group/version"}],
//	 "summary": {"errors": 0, "warnings": 0, "infos": 0}}
//
// Findings are sorted by severity (errors first), check id, namespace, kind,
// name and first source. "findings" is [] rather than null when empty.
// deprecatedIn, removedIn and replacement are omitted when they do not
// apply. New fields may be added; existing ones keep their meaning.
type Report struct {
	TargetVersion string    `json:"targetVersion"`
	Findings      []Finding `json:"findings"`
	Summary       Summary   `json:"summary"`
}

// Worst returns the most serious severity in the report, or "" when there
// are no findings.
func (r Report) Worst() Severity {
	switch {
	case r.Summary.Errors > 0:
		return SeverityError
	case r.Summary.Warnings > 0:
		return SeverityWarning
	case r.Summary.Infos > 0:
		return SeverityInfo
	}
	return ""
}

// findingKey identifies one finding across sources.
type findingKey struct {
	check                 string
	group, kind, ns, name string
	version               string
	doc                   string // for findings without an object: the source
}

func keyOf(f Finding) findingKey {
	g, v := splitAPIVersion(f.Object.APIVersion)
	k := findingKey{check: f.Check, group: g, version: v, kind: f.Object.Kind,
		ns: namespaceKey(g, f.Object.Kind, f.Object.Namespace), name: f.Object.Name}
	if f.Object.Kind == "" && f.Object.Name == "" && len(f.Sources) > 0 {
		k.doc = f.Sources[0] + "\x00" + f.Message // one finding per broken document
	}
	return k
}

// merge folds b into a: sources and locations are unioned; the message of
// the better-ranked source wins, and the higher severity.
func merge(a, b Finding) Finding {
	if b.rank < a.rank {
		a.Message, a.Fix, a.Object, a.rank = b.Message, b.Fix, b.Object, b.rank
	}
	if b.Severity.rank() < a.Severity.rank() {
		a.Severity = b.Severity
	}
	a.Sources = unionStrings(a.Sources, b.Sources)
	for _, l := range b.Locations {
		dup := false
		for _, m := range a.Locations {
			dup = dup || m == l
		}
		if !dup {
			a.Locations = append(a.Locations, l)
		}
	}
	return a
}

func unionStrings(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, s := range b {
		found := false
		for _, t := range out {
			if s == t {
				found = true
				break
			}
		}
		if !found {
			out = append(out, s)
		}
	}
	sortSources(out)
	return out
}

func sortFindings(fs []Finding) {
	for i := range fs {
		sortSources(fs[i].Sources)
		sort.Slice(fs[i].Locations, func(a, b int) bool {
			la, lb := fs[i].Locations[a], fs[i].Locations[b]
			if la.Path != lb.Path {
				return la.Path < lb.Path
			}
			return la.Line < lb.Line
		})
	}
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity.rank() != b.Severity.rank() {
			return a.Severity.rank() < b.Severity.rank()
		}
		if a.Check != b.Check {
			return a.Check < b.Check
		}
		for _, p := range [][2]string{
			{a.Object.Namespace, b.Object.Namespace},
			{a.Object.Kind, b.Object.Kind},
			{a.Object.Name, b.Object.Name},
			{a.Object.APIVersion, b.Object.APIVersion},
			{first(a.Sources), first(b.Sources)},
			{a.Message, b.Message},
		} {
			if p[0] != p[1] {
				return p[0] < p[1]
			}
		}
		return false
	})
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func splitAPIVersion(av string) (group, version string) {
	if i := strings.LastIndex(av, "/"); i >= 0 {
		return av[:i], av[i+1:]
	}
	return "", av
}
