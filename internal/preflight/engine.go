package preflight

import (
	"fmt"
	"sync"
	"time"

	"upshift.dev/upshift/internal/manifest"
	"upshift.dev/upshift/internal/preflight/apidata"
	"upshift.dev/upshift/internal/version"
)

// DefaultDrainTimeout is Options.DrainTimeout when zero: AKS's default
// drainTimeoutInMinutes.
const DefaultDrainTimeout = 30 * time.Minute

// Options configure an Engine.
type Options struct {
	// Target is the Kubernetes version to upgrade to. Only major.minor
	// matter to the API checks; the patch matters to the version checks.
	Target version.Version
	// Checks are the check groups to run; all when empty.
	Checks CheckSet
	// DrainTimeout is how long a node drain may take, for
	// termination-grace-over-drain-timeout. DefaultDrainTimeout when zero.
	DrainTimeout time.Duration
	// APIs is the API lifecycle dataset; apidata.New() when nil.
	APIs *apidata.Dataset
}

// Engine collects objects from sources and turns them into a Report. Its
// Observe methods are safe for concurrent use, so sources may feed it from
// many goroutines; Report may be called once all sources are done.
type Engine struct {
	opts Options
	apis *apidata.Dataset

	mu       sync.Mutex
	findings map[findingKey]*Finding
	inv      *inventory
	objects  int
}

// New returns an engine.
func New(opts Options) *Engine {
	if opts.DrainTimeout == 0 {
		opts.DrainTimeout = DefaultDrainTimeout
	}
	apis := opts.APIs
	if apis == nil {
		apis = apidata.New()
	}
	return &Engine{opts: opts, apis: apis, findings: map[findingKey]*Finding{}, inv: newInventory()}
}

// Target returns the target version.
func (e *Engine) Target() version.Version { return e.opts.Target }

// APIs returns the dataset the engine uses.
func (e *Engine) APIs() *apidata.Dataset { return e.apis }

// Observed returns how many objects the engine has seen.
func (e *Engine) Observed() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.objects
}

// Add records a finding made elsewhere (a source that judges on its own,
// such as the server-side dry-run). A finding for an object already
// reported by the same check is merged with it.
func (e *Engine) Add(f Finding) {
	if f.Severity == "" {
		f.Severity = checkInfo(f.Check).Severity
	}
	if f.Sources == nil {
		f.Sources = []string{}
	}
	sortSources(f.Sources)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.addLocked(f)
}

func (e *Engine) addLocked(f Finding) {
	k := keyOf(f)
	if old, ok := e.findings[k]; ok {
		m := merge(*old, f)
		e.findings[k] = &m
		return
	}
	e.findings[k] = &f
}

// ObserveDocument feeds one manifest document found in src (a file, or the
// manifest of a Helm release). A document that does not parse, or is not a
// Kubernetes object, becomes a finding of its own.
func (e *Engine) ObserveDocument(d manifest.Document, src Source) {
	if src.Kind == SourceFile {
		src.Path, src.Doc, src.Item, src.Line = d.Path, d.Index, d.Item, d.Line
	}
	where := src.String()
	if src.Kind != SourceFile {
		where = d.Ref() // "helm:release/namespace#3": which document of the release
	}
	switch {
	case d.Err != nil:
		e.Add(Finding{
			Check: CheckManifestUnparsable, Sources: []string{src.String()}, Locations: src.location(),
			Message: fmt.Sprintf("%s cannot be read: %v", where, d.Err),
			Fix:     "fix the document (kubectl would refuse it too), or leave the file out of -f",
		})
	case d.APIVersion() == "" || d.Kind() == "":
		e.Add(Finding{
			Check: CheckManifestNotObject, Sources: []string{src.String()}, Locations: src.location(),
			Message: fmt.Sprintf("%s has no apiVersion or kind, so it is not a Kubernetes object and was not checked", where),
			Fix:     "leave non-manifest YAML (Helm values, CI files) out of -f, or render charts with 'helm template' first",
		})
	default:
		e.Observe(d.Object, src)
	}
}

// Observe feeds one object found in src. Live objects (SourceCluster) are
// read at the version the API server prefers, so the API checks skip them
// (their manifests are judged through files, Helm releases and
// last-applied annotations); every source feeds the workload checks.
func (e *Engine) Observe(obj map[string]any, src Source) {
	ref := refOf(obj)
	if src.Kind == SourceHelm && ref.Namespace == "" && !clusterScoped("", ref.Kind) {
		ref.Namespace = src.Namespace // helm install puts namespaced objects in the release namespace
	}
	var found []Finding
	if src.Kind != SourceCluster && e.opts.Checks.Has(GroupAPIs) {
		if f := e.checkAPI(ref, src); f != nil {
			found = append(found, *f)
		}
	}
	var item inventoryItem
	if e.opts.Checks.Has(GroupWorkloads) {
		var err error
		item, err = summarize(obj, ref, src)
		if err != nil {
			found = append(found, Finding{
				Check: CheckObjectInvalid, Object: ref, Sources: []string{src.String()}, Locations: src.location(),
				Message: fmt.Sprintf("%s: %v; the workload checks skipped it", ref, err),
				Fix:     "fix the field; kubectl apply would reject the object too",
			})
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.objects++
	for _, f := range found {
		f.Severity = checkInfo(f.Check).Severity
		f.rank = src.preference()
		e.addLocked(f)
	}
	if item != nil {
		e.inv.add(item)
	}
}

// Report runs the cross-object checks and returns every finding, merged
// and sorted.
func (e *Engine) Report() Report {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.opts.Checks.Has(GroupWorkloads) {
		for _, f := range e.inv.evaluate(e.opts) {
			f.Severity = checkInfo(f.Check).Severity
			e.addLocked(f)
		}
		e.inv = newInventory() // evaluated once; a second Report sees the same findings
	}
	r := Report{TargetVersion: e.opts.Target.String(), Findings: []Finding{}}
	for _, f := range e.findings {
		r.Findings = append(r.Findings, *f)
	}
	sortFindings(r.Findings)
	for _, f := range r.Findings {
		switch f.Severity {
		case SeverityError:
			r.Summary.Errors++
		case SeverityWarning:
			r.Summary.Warnings++
		default:
			r.Summary.Infos++
		}
	}
	return r
}

// refOf reads apiVersion, kind, namespace and name.
func refOf(obj map[string]any) ObjectRef {
	r := ObjectRef{}
	r.APIVersion, _ = obj["apiVersion"].(string)
	r.Kind, _ = obj["kind"].(string)
	if md, ok := obj["metadata"].(map[string]any); ok {
		r.Namespace, _ = md["namespace"].(string)
		r.Name, _ = md["name"].(string)
		if r.Name == "" {
			if g, _ := md["generateName"].(string); g != "" {
				r.Name = g + "*"
			}
		}
	}
	return r
}
