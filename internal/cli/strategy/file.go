package strategy

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/analysis"
)

// Read reads a strategy file ("-" is in): an UpdateStrategy object, as
// kubectl would take it, or just its spec (a document with stages at the
// top). Decoding is strict, so a misspelt field is an error naming it
// rather than a silently dropped gate; the spec is then checked with
// Validate. The name is metadata.name, empty for a bare spec.
func Read(in io.Reader, path string) (*v1alpha1.UpdateStrategySpec, string, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(in)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, "", fmt.Errorf("cannot read the strategy file: %w", err)
	}
	var probe map[string]any
	if err := yaml.Unmarshal(data, &probe); err != nil {
		return nil, "", fmt.Errorf("strategy file %s: %w", path, err)
	}
	var spec v1alpha1.UpdateStrategySpec
	name := ""
	if _, typed := probe["kind"]; typed || probe["spec"] != nil {
		var obj v1alpha1.UpdateStrategy
		if err := yaml.UnmarshalStrict(data, &obj); err != nil {
			return nil, "", fmt.Errorf("strategy file %s: %w", path, err)
		}
		if obj.Kind != "UpdateStrategy" || (obj.APIVersion != "" && obj.APIVersion != v1alpha1.GroupVersion.String()) {
			return nil, "", fmt.Errorf("strategy file %s: got %s %s; want kind UpdateStrategy, apiVersion %s (or only the spec, with stages at the top)", path, obj.APIVersion, obj.Kind, v1alpha1.GroupVersion)
		}
		spec, name = obj.Spec, obj.Name
	} else if err := yaml.UnmarshalStrict(data, &spec); err != nil {
		return nil, "", fmt.Errorf("strategy file %s: %w", path, err)
	}
	if err := Validate(&spec); err != nil {
		return nil, "", fmt.Errorf("strategy file %s: %w", path, err)
	}
	return &spec, name, nil
}

// validStageName is the CRD's pattern ^[a-z0-9]([-a-z0-9]{0,48}[a-z0-9])?$:
// stage names end up in Gate object names.
func validStageName(s string) bool {
	if len(s) == 0 || len(s) > 50 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validConcurrency is the CRD's maxConcurrency: a count of at least 1 or a
// percentage from 1% to 100%.
func validConcurrency(s string) bool {
	pct := strings.HasSuffix(s, "%")
	digits := strings.TrimSuffix(s, "%")
	n, err := strconv.Atoi(digits)
	return err == nil && digits[0] != '0' && digits[0] != '+' && n >= 1 && (!pct || n <= 100)
}

// Validate checks what the controller checks when a run starts, so that a
// mistake shows when the strategy is written rather than minutes later as a
// failed run. Errors name the field by its path.
func Validate(s *v1alpha1.UpdateStrategySpec) error {
	if len(s.Stages) == 0 {
		return errors.New("stages: at least one stage is required")
	}
	stages, groups := map[string]bool{}, map[string]bool{}
	for i, st := range s.Stages {
		at := fmt.Sprintf("stages[%d]", i)
		if !validStageName(st.Name) {
			return fmt.Errorf("%s.name %q: use 1-50 lowercase letters, digits and '-'", at, st.Name)
		}
		if stages[st.Name] {
			return fmt.Errorf("%s.name: stage %q is used twice", at, st.Name)
		}
		stages[st.Name] = true
		if len(st.Groups) == 0 {
			return fmt.Errorf("%s.groups: stage %q has no groups; list the member groups it upgrades", at, st.Name)
		}
		if st.MaxConcurrency != "" && !validConcurrency(st.MaxConcurrency) {
			return fmt.Errorf("%s.maxConcurrency %q: use a count (\"3\") or a percentage (\"25%%\")", at, st.MaxConcurrency)
		}
		for j, g := range st.Groups {
			gat := fmt.Sprintf("%s.groups[%d]", at, j)
			if g.Name == "" {
				return fmt.Errorf("%s.name is required", gat)
			}
			if groups[g.Name] {
				return fmt.Errorf("%s: group %q is in the strategy twice; a group may appear in one stage only", gat, g.Name)
			}
			groups[g.Name] = true
			if g.MaxConcurrency != "" && !validConcurrency(g.MaxConcurrency) {
				return fmt.Errorf("%s.maxConcurrency %q: use a count (\"3\") or a percentage (\"25%%\")", gat, g.MaxConcurrency)
			}
		}
		for _, timing := range []string{v1alpha1.GateBefore, v1alpha1.GateAfter} {
			for k, g := range st.Gates(timing) {
				if err := validateGate(g); err != nil {
					return fmt.Errorf("%s.%sGates[%d]: %w", at, strings.ToLower(timing), k, err)
				}
			}
		}
	}
	if s.MaxAllowedFailures < 0 {
		return errors.New("maxAllowedFailures: must be 0 or more")
	}
	return nil
}

func validateGate(g v1alpha1.GateDefinition) error {
	switch g.Type {
	case v1alpha1.GateApproval:
	case v1alpha1.GateScheduledStart:
		if g.ScheduledStart == nil || g.ScheduledStart.Time == "" {
			return errors.New("type ScheduledStart needs scheduledStart.time (HH:mm), and optionally date or dayOfWeek and utcOffset")
		}
	case v1alpha1.GateValidation:
		if g.Validation == nil || len(g.Validation.Metrics) == 0 {
			return errors.New("type Validation needs validation.metrics")
		}
		for i, m := range g.Validation.Metrics {
			if m.Count == nil {
				return fmt.Errorf("validation.metrics[%d] (%s): set count, so the gate reaches a verdict", i, m.Name)
			}
		}
		if errs := analysis.Validate(*g.Validation, field.NewPath("validation")); len(errs) > 0 {
			return errs.ToAggregate()
		}
	default:
		return fmt.Errorf("type %s: use Approval, ScheduledStart or Validation", strconv.Quote(g.Type))
	}
	return nil
}
