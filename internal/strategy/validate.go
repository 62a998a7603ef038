package strategy

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/analysis"
	"upshift.dev/upshift/internal/localfleet"
	"upshift.dev/upshift/internal/provider/aks"
	"upshift.dev/upshift/internal/toolchain"
	"upshift.dev/upshift/internal/version"
)

// ValidateBlueGreen checks a BlueGreenUpgrade's spec the way the controller
// reads it; every problem names its field and what to write instead. The
// CLI calls it before creating the object, the controller when it starts.
func ValidateBlueGreen(spec *v1alpha1.BlueGreenUpgradeSpec) field.ErrorList {
	p := field.NewPath("spec")
	var errs field.ErrorList
	if spec.BlueMember == "" {
		errs = append(errs, field.Required(p.Child("blueMember"), "name the Member whose cluster serves the traffic now"))
	}
	errs = append(errs, validateNewCluster(spec.Green, p.Child("green"))...)
	errs = append(errs, validateManifests(spec.Manifests, p.Child("manifests"))...)
	errs = append(errs, durations(p, map[string]v1alpha1.Duration{
		"readinessTimeout": spec.ReadinessTimeout, "bakeTime": spec.BakeTime, "retainBlueFor": spec.RetainBlueFor})...)
	if spec.PreSwitch != nil {
		errs = append(errs, analysis.Validate(*spec.PreSwitch, p.Child("preSwitch"))...)
		for i, m := range spec.PreSwitch.Metrics {
			if m.Count == nil && m.Interval != "" {
				errs = append(errs, field.Required(p.Child("preSwitch", "metrics").Index(i).Child("count"),
					"set count, so the pre-switch analysis ends and the switch can happen"))
			}
		}
	}
	if spec.PostSwitch != nil {
		errs = append(errs, analysis.Validate(*spec.PostSwitch, p.Child("postSwitch"))...)
	}
	errs = append(errs, validateTraffic(spec.Traffic, p.Child("traffic"), false)...)
	return errs
}

// ValidateCanary checks a CanaryIntake's spec; see ValidateBlueGreen.
func ValidateCanary(spec *v1alpha1.CanaryIntakeSpec) field.ErrorList {
	p := field.NewPath("spec")
	var errs field.ErrorList
	if spec.StableMember == "" {
		errs = append(errs, field.Required(p.Child("stableMember"), "name the Member whose cluster serves the traffic now"))
	}
	errs = append(errs, validateNewCluster(spec.Canary, p.Child("canary"))...)
	errs = append(errs, validateManifests(spec.Manifests, p.Child("manifests"))...)
	errs = append(errs, durations(p, map[string]v1alpha1.Duration{"readinessTimeout": spec.ReadinessTimeout, "bake": spec.Bake, "retainStableFor": spec.RetainStableFor})...)
	if spec.Analysis != nil {
		errs = append(errs, analysis.Validate(*spec.Analysis, p.Child("analysis"))...)
	}
	prev := int32(0)
	for i, s := range spec.Steps {
		sp := p.Child("steps").Index(i)
		if s.Weight <= prev || s.Weight > 100 {
			errs = append(errs, field.Invalid(sp.Child("weight"), s.Weight, fmt.Sprintf("weights must rise step by step, within %d..100", prev+1)))
		}
		prev = s.Weight
		if _, err := s.Bake.Parse(); err != nil {
			errs = append(errs, field.Invalid(sp.Child("bake"), s.Bake, err.Error()))
		}
		if s.Analysis != nil {
			errs = append(errs, analysis.Validate(*s.Analysis, sp.Child("analysis"))...)
		}
	}
	if len(spec.Steps) > 0 && prev != 100 {
		errs = append(errs, field.Invalid(p.Child("steps").Index(len(spec.Steps)-1).Child("weight"), prev, "the last step must send 100% to the canary; add a step with weight 100"))
	}
	errs = append(errs, validateTraffic(spec.Traffic, p.Child("traffic"), true)...)
	return errs
}

func validateNewCluster(c v1alpha1.NewClusterSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch c.Provider {
	case v1alpha1.ProviderLocal, "":
		if err := localfleet.ValidateName(c.ClusterName); err != nil {
			errs = append(errs, field.Invalid(p.Child("clusterName"), c.ClusterName, err.Error()))
		}
		if !toolchain.Supported(c.KubernetesVersion) {
			errs = append(errs, field.NotSupported(p.Child("kubernetesVersion"), c.KubernetesVersion, toolchain.KubernetesVersions))
		}
	case v1alpha1.ProviderAKS:
		// The subscription and resource group come from the controller
		// when the name leaves them out; only the form is checked here.
		if _, err := aks.ParseClusterRef(c.ClusterName, "subscription", "group"); err != nil {
			errs = append(errs, field.Invalid(p.Child("clusterName"), c.ClusterName, err.Error()))
		}
		if _, err := version.Parse(c.KubernetesVersion); err != nil {
			errs = append(errs, field.Invalid(p.Child("kubernetesVersion"), c.KubernetesVersion, err.Error()))
		}
	default:
		errs = append(errs, field.NotSupported(p.Child("provider"), c.Provider, []string{v1alpha1.ProviderLocal, v1alpha1.ProviderAKS}))
	}
	for i, pool := range c.Pools {
		if pool.Count < 0 {
			errs = append(errs, field.Invalid(p.Child("pools").Index(i).Child("count"), pool.Count, "use 0 or more"))
		}
	}
	return errs
}

func validateManifests(m v1alpha1.ManifestBundle, p *field.Path) field.ErrorList {
	if m.ConfigMap == "" {
		return field.ErrorList{field.Required(p.Child("configMap"), "name the ConfigMap that holds the manifests to deploy")}
	}
	return nil
}

func durations(p *field.Path, ds map[string]v1alpha1.Duration) field.ErrorList {
	var errs field.ErrorList
	for _, name := range keys(ds) {
		if _, err := ds[name].Parse(); err != nil {
			errs = append(errs, field.Invalid(p.Child(name), ds[name], err.Error()))
		}
	}
	sortErrors(errs)
	return errs
}

func validateTraffic(t v1alpha1.TrafficSpec, p *field.Path, stepped bool) field.ErrorList {
	var errs field.ErrorList
	switch t.Router {
	case v1alpha1.RouterLocal, "":
	case v1alpha1.RouterAzureTrafficManager:
		if t.TrafficManager == nil {
			errs = append(errs, field.Required(p.Child("trafficManager"), "router azure-traffic-manager needs the profile (subscription, resourceGroup, profile) and an endpoint per cluster"))
		}
	case v1alpha1.RouterAzureDNS:
		if stepped {
			errs = append(errs, field.Invalid(p.Child("router"), t.Router, "a CNAME points at one cluster, so it cannot split traffic into canary steps; use azure-traffic-manager"))
		}
		if t.DNS == nil {
			errs = append(errs, field.Required(p.Child("dns"), "router azure-dns needs the record set (subscription, resourceGroup, zone, recordSet) and a target per cluster"))
		}
	default:
		errs = append(errs, field.NotSupported(p.Child("router"), t.Router, []string{v1alpha1.RouterLocal, v1alpha1.RouterAzureTrafficManager, v1alpha1.RouterAzureDNS}))
	}
	return errs
}

// sortErrors orders errors by field, so messages read the same every time.
func sortErrors(errs field.ErrorList) {
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
}

// specError renders a validation failure for status and the CLI.
func specError(errs field.ErrorList) string {
	lines := make([]string, len(errs))
	for i, e := range errs {
		lines[i] = e.Error()
	}
	return "invalid spec: " + strings.Join(lines, "; ")
}
