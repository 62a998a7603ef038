package local

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"upshift.dev/upshift/internal/cli/cmdutil"
	"upshift.dev/upshift/internal/localfleet"
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
		Short: "Show each local cluster: version, node pools, ready nodes and pods",
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
			if opts.Output == cmdutil.OutputJSON || opts.Output == cmdutil.OutputYAML {
				return cmdutil.PrintStructured(opts.IO.Out, opts.Output, statuses)
			}
			if len(statuses) == 0 {
				fmt.Fprintln(opts.IO.ErrOut, "No local clusters. Start some with 'upshift local up'.")
				return nil
			}
			return printStatus(opts.IO, statuses)
		},
	}
	cmdutil.AddOutputFlag(cmd, &opts.Output, cmdutil.OutputTable, cmdutil.OutputWide, cmdutil.OutputJSON, cmdutil.OutputYAML)
	return cmd
}

func printStatus(io *cmdutil.IOStreams, statuses []localfleet.ClusterStatus) error {
	t := cmdutil.NewTable(io, "CLUSTER", "VERSION", "POOLS", "NODES READY", "PODS READY", "CONTEXT")
	for _, s := range statuses {
		if !s.Running {
			t.Row(s.Name, "-", "-", "-", "-", s.Context+"  (not running: "+firstLine(s.Error)+")")
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
		t.Row(s.Name, s.KubernetesVersion, strings.Join(pools, ","), nodes, fmt.Sprintf("%d/%d", s.ReadyPods, s.Pods), ctx)
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
