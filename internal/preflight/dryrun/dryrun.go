package dryrun

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"upshift.dev/upshift/internal/manifest"
	"upshift.dev/upshift/internal/preflight"
	"upshift.dev/upshift/internal/preflight/apidata"
	"upshift.dev/upshift/internal/preflight/scratch"
	"upshift.dev/upshift/internal/toolchain"
	"upshift.dev/upshift/internal/version"
)

// Sink receives the findings. *preflight.Engine is one.
type Sink interface {
	Add(f preflight.Finding)
	APIs() *apidata.Dataset
}

var _ Sink = (*preflight.Engine)(nil)

// FieldManager is the field manager of the dry-run applies.
const FieldManager = "upshift-preflight"

// Runner dry-runs manifests. Fields are settings; zero values are
// documented defaults.
type Runner struct {
	// Target is the Kubernetes version to judge against; the toolchain must
	// build a patch of its minor (toolchain.KubernetesVersions).
	Target version.Version
	// ToolchainDir is the toolchain cache; toolchain.DefaultDir() when empty.
	ToolchainDir string
	// Config, when set, is used instead of starting a scratch server (a
	// server the caller owns; tests).
	Config *rest.Config
	// ServerVersion names the server in messages; the scratch server's
	// version when empty.
	ServerVersion string
	// Workers is how many files are applied at once. 4 when zero.
	Workers int
	// Progress, when set, receives one line per step.
	Progress func(msg string)
}

// Run applies every manifest in paths (see manifest.Read; stdin is read for
// "-") and reports what the server rejects. It returns an error when the
// server cannot be started or reached; rejections are findings.
func (r *Runner) Run(ctx context.Context, paths []string, stdin io.Reader, sink Sink) error {
	cfg := r.Config
	if cfg == nil {
		s, err := r.start(ctx)
		if err != nil {
			return err
		}
		defer s.Stop()
		cfg = s.Config
		if r.ServerVersion == "" {
			r.ServerVersion = s.Version
		}
	}
	if r.ServerVersion == "" {
		r.ServerVersion = r.Target.String()
	}
	// Standard input can be read only once: keep it for both passes.
	if stdin != nil && containsStdin(paths) {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return fmt.Errorf("cannot read standard input: %w", err)
		}
		stdin = &replayReader{data: b}
	}
	a, err := newApplier(cfg, sink, r.ServerVersion)
	if err != nil {
		return err
	}
	r.progress("server-side dry-run against kube-apiserver %s: preparing namespaces and CRDs", r.ServerVersion)
	if err := a.prepare(ctx, paths, stdin); err != nil {
		return err
	}
	r.progress("server-side dry-run: applying the manifests")
	if rr, ok := stdin.(*replayReader); ok {
		rr.rewind()
	}
	err = manifest.Read(ctx, paths, manifest.Options{Stdin: stdin, Workers: r.workers()}, func(d manifest.Document) error {
		if d.Err == nil && d.APIVersion() != "" && d.Kind() != "" {
			a.apply(ctx, d)
		}
		return nil
	})
	if err != nil {
		return err
	}
	a.reportSkipped()
	return nil
}

// start builds (if needed) and starts the scratch server of the target.
func (r *Runner) start(ctx context.Context) (*scratch.Server, error) {
	v := ""
	for _, s := range toolchain.KubernetesVersions {
		if version.MustParse(s).SameMinor(r.Target) {
			v = s
		}
	}
	if v == "" {
		return nil, fmt.Errorf("--server-dry-run needs a kube-apiserver %s, and the local toolchain builds only %s; choose one of those targets or drop --server-dry-run",
			r.Target.MinorString(), strings.Join(toolchain.KubernetesVersions, ", "))
	}
	r.progress("server-side dry-run: getting kube-apiserver %s and etcd from the toolchain cache (built on first use, 12-16 minutes)", v)
	bins, err := toolchain.Cache{Dir: r.ToolchainDir}.Ensure(ctx, nil, v)
	if err != nil {
		return nil, err
	}
	r.progress("server-side dry-run: starting a throwaway kube-apiserver %s", v)
	return scratch.Start(ctx, scratch.Options{Binaries: bins[0], DisableAdmissionPlugins: []string{"ServiceAccount", "Priority"}})
}

func (r *Runner) workers() int {
	if r.Workers > 0 {
		return r.Workers
	}
	return 4
}

func (r *Runner) progress(format string, args ...any) {
	if r.Progress != nil {
		r.Progress(fmt.Sprintf(format, args...))
	}
}

func containsStdin(paths []string) bool {
	for _, p := range paths {
		if p == "-" {
			return true
		}
	}
	return false
}

// replayReader is standard input kept in memory for two passes.
type replayReader struct {
	data []byte
	off  int
}

func (r *replayReader) Read(p []byte) (int, error) {
	if r.off >= len(r.data) {
		return 0, io.EOF
	}
	n := copy(p, r.data[r.off:])
	r.off += n
	return n, nil
}

