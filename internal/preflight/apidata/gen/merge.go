package main

import (
	"fmt"
	"strconv"
	"strings"
)

// inferDeletions handles prerelease kinds whose types a later release of the
// same module deleted: that release cannot serve them, so their removal is at
// the latest that release, even when the lifecycle functions promised a later
// one (upstream deletes alpha types early). Kinds that were never deprecated
// or scheduled for removal (internal types such as PodStatusResult) are left
// alone.
func inferDeletions(entries map[gvk]*entry, lastSeen map[gvk]string, seen map[gvk]bool, modver string) error {
	path, _, _ := strings.Cut(modver, "@")
	rel, err := releaseOf(modver)
	if err != nil {
		return err
	}
	for key, e := range entries {
		prev, _, _ := strings.Cut(lastSeen[key], "@")
		if seen[key] || prev != path || (!e.Deprecated.set() && !e.Removed.set()) {
			continue
		}
		if !e.Removed.set() || rel.less(e.Removed) {
			e.Removed = rel
			if e.Deprecated.set() && rel.less(e.Deprecated) {
				e.Deprecated = rel // a deleted type is deprecated at the latest when it is gone
			}
			e.Source = lastSeen[key] + " (types deleted by " + modver + ")"
		}
	}
	return nil
}

// releaseOf maps a staging module version (v0.37.2) to its Kubernetes
// release (1.37).
func releaseOf(modver string) (minor, error) {
	_, v, _ := strings.Cut(modver, "@")
	parts := strings.Split(strings.TrimPrefix(v, "v"), ".")
	if len(parts) < 2 || parts[0] != "0" {
		return minor{}, fmt.Errorf("module %s: want a Kubernetes staging version v0.MINOR.PATCH", modver)
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil {
		return minor{}, fmt.Errorf("module %s: %w", modver, err)
	}
	return minor{1, n}, nil
}

func applyGuide(entries map[gvk]*entry) error {
	for _, row := range guide() {
		removed, err := parseMinor(row.removed)
		if err != nil {
			return err
		}
		var repl gvk
		if row.replacement != "" {
			repl.Group, repl.Version = splitAPIVersion(row.replacement)
		}
		for _, av := range row.apiVersions {
			g, v := splitAPIVersion(av)
			for _, k := range row.kinds {
				key := gvk{g, v, k}
				e := entries[key]
				if e == nil {
					e = &entry{gvk: key, Removed: removed, Source: "deprecation-guide"}
					entries[key] = e
				}
				if e.Removed != removed {
					return fmt.Errorf("%s %s: the deprecation guide says removed in %s, %s says %s; fix guide.go or the module list", av, k, removed, e.Source, e.Removed)
				}
				if e.Replacement == (gvk{}) && row.replacement != "" {
					e.Replacement = gvk{repl.Group, repl.Version, k}
				}
				if e.Note == "" {
					e.Note = row.note
				}
			}
		}
	}
	return nil
}

func fixReplacement(e *entry, stable map[gvk]bool) {
	if strings.HasSuffix(e.Replacement.Kind, "List") && !strings.HasSuffix(e.Kind, "List") {
		e.Replacement.Kind = strings.TrimSuffix(e.Replacement.Kind, "List")
	}
	if e.Replacement != (gvk{}) || e.Note != "" {
		return
	}
	best := gvk{}
	for g := range stable {
		if g.Group != e.Group || g.Kind != e.Kind || g.Version == e.Version {
			continue
		}
		if best == (gvk{}) || versionNumber(g.Version) > versionNumber(best.Version) {
			best = g
		}
	}
	e.Replacement = best
}

func versionNumber(v string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(v, "v"))
	return n
}

func splitAPIVersion(av string) (string, string) {
	if i := strings.LastIndex(av, "/"); i >= 0 {
		return av[:i], av[i+1:]
	}
	return "", av
}

func parseMinor(s string) (minor, error) {
	a, b, ok := strings.Cut(s, ".")
	x, err1 := strconv.Atoi(a)
	y, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil {
		return minor{}, fmt.Errorf("bad minor version %q", s)
	}
	return minor{x, y}, nil
}
