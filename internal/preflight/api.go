package preflight

import (
	"fmt"

	"upshift.dev/upshift/internal/preflight/apidata"
)

// checkAPI is api-removed and api-deprecated: at most one of them, for the
// object's apiVersion and kind at the target version.
func (e *Engine) checkAPI(ref ObjectRef, src Source) *Finding {
	api, ok := e.apis.Lookup(ref.APIVersion, ref.Kind)
	if !ok {
		return nil
	}
	f := e.apiFinding(api, ref)
	if f == nil {
		return nil
	}
	f.Sources = []string{src.String()}
	f.Locations = src.location()
	if src.Kind == SourceLastApplied {
		f.Message += " (recorded in the object's kubectl.kubernetes.io/last-applied-configuration: the manifest last applied with kubectl uses it)"
	}
	return f
}

// apiFinding judges api at the target version; nil when it is fine there.
func (e *Engine) apiFinding(api apidata.API, ref ObjectRef) *Finding {
	target := e.opts.Target
	what := api.APIVersion() + " " + api.Kind
	repl := e.apis.ReplacementAt(api, target)
	use := ""
	if !repl.IsZero() {
		use = repl.APIVersion()
		if repl.Kind != api.Kind {
			use += " " + repl.Kind
		}
	}
	f := &Finding{
		Object:       ref,
		DeprecatedIn: apidata.Minor(api.Deprecated),
		RemovedIn:    apidata.Minor(api.Removed),
	}
	if !repl.IsZero() {
		f.Replacement = repl.APIVersion()
	}
	switch {
	case api.IsRemoved(target):
		f.Check = CheckAPIRemoved
		f.Message = fmt.Sprintf("%s is not served by Kubernetes %s (%s)", what, target.MinorString(), api.Describe())
		switch {
		case use != "":
			f.Fix = fmt.Sprintf("change apiVersion to %s (check the fields that changed between the versions) and apply it before upgrading; objects already stored are converted by the API server", use)
		case api.Note != "":
			f.Fix = "there is no replacement kind: " + api.Note + "; delete these objects before upgrading"
		default:
			f.Fix = "there is no replacement; delete these objects and stop creating them before upgrading"
		}
	case api.IsDeprecated(target):
		f.Check = CheckAPIDeprecated
		if api.Removed.Major > 0 {
			f.Message = fmt.Sprintf("%s is deprecated in Kubernetes %s and removed in %s", what, api.Deprecated.MinorString(), api.Removed.MinorString())
		} else {
			f.Message = fmt.Sprintf("%s is deprecated in Kubernetes %s", what, api.Deprecated.MinorString())
		}
		if use != "" {
			f.Fix = fmt.Sprintf("move to %s before upgrading past %s", use, lastServing(api))
		} else {
			f.Fix = "plan to stop using it; upstream names no replacement yet"
		}
	default:
		return nil
	}
	return f
}

// lastServing names the last minor that serves api, for messages.
func lastServing(api apidata.API) string {
	if api.Removed.Major == 0 {
		return "its removal"
	}
	r := api.Removed
	r.Minor--
	return r.MinorString()
}
