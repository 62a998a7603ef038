package local

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"upshift.dev/upshift/internal/cli/cmdutil"
	"upshift.dev/upshift/internal/localfleet"
	trafficlocal "upshift.dev/upshift/internal/traffic/local"
)

// StartOptions are the inputs of `upshift local start`.
type StartOptions struct {
	IO    *cmdutil.IOStreams
	Fleet *localfleet.Fleet
	// Names are the clusters to start; all when empty.
	Names []string
	// Hub is the cluster whose fleet controller is started too.
	Hub string
	// GatewayAddress is where the data plane's gateway serves; the last
	// one's address when empty.
	GatewayAddress string
	NoDataPlane    bool
}

func newCmdStart(f *cmdutil.Factory, runF func(*StartOptions) error) *cobra.Command {
	opts := &StartOptions{IO: f.IO, Fleet: fleet()}
	cmd := &cobra.Command{
		Use:   "start [NAME...]",
		Short: "Start what stopped in the local fleet (after a reboot or a crash): clusters, data plane, controller",
		Long: `Start again whatever of the local fleet is not running, keeping every cluster's
data: the components of each cluster (kube-apiserver, etcd, controller-manager,
scheduler, kwok) whose process is gone, the data plane (on the gateway address
it had), and the fleet controller of the hub. What runs is left alone, so it
is safe to run at any time; 'upshift local status' shows the result.

Processes stop with the machine, or when killed; 'upshift local up' creates
clusters and refuses existing ones, this command brings existing ones back.`,
		Example: `  upshift local start            # everything that stopped
  upshift local start prod       # one cluster (and the data plane)`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Names = args
			if runF != nil {
				return runF(opts)
			}
			return startRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Hub, "hub", "hub", "The hub cluster, whose fleet controller is started too")
	fl.StringVar(&opts.GatewayAddress, "gateway-address", "", "Address of the data plane's gateway (default: the one it had, else 127.0.0.1:8080)")
	fl.BoolVar(&opts.NoDataPlane, "no-dataplane", false, "Do not start the local data plane")
	return cmd
}

func startRun(ctx context.Context, opts *StartOptions) error {
	all, err := opts.Fleet.Names()
	if err != nil {
		return err
	}
	names := opts.Names
	if len(names) == 0 {
		names = all
	}
	if len(names) == 0 {
		return fmt.Errorf("there is no local cluster to start; create some with 'upshift local up'")
	}
	for _, n := range names {
		if !slices.Contains(all, n) {
			return fmt.Errorf("cluster %q does not exist (clusters: %s); create it with 'upshift local up --clusters %s'", n, strings.Join(all, ", "), n)
		}
	}
	start := time.Now()
	p := &cmdutil.Progress{IO: opts.IO, Interval: 15 * time.Second}
	var failed []string
	for _, n := range names {
		started, err := opts.Fleet.Start(ctx, n)
		switch {
		case err != nil:
			p.Println("%-6s %-14s %v", n, "control-plane", err)
			failed = append(failed, n)
		case len(started) > 0:
			p.Println("%-6s %-14s started %s; healthy", n, "control-plane", strings.Join(started, ", "))
		default:
			p.Println("%-6s %-14s running", n, "control-plane")
		}
	}
	if slices.Contains(names, opts.Hub) && !slices.Contains(failed, opts.Hub) {
		if err := startController(opts.Fleet, opts.Hub, p); err != nil {
			return err
		}
	}
	dp := dataPlaneOutcome{skipped: opts.NoDataPlane}
	if !opts.NoDataPlane {
		addr := opts.GatewayAddress
		if addr == "" {
			addr = "127.0.0.1:8080"
			if last, err := trafficlocal.LastState(opts.Fleet.DataPlaneDir()); err == nil && last.Gateway != "" {
				addr = strings.TrimPrefix(last.Gateway, "http://")
			}
		}
		_, dp.started, dp.err = startDataPlane(ctx, opts.Fleet, addr, all)
	}
	p.Println("local fleet checked in %s", since(start))
	if err := printFleet(ctx, opts.IO, opts.Fleet, names, dp); err != nil {
		return err
	}
	if len(failed) > 0 {
		dir := opts.Fleet.Dir
		if dir == "" {
			dir = localfleet.DefaultDir()
		}
		return fmt.Errorf("clusters %s did not start; see their logs under %s", strings.Join(failed, ", "), dir)
	}
	return nil
}
