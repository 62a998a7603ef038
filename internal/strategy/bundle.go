package strategy

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/internal/apply"
)

// MaxBundleBytes bounds a bundle: a ConfigMap holds at most 1 MiB, and the
// API server needs some of that for the object around the data.
const MaxBundleBytes = 1000 << 10

// Bundle is the manifests a strategy deploys: the data of a ConfigMap on
// the hub, each key holding YAML or JSON documents.
type Bundle struct {
	// ConfigMap is the ConfigMap's name, for messages.
	ConfigMap string
	// Files maps each key to its documents.
	Files map[string]string
}

// Keys returns the bundle's keys, sorted.
func (b *Bundle) Keys() []string {
	out := make([]string, 0, len(b.Files))
	for k := range b.Files {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Objects decodes every document of the bundle, in apply order
// (apply.Sort: namespaces and CRDs first, Services and PDBs last).
func (b *Bundle) Objects() ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, k := range b.Keys() {
		objs, err := apply.Decode([]byte(b.Files[k]))
		if err != nil {
			return nil, fmt.Errorf("ConfigMap %s, key %s: %w; fix the file and pack the bundle again", b.ConfigMap, k, err)
		}
		out = append(out, objs...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("ConfigMap %s holds no Kubernetes objects; pack the manifests to deploy into it (upshift bluegreen start -f DIR)", b.ConfigMap)
	}
	apply.Sort(out)
	return out, nil
}

// readBundle reads the bundle's ConfigMap. A missing ConfigMap is
// reported with how to make one.
func readBundle(ctx context.Context, r client.Reader, namespace, name string) (*Bundle, error) {
	cm := &corev1.ConfigMap{}
	if err := r.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, cm); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("manifests.configMap %s does not exist in namespace %s; create it from your manifests (kubectl create configmap %s --from-file=DIR, or 'upshift bluegreen start -f DIR')", name, namespace, name)
		}
		return nil, fmt.Errorf("failed to read ConfigMap %s: %w", name, err)
	}
	return &Bundle{ConfigMap: name, Files: cm.Data}, nil
}

var keyUnsafe = regexp.MustCompile(`[^-._a-zA-Z0-9]`)

// Pack reads manifest files into a bundle's data: each path is a file or a
// directory, read recursively for *.yaml, *.yml and *.json. Keys are the
// paths relative to the directory, with every character a ConfigMap key
// cannot hold turned into '_'. Every file must decode; the whole must fit
// in a ConfigMap.
func Pack(paths []string) (map[string]string, error) {
	data := map[string]string{}
	origin := map[string]string{}
	total := 0
	add := func(key, path string) error {
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if _, err := apply.Decode(raw); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		key = keyUnsafe.ReplaceAllString(key, "_")
		if prev, dup := origin[key]; dup {
			return fmt.Errorf("%s and %s both become key %q; rename one of them", prev, path, key)
		}
		origin[key], data[key] = path, string(raw)
		total += len(raw)
		return nil
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("-f %s: %w", p, err)
		}
		if !info.IsDir() {
			if err := add(filepath.Base(p), p); err != nil {
				return nil, err
			}
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
			default:
				return nil
			}
			rel, err := filepath.Rel(p, path)
			if err != nil {
				return err
			}
			return add(filepath.ToSlash(rel), path)
		})
		if err != nil {
			return nil, err
		}
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("no *.yaml, *.yml or *.json files in %s", strings.Join(paths, ", "))
	}
	if total > MaxBundleBytes {
		return nil, fmt.Errorf("the manifests are %d KiB, more than a ConfigMap holds (%d KiB); deploy fewer files, or split them over several strategies", total>>10, MaxBundleBytes>>10)
	}
	return data, nil
}
