// Package local implements `upshift local`: the local fleet of real
// Kubernetes control planes with kwok-simulated nodes.
package local

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"upshift.dev/upshift/internal/cli/cmdutil"
	"upshift.dev/upshift/internal/localfleet"
	tc "upshift.dev/upshift/internal/toolchain"
)

// NewCmd returns the local command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "local",
		Short: "Run a local fleet of real Kubernetes control planes",
		Long: `A local fleet is a set of real Kubernetes clusters on this machine: real
kube-apiserver, etcd, kube-controller-manager and kube-scheduler processes,
with nodes simulated by kwok. Deployments, ReplicaSets, the scheduler, PDBs
and the Eviction API are all real; only kubelets are simulated. Each cluster
costs about 600 MB of memory and starts in about 5 seconds.

Clusters are reached through the contexts upshift-<name> in one kubeconfig
file; 'upshift local up' prints the export line for it.

kwok pods run no processes, so 'upshift local up' also starts a stand-in data
plane in the background: one ingress per cluster that answers for an app
(/<namespace>/<service>/...) while its Service has ready endpoints, and a
weighted gateway in front of them (http://127.0.0.1:8080 by default). See
'upshift local dataplane --help'.`,
	}
	cmd.AddCommand(newCmdUp(f, nil), newCmdStart(f, nil), newCmdDown(f, nil), newCmdStatus(f, nil), newCmdUpgradeControlPlane(f, nil), newCmdEnv(f),
		newCmdDataPlane(f, nil), newCmdWeights(f, nil))
	return cmd
}

// fleet returns the fleet in the default state directory.
func fleet() *localfleet.Fleet {
	return &localfleet.Fleet{Toolchain: tc.Cache{}}
}

// eventPrinter prints fleet progress as permanent lines, one per step.
func eventPrinter(p *cmdutil.Progress) localfleet.ProgressFunc {
	return func(ev localfleet.Event) {
		p.Println("%-6s %-14s %s", ev.Cluster, ev.Step, ev.Message)
	}
}

func since(t time.Time) string { return time.Since(t).Round(100 * time.Millisecond).String() }

func exportLine(path string) string { return fmt.Sprintf("export KUBECONFIG=%s", path) }
