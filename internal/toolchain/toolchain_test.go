package toolchain

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKubernetesComponent(t *testing.T) {
	c, err := Kubernetes("v1.37.2")
	if err != nil {
		t.Fatal(err)
	}
	if c.Key() != "kubernetes-v1.37.2" {
		t.Errorf("Key() = %q", c.Key())
	}
	for _, want := range []string{"gitVersion=v1.37.2", "gitMajor=1", "gitMinor=37"} {
		if !strings.Contains(c.LDFlags, want) {
			t.Errorf("ldflags %q lack %q: binaries would report v0.0.0-master", c.LDFlags, want)
		}
	}
	if _, err := Kubernetes("1.30.1"); err == nil {
		t.Error("Kubernetes(1.30.1) accepted an unsupported version")
	}
}

// fakeEntry writes a cache entry by hand, as a finished or broken build
// would leave it.
func fakeEntry(t *testing.T, dir string, comp Component, fingerprint string, binaries []string) {
	t.Helper()
	entry := filepath.Join(dir, comp.Key())
	if err := os.MkdirAll(filepath.Join(entry, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, b := range binaries {
		if err := os.WriteFile(filepath.Join(entry, "bin", b), []byte("#!/bin/true\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if fingerprint == "" {
		return // an interrupted build: no manifest
	}
	m, _ := json.Marshal(Manifest{Component: comp.Name, Version: comp.Version, Fingerprint: fingerprint})
	if err := os.WriteFile(filepath.Join(entry, "manifest.json"), m, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCacheOnlyTrustsFinishedEntries(t *testing.T) {
	comp := Etcd()
	tests := []struct {
		name        string
		fingerprint string
		binaries    []string
		built       bool
	}{
		{"finished", comp.fingerprint(), []string{"etcd"}, true},
		{"interrupted, no manifest", "", []string{"etcd"}, false},
		{"older recipe", "0123456789abcdef", []string{"etcd"}, false},
		{"binary missing", comp.fingerprint(), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			fakeEntry(t, dir, comp, tt.fingerprint, tt.binaries)
			st := Cache{Dir: dir}.Status([]Component{comp})
			if st[0].Built != tt.built {
				t.Fatalf("Built = %v, want %v", st[0].Built, tt.built)
			}
		})
	}
}

func TestLookupNamesTheFix(t *testing.T) {
	_, err := Cache{Dir: t.TempDir()}.Lookup("1.37.2")
	if err == nil || !errors.Is(err, ErrNotBuilt) || !strings.Contains(err.Error(), "upshift toolchain build") {
		t.Fatalf("Lookup on an empty cache = %v, want ErrNotBuilt naming 'upshift toolchain build'", err)
	}
}

func TestFailedBuildLeavesNoEntry(t *testing.T) {
	dir := t.TempDir()
	bogus := Component{
		Name: "bogus", Version: "0.0.1", Module: "example.invalid/none",
		Packages: map[string]string{"none": "example.invalid/none/cmd/none"},
		goMod: func(context.Context, Component) ([]byte, error) {
			return []byte("module upshift.dev/toolchain/bogus\n\ngo 1.26.0\n"), nil
		},
	}
	c := Cache{Dir: dir}
	if err := c.build(context.Background(), bogus, nil); err == nil {
		t.Fatal("building a package that does not exist succeeded")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() {
			t.Errorf("failed build left %s behind", e.Name())
		}
	}
	if st := c.Status([]Component{bogus}); st[0].Built {
		t.Error("failed build counts as built")
	}
}

func TestDefaultBinaryName(t *testing.T) {
	for pkg, want := range map[string]string{
		"go.etcd.io/etcd/server/v3":            "server",
		"k8s.io/kubernetes/cmd/kube-apiserver": "kube-apiserver",
		"sigs.k8s.io/kwok/cmd/kwokctl":         "kwokctl",
	} {
		if got := defaultBinaryName(pkg); got != want {
			t.Errorf("defaultBinaryName(%q) = %q, want %q", pkg, got, want)
		}
	}
}
