package canary

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

// NewCmd returns the canary command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "canary",
		Short: "Take a new Kubernetes version in with a canary cluster and stepped traffic",
		Long: `A canary intake (the seed's scenario 3) creates a canary cluster at the new
version next to the stable one, deploys the app's manifests to it, and moves
traffic to it step by step (20%, 50%, 100% by default), each step baked under
analysis. Failed or Error sends all traffic back to stable at once and stops
(Aborted); Inconclusive pauses for a person: 'upshift canary promote' goes
on, 'upshift canary abort' gives up.

The controller ('upshift controller --local-fleet-dir ...') carries it out.

` + cmdutil.ExitCodes,
	}
	cmd.AddCommand(newCmdStart(f, nil), newCmdStatus(f, nil),
		newCmdAction(f, v1alpha1.ActionPromote, nil), newCmdAction(f, v1alpha1.ActionAbort, nil), newCmdAction(f, v1alpha1.ActionFinish, nil))
	return cmd
}

func nsFlag(ns string) string { return fleetcmd.NamespaceArg(ns) }

// notFoundError is an intake that does not exist.
type notFoundError struct{ name, namespace string }

func (e *notFoundError) Error() string {
	return fmt.Sprintf("canary intake %q not found in namespace %s; start one with 'upshift canary start %s ...'", e.name, e.namespace, e.name)
}

func get(ctx context.Context, c client.Client, ns, name string) (*v1alpha1.CanaryIntake, error) {
	ci := &v1alpha1.CanaryIntake{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, ci); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, &notFoundError{name: name, namespace: ns}
		}
		return nil, fleetcmd.HubError(err, fmt.Sprintf("read canary intake %q", name), ns)
	}
	return ci, nil
}

// setAction writes spec.action (see bluegreen's setAction): asking again
// for the action already there first clears it, so the controller sees a
// new generation.
func setAction(ctx context.Context, c client.Client, ns, name, action string, check func(*v1alpha1.CanaryIntake) error) (*v1alpha1.CanaryIntake, error) {
	var ci *v1alpha1.CanaryIntake
	write := func(value string) error {
		return retry.RetryOnConflict(retry.DefaultRetry, func() error {
			var err error
			if ci, err = get(ctx, c, ns, name); err != nil {
				return err
			}
			if err := check(ci); err != nil {
				return err
			}
			orig := ci.DeepCopy()
			ci.Spec.Action = value
			if err := c.Patch(ctx, ci, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil {
				if apierrors.IsConflict(err) {
					return err
				}
				return fleetcmd.HubError(err, fmt.Sprintf("set the action of canary intake %q", name), ns)
			}
			return nil
		})
	}
	cur, err := get(ctx, c, ns, name)
	if err != nil {
		return nil, err
	}
	if cur.Spec.Action == action {
		if err := write(""); err != nil {
			return nil, err
		}
	}
	return ci, write(action)
}

func phaseOf(ci *v1alpha1.CanaryIntake) string {
	if ci.Status.Phase == "" {
		return "Pending"
	}
	return ci.Status.Phase
}
