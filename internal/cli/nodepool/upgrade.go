package nodepool

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"upshift.dev/upshift/internal/cli/cmdutil"
	engine "upshift.dev/upshift/internal/nodepool"
	"upshift.dev/upshift/internal/provider"
	"upshift.dev/upshift/internal/version"
)

// UpgradeOptions are the inputs of `upshift nodepool upgrade`.
type UpgradeOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory

	Pool              string
	KubernetesVersion string
	NodeImageVersion  string
	Strategy          string
	MaxSurge          string
	MaxUnavailable    string
	DrainTimeout      time.Duration
	NodeSoak          time.Duration
	Undrainable       string
	MaxBlockedNodes   string
	BatchSize         string
	BatchSoak         time.Duration
	FinalSoak         time.Duration
}

func newCmdUpgrade(f *cmdutil.Factory, runF func(*UpgradeOptions) error) *cobra.Command {
	opts := &UpgradeOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "upgrade --pool NAME (--kubernetes-version V | --node-image-version IMAGE)",
		Short: "Upgrade a node pool's Kubernetes version or node image",
		Long: `Upgrade every node of a pool without breaking a PodDisruptionBudget.

--strategy surge (default) follows AKS: add --max-surge nodes at the target,
drain --max-surge + --max-unavailable old nodes at a time, soak, reimage them,
repeat, then remove the surge nodes. A node that does not drain within
--drain-timeout is handled by --undrainable: schedule (stop, uncordon it,
remove surge nodes, fail) or cordon (quarantine it with
kubernetes.azure.com/upgrade-status=Quarantined, finish the rest, fail).

--strategy blue-green adds a green set of nodes at the target, cordons the
blue ones, drains them --batch-size at a time with --batch-soak between
batches and --final-soak at the end, then deletes blue. Until then,
'upshift nodepool rollback' moves everything back.

Progress is kept on the nodes: after an interruption (Ctrl-C, kill -9, a lost
API server), run the same command again and it continues.

` + cmdutil.ExitCodes,
		Example: `  upshift nodepool upgrade --context upshift-dev --pool apps --kubernetes-version 1.37.2 --max-surge 33%
  upshift nodepool upgrade --context upshift-dev --pool apps --node-image-version latest
  upshift nodepool upgrade --context upshift-dev --pool apps --kubernetes-version 1.37.2 --strategy blue-green --batch-size 1 --final-soak 10m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return upgradeRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Pool, "pool", "", "Node pool to upgrade (required)")
	fl.StringVar(&opts.KubernetesVersion, "kubernetes-version", "", "Target Kubernetes version (the node image moves to the latest too, as on AKS)")
	fl.StringVar(&opts.NodeImageVersion, "node-image-version", "", "Target node image, or 'latest'; the Kubernetes version stays")
	fl.StringVar(&opts.Strategy, "strategy", string(engine.StrategySurge), "surge or blue-green")
	fl.StringVar(&opts.MaxSurge, "max-surge", "10%", "Extra nodes during a surge upgrade: a count or a percentage of the pool, rounded up")
	fl.StringVar(&opts.MaxUnavailable, "max-unavailable", "0", "Existing nodes drained at once without surge: a count or a percentage")
	fl.DurationVar(&opts.DrainTimeout, "drain-timeout", 30*time.Minute, "How long one node's drain may take (AKS drainTimeoutInMinutes)")
	fl.DurationVar(&opts.NodeSoak, "node-soak", 0, "Wait after draining a node before reimaging it (AKS nodeSoakDurationInMinutes)")
	fl.StringVar(&opts.Undrainable, "undrainable", "schedule", "What to do with a node that does not drain in time: schedule or cordon")
	fl.StringVar(&opts.MaxBlockedNodes, "max-blocked-nodes", "", "With --undrainable cordon: how many nodes may be quarantined (default: --max-surge)")
	fl.StringVar(&opts.BatchSize, "batch-size", "10%", "Blue-green: blue nodes drained at once, a count or a percentage")
	fl.DurationVar(&opts.BatchSoak, "batch-soak", 0, "Blue-green: wait after each drained batch")
	fl.DurationVar(&opts.FinalSoak, "final-soak", 0, "Blue-green: wait after the last batch before blue is deleted")
	return cmd
}

func (o *UpgradeOptions) validate() error {
	if o.Pool == "" {
		return cmdutil.FlagErrorf("--pool is required")
	}
	if (o.KubernetesVersion == "") == (o.NodeImageVersion == "") {
		return cmdutil.FlagErrorf("give exactly one of --kubernetes-version and --node-image-version")
	}
	if o.KubernetesVersion != "" {
		if _, err := version.Parse(o.KubernetesVersion); err != nil {
			return cmdutil.FlagErrorf("--kubernetes-version: %v", err)
		}
	}
	switch strings.ToLower(o.Undrainable) {
	case "schedule", "cordon":
	default:
		return cmdutil.FlagErrorf("--undrainable %q: use schedule or cordon", o.Undrainable)
	}
	return nil
}

// spec resolves the target against the pool and builds the engine's spec.
func (o *UpgradeOptions) spec(ctx context.Context, t *cmdutil.Target) (engine.Spec, error) {
	pools, err := t.Pools.ListNodePools(ctx, t.Name)
	if err != nil {
		return engine.Spec{}, err
	}
	var pool *provider.NodePool
	for i := range pools {
		if pools[i].Name == o.Pool {
			pool = &pools[i]
		}
	}
	if pool == nil {
		var names []string
		for _, p := range pools {
			names = append(names, p.Name)
		}
		return engine.Spec{}, fmt.Errorf("node pool %q does not exist in %s (pools: %s)", o.Pool, t.Context, strings.Join(names, ", "))
	}
	target := provider.NodeTarget{KubernetesVersion: version.Trim(o.KubernetesVersion), NodeImageVersion: o.NodeImageVersion}
	if target.KubernetesVersion == "" {
		target.KubernetesVersion = pool.CurrentOrchestratorVersion
	}
	if target.NodeImageVersion == "" || target.NodeImageVersion == "latest" {
		if target.NodeImageVersion, err = t.Pools.LatestNodeImage(ctx, t.Name, o.Pool); err != nil {
			return engine.Spec{}, err
		}
	}
	undrainable := engine.BehaviorSchedule
	if strings.EqualFold(o.Undrainable, "cordon") {
		undrainable = engine.BehaviorCordon
	}
	s := engine.Spec{
		Cluster: t.Name, Pool: o.Pool, Target: target, Strategy: engine.Strategy(o.Strategy),
		Settings: provider.UpgradeSettings{
			MaxSurge: o.MaxSurge, MaxUnavailable: o.MaxUnavailable,
			UndrainableNodeBehavior: undrainable, MaxBlockedNodes: o.MaxBlockedNodes,
		},
		DrainTimeout: o.DrainTimeout, NodeSoak: o.NodeSoak,
		BlueGreen: engine.BlueGreenSettings{DrainBatchSize: o.BatchSize, BatchSoak: o.BatchSoak, FinalSoak: o.FinalSoak},
	}
	if err := s.Validate(); err != nil {
		return engine.Spec{}, cmdutil.FlagErrorf("%v", err)
	}
	return s, nil
}

func upgradeRun(ctx context.Context, opts *UpgradeOptions) error {
	t, err := opts.Factory.Target()
	if err != nil {
		return err
	}
	s, err := opts.spec(ctx, t)
	if err != nil {
		return err
	}
	v := newLiveView(opts.IO, opts.Factory.Clock())
	fmt.Fprintf(opts.IO.ErrOut, "Upgrading node pool %s of %s to %s (%s)\n", s.Pool, t.Context, s.ID(), s.Strategy)
	start := opts.Factory.Clock()()
	err = upgrader(t, opts.Factory).Run(ctx, s, v.update)
	v.done()
	var fe *engine.FailedError
	if errors.As(err, &fe) {
		return cmdutil.WithExitCode(cmdutil.ExitFindings, err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "node pool %s upgraded to %s in %s\n", s.Pool, s.ID(), opts.Factory.Clock()().Sub(start).Round(time.Second))
	return nil
}
