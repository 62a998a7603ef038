package run

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
	fleetcmd "upshift.dev/upshift/internal/cli/fleet"
)

// NewCmd returns the run command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Create, steer and watch fleet update runs",
		Long: `An update run upgrades the fleet's members stage by stage, following an
update strategy ('upshift strategy'): the groups of a stage in parallel, a
stage's gates before and after it, and its after-stage wait. The controller
('upshift controller') carries it out; these commands create a run, start and
stop it, skip what should not be done, retry failed members, and show where
it is.

` + cmdutil.ExitCodes,
	}
	cmd.AddCommand(
		newCmdCreate(f, nil),
		newCmdState(f, v1alpha1.RunStart, nil),
		newCmdState(f, v1alpha1.RunStop, nil),
		newCmdSkip(f, nil),
		newCmdRetry(f, nil),
		newCmdDelete(f, nil),
		newCmdList(f, nil),
		newCmdStatus(f, nil),
	)
	return cmd
}

// nsFlag is the -n argument to repeat in a hint.
func nsFlag(ns string) string { return fleetcmd.NamespaceArg(ns) }

// notFoundError is a run that does not exist, with the way to find the
// right name.
type notFoundError struct{ name, namespace string }

func (e *notFoundError) Error() string {
	return fmt.Sprintf("update run %q not found in namespace %s; list runs with 'upshift run list%s'", e.name, e.namespace, nsFlag(e.namespace))
}

func notFound(name, ns string) error { return &notFoundError{name: name, namespace: ns} }

// get reads a run, with an error that names the fix when it is missing.
func get(ctx context.Context, c client.Client, ns, name string) (*v1alpha1.UpdateRun, error) {
	run := &v1alpha1.UpdateRun{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, run); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, notFound(name, ns)
		}
		return nil, fleetcmd.HubError(err, fmt.Sprintf("read update run %q", name), ns)
	}
	return run, nil
}

// errNoChange tells edit that fn found nothing to write.
type errNoChange struct{}

func (errNoChange) Error() string { return "no change" }

// edit changes a run's spec with fn and writes it as a merge patch that
// carries the resourceVersion, retried from a fresh read on conflict. fn
// always sees the latest run, so a check it makes (the member is Failed)
// still holds when the write lands. fn returns errNoChange when there is
// nothing to write (the change is already there), and any other error to
// refuse the change. It reports whether it wrote.
func edit(ctx context.Context, c client.Client, ns, name, what string, fn func(*v1alpha1.UpdateRun) error) (*v1alpha1.UpdateRun, bool, error) {
	var run *v1alpha1.UpdateRun
	wrote := false
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var err error
		if run, err = get(ctx, c, ns, name); err != nil {
			return err
		}
		orig := run.DeepCopy()
		if err := fn(run); err != nil {
			return err
		}
		if err := c.Patch(ctx, run, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil {
			if apierrors.IsConflict(err) {
				return err
			}
			return fleetcmd.HubError(err, what, ns)
		}
		wrote = true
		return nil
	})
	if _, ok := err.(errNoChange); ok {
		return run, false, nil
	}
	return run, wrote, err
}

// stateOf is the run's state as the controller last wrote it, NotStarted
// before it first looked.
func stateOf(run *v1alpha1.UpdateRun) string {
	if run.Status.State == "" {
		return v1alpha1.StateNotStarted
	}
	return run.Status.State
}

// findMember returns the member's status in the run, nil if absent.
func findMember(run *v1alpha1.UpdateRun, name string) *v1alpha1.MemberRunStatus {
	for i := range run.Status.Stages {
		for j := range run.Status.Stages[i].Groups {
			g := &run.Status.Stages[i].Groups[j]
			for k := range g.Members {
				if g.Members[k].Name == name {
					return &g.Members[k]
				}
			}
		}
	}
	return nil
}

// memberNames lists the run's members in tree order, for hints.
func memberNames(run *v1alpha1.UpdateRun) []string {
	var out []string
	for _, s := range run.Status.Stages {
		for _, g := range s.Groups {
			for _, m := range g.Members {
				out = append(out, m.Name)
			}
		}
	}
	return out
}
