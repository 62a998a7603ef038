package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"upshift.dev/upshift/internal/cli/cmdutil"
	"upshift.dev/upshift/internal/localfleet"
	trafficlocal "upshift.dev/upshift/internal/traffic/local"
)

// DataPlaneOptions are the inputs of `upshift local dataplane`.
type DataPlaneOptions struct {
	IO              *cmdutil.IOStreams
	Fleet           *localfleet.Fleet
	GatewayAddress  string
	IngressPortBase int
	Latency         time.Duration
	LatencyJitter   time.Duration
	// FleetDir overrides the fleet's state directory. `local up` passes it
	// so ps (and the test sweeper's pkill -f) shows which fleet a detached
	// data plane serves.
	FleetDir string
}

func newCmdDataPlane(f *cmdutil.Factory, runF func(*DataPlaneOptions) error) *cobra.Command {
	opts := &DataPlaneOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "dataplane",
		Short: "Serve the local fleet's ingresses and weighted gateway (runs until stopped)",
		Long: `kwok pods run no processes, so the local fleet needs a stand-in data plane.
This command serves, on loopback, one ingress per local cluster and a weighted
L7 gateway in front of them, following the fleet as clusters come and go.

An app is a Service, addressed by path: http://<ingress or gateway>/<namespace>/<service>/...
An ingress answers for it only while the cluster reports ready endpoints for
the Service (503 otherwise), names the cluster and its Kubernetes version, and
fails the share of requests given by the Service annotation
upshift.dev/fail-percent. Both serve Prometheus metrics on /metrics. The
gateway's weights are set with 'upshift local weights' (or PUT /admin/weights)
and kept in the fleet's state directory across restarts.

'upshift local up' starts this command in the background and 'upshift local
down' stops it with the last cluster; run it yourself to see its log, or to
pick other ports.`,
		Example: `  upshift local dataplane
  upshift local dataplane --gateway-address 127.0.0.1:9080 --ingress-port-base 9081
  curl http://127.0.0.1:8080/shop/web/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.IngressPortBase < 0 || opts.IngressPortBase > 65535 {
				return cmdutil.FlagErrorf("--ingress-port-base %d is out of range 0..65535", opts.IngressPortBase)
			}
			if opts.Latency < 0 || opts.LatencyJitter < 0 {
				return cmdutil.FlagErrorf("--latency and --latency-jitter must not be negative")
			}
			opts.Fleet = fleet()
			if opts.FleetDir != "" {
				opts.Fleet.Dir = opts.FleetDir
			}
			if runF != nil {
				return runF(opts)
			}
			return dataPlaneRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.GatewayAddress, "gateway-address", trafficlocal.DefaultGatewayAddr, "Loopback address of the gateway")
	fl.IntVar(&opts.IngressPortBase, "ingress-port-base", 8081, "First port tried for the ingresses (counting up past ports in use; 0 for any free port)")
	fl.DurationVar(&opts.Latency, "latency", 4*time.Millisecond, "Least time an ingress takes to answer")
	fl.DurationVar(&opts.LatencyJitter, "latency-jitter", 2*time.Millisecond, "Mean of the random extra time an ingress takes (exponential, so latency has a tail)")
	fl.StringVar(&opts.FleetDir, "fleet-dir", "", "State directory of the local fleet (default $UPSHIFT_LOCAL_DIR or ~/.local/state/upshift/local)")
	_ = fl.MarkHidden("fleet-dir")
	return cmd
}

func dataPlaneRun(ctx context.Context, opts *DataPlaneOptions) error {
	log := slog.New(slog.NewTextHandler(opts.IO.ErrOut, nil))
	// Zero means the package default; the flags' 0 means none.
	latency, jitter := opts.Latency, opts.LatencyJitter
	if latency == 0 {
		latency = -1
	}
	if jitter == 0 {
		jitter = -1
	}
	dp, err := trafficlocal.NewDataPlane(trafficlocal.DataPlaneOptions{
		Clusters: opts.Fleet, Dir: opts.Fleet.DataPlaneDir(),
		GatewayAddr: opts.GatewayAddress, IngressPortBase: opts.IngressPortBase,
		Ingress: trafficlocal.IngressOptions{Latency: latency, Jitter: jitter},
		Logger:  log,
	})
	if err != nil {
		return err
	}
	return explainListen(dp.Run(ctx), "--gateway-address")
}

// explainListen turns a taken port into the one line that names the flag.
func explainListen(err error, flag string) error {
	var inUse *trafficlocal.AddrInUseError
	if errors.As(err, &inUse) {
		return fmt.Errorf("port %d is in use (%s); pick another with %s, or stop what holds it", inUse.Port, inUse.Addr, flag)
	}
	return err
}

// startDataPlane runs `upshift local dataplane` detached, unless one already
// serves the fleet, and returns what it serves once it has an ingress for
// each of the clusters named (a running one finds new clusters within a
// second; it is given five).
func startDataPlane(ctx context.Context, fl *localfleet.Fleet, gatewayAddr string, clusters []string) (trafficlocal.State, bool, error) {
	exe, err := os.Executable()
	if err != nil {
		return trafficlocal.State{}, false, err
	}
	cmd := exec.Command(exe, "local", "dataplane", "--gateway-address", gatewayAddr, "--fleet-dir", filepath.Dir(fl.DataPlaneDir()))
	st, started, err := trafficlocal.StartDaemon(ctx, fl.DataPlaneDir(), cmd)
	if err != nil {
		return st, false, explainListen(err, "--gateway-address")
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && !servesAll(st, clusters); {
		select {
		case <-ctx.Done():
			return st, started, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if now, running, err := trafficlocal.ReadStatus(fl.DataPlaneDir()); err == nil && running {
			st = now
		}
	}
	return st, started, nil
}

func servesAll(st trafficlocal.State, clusters []string) bool {
	for _, c := range clusters {
		if st.Ingresses[c] == "" {
			return false
		}
	}
	return true
}

// dataPlaneOutcome is what starting the data plane in the background came
// to.
type dataPlaneOutcome struct {
	skipped, started bool
	err              error
}

// printFleet prints the clusters' table, with their ingresses, then where
// the data plane serves, or why it does not: the clusters are fine without
// it, so one that cannot start is a warning that says how to start it.
func printFleet(ctx context.Context, io *cmdutil.IOStreams, fl *localfleet.Fleet, names []string, dp dataPlaneOutcome) error {
	statuses, err := fl.Status(ctx, names...)
	if err != nil {
		return err
	}
	rows, st := withDataPlane(fl, statuses)
	if err := printRows(io, rows); err != nil {
		return err
	}
	switch {
	case dp.skipped:
	case dp.err != nil:
		fmt.Fprintf(io.ErrOut, "\nwarning: the local data plane did not start: %v\n(start it with 'upshift local dataplane --gateway-address ADDRESS')\n", dp.err)
	case st != nil:
		printDataPlane(io, fl, *st, dp.started)
	}
	return nil
}

// printDataPlane tells where the data plane serves, on stderr like the
// other hints.
func printDataPlane(io *cmdutil.IOStreams, fl *localfleet.Fleet, st trafficlocal.State, started bool) {
	how := "already running"
	if started {
		how = "started"
	}
	fmt.Fprintf(io.ErrOut, "\nData plane %s (pid %s, log %s):\n  gateway %s  (try: curl %s/shop/web/)\n",
		how, strconv.Itoa(st.PID), filepath.Join(fl.DataPlaneDir(), trafficlocal.LogFileName), st.Gateway, st.Gateway)
}
