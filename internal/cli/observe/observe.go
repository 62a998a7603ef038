// Package observe implements `upshift observe alerts|dashboard`: alerting
// rules and a Grafana dashboard for the metrics upshift exports.
package observe

import (
	"fmt"

	"github.com/spf13/cobra"

	"upshift.dev/upshift/internal/cli/cmdutil"
	engine "upshift.dev/upshift/internal/observe"
)

// NewCmd returns the observe command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "observe",
		Short: "Generate alert rules and a Grafana dashboard for upshift's metrics",
	}
	cmd.AddCommand(newCmdAlerts(f), newCmdDashboard(f))
	return cmd
}

// AlertsOptions are the inputs of `upshift observe alerts`.
type AlertsOptions struct {
	IO        *cmdutil.IOStreams
	Format    string
	Name      string
	Namespace string
	engine.AlertOptions
}

func newCmdAlerts(f *cmdutil.Factory) *cobra.Command {
	opts := &AlertsOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "alerts",
		Short: "Print Prometheus alerting rules for failed runs, waiting gates, blocked drains and ingress errors",
		Long: `Print alerting rules for the metrics the controller, the node pool engine and
the local data plane export: UpshiftUpdateRunFailed, UpshiftMembersFailed,
UpshiftGateWaiting, UpshiftDrainBlocked, UpshiftNodesQuarantined and
UpshiftIngressErrorRatio. --format rules prints a Prometheus rules file
(promtool check rules accepts it); prometheusrule a prometheus-operator
PrometheusRule.`,
		Example: `  upshift observe alerts > upshift-rules.yaml && promtool check rules upshift-rules.yaml
  upshift observe alerts --format prometheusrule -n monitoring | kubectl apply -f -`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			groups := engine.Alerts(opts.AlertOptions)
			var (
				b   []byte
				err error
			)
			switch opts.Format {
			case "rules":
				b, err = engine.RulesFile(groups)
			case "prometheusrule":
				b, err = engine.PrometheusRule(opts.Name, opts.Namespace, groups)
			default:
				return cmdutil.FlagErrorf("--format %q: use rules or prometheusrule", opts.Format)
			}
			if err != nil {
				return err
			}
			_, err = opts.IO.Out.Write(b)
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Format, "format", "rules", "rules (a Prometheus rules file) or prometheusrule (prometheus-operator)")
	fl.StringVar(&opts.Name, "name", "upshift", "PrometheusRule name")
	fl.StringVarP(&opts.Namespace, "namespace", "n", "monitoring", "PrometheusRule namespace")
	fl.StringVar(&opts.GateWaitingFor, "gate-waiting-for", "4h", "Alert when a gate holds a stage this long")
	fl.StringVar(&opts.DrainBlockedFor, "drain-blocked-for", "15m", "Alert when a drain is blocked this long")
	fl.Float64Var(&opts.ErrorRatio, "error-ratio", 0.05, "Alert when this share of ingress requests fail")
	return cmd
}

func newCmdDashboard(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "dashboard",
		Short:   "Print a Grafana dashboard (JSON) for upshift's metrics",
		Example: "  upshift observe dashboard > upshift-dashboard.json   # then import it in Grafana",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			b, err := engine.Dashboard()
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(f.IO.Out, string(b))
			return err
		},
	}
}
