// Package controller implements `upshift controller`, the long-running
// process that reconciles update runs and members on a hub cluster.
package controller

import (
	"log/slog"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	ctrl "sigs.k8s.io/controller-runtime"

	"upshift.dev/upshift/internal/cli/cmdutil"
	engine "upshift.dev/upshift/internal/controller"
)

// Options are the inputs of `upshift controller`.
type Options struct {
	Factory *cmdutil.Factory
	engine.Options
	Install bool
}

// NewCmd returns `upshift controller`.
func NewCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "controller",
		Short: "Run the update-run controller against a hub cluster",
		Long: `Run the controllers that carry update runs through a fleet: the run
reconciler (stages, groups, members, gates) and the member prober. State lives
only in the hub's objects, so the process can be killed at any moment and
started again; with --leader-elect several replicas run and one works.

Metrics (upshift_updaterun_*, upshift_member_*, upshift_gate_*) are served on
--metrics-bind-address, health on --health-probe-bind-address.`,
		Example: `  upshift controller --context upshift-hub --leader-elect --local-fleet-dir ~/.local/state/upshift/local`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			ctrl.SetLogger(logr.FromSlogHandler(slog.NewTextHandler(f.IO.ErrOut, nil)))
			cfg, err := f.RESTConfig()
			if err != nil {
				return err
			}
			if opts.Install {
				if err := engine.Install(cmd.Context(), cfg); err != nil {
					return err
				}
			}
			return engine.Run(cmd.Context(), cfg, opts.Options)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Namespace, "namespace", "", "Watch only this namespace (one fleet); all when empty")
	fl.BoolVar(&opts.LeaderElection, "leader-elect", false, "Elect a leader among replicas through a Lease")
	fl.StringVar(&opts.LeaderElectionNamespace, "leader-election-namespace", "upshift-system", "Namespace of the leader-election Lease")
	fl.StringVar(&opts.MetricsAddr, "metrics-bind-address", ":8480", "Address of /metrics; 0 disables")
	fl.StringVar(&opts.ProbeAddr, "health-probe-bind-address", ":8481", "Address of /healthz and /readyz; 0 disables")
	fl.StringVar(&opts.LocalFleetDir, "local-fleet-dir", "", "Serve local members from this local fleet (upshift local up)")
	fl.StringVar(&opts.AzureSubscription, "azure-subscription", "", "Serve AKS members, and create AKS clusters for strategies, in this subscription (credentials from the environment, workload identity, managed identity or az login)")
	fl.StringVar(&opts.AzureResourceGroup, "azure-resource-group", "", "Resource group of AKS cluster names given without one")
	fl.BoolVar(&opts.Install, "install", false, "Install or update upshift's CRDs and roles on the hub first")
	return cmd
}
