package preflight

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"upshift.dev/upshift/internal/preflight/apidata"
	"upshift.dev/upshift/internal/version"
)

// RequestedAPI is one series of the API server's
// apiserver_requested_deprecated_apis metric: some client called a
// deprecated group/version/resource since the server started.
type RequestedAPI struct {
	Group, Version, Resource, Subresource string
	// RemovedRelease is the server's own removal release ("1.40"), or "".
	RemovedRelease string
}

// ObserveRequestedAPI judges one metric series. It reveals callers that no
// stored object shows (controllers, scripts, CI jobs calling old APIs).
func (e *Engine) ObserveRequestedAPI(r RequestedAPI) {
	if !e.opts.Checks.Has(GroupAPIs) {
		return
	}
	gv := schema.GroupVersion{Group: r.Group, Version: r.Version}.String()
	api, ok := e.kindForResource(gv, r.Resource)
	if !ok {
		// Not in the dataset (a custom or aggregated API): trust the
		// server's own removal release.
		removed, err := version.Parse(r.RemovedRelease)
		if err != nil {
			return
		}
		g, v := splitAPIVersion(gv)
		api = apidata.API{GVK: apidata.GVK{Group: g, Version: v, Kind: r.Resource}, Removed: removed, Deprecated: e.opts.Target}
	}
	ref := ObjectRef{APIVersion: gv, Kind: api.Kind}
	f := e.apiFinding(api, ref)
	if f == nil {
		return
	}
	res := r.Resource
	if r.Subresource != "" {
		res += "/" + r.Subresource
	}
	f.Message = fmt.Sprintf("clients still call %s %s: %s (apiserver_requested_deprecated_apis, counted since the API server started)", gv, res, f.Message)
	f.Fix = "find the callers in the API server audit log (events annotated k8s.io/deprecated=true) or by user agent, and " + f.Fix
	f.Sources = []string{SourceMetric.String()}
	f.Severity = checkInfo(f.Check).Severity
	f.rank = Source{Kind: SourceMetric}.preference()
	e.Add(*f)
}

// kindForResource maps a resource name back to a dataset kind at gv, by
// guessing each kind's resource name the way kubectl does.
func (e *Engine) kindForResource(gv, resource string) (apidata.API, bool) {
	for _, api := range e.apis.GroupVersion(gv) {
		gvk := schema.GroupVersionKind{Group: api.Group, Version: api.Version, Kind: api.Kind}
		plural, _ := meta.UnsafeGuessKindToResource(gvk)
		if plural.Resource == resource {
			return api, true
		}
	}
	return apidata.API{}, false
}
