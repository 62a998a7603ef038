package local

import (
	"fmt"

	"github.com/spf13/cobra"

	"upshift.dev/upshift/internal/cli/cmdutil"
)

func newCmdEnv(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "env",
		Short:   "Print the shell line that points kubectl at the local fleet",
		Example: `  eval "$(upshift local env)"`,
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintln(f.IO.Out, exportLine(fleet().KubeconfigPath()))
			return err
		},
	}
}
