package apidata

import (
	"fmt"
	"sort"
	"strings"

	"upshift.dev/upshift/internal/version"
)

// GVK names a kind at one group/version. Group is "" for the core group.
type GVK struct {
	Group, Version, Kind string
}

// APIVersion renders the apiVersion field: "v1" for core, "apps/v1" otherwise.
func (g GVK) APIVersion() string {
	if g.Group == "" {
		return g.Version
	}
	return g.Group + "/" + g.Version
}

// IsZero reports whether g is unset.
func (g GVK) IsZero() bool { return g == GVK{} }

// String renders "apps/v1 Deployment".
func (g GVK) String() string { return g.APIVersion() + " " + g.Kind }

// ParseAPIVersion splits an apiVersion field into group and version.
func ParseAPIVersion(apiVersion string) (group, ver string) {
	if i := strings.LastIndex(apiVersion, "/"); i >= 0 {
		return apiVersion[:i], apiVersion[i+1:]
	}
	return "", apiVersion
}

// API is the lifecycle of one kind at one group/version. A zero Version
// (Major 0) means the event has not happened and is not scheduled.
type API struct {
	GVK
	Introduced version.Version
	Deprecated version.Version
	Removed    version.Version
	// Replacement is the kind to use instead, as upstream declares it (or
	// the deprecation guide, or the same kind at a stable version of the
	// group when neither says). It may itself be removed later: use
	// Dataset.ReplacementAt for a target release.
	Replacement GVK
	// Note is free text for replacements that are not a kind, for example
	// "Pod Security Admission".
	Note string
	// Source names where the entry comes from: a module such as
	// "k8s.io/api@v0.37.2", or "deprecation-guide".
	Source string
}

// IsDeprecated reports whether the kind is deprecated at release v.
func (a API) IsDeprecated(v version.Version) bool {
	return a.Deprecated.Major > 0 && !minorLess(v, a.Deprecated)
}

// IsRemoved reports whether release v no longer serves the kind.
func (a API) IsRemoved(v version.Version) bool {
	return a.Removed.Major > 0 && !minorLess(v, a.Removed)
}

// minorLess compares major.minor only.
func minorLess(a, b version.Version) bool {
	if a.Major != b.Major {
		return a.Major < b.Major
	}
	return a.Minor < b.Minor
}

// Minor renders a lifecycle version as "1.22", or "" when unset.
func Minor(v version.Version) string {
	if v.Major == 0 {
		return ""
	}
	return v.MinorString()
}

// Dataset answers lifecycle questions. The zero value is empty; use New.
type Dataset struct {
	all  []API
	byGV map[string][]int // apiVersion -> indexes into all
	key  map[GVK]int
}

// New returns the embedded dataset.
func New() *Dataset { return FromAPIs(generated()) }

// Sources lists the inputs of the embedded dataset.
func Sources() []string { return generatedSources() }

// FromAPIs builds a dataset from entries, for tests and tools. Later
// entries replace earlier ones with the same GVK.
func FromAPIs(apis []API) *Dataset {
	d := &Dataset{byGV: map[string][]int{}, key: map[GVK]int{}}
	for _, a := range apis {
		if i, ok := d.key[a.GVK]; ok {
			d.all[i] = a
			continue
		}
		d.key[a.GVK] = len(d.all)
		d.byGV[a.APIVersion()] = append(d.byGV[a.APIVersion()], len(d.all))
		d.all = append(d.all, a)
	}
	return d
}

// All returns every entry, sorted by group, version and kind.
func (d *Dataset) All() []API {
	out := append([]API(nil), d.all...)
	sort.Slice(out, func(i, j int) bool { return lessGVK(out[i].GVK, out[j].GVK) })
	return out
}

func lessGVK(a, b GVK) bool {
	if a.Group != b.Group {
		return a.Group < b.Group
	}
	if a.Version != b.Version {
		return a.Version < b.Version
	}
	return a.Kind < b.Kind
}

// Lookup returns the entry for apiVersion and kind. When the kind itself is
// unknown but every kind the dataset knows at that group/version is removed,
// it returns a group-level entry (Kind as asked, the earliest such removal,
// no replacement), because a server that stopped serving the whole
// group/version refuses any kind in it.
func (d *Dataset) Lookup(apiVersion, kind string) (API, bool) {
	g, v := ParseAPIVersion(apiVersion)
	if i, ok := d.key[GVK{Group: g, Version: v, Kind: kind}]; ok {
		return d.all[i], true
	}
	idx := d.byGV[apiVersion]
	if len(idx) == 0 {
		return API{}, false
	}
	var removed version.Version
	for _, i := range idx {
		r := d.all[i].Removed
		if r.Major == 0 {
			return API{}, false
		}
		if removed.Major == 0 || minorLess(removed, r) {
			removed = r // the group/version is gone once its last kind is
		}
	}
	return API{GVK: GVK{Group: g, Version: v, Kind: kind}, Removed: removed, Source: "group-version"}, true
}

// GroupVersion returns the entries of one apiVersion, sorted by kind.
func (d *Dataset) GroupVersion(apiVersion string) []API {
	var out []API
	for _, i := range d.byGV[apiVersion] {
		out = append(out, d.all[i])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}

// RemovedGroupVersions returns the apiVersions whose every known kind is
// removed at release v, sorted.
func (d *Dataset) RemovedGroupVersions(v version.Version) []string {
	var out []string
	for gv, idx := range d.byGV {
		all := true
		for _, i := range idx {
			if !d.all[i].IsRemoved(v) {
				all = false
				break
			}
		}
		if all {
			out = append(out, gv)
		}
	}
	sort.Strings(out)
	return out
}

// ReplacementAt follows a's replacement chain past replacements that are
// themselves removed at target, and returns the first one target serves
// (flowcontrol v1beta1 -> v1beta3 -> v1 at 1.32). It returns the zero GVK
// when the chain ends without one.
func (d *Dataset) ReplacementAt(a API, target version.Version) GVK {
	r := a.Replacement
	for range 10 { // chains are short; the bound guards against a loop in bad data
		if r.IsZero() {
			return GVK{}
		}
		i, ok := d.key[r]
		if !ok || !d.all[i].IsRemoved(target) {
			return r
		}
		r = d.all[i].Replacement
	}
	return GVK{}
}

// Describe renders the lifecycle for messages, for example
// "deprecated in 1.14, removed in 1.22".
func (a API) Describe() string {
	var parts []string
	if a.Deprecated.Major > 0 {
		parts = append(parts, "deprecated in "+a.Deprecated.MinorString())
	}
	if a.Removed.Major > 0 {
		parts = append(parts, "removed in "+a.Removed.MinorString())
	}
	if len(parts) == 0 {
		return "no lifecycle events"
	}
	return strings.Join(parts, ", ")
}

// String renders an entry for debugging.
func (a API) String() string {
	return fmt.Sprintf("%s (%s)", a.GVK, a.Describe())
}
