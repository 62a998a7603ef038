package strategy

import (
	"fmt"
	"os"

	"sigs.k8s.io/yaml"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/analysis"
)

// BundleName is the ConfigMap the CLI packs a strategy's manifests into.
func BundleName(strategy string) string { return strategy + "-manifests" }

// analysisFile is what an analysis file holds: an AnalysisSpec, optionally
// typed as `upshift analysis run -f` takes it.
type analysisFile struct {
	APIVersion            string `json:"apiVersion,omitempty"`
	Kind                  string `json:"kind,omitempty"`
	v1alpha1.AnalysisSpec `json:",inline"`
}

// ReadAnalysisFile reads and checks an analysis file (the format of
// `upshift analysis run -f`). Decoding is strict, so a misspelt field is an
// error naming it.
func ReadAnalysisFile(path string) (*v1alpha1.AnalysisSpec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the analysis file: %w", err)
	}
	var f analysisFile
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return nil, fmt.Errorf("analysis file %s: %w (see 'upshift analysis run --help' for the format)", path, err)
	}
	if f.APIVersion != "" && f.APIVersion != v1alpha1.GroupVersion.String() {
		return nil, fmt.Errorf("analysis file %s: apiVersion %q is not supported; use %s or leave it out", path, f.APIVersion, v1alpha1.GroupVersion)
	}
	if f.Kind != "" && f.Kind != "Analysis" {
		return nil, fmt.Errorf("analysis file %s: kind %q is not supported; use Analysis or leave it out", path, f.Kind)
	}
	if errs := analysis.Validate(f.AnalysisSpec, nil); len(errs) > 0 {
		return nil, fmt.Errorf("analysis file %s: %w", path, errs.ToAggregate())
	}
	return &f.AnalysisSpec, nil
}

// ReadTrafficFile reads a router's settings: a TrafficSpec (router,
// trafficManager or dns), strictly decoded.
func ReadTrafficFile(path string) (*v1alpha1.TrafficSpec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the traffic file: %w", err)
	}
	var t v1alpha1.TrafficSpec
	if err := yaml.UnmarshalStrict(data, &t); err != nil {
		return nil, fmt.Errorf("traffic file %s: %w (write router, then trafficManager or dns as in the BlueGreenUpgrade CRD's spec.traffic)", path, err)
	}
	return &t, nil
}
