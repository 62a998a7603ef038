// Package drain implements `upshift drain NODE`.
package drain

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"upshift.dev/upshift/internal/cli/cmdutil"
	engine "upshift.dev/upshift/internal/drain"
	"upshift.dev/upshift/internal/observe"
)

// Options are the inputs of `upshift drain`.
type Options struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Node    string
	Output  string

	Timeout            time.Duration
	GracePeriod        int
	IgnoreDaemonSets   bool
	DeleteEmptyDirData bool
	Force              bool
	PodSelector        string
}

// NewCmd returns `upshift drain`.
func NewCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "drain NODE",
		Short: "Cordon a node and evict its pods, honouring PodDisruptionBudgets",
		Long: `Cordon the node, then evict its pods through the Eviction API, like kubectl
drain, with the same flags and the same refusals (pods without a controller
need --force, DaemonSet pods --ignore-daemonsets, emptyDir data
--delete-emptydir-data). Evictions run in parallel across PDBs, never more
than a PDB allows, and the next one goes out as soon as a budget frees up.

When a pod cannot be evicted, the progress line, an EvictionBlocked event on
the node and the final error name the pod, its PDB, the PDB's
disruptionsAllowed and how long it has blocked.

Unlike kubectl (whose --timeout defaults to forever), the timeout defaults to
30m, AKS's drainTimeoutInMinutes default; --timeout 0 waits forever. On
timeout or interrupt the node stays cordoned; run the command again to
continue (the timeout keeps counting from the first attempt).

` + cmdutil.ExitCodes,
		Example: `  upshift drain aks-apps-12345678-vmss000000 --context upshift-dev --ignore-daemonsets
  upshift drain NODE --timeout 5m --grace-period 30`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Node = args[0]
			if err := cmdutil.ValidateOutput(opts.Output, "", cmdutil.OutputJSON, cmdutil.OutputYAML); err != nil {
				return err
			}
			if opts.GracePeriod < -1 {
				return cmdutil.FlagErrorf("--grace-period %d: use -1 for each pod's own period, or 0 and more seconds", opts.GracePeriod)
			}
			if opts.Timeout < 0 {
				return cmdutil.FlagErrorf("--timeout %s must not be negative (0 waits forever)", opts.Timeout)
			}
			if runF != nil {
				return runF(opts)
			}
			return run(cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.DurationVar(&opts.Timeout, "timeout", 30*time.Minute, "How long to wait for the node to empty; 0 waits forever")
	fl.IntVar(&opts.GracePeriod, "grace-period", -1, "Seconds each pod gets to terminate; -1 uses the pod's own terminationGracePeriodSeconds")
	fl.BoolVar(&opts.IgnoreDaemonSets, "ignore-daemonsets", false, "Leave DaemonSet-managed pods in place")
	fl.BoolVar(&opts.DeleteEmptyDirData, "delete-emptydir-data", false, "Evict pods with emptyDir volumes (their data is lost)")
	fl.BoolVar(&opts.Force, "force", false, "Evict pods that no controller recreates (still through the Eviction API: PDBs apply)")
	fl.StringVar(&opts.PodSelector, "pod-selector", "", "Only evict pods matching this label selector")
	fl.StringVarP(&opts.Output, "output", "o", "", "Print the final status as json or yaml")
	return cmd
}

func run(cmd *cobra.Command, opts *Options) error {
	client, err := opts.Factory.KubeClient()
	if err != nil {
		return err
	}
	d := &engine.Drainer{
		Client: client,
		Options: engine.Options{
			IgnoreDaemonSets: opts.IgnoreDaemonSets, DeleteEmptyDirData: opts.DeleteEmptyDirData,
			Force: opts.Force, Timeout: opts.Timeout, PodSelector: opts.PodSelector,
		},
		Events: &observe.Recorder{Client: client, Now: opts.Factory.Clock()},
		Now:    opts.Factory.Clock(),
	}
	if opts.GracePeriod >= 0 {
		g := int64(opts.GracePeriod)
		d.GracePeriodSeconds = &g
	}
	p := &cmdutil.Progress{IO: opts.IO, Interval: 10 * time.Second}
	now := opts.Factory.Clock()
	evicted, warned := 0, map[string]bool{}
	var last engine.Status
	err = d.Drain(cmd.Context(), opts.Node, func(st engine.Status) {
		last = st
		evicted += st.Evicted
		for _, w := range st.Warnings {
			if !warned[w] {
				warned[w] = true
				p.Println("Warning: %s", w)
			}
		}
		p.Update(progressKey(st), describe(st, evicted, now()))
	})
	p.Done()
	if opts.Output != "" {
		if perr := cmdutil.PrintStructured(opts.IO.Out, opts.Output, last); perr != nil {
			return perr
		}
	}
	var be *engine.BlockedError
	if errors.As(err, &be) {
		return cmdutil.WithExitCode(cmdutil.ExitFindings, err)
	}
	if err != nil {
		return err
	}
	if opts.Output == "" {
		fmt.Fprintf(opts.IO.Out, "node/%s drained (%d pods evicted in %s)\n", opts.Node, evicted, now().Sub(last.StartedAt).Round(time.Second))
	}
	return nil
}

// progressKey changes when what blocks the drain changes, so logs without a
// terminal get a line for every new blocker.
func progressKey(st engine.Status) string {
	var b strings.Builder
	for _, bl := range st.Blocked {
		b.WriteString(bl.Pod.String())
	}
	return b.String()
}

func describe(st engine.Status, evicted int, now time.Time) string {
	s := fmt.Sprintf("draining node/%s: %d evicted, %d terminating, %d waiting", st.Node, evicted, len(st.Terminating), len(st.Pending))
	if len(st.Blocked) > 0 {
		s += "; " + st.Blocked[0].Describe(now)
		if len(st.Blocked) > 1 {
			s += fmt.Sprintf(" (+%d more blocked)", len(st.Blocked)-1)
		}
	}
	return s
}
