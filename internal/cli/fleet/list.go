package fleet

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
	"upshift.dev/upshift/internal/window"
)

// ListOptions are the inputs of `upshift fleet list`.
type ListOptions struct {
	IO        *cmdutil.IOStreams
	Client    func() (client.Client, error)
	Now       func() time.Time
	Namespace string
	Output    string
}

// MemberSummary is one member as `upshift fleet list -o json` prints it.
type MemberSummary struct {
	Name              string                    `json:"name"`
	Provider          string                    `json:"provider"`
	ClusterName       string                    `json:"clusterName"`
	Group             string                    `json:"group"`
	KubernetesVersion string                    `json:"kubernetesVersion"`
	NodePools         []v1alpha1.MemberNodePool `json:"nodePools"`
	// Reachable is the Reachable condition's status: True, False or
	// Unknown (not probed yet).
	Reachable        string       `json:"reachable"`
	ReachableMessage string       `json:"reachableMessage,omitempty"`
	LastProbeTime    *metav1.Time `json:"lastProbeTime"`
	// Window is the maintenance window at the time of listing; open with
	// no bounds when the member has none.
	Window window.Status `json:"window"`
}

func newCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IO, Client: Client(f), Now: f.Clock()}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the fleet's members: provider, group, version, node pools, reachability, window",
		Long: `List the Members of the fleet with what the controller last saw of each
cluster (control-plane version, node pools as NAME:COUNT, with @VERSION where
a pool is not at the control plane's version, and whether it answered) and
whether its maintenance window is open now.`,
		Example: "  upshift fleet list --context upshift-hub -o json",
		Aliases: []string{"ls"},
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.ValidateOutput(opts.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	AddNamespaceFlag(cmd, &opts.Namespace)
	cmdutil.AddOutputFlag(cmd, &opts.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML)
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var list v1alpha1.MemberList
	if err := c.List(ctx, &list, client.InNamespace(opts.Namespace)); err != nil {
		return HubError(err, "list members", opts.Namespace)
	}
	now := opts.Now()
	rows := make([]MemberSummary, 0, len(list.Items))
	for i := range list.Items {
		rows = append(rows, summarize(&list.Items[i], now))
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Group != rows[j].Group {
			return rows[i].Group < rows[j].Group
		}
		return rows[i].Name < rows[j].Name
	})
	if opts.Output != cmdutil.OutputTable {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Output, rows)
	}
	if len(rows) == 0 {
		fmt.Fprintf(opts.IO.ErrOut, "No members in namespace %s; join clusters with 'upshift fleet join NAME --group GROUP'\n", opts.Namespace)
		return nil
	}
	tty := opts.IO.IsStdoutTTY()
	t := cmdutil.NewTable(opts.IO, "NAME", "PROVIDER", "CLUSTER", "GROUP", "VERSION", "NODE POOLS", "REACHABLE", "WINDOW")
	for _, r := range rows {
		t.Row(r.Name, r.Provider, r.ClusterName, r.Group, dash(r.KubernetesVersion), pools(r), r.Reachable, windowText(r.Window, now, tty))
	}
	return t.Flush()
}

func summarize(m *v1alpha1.Member, now time.Time) MemberSummary {
	s := MemberSummary{
		Name: m.Name, Provider: m.Spec.Provider, ClusterName: m.Spec.ClusterName, Group: m.Spec.Group,
		KubernetesVersion: m.Status.KubernetesVersion, NodePools: m.Status.NodePools,
		Reachable: string(metav1.ConditionUnknown), LastProbeTime: m.Status.LastProbeTime,
	}
	if s.NodePools == nil {
		s.NodePools = []v1alpha1.MemberNodePool{}
	}
	if c := meta.FindStatusCondition(m.Status.Conditions, v1alpha1.ConditionReachable); c != nil {
		s.Reachable, s.ReachableMessage = string(c.Status), c.Message
	}
	if st, err := m.Spec.MaintenanceWindow.Status(now); err == nil {
		s.Window = st
	}
	return s
}

// pools is the node pools column: "apps:3 system:1", with @VERSION on
// pools that are not at the control plane's version (mid-upgrade).
func pools(r MemberSummary) string {
	if len(r.NodePools) == 0 {
		return "-"
	}
	ps := append([]v1alpha1.MemberNodePool(nil), r.NodePools...)
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("%s:%d", p.Name, p.Count)
		if p.KubernetesVersion != "" && p.KubernetesVersion != r.KubernetesVersion {
			parts[i] += "@" + p.KubernetesVersion
		}
	}
	return strings.Join(parts, " ")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
