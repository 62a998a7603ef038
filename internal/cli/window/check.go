package window

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"upshift.dev/upshift/internal/cli/cmdutil"
)

// CheckOptions are the inputs of `upshift window check`.
type CheckOptions struct {
	IO *cmdutil.IOStreams
	// Now is the clock --at defaults to.
	Now func() time.Time
	// File is the window file; "-" is stdin.
	File string
	// At is --at, RFC 3339; empty means Now.
	At     string
	Output string
}

func newCmdCheck(f *cmdutil.Factory, runF func(*CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{IO: f.IO, Now: f.Clock()}
	cmd := &cobra.Command{
		Use:   "check -f FILE",
		Short: "Say whether work may start now (or --at), and when the next window opens",
		Long: `Say whether a maintenance window is open at an instant, which window holds it,
and which opens next. With -o json it prints, in UTC RFC 3339:

  {"open": bool, "currentWindow": {"start", "end"} | null, "nextWindow": {"start", "end"}}

nextWindow is null only when no window opens within ten years (every one falls
on notAllowedDates, or startDate is further away); a warning on stderr says
which. A closed window is an answer, not a failure: the exit code is 0.`,
		Example: `  upshift window check -f window.yaml
  upshift window check -f window.yaml --at 2026-12-24T20:00:00Z -o json
  az aks maintenanceconfiguration show -g rg --cluster-name c -n aksManagedAutoUpgradeSchedule | upshift window check -f -`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			if err := cmdutil.ValidateOutput(opts.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML); err != nil {
				return err
			}
			if err := requireFile(opts.File); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return checkRun(opts)
		},
	}
	fileFlag(cmd, &opts.File)
	atFlag(cmd, &opts.At)
	cmdutil.AddOutputFlag(cmd, &opts.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML)
	return cmd
}

func checkRun(opts *CheckOptions) error {
	at, err := resolveAt(opts.At, opts.Now)
	if err != nil {
		return err
	}
	spec, err := readSpec(opts.IO, opts.File)
	if err != nil {
		return err
	}
	st, err := spec.Status(at)
	if err != nil {
		return err
	}
	if st.NextWindow == nil {
		_, why := spec.Next(at)
		fmt.Fprintf(opts.IO.ErrOut, "warning: %v\n", why)
	}
	if opts.Output != cmdutil.OutputTable {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Output, st)
	}
	t := cmdutil.NewTable(opts.IO, "WINDOW", "START", "END", "STATE")
	if c := st.CurrentWindow; c != nil {
		t.Row("current", rfc3339(c.Start), rfc3339(c.End), "open, closes in "+until(at, c.End))
	} else {
		t.Row("current", "-", "-", "closed")
	}
	if n := st.NextWindow; n != nil {
		t.Row("next", rfc3339(n.Start), rfc3339(n.End), "opens in "+until(at, n.Start))
	} else {
		t.Row("next", "-", "-", "none within 10 years")
	}
	return t.Flush()
}
