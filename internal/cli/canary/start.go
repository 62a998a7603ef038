package canary

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
	fleetcmd "upshift.dev/upshift/internal/cli/fleet"
	"upshift.dev/upshift/internal/cli/hubobj"
	"upshift.dev/upshift/internal/strategy"
)

// StartOptions are the inputs of `upshift canary start`.
type StartOptions struct {
	IO        *cmdutil.IOStreams
	Client    func() (client.Client, error)
	Namespace string
	Name      string

	Stable            string
	CanaryCluster     string
	CanaryProvider    string
	KubernetesVersion string
	Files             []string
	// Steps are the canary's weights in percent, "20,50,100".
	Steps            string
	Bake             time.Duration
	RetainStable     time.Duration
	ReadinessTimeout time.Duration
	AnalysisFile     string
	Router           string
	TrafficFile      string
	IgnorePreflight  bool
	SkipPreflight    bool
	DryRun           bool
}

func newCmdStart(f *cmdutil.Factory, runF func(*StartOptions) error) *cobra.Command {
	opts := &StartOptions{IO: f.IO, Client: fleetcmd.Client(f)}
	cmd := &cobra.Command{
		Use:   "start NAME --stable MEMBER --canary-cluster NAME --kubernetes-version V -f DIR_OR_FILE",
		Short: "Start a canary intake: a canary cluster, the app on it, then traffic step by step",
		Long: `Start the CanaryIntake NAME. The manifests of -f are packed into the ConfigMap
NAME-manifests on the hub and applied to the canary in dependency order.

--stable names the Member serving the app now; the canary is created with its
node pools at --kubernetes-version, in the local fleet, or with
--canary-provider aks as a clone of stable's AKS cluster through ARM. --steps are the canary's shares of
traffic (rising, the last 100); each is held for --bake, counted once the
weights have propagated, under the analysis of --analysis-file (the format of
'upshift analysis run -f'). Failed or Error sends all traffic back to stable;
Inconclusive pauses for 'upshift canary promote' or 'abort'. --router local
uses the local fleet's gateway; azure-traffic-manager takes its settings from
--traffic-file. azure-dns cannot split traffic and is refused.

Preflight for the new version runs first on stable and the manifests; its
errors stop the intake unless --ignore-preflight-errors is given.`,
		Example: `  upshift canary start take-137 --stable prod --canary-cluster prod-canary --kubernetes-version 1.37.2 -f ./k8s/ --analysis-file error-rate.yaml
  upshift canary start take-137 --stable prod --canary-cluster prod-canary --kubernetes-version 1.37.2 -f ./k8s/ --steps 10,25,50,100 --bake 2m`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return startRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fleetcmd.AddNamespaceFlag(cmd, &opts.Namespace)
	fl.StringVar(&opts.Stable, "stable", "", "Member whose cluster serves the app now (required)")
	fl.StringVar(&opts.CanaryCluster, "canary-cluster", "", "Name of the canary cluster to create (required)")
	fl.StringVar(&opts.CanaryProvider, "canary-provider", v1alpha1.ProviderLocal, "Where to create the canary cluster: local (the local fleet) or aks (a clone of the serving member's AKS cluster)")
	fl.StringVar(&opts.KubernetesVersion, "kubernetes-version", "", "Kubernetes version of the canary (required)")
	fl.StringArrayVarP(&opts.Files, "filename", "f", nil, "Manifest file or directory to deploy to the canary (repeatable; required)")
	fl.StringVar(&opts.Steps, "steps", "20,50,100", "The canary's shares of traffic, in percent, rising to 100")
	fl.DurationVar(&opts.Bake, "bake", 5*time.Minute, "How long each step is held under analysis")
	fl.DurationVar(&opts.RetainStable, "retain-stable", 24*time.Hour, "How long the stable cluster is kept after the promotion; 0 keeps it until 'finish'")
	fl.DurationVar(&opts.ReadinessTimeout, "readiness-timeout", 10*time.Minute, "How long the canary's workloads may take to be ready")
	fl.StringVar(&opts.AnalysisFile, "analysis-file", "", "Analysis run during each step")
	fl.StringVar(&opts.Router, "router", v1alpha1.RouterLocal, "Traffic router: local or azure-traffic-manager")
	fl.StringVar(&opts.TrafficFile, "traffic-file", "", "The router's settings (spec.traffic), for azure-traffic-manager")
	fl.BoolVar(&opts.IgnorePreflight, "ignore-preflight-errors", false, "Go on even when preflight finds errors")
	fl.BoolVar(&opts.SkipPreflight, "skip-preflight", false, "Do not run the preflight")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "Print the ConfigMap and the CanaryIntake instead of creating them")
	return cmd
}

