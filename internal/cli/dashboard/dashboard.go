// Package dashboard implements `upshift dashboard`: serve the live web
// dashboard of a hub (package internal/dashboard) until interrupted.
package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/internal/cli/cmdutil"
	fleetcmd "upshift.dev/upshift/internal/cli/fleet"
	engine "upshift.dev/upshift/internal/dashboard"
)

// Options are the inputs of `upshift dashboard`.
type Options struct {
	IO            *cmdutil.IOStreams
	Client        func() (client.Client, error)
	Namespace     string
	AllNamespaces bool
	Address       string
	Interval      time.Duration
	// Serving, when set, is told the dashboard's URL once it listens
	// (tests).
	Serving func(url string)
}

// NewCmd returns the dashboard command; runF replaces the run function in
// tests.
func NewCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Client: fleetcmd.Client(f)}
	cmd := &cobra.Command{
		Use:   "dashboard",
		Short: "Serve a live web dashboard of the fleet: runs, gates, traffic swaps, members",
		Long: `Serve a web page that shows the hub's fleet as it changes: update runs stage
by stage with their gates and the members upgrading, blue-green upgrades and
canary intakes with their traffic weights, the members with their versions,
and at the top what waits for a person (approval gates, paused canaries,
rollbacks). Each action is shown as the command that does it (approve, roll
back, abort, finish); the dashboard itself only reads.

The hub is read every --interval and the page updates itself (Server-Sent
Events). GET /api/state returns the same data as JSON, for scripts. The
default address is loopback only: anyone who can reach the address can read
the fleet's state.`,
		Example: `  upshift dashboard                     # http://127.0.0.1:8090/, fleet upshift-system
  upshift dashboard -A --address 127.0.0.1:9000
  curl -s http://127.0.0.1:8090/api/state | jq '.runs[] | {name, state, progress}'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Interval < 100*time.Millisecond {
				return cmdutil.FlagErrorf("--interval %s: use 100ms or more", opts.Interval)
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fleetcmd.AddNamespaceFlag(cmd, &opts.Namespace)
	fl := cmd.Flags()
	fl.BoolVarP(&opts.AllNamespaces, "all-namespaces", "A", false, "Show every fleet on the hub")
	fl.StringVar(&opts.Address, "address", "127.0.0.1:8090", "Address to serve on (host:port; port 0 picks a free one)")
	fl.DurationVar(&opts.Interval, "interval", engine.DefaultInterval, "How often the hub is read")
	return cmd
}

// Run serves until ctx ends.
func Run(ctx context.Context, opts *Options) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	ns := opts.Namespace
	if opts.AllNamespaces {
		ns = ""
	}
	srv := &engine.Server{Hub: c, Namespace: ns, Interval: opts.Interval}
	ln, err := net.Listen("tcp", opts.Address)
	if err != nil {
		return fmt.Errorf("--address %s: %w; choose another port (port 0 picks a free one)", opts.Address, err)
	}
	url := "http://" + ln.Addr().String() + "/"
	if host, _, _ := net.SplitHostPort(ln.Addr().String()); !net.ParseIP(host).IsLoopback() {
		fmt.Fprintf(opts.IO.ErrOut, "warning: serving on %s, not loopback only: anyone who reaches it can read the fleet's state\n", host)
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	go srv.Run(ctx)
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	scope := "fleet " + ns
	if ns == "" {
		scope = "every fleet"
	}
	fmt.Fprintf(opts.IO.Out, "Dashboard of %s on the hub at %s\nCtrl-C stops it.\n", scope, url)
	if opts.Serving != nil {
		opts.Serving(url)
	}
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Event streams never end by themselves: close them.
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	_ = hs.Close()
	return nil
}
