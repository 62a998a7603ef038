package bluegreen

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

// NewCmd returns the bluegreen command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bluegreen",
		Short: "Move an app to a new cluster at a new Kubernetes version and switch traffic to it",
		Long: `A blue-green upgrade (the seed's scenario 1) creates a green cluster at the new
version next to the blue one that serves the app, deploys the app's manifests
to it, waits until they are ready, checks green (pre-switch analysis),
switches all traffic, watches it for a bake time (post-switch analysis), and
promotes green, or rolls back to blue at once when the analysis fails. Blue is
deleted only by 'upshift bluegreen finish', or once --retain-blue has passed.

The controller ('upshift controller --local-fleet-dir ...') carries it out;
these commands start it, show it, and decide where it waits for a person.

` + cmdutil.ExitCodes,
	}
	cmd.AddCommand(newCmdStart(f, nil), newCmdStatus(f, nil),
		newCmdAction(f, v1alpha1.ActionPromote, nil), newCmdAction(f, v1alpha1.ActionRollback, nil), newCmdAction(f, v1alpha1.ActionFinish, nil))
	return cmd
}

// nsFlag is the -n argument to repeat in a hint.
func nsFlag(ns string) string { return fleetcmd.NamespaceArg(ns) }

// notFoundError is an upgrade that does not exist.
type notFoundError struct{ name, namespace string }

func (e *notFoundError) Error() string {
	return fmt.Sprintf("blue-green upgrade %q not found in namespace %s; start one with 'upshift bluegreen start %s ...'", e.name, e.namespace, e.name)
}

func get(ctx context.Context, c client.Client, ns, name string) (*v1alpha1.BlueGreenUpgrade, error) {
	bg := &v1alpha1.BlueGreenUpgrade{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, bg); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, &notFoundError{name: name, namespace: ns}
		}
		return nil, fleetcmd.HubError(err, fmt.Sprintf("read blue-green upgrade %q", name), ns)
	}
	return bg, nil
}

// setAction writes spec.action with a patch that carries the
// resourceVersion, retried from a fresh read on conflict; check refuses an
// action the upgrade's phase cannot take. The controller acts on an action
// once per generation, so asking again for the action already there first
// clears it: the second write then is a new generation.
func setAction(ctx context.Context, c client.Client, ns, name, action string, check func(*v1alpha1.BlueGreenUpgrade) error) (*v1alpha1.BlueGreenUpgrade, error) {
	var bg *v1alpha1.BlueGreenUpgrade
	write := func(value string) error {
		return retry.RetryOnConflict(retry.DefaultRetry, func() error {
			var err error
			if bg, err = get(ctx, c, ns, name); err != nil {
				return err
			}
			if err := check(bg); err != nil {
				return err
			}
			orig := bg.DeepCopy()
			bg.Spec.Action = value
			if err := c.Patch(ctx, bg, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil {
				if apierrors.IsConflict(err) {
					return err
				}
				return fleetcmd.HubError(err, fmt.Sprintf("set the action of blue-green upgrade %q", name), ns)
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
	return bg, write(action)
}
