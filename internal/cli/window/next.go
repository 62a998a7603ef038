package window

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"upshift.dev/upshift/internal/cli/cmdutil"
	mw "upshift.dev/upshift/internal/window"
)

// maxCount bounds -n: enough for years of daily windows, small enough that a
// typo does not print for a minute.
const maxCount = 1000

// NextOptions are the inputs of `upshift window next`.
type NextOptions struct {
	IO *cmdutil.IOStreams
	// Now is the clock --at defaults to.
	Now func() time.Time
	// File is the window file; "-" is stdin.
	File string
	// At is --at, RFC 3339; empty means Now.
	At string
	// Count is -n, how many windows to list.
	Count  int
	Output string
}

// nextList is what `upshift window next -o json` prints.
type nextList struct {
	Windows []mw.Interval `json:"windows"`
}

func newCmdNext(f *cmdutil.Factory, runF func(*NextOptions) error) *cobra.Command {
	opts := &NextOptions{IO: f.IO, Now: f.Clock()}
	cmd := &cobra.Command{
		Use:   "next -f FILE",
		Short: "List the next windows after now (or --at)",
		Long: `List the next windows that open after an instant, in UTC. With -o json:

  {"windows": [{"start", "end"}, ...]}

When fewer than -n open within ten years of one another (notAllowedDates, a
distant startDate), it lists those found and says why on stderr.`,
		Example: `  upshift window next -f window.yaml
  upshift window next -f window.yaml --at 2026-12-01T00:00:00Z -n 10 -o json`,
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
			return nextRun(opts)
		},
	}
	fileFlag(cmd, &opts.File)
	atFlag(cmd, &opts.At)
	cmd.Flags().IntVarP(&opts.Count, "count", "n", 5, fmt.Sprintf("How many windows to list, 1..%d", maxCount))
	cmdutil.AddOutputFlag(cmd, &opts.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML)
	return cmd
}

func nextRun(opts *NextOptions) error {
	if opts.Count < 1 || opts.Count > maxCount {
		return cmdutil.FlagErrorf("-n %d is out of range; use 1..%d", opts.Count, maxCount)
	}
	at, err := resolveAt(opts.At, opts.Now)
	if err != nil {
		return err
	}
	spec, err := readSpec(opts.IO, opts.File)
	if err != nil {
		return err
	}
	ws, err := spec.Upcoming(at, opts.Count)
	if err != nil {
		var none *mw.NoWindowError
		if !errors.As(err, &none) {
			return err
		}
		fmt.Fprintf(opts.IO.ErrOut, "warning: %d of %d windows listed: %v\n", len(ws), opts.Count, err)
	}
	if opts.Output != cmdutil.OutputTable {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Output, nextList{Windows: append([]mw.Interval{}, ws...)})
	}
	t := cmdutil.NewTable(opts.IO, "START", "END", "OPENS IN")
	for _, w := range ws {
		t.Row(rfc3339(w.Start), rfc3339(w.End), until(at, w.Start))
	}
	return t.Flush()
}