// ParseSteps reads --steps: comma-separated percentages.
func ParseSteps(s string) ([]v1alpha1.CanaryStep, error) {
	var out []v1alpha1.CanaryStep
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(f), "%"))
		if err != nil || n < 1 || n > 100 {
			return nil, cmdutil.FlagErrorf("--steps %q: %q is not a percentage from 1 to 100; write them like 20,50,100", s, f)
		}
		out = append(out, v1alpha1.CanaryStep{Weight: int32(n)})
	}
	return out, nil
}

// Build turns the options into the objects start creates, checked as the
// controller will check them.
func (o *StartOptions) Build() (*corev1.ConfigMap, *v1alpha1.CanaryIntake, error) {
	for _, f := range [][2]string{{"--stable", o.Stable}, {"--canary-cluster", o.CanaryCluster}, {"--kubernetes-version", o.KubernetesVersion}} {
		if f[1] == "" {
			return nil, nil, cmdutil.FlagErrorf("%s is required", f[0])
		}
	}
	if len(o.Files) == 0 {
		return nil, nil, cmdutil.FlagErrorf("-f is required: the manifests to deploy to the canary (a directory or files)")
	}
	if o.Bake < 0 || o.RetainStable < 0 || o.ReadinessTimeout <= 0 {
		return nil, nil, cmdutil.FlagErrorf("--bake and --retain-stable must be 0 or more, --readiness-timeout more than 0")
	}
	steps, err := ParseSteps(o.Steps)
	if err != nil {
		return nil, nil, err
	}
	data, err := strategy.Pack(o.Files)
	if err != nil {
		return nil, nil, err
	}
	traffic := v1alpha1.TrafficSpec{Router: o.Router}
	if o.TrafficFile != "" {
		t, err := strategy.ReadTrafficFile(o.TrafficFile)
		if err != nil {
			return nil, nil, err
		}
		if t.Router == "" {
			t.Router = o.Router
		}
		traffic = *t
	}
	spec := v1alpha1.CanaryIntakeSpec{
		StableMember:     o.Stable,
		Canary:           v1alpha1.NewClusterSpec{Provider: o.CanaryProvider, ClusterName: o.CanaryCluster, KubernetesVersion: o.KubernetesVersion},
		Manifests:        v1alpha1.ManifestBundle{ConfigMap: strategy.BundleName(o.Name)},
		ReadinessTimeout: v1alpha1.Duration(o.ReadinessTimeout.String()),
		Traffic:          traffic,
		Steps:            steps,
		Bake:             v1alpha1.Duration(o.Bake.String()),
		RetainStableFor:  v1alpha1.DurationOf(o.RetainStable),
		Preflight:        v1alpha1.PreflightPolicy{Skip: o.SkipPreflight, IgnoreErrors: o.IgnorePreflight},
	}
	if o.AnalysisFile != "" {
		if spec.Analysis, err = strategy.ReadAnalysisFile(o.AnalysisFile); err != nil {
			return nil, nil, err
		}
	}
	if errs := strategy.ValidateCanary(&spec); len(errs) > 0 {
		return nil, nil, fmt.Errorf("the intake would fail at once: %w", errs.ToAggregate())
	}
	cm := intakes.Bundle(o.Namespace, o.Name, spec.Manifests.ConfigMap, data)
	ci := &v1alpha1.CanaryIntake{TypeMeta: metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "CanaryIntake"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace}, Spec: spec}
	return cm, ci, nil
}

// LabelIntake marks the ConfigMap start packs for an intake.
const LabelIntake = "upshift.dev/canary-intake"

func startRun(ctx context.Context, opts *StartOptions) error {
	cm, ci, err := opts.Build()
	if err != nil {
		return err
	}
	if opts.DryRun {
		return hubobj.PrintDryRun(opts.IO, cm, ci)
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	if err := intakes.Create(ctx, c, opts.IO, cm, ci, "upshift canary status"); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "Started canary intake %q: new cluster %s at %s next to %s, steps %s.\nFollow it with 'upshift canary status %s -w%s'\n",
		opts.Name, opts.CanaryCluster, opts.KubernetesVersion, opts.Stable, opts.Steps, opts.Name, nsFlag(opts.Namespace))
	return nil
}
