package cmdutil

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"
)

// Output formats.
const (
	OutputTable = "table"
	OutputWide  = "wide"
	OutputJSON  = "json"
	OutputYAML  = "yaml"
)

// AddOutputFlag registers -o/--output with the formats a command supports;
// the first is the default.
func AddOutputFlag(cmd *cobra.Command, target *string, formats ...string) {
	*target = formats[0]
	cmd.Flags().StringVarP(target, "output", "o", formats[0], "Output format: "+strings.Join(formats, "|"))
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
}

// ValidateOutput returns a usage error naming the allowed formats.
func ValidateOutput(format string, formats ...string) error {
	if slices.Contains(formats, format) {
		return nil
	}
	return FlagErrorf("--output %q is not supported; use one of: %s", format, strings.Join(formats, ", "))
}

// PrintStructured writes v as JSON (indented) or YAML.
func PrintStructured(w io.Writer, format string, v any) error {
	switch format {
	case OutputJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case OutputYAML:
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	return fmt.Errorf("PrintStructured: format %q is not structured", format)
}

// Table prints aligned columns with a header row, like kubectl get (which
// prints headers whether or not stdout is a terminal; scripts use -o json).
type Table struct {
	tw *tabwriter.Writer
}

// NewTable starts a table on the command's stdout.
func NewTable(io *IOStreams, header ...string) *Table {
	t := &Table{tw: tabwriter.NewWriter(io.Out, 0, 4, 3, ' ', 0)}
	fmt.Fprintln(t.tw, strings.Join(header, "\t"))
	return t
}

// Row adds a row.
func (t *Table) Row(cells ...string) { fmt.Fprintln(t.tw, strings.Join(cells, "\t")) }

// Flush writes the table.
func (t *Table) Flush() error { return t.tw.Flush() }

// FlagError is a usage mistake; cobra prints the usage hint with it.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf builds a FlagError.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}
