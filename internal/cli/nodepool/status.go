package nodepool

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"upshift.dev/upshift/internal/cli/cmdutil"
	engine "upshift.dev/upshift/internal/nodepool"
	"upshift.dev/upshift/internal/provider"
)

// StatusOptions are the inputs of `upshift nodepool status`.
type StatusOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Pool    string
	Output  string
}

// PoolStatus is what `upshift nodepool status -o json` prints.
type PoolStatus struct {
	Pool              string              `json:"pool"`
	Target            provider.NodeTarget `json:"target"`
	ProvisioningState string              `json:"provisioningState"`
	Nodes             []NodeStatus        `json:"nodes"`
}

// NodeStatus is one node of PoolStatus.
type NodeStatus struct {
	engine.Node
	// Phase is the node's state in words (engine.Node.Display).
	Phase string `json:"phase"`
}

func newCmdStatus(f *cmdutil.Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "status --pool NAME",
		Short: "Show each node of a pool: version, image, upgrade state and what blocks it",
		Long: `Show each node's Kubernetes version, node image and state in an upgrade:
upgraded, pending, surging, draining, soaking, quarantined, removing, and for
blue-green blue, drained and green; with the pod and PDB blocking a drain.
Everything is read from the nodes, so it works while another process runs the
upgrade.`,
		Example: "  upshift nodepool status --context upshift-dev --pool apps -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Pool == "" {
				return cmdutil.FlagErrorf("--pool is required")
			}
			if err := cmdutil.ValidateOutput(opts.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return statusRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Pool, "pool", "", "Node pool (required)")
	cmdutil.AddOutputFlag(cmd, &opts.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML)
	return cmd
}

func statusRun(ctx context.Context, opts *StatusOptions) error {
	t, err := opts.Factory.Target()
	if err != nil {
		return err
	}
	pools, err := t.Pools.ListNodePools(ctx, t.Name)
	if err != nil {
		return err
	}
	st := PoolStatus{Pool: opts.Pool, Nodes: []NodeStatus{}}
	found := false
	for _, p := range pools {
		if p.Name == opts.Pool {
			found = true
			st.Target = provider.NodeTarget{KubernetesVersion: p.OrchestratorVersion, NodeImageVersion: p.NodeImageVersion}
			st.ProvisioningState = p.ProvisioningState
		}
	}
	if !found {
		return fmt.Errorf("node pool %q does not exist in %s", opts.Pool, t.Context)
	}
	nodes, err := engine.Observe(ctx, t.Client, opts.Pool)
	if err != nil {
		return err
	}
	for _, n := range nodes {
		st.Nodes = append(st.Nodes, NodeStatus{Node: n, Phase: n.Display(st.Target)})
	}
	if opts.Output != cmdutil.OutputTable {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Output, st)
	}
	fmt.Fprintf(opts.IO.Out, "Pool %s: target %s/%s, %s\n", st.Pool, st.Target.KubernetesVersion, st.Target.NodeImageVersion, st.ProvisioningState)
	tab := cmdutil.NewTable(opts.IO, "NODE", "VERSION", "IMAGE", "READY", "STATE", "BLOCKED BY")
	for _, n := range st.Nodes {
		ready := "True"
		if !n.Ready {
			ready = "False"
		}
		blocked := n.Blocked
		if blocked == "" {
			blocked = "-"
		}
		tab.Row(n.Name, n.Version, n.Image, ready, n.Phase, blocked)
	}
	return tab.Flush()
}
