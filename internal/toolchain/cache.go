package toolchain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Cache is a directory of built components.
type Cache struct {
	// Dir is the cache root. DefaultDir() when empty.
	Dir string
}

// DefaultDir is $UPSHIFT_TOOLCHAIN_DIR, else
// ${XDG_CACHE_HOME:-$HOME/.cache}/upshift/toolchain.
func DefaultDir() string {
	if d := os.Getenv("UPSHIFT_TOOLCHAIN_DIR"); d != "" {
		return d
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = os.TempDir()
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "upshift", "toolchain")
}

func (c Cache) dir() string {
	if c.Dir != "" {
		return c.Dir
	}
	return DefaultDir()
}

// Manifest is written last into a finished component directory. Its presence,
// with a matching fingerprint and every binary in place, is what makes an
// entry count as built.
type Manifest struct {
	Component   string            `json:"component"`
	Version     string            `json:"version"`
	Fingerprint string            `json:"fingerprint"`
	GoVersion   string            `json:"goVersion"`
	BuiltAt     time.Time         `json:"builtAt"`
	BuildTime   string            `json:"buildTime"`
	Binaries    map[string]string `json:"binaries"`
}

// Binaries are the absolute paths of one Kubernetes version's local fleet
// toolchain.
type Binaries struct {
	KubernetesVersion     string
	KubeApiserver         string
	KubeControllerManager string
	KubeScheduler         string
	Kubectl               string
	Etcd                  string
	Kwok                  string
	Kwokctl               string
}

// ErrNotBuilt is returned by Lookup when a component is missing from the cache.
var ErrNotBuilt = errors.New("not built")

// Entry describes a component's state in the cache.
type Entry struct {
	Component Component
	Dir       string
	Built     bool
	Manifest  *Manifest
}

// Components lists everything the local fleet needs for the given Kubernetes
// versions (all supported versions when none are given).
func Components(kubeVersions ...string) ([]Component, error) {
	if len(kubeVersions) == 0 {
		kubeVersions = KubernetesVersions
	}
	var out []Component
	seen := map[string]bool{}
	for _, v := range kubeVersions {
		k, err := Kubernetes(v)
		if err != nil {
			return nil, err
		}
		if !seen[k.Key()] {
			seen[k.Key()] = true
			out = append(out, k)
		}
	}
	return append(out, Etcd(), Kwok()), nil
}

// Status reports each component's cache entry.
func (c Cache) Status(components []Component) []Entry {
	var out []Entry
	for _, comp := range components {
		e := Entry{Component: comp, Dir: filepath.Join(c.dir(), comp.Key())}
		if m, err := c.manifest(comp); err == nil {
			e.Built, e.Manifest = true, m
		}
		out = append(out, e)
	}
	return out
}

// manifest returns the manifest of a finished entry, or ErrNotBuilt.
func (c Cache) manifest(comp Component) (*Manifest, error) {
	dir := filepath.Join(c.dir(), comp.Key())
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", comp.Key(), ErrNotBuilt)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil || m.Fingerprint != comp.fingerprint() {
		return nil, fmt.Errorf("%s: %w (built by an older recipe)", comp.Key(), ErrNotBuilt)
	}
	for _, name := range comp.Binaries() {
		if fi, err := os.Stat(filepath.Join(dir, "bin", name)); err != nil || fi.Size() == 0 {
			return nil, fmt.Errorf("%s: %w (binary %s missing)", comp.Key(), ErrNotBuilt, name)
		}
	}
	return &m, nil
}

// Lookup returns the binaries for Kubernetes version v without building.
func (c Cache) Lookup(v string) (Binaries, error) {
	comps, err := Components(v)
	if err != nil {
		return Binaries{}, err
	}
	for _, comp := range comps {
		if _, err := c.manifest(comp); err != nil {
			return Binaries{}, fmt.Errorf("toolchain for Kubernetes %s is not ready: %w; run 'upshift toolchain build' (or 'make toolchain')", v, err)
		}
	}
	return c.binaries(comps), nil
}

func (c Cache) binaries(comps []Component) Binaries {
	bin := func(comp Component, name string) string {
		return filepath.Join(c.dir(), comp.Key(), "bin", name)
	}
	k, e, w := comps[0], comps[1], comps[2]
	return Binaries{
		KubernetesVersion:     k.Version,
		KubeApiserver:         bin(k, "kube-apiserver"),
		KubeControllerManager: bin(k, "kube-controller-manager"),
		KubeScheduler:         bin(k, "kube-scheduler"),
		Kubectl:               bin(k, "kubectl"),
		Etcd:                  bin(e, "etcd"),
		Kwok:                  bin(w, "kwok"),
		Kwokctl:               bin(w, "kwokctl"),
	}
}

// Ensure builds whatever the given Kubernetes versions still miss and
// returns their binaries, in the order given.
func (c Cache) Ensure(ctx context.Context, progress ProgressFunc, kubeVersions ...string) ([]Binaries, error) {
	comps, err := Components(kubeVersions...)
	if err != nil {
		return nil, err
	}
	for _, comp := range comps {
		if err := c.build(ctx, comp, progress); err != nil {
			return nil, err
		}
	}
	if len(kubeVersions) == 0 {
		kubeVersions = KubernetesVersions
	}
	var out []Binaries
	for _, v := range kubeVersions {
		b, err := c.Lookup(v)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func sortStrings(s []string) { sort.Strings(s) }
