package fleet

import (
	"context"
	"fmt"
	fleetengine "upshift.dev/upshift/internal/fleet"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
)

// LeaveOptions are the inputs of `upshift fleet leave`.
type LeaveOptions struct {
	IO        *cmdutil.IOStreams
	Client    func() (client.Client, error)
	Namespace string
	Name      string
}

func newCmdLeave(f *cmdutil.Factory, runF func(*LeaveOptions) error) *cobra.Command {
	opts := &LeaveOptions{IO: f.IO, Client: Client(f)}
	cmd := &cobra.Command{
		Use:   "leave NAME",
		Short: "Remove a member from the fleet, with its kubeconfig Secret",
		Long: `Delete the Member NAME and its kubeconfig Secret. The cluster itself is not
touched. Runs that already started keep the member in their status; it fails
there if it had not been upgraded yet.`,
		Example: "  upshift fleet leave edge-1",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return leaveRun(cmd.Context(), opts)
		},
	}
	AddNamespaceFlag(cmd, &opts.Namespace)
	return cmd
}

func leaveRun(ctx context.Context, opts *LeaveOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	m := &v1alpha1.Member{}
	m.Name, m.Namespace = opts.Name, opts.Namespace
	if err := c.Delete(ctx, m); err != nil {
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("member %q not found in namespace %s; list members with 'upshift fleet list%s'", opts.Name, opts.Namespace, NamespaceArg(opts.Namespace))
		}
		return HubError(err, fmt.Sprintf("delete member %q", opts.Name), opts.Namespace)
	}
	// The Secret is owned by the Member, so the garbage collector deletes
	// it anyway; deleting it here makes it go now, and a refusal (the
	// operator role may not delete Secrets) leaves it to the collector.
	s := &corev1.Secret{}
	s.Name, s.Namespace = fleetengine.SecretName(opts.Name), opts.Namespace
	if err := c.Delete(ctx, s); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsForbidden(err) {
		return HubError(err, "delete Secret "+s.Name, opts.Namespace)
	}
	fmt.Fprintf(opts.IO.Out, "Member %q left the fleet in namespace %s\n", opts.Name, opts.Namespace)
	return nil
}
