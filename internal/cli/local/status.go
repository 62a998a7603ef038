package local

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"upshift.dev/upshift/internal/cli/cmdutil"
	"upshift.dev/upshift/internal/localfleet"
	"upshift.dev/upshift/internal/traffic"
	trafficlocal "upshift.dev/upshift/internal/traffic/local"
)

// StatusOptions are the inputs of `upshift local status`.
type StatusOptions struct {
	IO     *cmdutil.IOStreams
	Fleet  *localfleet.Fleet
	Names  []string
	Output string
}

func newCmdStatus(f *cmdutil.Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "status [NAME...]",
		Short: "Show each local cluster: version, node pools, ready nodes and pods, ingress URL; and the gateway",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.ValidateOutput(opts.Output, cmdutil.OutputTable, cmdutil.OutputWide, cmdutil.OutputJSON, cmdutil.OutputYAML); err != nil {
				return err
			}
			opts.Fleet, opts.Names = fleet(), args
			if runF != nil {
				return runF(opts)
			}
			statuses, err := opts.Fleet.Status(cmd.Context(), opts.Names...)
			if err != nil {
				return err
			}
			rows, dp := withDataPlane(opts.Fleet, statuses)
			if opts.Output == cmdutil.OutputJSON || opts.Output == cmdutil.OutputYAML {
				return cmdutil.PrintStructured(opts.IO.Out, opts.Output, rows)
			}
			if len(statuses) == 0 {
				fmt.Fprintln(opts.IO.ErrOut, "No local clusters. Start some with 'upshift local up'.")
				return nil
			}
			if err := printRows(opts.IO, rows); err != nil {
				return err
			}
			printGateway(cmd.Context(), opts.IO, dp)
			return nil
		},
	}
	cmdutil.AddOutputFlag(cmd, &opts.Output, cmdutil.OutputTable, cmdutil.OutputWide, cmdutil.OutputJSON, cmdutil.OutputYAML)
	return cmd
}

// statusRow is a cluster's status with where the data plane serves it;
// the embedded fields keep their JSON names, the new ones are left out
// when no data plane runs.
type statusRow struct {
	localfleet.ClusterStatus
	IngressURL string `json:"ingressURL,omitempty"`
	GatewayURL string `json:"gatewayURL,omitempty"`
}

func printRows(io *cmdutil.IOStreams, rows []statusRow) error {
	t := cmdutil.NewTable(io, "CLUSTER", "VERSION", "POOLS", "NODES READY", "PODS READY", "INGRESS", "CONTEXT")
	for _, r := range rows {
		s, ingress := r.ClusterStatus, r.IngressURL
		if ingress == "" {
			ingress = "-"
		}
		if !s.Running {
			t.Row(s.Name, "-", "-", "-", "-", ingress, s.Context+"  (not running: "+firstLine(s.Error)+")")
			continue
		}
		var pools []string
		for _, p := range s.Pools {
			pools = append(pools, fmt.Sprintf("%s:%d", p.Name, p.Nodes))
		}
		nodes := fmt.Sprintf("%d/%d", s.ReadyNodes, s.Nodes)
		if s.CordonedNodes > 0 {
			nodes += fmt.Sprintf(" (%d cordoned)", s.CordonedNodes)
		}
		ctx := s.Context
		if len(s.DeadComponents) > 0 {
			ctx += "  (stopped: " + strings.Join(s.DeadComponents, ", ") + "; 'upshift local down' and up again)"
		}
		t.Row(s.Name, s.KubernetesVersion, strings.Join(pools, ","), nodes, fmt.Sprintf("%d/%d", s.ReadyPods, s.Pods), ingress, ctx)
	}
	return t.Flush()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 80 {
		s = s[:79] + "…"
	}
	return s
}

// withDataPlane adds the data plane's URLs to the statuses, when it runs.
func withDataPlane(fl *localfleet.Fleet, statuses []localfleet.ClusterStatus) ([]statusRow, *trafficlocal.State) {
	st, running, err := trafficlocal.ReadStatus(fl.DataPlaneDir())
	rows := make([]statusRow, len(statuses))
	for i, s := range statuses {
		rows[i] = statusRow{ClusterStatus: s}
		if running && err == nil {
			rows[i].IngressURL, rows[i].GatewayURL = st.Ingresses[s.Name], st.Gateway
		}
	}
	if !running || err != nil {
		return rows, nil
	}
	return rows, &st
}

// printGateway adds the gateway and its weights under the table, on stderr
// like the other hints, so the table stays a table.
func printGateway(ctx context.Context, io *cmdutil.IOStreams, st *trafficlocal.State) {
	if st == nil {
		fmt.Fprintln(io.ErrOut, "\nData plane: not running (start it with 'upshift local up' or 'upshift local dataplane')")
		return
	}
	weights := "unknown"
	if r, err := trafficlocal.NewRemoteRouter(st.Gateway); err == nil {
		wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if w, err := r.Weights(wctx); err == nil {
			weights = w.String()
			if weights == "" || !hasShare(w) {
				weights = "none set (upshift local weights CLUSTER=100)"
			}
		}
	}
	fmt.Fprintf(io.ErrOut, "\nGateway: %s  weights: %s\n", st.Gateway, weights)
}

func hasShare(w traffic.Weights) bool {
	for _, v := range w {
		if v > 0 {
			return true
		}
	}
	return false
}
