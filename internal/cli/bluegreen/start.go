package bluegreen

import (
	"context"
	"fmt"
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

// StartOptions are the inputs of `upshift bluegreen start`.
type StartOptions struct {
	IO        *cmdutil.IOStreams
	Client    func() (client.Client, error)
	Namespace string
	Name      string

	Blue              string
	GreenCluster      string
	GreenProvider     string
	KubernetesVersion string
	// Files are -f paths: manifest files or directories.
	Files            []string
	Router           string
	TrafficFile      string
	Bake             time.Duration
	RetainBlue       time.Duration
	ReadinessTimeout time.Duration
	PreSwitchFile    string
	PostSwitchFile   string
	IgnorePreflight  bool
	SkipPreflight    bool
	// DryRun prints the objects instead of creating them.
	DryRun bool
}

func newCmdStart(f *cmdutil.Factory, runF func(*StartOptions) error) *cobra.Command {
	opts := &StartOptions{IO: f.IO, Client: fleetcmd.Client(f)}
	cmd := &cobra.Command{
		Use:   "start NAME --blue MEMBER --green-cluster NAME --kubernetes-version V -f DIR_OR_FILE",
		Short: "Start a blue-green upgrade: a new green cluster, the app on it, then the switch",
		Long: `Start the BlueGreenUpgrade NAME. The manifests of -f (files, or directories
read recursively for *.yaml, *.yml and *.json) are packed into the ConfigMap
NAME-manifests on the hub; the controller applies them to green in dependency
order (namespaces, CRDs, RBAC, configuration, workloads, Services).

--blue names the Member serving the app now; green is created with blue's
node pools at --kubernetes-version, in the local fleet, or with
--green-provider aks as a clone of blue's AKS cluster (network, identity,
add-ons, pools) through ARM. --pre-switch-file and --post-switch-file
are analyses (the format of 'upshift analysis run -f'): the first must pass
before any traffic moves, the second runs for --bake with all traffic on
green; its failure sends traffic back to blue at once. --router local uses
the local fleet's gateway; azure-traffic-manager and azure-dns take their
settings from --traffic-file (spec.traffic of the CRD).

Preflight for the new version runs first on blue and the manifests; its
errors stop the upgrade unless --ignore-preflight-errors is given.`,
		Example: `  upshift bluegreen start shop-137 --blue prod --green-cluster prod-green --kubernetes-version 1.37.2 -f ./k8s/ --post-switch-file error-rate.yaml --bake 10m
  upshift bluegreen start shop-137 --blue prod --green-cluster prod-green --kubernetes-version 1.37.2 -f ./k8s/ --dry-run`,
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
	fl.StringVar(&opts.Blue, "blue", "", "Member whose cluster serves the app now (required)")
	fl.StringVar(&opts.GreenCluster, "green-cluster", "", "Name of the green cluster to create (required)")
	fl.StringVar(&opts.GreenProvider, "green-provider", v1alpha1.ProviderLocal, "Where to create the green cluster: local (the local fleet) or aks (a clone of the serving member's AKS cluster)")
	fl.StringVar(&opts.KubernetesVersion, "kubernetes-version", "", "Kubernetes version of green (required)")
	fl.StringArrayVarP(&opts.Files, "filename", "f", nil, "Manifest file or directory to deploy to green (repeatable; required)")
	fl.StringVar(&opts.Router, "router", v1alpha1.RouterLocal, "Traffic router: local, azure-traffic-manager or azure-dns")
	fl.StringVar(&opts.TrafficFile, "traffic-file", "", "The router's settings (spec.traffic), for the Azure routers")
	fl.DurationVar(&opts.Bake, "bake", 5*time.Minute, "How long green carries all traffic under analysis before it is promoted")
	fl.DurationVar(&opts.RetainBlue, "retain-blue", 24*time.Hour, "How long blue is kept after the promotion; 0 keeps it until 'finish'")
	fl.DurationVar(&opts.ReadinessTimeout, "readiness-timeout", 10*time.Minute, "How long green's workloads may take to be ready")
	fl.StringVar(&opts.PreSwitchFile, "pre-switch-file", "", "Analysis that must pass on green before the switch")
	fl.StringVar(&opts.PostSwitchFile, "post-switch-file", "", "Analysis run during the bake; Failed or Error roll back")
	fl.BoolVar(&opts.IgnorePreflight, "ignore-preflight-errors", false, "Go on even when preflight finds errors")
	fl.BoolVar(&opts.SkipPreflight, "skip-preflight", false, "Do not run the preflight")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "Print the ConfigMap and the BlueGreenUpgrade instead of creating them")
	return cmd
}

// Build turns the options into the objects start creates: the manifests'
// ConfigMap and the upgrade. It reads the files and checks everything the
// controller would, so a mistake is reported here, naming the flag.
func (o *StartOptions) Build() (*corev1.ConfigMap, *v1alpha1.BlueGreenUpgrade, error) {
	for _, f := range [][2]string{{"--blue", o.Blue}, {"--green-cluster", o.GreenCluster}, {"--kubernetes-version", o.KubernetesVersion}} {
		if f[1] == "" {
			return nil, nil, cmdutil.FlagErrorf("%s is required", f[0])
		}
	}
	if len(o.Files) == 0 {
		return nil, nil, cmdutil.FlagErrorf("-f is required: the manifests to deploy to green (a directory or files)")
	}
	if o.Bake < 0 || o.RetainBlue < 0 || o.ReadinessTimeout <= 0 {
		return nil, nil, cmdutil.FlagErrorf("--bake and --retain-blue must be 0 or more, --readiness-timeout more than 0")
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
		if t.Router != "" && t.Router != o.Router && o.Router != v1alpha1.RouterLocal {
			return nil, nil, cmdutil.FlagErrorf("--router %s and the traffic file's router %s differ; keep one", o.Router, t.Router)
		}
		if t.Router == "" {
			t.Router = o.Router
		}
		traffic = *t
	}
	spec := v1alpha1.BlueGreenUpgradeSpec{
		BlueMember:       o.Blue,
		Green:            v1alpha1.NewClusterSpec{Provider: o.GreenProvider, ClusterName: o.GreenCluster, KubernetesVersion: o.KubernetesVersion},
		Manifests:        v1alpha1.ManifestBundle{ConfigMap: strategy.BundleName(o.Name)},
		ReadinessTimeout: v1alpha1.DurationOf(o.ReadinessTimeout),
		Traffic:          traffic,
		BakeTime:         v1alpha1.DurationOf(o.Bake),
		RetainBlueFor:    v1alpha1.DurationOf(o.RetainBlue),
		Preflight:        v1alpha1.PreflightPolicy{Skip: o.SkipPreflight, IgnoreErrors: o.IgnorePreflight},
	}
	if o.PreSwitchFile != "" {
		if spec.PreSwitch, err = strategy.ReadAnalysisFile(o.PreSwitchFile); err != nil {
			return nil, nil, err
		}
	}
	if o.PostSwitchFile != "" {
		if spec.PostSwitch, err = strategy.ReadAnalysisFile(o.PostSwitchFile); err != nil {
			return nil, nil, err
		}
	}
	if errs := strategy.ValidateBlueGreen(&spec); len(errs) > 0 {
		return nil, nil, fmt.Errorf("the upgrade would fail at once: %w", errs.ToAggregate())
	}
	meta := metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace}
	cm := upgrades.Bundle(o.Namespace, o.Name, spec.Manifests.ConfigMap, data)
	bg := &v1alpha1.BlueGreenUpgrade{TypeMeta: metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "BlueGreenUpgrade"}, ObjectMeta: meta, Spec: spec}
	return cm, bg, nil
}

// LabelUpgrade marks the ConfigMap start packs for an upgrade.
const LabelUpgrade = "upshift.dev/bluegreen-upgrade"

func startRun(ctx context.Context, opts *StartOptions) error {
	cm, bg, err := opts.Build()
	if err != nil {
		return err
	}
	if opts.DryRun {
		return hubobj.PrintDryRun(opts.IO, cm, bg)
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	if err := upgrades.Create(ctx, c, opts.IO, cm, bg, "upshift bluegreen status"); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "Started blue-green upgrade %q: %s -> new cluster %s at %s, %d manifest files in ConfigMap %s.\nFollow it with 'upshift bluegreen status %s -w%s'\n",
		opts.Name, opts.Blue, opts.GreenCluster, opts.KubernetesVersion, len(cm.Data), cm.Name, opts.Name, nsFlag(opts.Namespace))
	return nil
}
