package strategy

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
	fleetcmd "upshift.dev/upshift/internal/cli/fleet"
)

// NewCmd returns the strategy command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "strategy",
		Short: "Create and list update strategies: stages of member groups, with gates and waits",
		Long: `An UpdateStrategy orders the fleet's groups for update runs: stages run in
sequence, the groups of a stage in parallel, with maxConcurrency,
afterStageWaitInSeconds, before and after gates (Approval, ScheduledStart,
Validation) and maxAllowedFailures. A run copies its strategy when it starts,
so editing a strategy never changes a run in flight.`,
	}
	cmd.AddCommand(newCmdCreate(f, nil), newCmdList(f, nil), newCmdDelete(f, nil))
	return cmd
}

// CreateOptions are the inputs of `upshift strategy create`.
type CreateOptions struct {
	IO        *cmdutil.IOStreams
	Client    func() (client.Client, error)
	Namespace string
	Name      string
	File      string
	Overwrite bool
}

func newCmdCreate(f *cmdutil.Factory, runF func(*CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{IO: f.IO, Client: fleetcmd.Client(f)}
	cmd := &cobra.Command{
		Use:   "create NAME -f FILE",
		Short: "Create an update strategy from a file",
		Long: `Create the UpdateStrategy NAME from FILE, which holds either an UpdateStrategy
object or just its spec:

  stages:
  - name: dev
    groups: [{name: dev}]
    afterStageWaitInSeconds: 60
  - name: prod
    groups: [{name: prod-east}, {name: prod-west, maxConcurrency: "25%"}]
    beforeGates: [{type: Approval, displayName: change board}]
  maxAllowedFailures: 0

The file is checked before anything is written: unknown fields, duplicate
stages or groups and incomplete gates are errors naming the field.`,
		Example: `  upshift strategy create rollout -f strategy.yaml
  upshift strategy create rollout -f strategy.yaml --overwrite`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if opts.File == "" {
				return cmdutil.FlagErrorf("-f/--filename is required")
			}
			if runF != nil {
				return runF(opts)
			}
			return createRun(cmd.Context(), opts)
		},
	}
	fleetcmd.AddNamespaceFlag(cmd, &opts.Namespace)
	cmd.Flags().StringVarP(&opts.File, "filename", "f", "", "Strategy file (YAML or JSON; - for stdin)")
	cmd.Flags().BoolVar(&opts.Overwrite, "overwrite", false, "Replace the strategy's spec if it exists")
	return cmd
}

func createRun(ctx context.Context, opts *CreateOptions) error {
	spec, _, err := Read(opts.IO.In, opts.File)
	if err != nil {
		return err
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	us := &v1alpha1.UpdateStrategy{ObjectMeta: metav1.ObjectMeta{Name: opts.Name, Namespace: opts.Namespace}, Spec: *spec}
	err = c.Create(ctx, us)
	verb := "Created"
	if apierrors.IsAlreadyExists(err) {
		if !opts.Overwrite {
			return fmt.Errorf("update strategy %q already exists in namespace %s; replace it with --overwrite (runs in flight keep their copy)", opts.Name, opts.Namespace)
		}
		verb = "Replaced"
		err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
			if err := c.Get(ctx, client.ObjectKeyFromObject(us), us); err != nil {
				return err
			}
			us.Spec = *spec
			return c.Update(ctx, us)
		})
	}
	if err != nil {
		return fleetcmd.HubError(err, fmt.Sprintf("create update strategy %q", opts.Name), opts.Namespace)
	}
	fmt.Fprintf(opts.IO.Out, "%s update strategy %q in namespace %s: %s\n", verb, opts.Name, opts.Namespace, Describe(spec))
	return nil
}

// Describe is a one-line summary of a strategy: its stages in order, each
// with its groups and gates.
func Describe(s *v1alpha1.UpdateStrategySpec) string {
	parts := make([]string, len(s.Stages))
	for i, st := range s.Stages {
		var groups []string
		for _, g := range st.Groups {
			groups = append(groups, g.Name)
		}
		p := st.Name
		if len(groups) != 1 || groups[0] != st.Name {
			p += " (" + strings.Join(groups, ", ") + ")"
		}
		switch n := len(st.BeforeGates) + len(st.AfterGates); n {
		case 0:
		case 1:
			p += " [1 gate]"
		default:
			p += fmt.Sprintf(" [%d gates]", n)
		}
		if st.AfterStageWaitInSeconds > 0 {
			p += fmt.Sprintf(" +%s", time.Duration(st.AfterStageWaitInSeconds)*time.Second)
		}
		parts[i] = p
	}
	return strings.Join(parts, " -> ")
}

// ListOptions are the inputs of `upshift strategy list`.
type ListOptions struct {
	IO        *cmdutil.IOStreams
	Client    func() (client.Client, error)
	Now       func() time.Time
	Namespace string
	Output    string
}

func newCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IO, Client: fleetcmd.Client(f), Now: f.Clock()}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List update strategies",
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
	fleetcmd.AddNamespaceFlag(cmd, &opts.Namespace)
	cmdutil.AddOutputFlag(cmd, &opts.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML)
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var list v1alpha1.UpdateStrategyList
	if err := c.List(ctx, &list, client.InNamespace(opts.Namespace)); err != nil {
		return fleetcmd.HubError(err, "list update strategies", opts.Namespace)
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	if opts.Output != cmdutil.OutputTable {
		if list.Items == nil {
			list.Items = []v1alpha1.UpdateStrategy{}
		}
		return cmdutil.PrintStructured(opts.IO.Out, opts.Output, list.Items)
	}
	if len(list.Items) == 0 {
		fmt.Fprintf(opts.IO.ErrOut, "No update strategies in namespace %s; create one with 'upshift strategy create NAME -f FILE'\n", opts.Namespace)
		return nil
	}
	t := cmdutil.NewTable(opts.IO, "NAME", "STAGES", "MAX FAILURES", "AGE")
	for _, s := range list.Items {
		t.Row(s.Name, Describe(&s.Spec), fmt.Sprint(s.Spec.MaxAllowedFailures), fleetcmd.When(&s.CreationTimestamp, opts.Now(), opts.IO.IsStdoutTTY()))
	}
	return t.Flush()
}

// DeleteOptions are the inputs of `upshift strategy delete`.
type DeleteOptions struct {
	IO        *cmdutil.IOStreams
	Client    func() (client.Client, error)
	Namespace string
	Name      string
}

func newCmdDelete(f *cmdutil.Factory, runF func(*DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{IO: f.IO, Client: fleetcmd.Client(f)}
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete an update strategy (runs that started keep their copy)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			c, err := opts.Client()
			if err != nil {
				return err
			}
			us := &v1alpha1.UpdateStrategy{ObjectMeta: metav1.ObjectMeta{Name: opts.Name, Namespace: opts.Namespace}}
			if err := c.Delete(cmd.Context(), us); err != nil {
				if apierrors.IsNotFound(err) {
					return fmt.Errorf("update strategy %q not found in namespace %s; list strategies with 'upshift strategy list -n %s'", opts.Name, opts.Namespace, opts.Namespace)
				}
				return fleetcmd.HubError(err, fmt.Sprintf("delete update strategy %q", opts.Name), opts.Namespace)
			}
			fmt.Fprintf(opts.IO.Out, "Deleted update strategy %q from namespace %s\n", opts.Name, opts.Namespace)
			return nil
		},
	}
	fleetcmd.AddNamespaceFlag(cmd, &opts.Namespace)
	return cmd
}
