package strategy

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/client-go/rest"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/manifest"
	"upshift.dev/upshift/internal/preflight"
	"upshift.dev/upshift/internal/preflight/cluster"
	"upshift.dev/upshift/internal/version"
)

// maxFindings bounds the findings kept in status.
const maxFindings = 20

// DefaultPreflight runs upshift's preflight engine: the API checks on the
// manifests to deploy (their apiVersions must be served at the target) and
// on the serving cluster's last-applied annotations, Helm releases and
// deprecated-API metric, and the workload checks on the serving cluster's
// live objects and the manifests (a PodDisruptionBudget that never allows
// an eviction will block the new cluster's first node upgrade too). The
// version checks are left out: a new cluster starts at its version, so
// there is no minor to skip and no node to skew.
type DefaultPreflight struct{}

var _ Preflighter = DefaultPreflight{}

// Preflight implements Preflighter.
func (DefaultPreflight) Preflight(ctx context.Context, cfg *rest.Config, target string, bundle *Bundle) (v1alpha1.PreflightResult, error) {
	to, err := version.Parse(target)
	if err != nil {
		return v1alpha1.PreflightResult{}, fmt.Errorf("kubernetesVersion %q: %w", target, err)
	}
	checks, err := preflight.ParseCheckSet([]string{preflight.GroupAPIs, preflight.GroupWorkloads})
	if err != nil {
		return v1alpha1.PreflightResult{}, err
	}
	engine := preflight.New(preflight.Options{Target: to, Checks: checks})
	if bundle != nil {
		for _, k := range bundle.Keys() {
			path := "configmap/" + bundle.ConfigMap + "/" + k
			err := manifest.ReadStream(ctx, strings.NewReader(bundle.Files[k]), path, manifest.Options{}, func(d manifest.Document) error {
				engine.ObserveDocument(d, preflight.Source{Kind: preflight.SourceFile})
				return nil
			})
			if err != nil {
				return v1alpha1.PreflightResult{}, err
			}
		}
	}
	s := &cluster.Scanner{Config: cfg, Checks: checks}
	if _, err := s.Scan(ctx, engine); err != nil {
		return v1alpha1.PreflightResult{}, fmt.Errorf("preflight scan failed: %w", err)
	}
	return summarize(engine.Report()), nil
}

// summarize keeps the counts and the most serious findings, one line each.
func summarize(r preflight.Report) v1alpha1.PreflightResult {
	out := v1alpha1.PreflightResult{TargetVersion: r.TargetVersion, Errors: int32(r.Summary.Errors), Warnings: int32(r.Summary.Warnings)}
	for _, f := range r.Findings {
		if f.Severity == preflight.SeverityInfo || len(out.Findings) == maxFindings {
			continue
		}
		line := fmt.Sprintf("%s %s %s: %s", f.Severity, f.Check, f.Object, f.Message)
		if f.Fix != "" {
			line += " (fix: " + f.Fix + ")"
		}
		out.Findings = append(out.Findings, line)
	}
	return out
}
