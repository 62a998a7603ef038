package run

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
	fleetcmd "upshift.dev/upshift/internal/cli/fleet"
)

// ListOptions are the inputs of `upshift run list`.
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
		Short:   "List update runs with their state, stage and progress",
		Example: "  upshift run list -o json",
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
	var list v1alpha1.UpdateRunList
	if err := c.List(ctx, &list, client.InNamespace(opts.Namespace)); err != nil {
		return fleetcmd.HubError(err, "list update runs", opts.Namespace)
	}
	// Newest first, as a person looks for the run they just made.
	sort.Slice(list.Items, func(i, j int) bool {
		a, b := list.Items[i].CreationTimestamp, list.Items[j].CreationTimestamp
		if !a.Equal(&b) {
			return b.Before(&a)
		}
		return list.Items[i].Name < list.Items[j].Name
	})
	if opts.Output != cmdutil.OutputTable {
		if list.Items == nil {
			list.Items = []v1alpha1.UpdateRun{}
		}
		return cmdutil.PrintStructured(opts.IO.Out, opts.Output, list.Items)
	}
	if len(list.Items) == 0 {
		fmt.Fprintf(opts.IO.ErrOut, "No update runs in namespace %s; create one with 'upshift run create'\n", opts.Namespace)
		return nil
	}
	tty := opts.IO.IsStdoutTTY()
	t := cmdutil.NewTable(opts.IO, "NAME", "STATE", "STAGE", "PROGRESS", "UPGRADE", "CREATED", "MESSAGE")
	for i := range list.Items {
		r := &list.Items[i]
		msg := r.Status.Message
		if r.Status.Error != "" {
			msg = r.Status.Error
		}
		if tty {
			msg = truncate(msg, 80)
		}
		t.Row(r.Name, stateOf(r), dash(r.Status.CurrentStage), dash(r.Status.Progress), upgrade(r),
			fleetcmd.When(&r.CreationTimestamp, opts.Now(), tty), dash(msg))
	}
	return t.Flush()
}

// upgrade is what the run does, in a few words: "Full 1.37.2".
func upgrade(r *v1alpha1.UpdateRun) string {
	typ := r.Spec.Upgrade.Type
	if typ == "" {
		typ = v1alpha1.UpgradeFull
	}
	if v := r.Spec.Upgrade.KubernetesVersion; v != "" {
		return typ + " " + v
	}
	return typ
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func truncate(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// DeleteOptions are the inputs of `upshift run delete`.
type DeleteOptions struct {
	IO              *cmdutil.IOStreams
	Client          func() (client.Client, error)
	Namespace, Name string
	Force           bool
}

func newCmdDelete(f *cmdutil.Factory, runF func(*DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{IO: f.IO, Client: fleetcmd.Client(f)}
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete an update run and its gates",
		Long: `Delete the run and its Gate objects. A run with member upgrades in flight is
refused unless --force: deleting it abandons those upgrades midway; stop it
first ('upshift run stop') and delete it once it is Stopped.`,
		Example: "  upshift run delete to-1.37",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return deleteRun(cmd.Context(), opts)
		},
	}
	fleetcmd.AddNamespaceFlag(cmd, &opts.Namespace)
	cmd.Flags().BoolVar(&opts.Force, "force", false, "Delete even with member upgrades in flight")
	return cmd
}

func deleteRun(ctx context.Context, opts *DeleteOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	run, err := get(ctx, c, opts.Namespace, opts.Name)
	if err != nil {
		return err
	}
	var running []string
	for _, s := range run.Status.Stages {
		for _, g := range s.Groups {
			for _, m := range g.Members {
				if m.State == v1alpha1.StateRunning {
					running = append(running, m.Name)
				}
			}
		}
	}
	if len(running) > 0 && !opts.Force {
		return fmt.Errorf("update run %q has member upgrades in flight (%s); stop it with 'upshift run stop %s%s' and delete it once it is Stopped, or pass --force to abandon them",
			opts.Name, strings.Join(running, ", "), opts.Name, nsFlag(opts.Namespace))
	}
	if err := c.Delete(ctx, run, client.PropagationPolicy("Background")); err != nil {
		if apierrors.IsNotFound(err) {
			return notFound(opts.Name, opts.Namespace)
		}
		return fleetcmd.HubError(err, fmt.Sprintf("delete update run %q", opts.Name), opts.Namespace)
	}
	fmt.Fprintf(opts.IO.Out, "Deleted update run %q from namespace %s\n", opts.Name, opts.Namespace)
	return nil
}
