package window

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"upshift.dev/upshift/internal/cli/cmdutil"
	mw "upshift.dev/upshift/internal/window"
)

// NewCmd returns the window command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "window",
		Short: "Check AKS maintenance windows: may work start now, and when next",
		Long: `A maintenance window says when upgrade work may START, as in AKS: work that
started inside a window runs to completion. The file is an AKS maintenanceWindow
(schedule, durationHours, startTime, utcOffset, startDate, notAllowedDates), in
YAML or JSON, bare or as an AKS maintenanceConfiguration (properties.maintenanceWindow,
or the output of 'az aks maintenanceconfiguration show'). All times printed are UTC.`,
	}
	cmd.AddCommand(newCmdCheck(f, nil), newCmdNext(f, nil))
	return cmd
}

// fileFlag registers -f/--file.
func fileFlag(cmd *cobra.Command, target *string) {
	cmd.Flags().StringVarP(target, "file", "f", "", "The maintenance window file (YAML or JSON); - reads stdin")
}

func atFlag(cmd *cobra.Command, target *string) {
	cmd.Flags().StringVar(target, "at", "", "The instant to ask about, RFC 3339 (default now)")
}

func requireFile(file string) error {
	if file == "" {
		return cmdutil.FlagErrorf("-f/--file is required: the maintenance window file, or - for stdin")
	}
	return nil
}

// readSpec reads and validates the window in file ("-" is stdin), and
// prints its warnings on stderr.
func readSpec(ios *cmdutil.IOStreams, file string) (*mw.Spec, error) {
	var data []byte
	var err error
	name := file
	if file == "-" {
		name = "stdin"
		data, err = io.ReadAll(ios.In)
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the maintenance window: %w", err)
	}
	spec, err := mw.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, w := range spec.Warnings() {
		fmt.Fprintf(ios.ErrOut, "warning: %s: %s\n", name, w)
	}
	return spec, nil
}

// resolveAt parses --at, or reads the clock when it is empty.
func resolveAt(at string, now func() time.Time) (time.Time, error) {
	if at == "" {
		return now().UTC().Truncate(time.Second), nil
	}
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return time.Time{}, cmdutil.FlagErrorf("--at %q is not an RFC 3339 time; use e.g. 2026-05-03T02:00:00Z or 2026-05-03T04:00:00+02:00", at)
	}
	return t.UTC(), nil
}

// until says how far away t is from at, coarsely: "6d22h", "8h", "45m".
func until(at, t time.Time) string {
	d := t.Sub(at).Round(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf("%dd%dh", days, hours)
	case hours > 0 && mins > 0:
		return fmt.Sprintf("%dh%dm", hours, mins)
	case hours > 0:
		return fmt.Sprintf("%dh", hours)
	}
	return fmt.Sprintf("%dm", mins)
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }
