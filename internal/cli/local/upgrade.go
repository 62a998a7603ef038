package local

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"upshift.dev/upshift/internal/cli/cmdutil"
	"upshift.dev/upshift/internal/localfleet"
	tc "upshift.dev/upshift/internal/toolchain"
)

// UpgradeOptions are the inputs of `upshift local upgrade-control-plane`.
type UpgradeOptions struct {
	IO                *cmdutil.IOStreams
	Fleet             *localfleet.Fleet
	Cluster           string
	KubernetesVersion string
}

func newCmdUpgradeControlPlane(f *cmdutil.Factory, runF func(*UpgradeOptions) error) *cobra.Command {
	opts := &UpgradeOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "upgrade-control-plane CLUSTER --kubernetes-version VERSION",
		Short: "Upgrade a local cluster's control plane in place, keeping its etcd data",
		Long: `Restart the cluster's kube-apiserver, kube-controller-manager and
kube-scheduler on the binaries of a newer Kubernetes version. etcd keeps
running on the same data, so every object survives. Node pools are not
touched (upgrade them with 'upshift nodepool upgrade').

Downgrades and skipped minors are refused. If the command is interrupted,
run it again: it continues where it stopped.`,
		Example: "  upshift local upgrade-control-plane dev --kubernetes-version 1.37.2",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Fleet, opts.Cluster = fleet(), args[0]
			if opts.KubernetesVersion == "" {
				return cmdutil.FlagErrorf("--kubernetes-version is required (one of: %s)", strings.Join(tc.KubernetesVersions, ", "))
			}
			if runF != nil {
				return runF(opts)
			}
			p := &cmdutil.Progress{IO: opts.IO}
			start := time.Now()
			p.Println("%s: upgrading the control plane to %s", opts.Cluster, opts.KubernetesVersion)
			if err := opts.Fleet.UpgradeControlPlane(cmd.Context(), opts.Cluster, opts.KubernetesVersion); err != nil {
				return err
			}
			c, err := opts.Fleet.GetCluster(cmd.Context(), opts.Cluster)
			if err != nil {
				return err
			}
			fmt.Fprintf(opts.IO.Out, "%s: control plane at %s (%s)\n", opts.Cluster, c.KubernetesVersion, since(start))
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.KubernetesVersion, "kubernetes-version", "", "Target Kubernetes version")
	return cmd
}
