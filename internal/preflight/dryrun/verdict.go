package dryrun

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"upshift.dev/upshift/internal/manifest"
	"upshift.dev/upshift/internal/preflight"
)

// mapping finds the resource for a document's kind. A kind the server does
// not know is a rejection for built-in groups and a skip for custom ones.
func (a *applier) mapping(d manifest.Document) (*meta.RESTMapping, bool) {
	gv, err := schema.ParseGroupVersion(d.APIVersion())
	if err != nil {
		a.reject(d, fmt.Errorf("apiVersion %q: %v", d.APIVersion(), err))
		return nil, false
	}
	gvk := gv.WithKind(d.Kind())
	m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err == nil {
		return m, true
	}
	if !meta.IsNoMatchError(err) {
		a.reject(d, err)
		return nil, false
	}
	if builtinGroup(gv.Group) {
		msg := fmt.Sprintf("%s %s is not served", d.APIVersion(), d.Kind())
		if api, ok := a.sink.APIs().Lookup(d.APIVersion(), d.Kind()); ok && api.Removed.Major > 0 {
			msg += fmt.Sprintf(" (%s)", api.Describe())
		}
		a.reject(d, fmt.Errorf("%s", msg))
		return nil, false
	}
	a.mu.Lock()
	a.skipped[gvk] = append(a.skipped[gvk], source(d).String())
	a.mu.Unlock()
	return nil, false
}

// builtinGroup reports whether a group belongs to Kubernetes itself, so a
// server that does not serve it has removed it (rather than lacking a CRD).
func builtinGroup(g string) bool {
	switch g {
	case "", "apps", "batch", "policy", "autoscaling", "extensions":
		return true
	}
	return strings.HasSuffix(g, ".k8s.io")
}

func source(d manifest.Document) preflight.Source {
	return preflight.Source{Kind: preflight.SourceFile, Path: d.Path, Doc: d.Index, Item: d.Item, Line: d.Line}
}

func (a *applier) reject(d manifest.Document, err error) {
	src := source(d)
	ref := preflight.ObjectRef{APIVersion: d.APIVersion(), Kind: d.Kind(), Namespace: namespaceOf(d.Object), Name: nameOf(d.Object)}
	var locs []preflight.Location
	if d.Path != "-" {
		locs = []preflight.Location{{Path: d.Path, Line: d.Line}}
	}
	a.sink.Add(preflight.Finding{
		Check: preflight.CheckServerRejected, Object: ref, Sources: []string{src.String()}, Locations: locs,
		Message: fmt.Sprintf("kube-apiserver %s rejected %s in a server-side dry-run: %v", a.server, ref, err),
		Fix:     "change the manifest until 'kubectl apply --server-side --dry-run=server' against a " + a.server + " server accepts it",
	})
}

// reportSkipped writes one finding per custom kind that could not be judged.
func (a *applier) reportSkipped() {
	var gvks []schema.GroupVersionKind
	for gvk := range a.skipped {
		gvks = append(gvks, gvk)
	}
	sort.Slice(gvks, func(i, j int) bool { return gvks[i].String() < gvks[j].String() })
	for _, gvk := range gvks {
		srcs := a.skipped[gvk]
		a.sink.Add(preflight.Finding{
			Check: preflight.CheckDryRunSkipped, Object: preflight.ObjectRef{APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind},
			Sources: srcs,
			Message: fmt.Sprintf("%d %s %s object(s) were not dry-run: their CustomResourceDefinition is not among the manifests", len(srcs), gvk.GroupVersion(), gvk.Kind),
			Fix:     "add the CRD's manifest to -f to have these objects judged too",
		})
	}
}

// clean drops what the server sets, so manifests exported with kubectl get
// -o yaml apply as new objects.
func clean(obj map[string]any) map[string]any {
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		if k != "status" {
			out[k] = v
		}
	}
	if md, ok := obj["metadata"].(map[string]any); ok {
		m := make(map[string]any, len(md))
		for k, v := range md {
			switch k {
			case "resourceVersion", "uid", "creationTimestamp", "managedFields", "selfLink", "generation", "deletionTimestamp":
			default:
				m[k] = v
			}
		}
		out["metadata"] = m
	}
	return out
}

func namespaceOf(obj map[string]any) string {
	md, _ := obj["metadata"].(map[string]any)
	s, _ := md["namespace"].(string)
	return s
}

func nameOf(obj map[string]any) string {
	md, _ := obj["metadata"].(map[string]any)
	s, _ := md["name"].(string)
	return s
}
