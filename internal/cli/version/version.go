// Package version implements `upshift version`.
package version

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"upshift.dev/upshift/internal/buildinfo"
	"upshift.dev/upshift/internal/cli/cmdutil"
	tc "upshift.dev/upshift/internal/toolchain"
)

// Info is what `upshift version -o json` prints.
type Info struct {
	Version                 string   `json:"version"`
	Commit                  string   `json:"commit,omitempty"`
	LocalKubernetesVersions []string `json:"localKubernetesVersions"`
	Etcd                    string   `json:"etcd"`
	Kwok                    string   `json:"kwok"`
}

// NewCmd returns `upshift version`.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print upshift's version and the Kubernetes versions its local fleet runs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.ValidateOutput(output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML); err != nil {
				return err
			}
			info := Info{
				Version: buildinfo.Version, Commit: buildinfo.Commit(),
				LocalKubernetesVersions: tc.KubernetesVersions, Etcd: tc.EtcdVersion, Kwok: tc.KwokVersion,
			}
			if output != cmdutil.OutputTable {
				return cmdutil.PrintStructured(f.IO.Out, output, info)
			}
			fmt.Fprintf(f.IO.Out, "upshift %s\n", info.Version)
			fmt.Fprintf(f.IO.Out, "local fleet: Kubernetes %s (etcd %s, kwok %s)\n",
				strings.Join(info.LocalKubernetesVersions, ", "), info.Etcd, info.Kwok)
			return nil
		},
	}
	cmdutil.AddOutputFlag(cmd, &output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML)
	return cmd
}