func (r *replayReader) rewind() { r.off = 0 }

// applier holds the clients and what the first pass learned.
type applier struct {
	sink    Sink
	server  string
	dynamic dynamic.Interface
	mapper  *restmapper.DeferredDiscoveryRESTMapper

	mu       sync.Mutex
	prepared map[string]bool                      // document refs created for real in prepare
	skipped  map[schema.GroupVersionKind][]string // custom kinds without a CRD -> sources
}

func newApplier(cfg *rest.Config, sink Sink, server string) (*applier, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("server-side dry-run: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("server-side dry-run: %w", err)
	}
	return &applier{
		sink: sink, server: server, dynamic: dyn,
		mapper:   restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc)),
		prepared: map[string]bool{}, skipped: map[schema.GroupVersionKind][]string{},
	}, nil
}

// prepare reads the manifests once: it creates every namespace they use and
// their CustomResourceDefinitions (for real, on the scratch server), and
// waits until those are established.
func (a *applier) prepare(ctx context.Context, paths []string, stdin io.Reader) error {
	var (
		mu   sync.Mutex
		nss  = map[string]bool{}
		crds []manifest.Document
		own  []manifest.Document
	)
	err := manifest.Read(ctx, paths, manifest.Options{Stdin: stdin}, func(d manifest.Document) error {
		if d.Err != nil {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		if ns := namespaceOf(d.Object); ns != "" {
			nss[ns] = true
		}
		switch {
		case d.APIVersion() == "v1" && d.Kind() == "Namespace":
			own = append(own, d)
		case d.Kind() == "CustomResourceDefinition" && strings.HasPrefix(d.APIVersion(), "apiextensions.k8s.io/"):
			crds = append(crds, d)
		}
		return nil
	})
	if err != nil {
		return err
	}
	ownNames := map[string]bool{}
	for _, d := range own {
		ownNames[nameOf(d.Object)] = true
	}
	var names []string
	for ns := range nss {
		if !ownNames[ns] {
			names = append(names, ns)
		}
	}
	sort.Strings(names)
	nsGVR := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	for _, ns := range names {
		obj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}}
		if _, err := a.dynamic.Resource(nsGVR).Create(ctx, obj, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) && !apierrors.IsInvalid(err) {
			return fmt.Errorf("server-side dry-run: cannot create namespace %q on the scratch server: %w", ns, err)
		}
	}
	// The manifests' own Namespaces and CRDs are created for real; that
	// creation is their verdict.
	for _, d := range append(own, crds...) {
		a.create(ctx, d)
	}
	if len(crds) > 0 {
		a.waitEstablished(ctx, crds)
		a.mapper.Reset()
	}
	return nil
}

func (a *applier) create(ctx context.Context, d manifest.Document) {
	a.prepared[d.Ref()] = true
	mapping, ok := a.mapping(d)
	if !ok {
		return
	}
	obj := &unstructured.Unstructured{Object: clean(d.Object)}
	_, err := a.dynamic.Resource(mapping.Resource).Create(ctx, obj, metav1.CreateOptions{FieldManager: FieldManager})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		a.reject(d, err)
	}
}

// waitEstablished waits up to 30s for the CRDs' Established condition.
func (a *applier) waitEstablished(ctx context.Context, crds []manifest.Document) {
	gvr := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	deadline := time.Now().Add(30 * time.Second)
	for _, d := range crds {
		for time.Now().Before(deadline) && ctx.Err() == nil {
			u, err := a.dynamic.Resource(gvr).Get(ctx, nameOf(d.Object), metav1.GetOptions{})
			if err != nil || established(u) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

func established(u *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

// apply dry-runs one document with server-side apply.
func (a *applier) apply(ctx context.Context, d manifest.Document) {
	a.mu.Lock()
	done := a.prepared[d.Ref()]
	a.mu.Unlock()
	if done {
		return
	}
	mapping, ok := a.mapping(d)
	if !ok {
		return
	}
	obj := clean(d.Object)
	ri := a.dynamic.Resource(mapping.Resource)
	var res dynamic.ResourceInterface = ri
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := namespaceOf(obj)
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
		res = ri.Namespace(ns)
	}
	var err error
	if name := nameOf(obj); name != "" {
		var data []byte
		data, err = json.Marshal(obj)
		if err == nil {
			_, err = res.Patch(ctx, name, types.ApplyPatchType, data, metav1.PatchOptions{
				DryRun: []string{metav1.DryRunAll}, FieldManager: FieldManager, Force: ptrTrue()})
		}
	} else {
		_, err = res.Create(ctx, &unstructured.Unstructured{Object: obj}, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldManager: FieldManager})
	}
	if err != nil {
		a.reject(d, err)
	}
}

func ptrTrue() *bool { t := true; return &t }
