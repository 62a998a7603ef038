package local

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"upshift.dev/upshift/internal/cli/cmdutil"
	"upshift.dev/upshift/internal/localfleet"
	"upshift.dev/upshift/internal/traffic"
	trafficlocal "upshift.dev/upshift/internal/traffic/local"
)

// WeightsOptions are the inputs of `upshift local weights`.
type WeightsOptions struct {
	IO     *cmdutil.IOStreams
	Fleet  *localfleet.Fleet
	Set    traffic.Weights
	Output string
}

func newCmdWeights(f *cmdutil.Factory, runF func(*WeightsOptions) error) *cobra.Command {
	opts := &WeightsOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "weights [CLUSTER=PERCENT...]",
		Short: "Show or set the local gateway's traffic weights",
		Long: `Without arguments, show the share of new requests the local gateway sends to
each cluster. With arguments, set them: every cluster named gets its share,
every other one 0; the shares must sum to 100. The gateway follows from the
next request on, and keeps the weights across restarts.`,
		Example: `  upshift local weights
  upshift local weights dev=80 prod=20
  upshift local weights prod=100`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.ValidateOutput(opts.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML); err != nil {
				return err
			}
			w, err := parseWeights(args)
			if err != nil {
				return err
			}
			opts.Fleet, opts.Set = fleet(), w
			if runF != nil {
				return runF(opts)
			}
			st, running, err := trafficlocal.ReadStatus(opts.Fleet.DataPlaneDir())
			if err != nil {
				return err
			}
			if !running {
				return errors.New("the local data plane is not running; start it with 'upshift local up' or 'upshift local dataplane'")
			}
			r, err := trafficlocal.NewRemoteRouter(st.Gateway)
			if err != nil {
				return err
			}
			if opts.Set != nil {
				cur, err := r.Weights(cmd.Context())
				if err != nil {
					return err
				}
				for name := range cur {
					if _, ok := opts.Set[name]; !ok {
						opts.Set[name] = 0
					}
				}
				if _, err := r.SetWeights(cmd.Context(), opts.Set); err != nil {
					return err
				}
			}
			got, err := r.Weights(cmd.Context())
			if err != nil {
				return err
			}
			if opts.Output != cmdutil.OutputTable {
				return cmdutil.PrintStructured(opts.IO.Out, opts.Output, trafficlocal.WeightsDocument{Weights: got, Backends: st.Ingresses})
			}
			t := cmdutil.NewTable(opts.IO, "CLUSTER", "WEIGHT", "INGRESS")
			for _, name := range sortedNames(got) {
				t.Row(name, strconv.Itoa(got[name])+"%", st.Ingresses[name])
			}
			return t.Flush()
		},
	}
	cmdutil.AddOutputFlag(cmd, &opts.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML)
	return cmd
}

// parseWeights reads CLUSTER=PERCENT arguments; nil when there are none.
func parseWeights(args []string) (traffic.Weights, error) {
	if len(args) == 0 {
		return nil, nil
	}
	w := traffic.Weights{}
	for _, a := range args {
		name, pct, ok := strings.Cut(a, "=")
		n, err := strconv.Atoi(strings.TrimSuffix(pct, "%"))
		if !ok || name == "" || err != nil {
			return nil, cmdutil.FlagErrorf("%q is not CLUSTER=PERCENT (for example prod=80)", a)
		}
		if _, dup := w[name]; dup {
			return nil, cmdutil.FlagErrorf("cluster %q is given twice", name)
		}
		w[name] = n
	}
	sum := 0
	for _, v := range w {
		sum += v
	}
	if sum != 100 {
		return nil, cmdutil.FlagErrorf("weights %s sum to %d, want 100", w, sum)
	}
	return w, nil
}

func sortedNames(w traffic.Weights) []string {
	names := make([]string, 0, len(w))
	for n := range w {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
