package local

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"upshift.dev/upshift/internal/cli/cmdutil"
	"upshift.dev/upshift/internal/cli/toolchain"
	"upshift.dev/upshift/internal/localfleet"
	"upshift.dev/upshift/internal/provider"
	tc "upshift.dev/upshift/internal/toolchain"
	trafficlocal "upshift.dev/upshift/internal/traffic/local"
	"upshift.dev/upshift/internal/version"
)

// UpOptions are the inputs of `upshift local up`.
type UpOptions struct {
	IO                *cmdutil.IOStreams
	Fleet             *localfleet.Fleet
	Clusters          []string
	Hub               string
	KubernetesVersion string
	Nodes             int
	PodStartDelay     time.Duration
	PodStopDelay      time.Duration
	NodeReadyDelay    time.Duration
	NoSampleApps      bool
	NoFragileApp      bool
	// NoDataPlane skips starting `upshift local dataplane` in the
	// background; GatewayAddress is its --gateway-address.
	NoDataPlane    bool
	GatewayAddress string
}

func newCmdUp(f *cmdutil.Factory, runF func(*UpOptions) error) *cobra.Command {
	opts := &UpOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start local clusters with AKS-shaped node pools and sample apps",
		Long: `Start each cluster in parallel: a real control plane of the given Kubernetes
version, a 'system' and an 'apps' node pool of kwok nodes labelled the way AKS
labels its nodes, and sample apps (Deployments, a StatefulSet, a DaemonSet,
Services, PDBs, probes, preStop hooks, and one fragile app whose PDB allows no
eviction). The hub cluster (--hub) gets a system pool only: it holds the
fleet's custom resources.

It is all or nothing: if any cluster fails to start, the clusters this command
started are removed again. The toolchain is built first if it is not cached.`,
		Example: `  upshift local up
  upshift local up --clusters dev --nodes 5 --pod-start-delay 5s
  eval "$(upshift local env)"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Fleet = fleet()
			// The default hub only applies when a cluster of that name is
			// started; naming one with --hub that is not started is an error.
			if !cmd.Flags().Changed("hub") && !slices.Contains(opts.Clusters, opts.Hub) && !opts.Fleet.Exists(opts.Hub) {
				opts.Hub = ""
			}
			if runF != nil {
				return runF(opts)
			}
			return upRun(cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&opts.Clusters, "clusters", []string{"hub", "dev", "test", "prod"}, "Names of the clusters to start")
	fl.StringVar(&opts.Hub, "hub", "hub", "Which of --clusters is the fleet hub (no app pools, no sample apps); empty for none")
	fl.StringVar(&opts.KubernetesVersion, "kubernetes-version", tc.KubernetesVersions[0], "Kubernetes version of the clusters ("+strings.Join(tc.KubernetesVersions, ", ")+")")
	fl.IntVar(&opts.Nodes, "nodes", 3, "Nodes in each node pool")
	fl.DurationVar(&opts.PodStartDelay, "pod-start-delay", 2*time.Second, "Time a pod takes from scheduled to Ready")
	fl.DurationVar(&opts.PodStopDelay, "pod-stop-delay", time.Second, "Time a pod takes from eviction to gone")
	fl.DurationVar(&opts.NodeReadyDelay, "node-ready-delay", time.Second, "Time a new node takes to become Ready")
	fl.BoolVar(&opts.NoSampleApps, "no-sample-apps", false, "Do not install the sample apps")
	fl.BoolVar(&opts.NoFragileApp, "no-fragile-app", false, "Leave out the fragile app (single replica, PDB allows no eviction)")
	fl.BoolVar(&opts.NoDataPlane, "no-dataplane", false, "Do not start the local data plane (ingresses and gateway) in the background")
	fl.StringVar(&opts.GatewayAddress, "gateway-address", trafficlocal.DefaultGatewayAddr, "Loopback address of the data plane's gateway, when it is started")
	return cmd
}

// Specs turns the options into cluster specs, validating the flags.
func (o *UpOptions) Specs() ([]localfleet.ClusterSpec, error) {
	if o.Nodes < 0 || o.Nodes > 1000 {
		return nil, cmdutil.FlagErrorf("--nodes %d is out of range 0..1000", o.Nodes)
	}
	for flag, d := range map[string]time.Duration{"--pod-start-delay": o.PodStartDelay, "--pod-stop-delay": o.PodStopDelay, "--node-ready-delay": o.NodeReadyDelay} {
		if d < 0 {
			return nil, cmdutil.FlagErrorf("%s %s must not be negative", flag, d)
		}
	}
	if !tc.Supported(o.KubernetesVersion) {
		return nil, cmdutil.FlagErrorf("--kubernetes-version %q is not supported; use one of: %s", o.KubernetesVersion, strings.Join(tc.KubernetesVersions, ", "))
	}
	if o.Hub != "" && !slices.Contains(o.Clusters, o.Hub) && (o.Fleet == nil || !o.Fleet.Exists(o.Hub)) {
		return nil, cmdutil.FlagErrorf("--hub %q is not one of --clusters %s", o.Hub, strings.Join(o.Clusters, ","))
	}
	v := version.Trim(o.KubernetesVersion)
	delays := localfleet.Delays{PodStart: o.PodStartDelay, PodStop: o.PodStopDelay, NodeReady: o.NodeReadyDelay}
	var specs []localfleet.ClusterSpec
	for _, name := range o.Clusters {
		s := localfleet.ClusterSpec{Name: strings.TrimSpace(name), KubernetesVersion: v, Delays: delays}
		if s.Name == o.Hub {
			pools := localfleet.MemberPools(min(o.Nodes, 1), v)
			s.Pools = []provider.NodePool{pools[0]}
		} else {
			s.Pools = localfleet.MemberPools(o.Nodes, v)
			s.SampleApps = !o.NoSampleApps
			s.FragileApp = !o.NoSampleApps && !o.NoFragileApp
		}
		specs = append(specs, s)
	}
	return specs, nil
}

func upRun(cmd *cobra.Command, opts *UpOptions) error {
	specs, err := opts.Specs()
	if err != nil {
		return err
	}
	if err := opts.Fleet.Validate(specs); err != nil {
		return err
	}
	start := time.Now()
	p := &cmdutil.Progress{IO: opts.IO, Interval: 15 * time.Second}
	if _, err := opts.Fleet.Toolchain.Ensure(cmd.Context(), toolchain.Reporter(p), opts.KubernetesVersion); err != nil {
		p.Done()
		return err
	}
	p.Println("starting %d clusters: %s", len(specs), strings.Join(opts.Clusters, ", "))
	if err := opts.Fleet.Up(cmd.Context(), specs, eventPrinter(p)); err != nil {
		return err
	}
	if hub := opts.Hub; hub != "" && opts.Fleet.Exists(hub) {
		if err := setupHub(cmd.Context(), opts.Fleet, hub, p); err != nil {
			return fmt.Errorf("the clusters are up, but the fleet on %s is not: %w (run 'upshift local up' again to retry)", hub, err)
		}
	}
	p.Println("local fleet up in %s", since(start))
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	// The data plane starts before the table is printed, so the table
	// has the ingress URLs.
	dp := dataPlaneOutcome{skipped: opts.NoDataPlane}
	if !opts.NoDataPlane {
		_, dp.started, dp.err = startDataPlane(cmd.Context(), opts.Fleet, opts.GatewayAddress, names)
	}
	if err := printFleet(cmd.Context(), opts.IO, opts.Fleet, names, dp); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "\nTo use the clusters:\n  %s\n  kubectl --context %s get nodes\n",
		exportLine(opts.Fleet.KubeconfigPath()), localfleet.ContextName(names[len(names)-1]))
	return nil
}
