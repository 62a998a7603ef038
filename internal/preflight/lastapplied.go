package preflight

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// LastAppliedAnnotation is where `kubectl apply` (client-side) records the
// manifest it applied.
const LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// ObserveLastApplied judges the last-applied-configuration annotation of a
// live object (ref, read at the server's preferred version). The annotation
// records the apiVersion of the manifest last applied with kubectl: when
// that apiVersion is removed or deprecated at the target, the manifest in
// the user's repository still uses it and the next `kubectl apply` after the
// upgrade fails.
//
// Peers (kube-no-trouble) report every such annotation, including stale
// ones: when the object was later written at a served apiVersion by a
// declarative tool that does not maintain the annotation (server-side apply,
// Helm, kubectl replace/edit, Argo CD, Flux), the annotation no longer says
// how the object is managed. upshift reads metadata.managedFields to tell
// the two apart:
//
//   - stale: after kubectl's last client-side apply (its
//     kubectl-client-side-apply entry), a declarative write (operation
//     Apply, or an Update by one of the tools above, on the main resource,
//     not a subresource) used another apiVersion -> last-applied-stale, at
//     info level, which never fails a preflight;
//   - current otherwise, including when managedFields are missing (without
//     evidence the annotation is taken at its word) -> api-removed /
//     api-deprecated, source "cluster:last-applied". Writes by controllers
//     (the deployment controller, an HPA) do not make an annotation stale.
func (e *Engine) ObserveLastApplied(ref ObjectRef, meta metav1.Object) {
	if !e.opts.Checks.Has(GroupAPIs) {
		return
	}
	raw := meta.GetAnnotations()[LastAppliedAnnotation]
	if raw == "" {
		return
	}
	var la struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := json.Unmarshal([]byte(raw), &la); err != nil {
		e.Add(Finding{Check: CheckObjectInvalid, Object: ref, Sources: []string{"cluster"},
			Message: fmt.Sprintf("%s: the %s annotation is not valid JSON (%v), so its apiVersion could not be checked", ref, LastAppliedAnnotation, err),
			Fix:     "re-apply the object with kubectl apply, or remove the annotation if kubectl no longer manages it"})
		return
	}
	if la.APIVersion == "" || la.APIVersion == ref.APIVersion {
		return
	}
	if la.Kind == "" {
		la.Kind = ref.Kind
	}
	api, ok := e.apis.Lookup(la.APIVersion, la.Kind)
	if !ok || e.apiFinding(api, ref) == nil {
		return
	}
	if by := staleBy(meta.GetManagedFields(), la.APIVersion); by != "" {
		e.Add(Finding{
			Check: CheckLastAppliedStale, Object: ref, Sources: []string{SourceLastApplied.String()},
			Message: fmt.Sprintf("%s: the last-applied-configuration annotation records %s %s, but the object was written since at a served version (%s); the annotation is stale and not counted as a use of %s",
				ref, la.APIVersion, la.Kind, by, la.APIVersion),
			Fix: fmt.Sprintf("nothing blocks the upgrade; remove the stale annotation (kubectl annotate %s %s %s-) so other tools stop reporting it",
				strings.ToLower(ref.Kind), nsFlag(ref)+ref.Name, LastAppliedAnnotation),
		})
		return
	}
	annotated := ref
	annotated.APIVersion, annotated.Kind = la.APIVersion, la.Kind
	if f := e.checkAPI(annotated, Source{Kind: SourceLastApplied}); f != nil {
		f.Severity = checkInfo(f.Check).Severity
		f.rank = Source{Kind: SourceLastApplied}.preference()
		e.Add(*f)
	}
}

// SourceLastApplied's rendered form, for use without a Source value.
func (k SourceKind) String() string { return Source{Kind: k}.String() }

func nsFlag(ref ObjectRef) string {
	if ref.Namespace == "" {
		return ""
	}
	return "-n " + ref.Namespace + " "
}

// declarativeManagers write whole objects from a manifest without
// maintaining the last-applied annotation.
func declarativeManager(name string) bool {
	switch name {
	case "helm", "kubectl-replace", "kubectl-edit", "kubectl-create", "kubectl",
		"argocd-controller", "argocd-application-controller", "argocd-server",
		"kustomize-controller", "helm-controller":
		return true
	}
	return false
}

// staleBy returns "manager at apiVersion" of the declarative write that made
// an annotation recording annotated stale, or "" when the annotation is
// current.
func staleBy(fields []metav1.ManagedFieldsEntry, annotated string) string {
	var csa time.Time
	for _, f := range fields {
		if f.Manager != "kubectl-client-side-apply" && f.Manager != "kubectl-last-applied" {
			continue
		}
		if f.Time != nil && f.Time.After(csa) {
			csa = f.Time.Time
		}
	}
	var by []string
	for _, f := range fields {
		if f.Subresource != "" || f.APIVersion == "" || f.APIVersion == annotated {
			continue
		}
		if f.Operation != metav1.ManagedFieldsOperationApply && !declarativeManager(f.Manager) &&
			f.Manager != "kubectl-client-side-apply" && f.Manager != "kubectl-last-applied" {
			continue
		}
		if f.Time != nil && !csa.IsZero() && f.Time.Time.Before(csa) {
			continue
		}
		by = append(by, f.Manager+" at "+f.APIVersion)
	}
	sort.Strings(by)
	return strings.Join(by, ", ")
}
