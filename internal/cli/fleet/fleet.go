package fleet

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/internal/cli/cmdutil"
	"upshift.dev/upshift/internal/controller"
)

// NewCmd returns the fleet command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fleet",
		Short: "Set up a hub and join clusters to its fleet",
		Long: `A fleet is a hub cluster holding upshift's CRDs and one Member per cluster
it upgrades. 'fleet install' prepares the hub; 'fleet join' adds a cluster to
an update group; update runs ('upshift run') then upgrade the groups stage by
stage. Every command acts on the hub of --context/--kubeconfig, in the
namespace given by -n (default upshift-system).`,
	}
	cmd.AddCommand(
		newCmdInstall(f, nil),
		newCmdJoin(f, nil),
		newCmdList(f, nil),
		newCmdLeave(f, nil),
	)
	return cmd
}

// InstallOptions are the inputs of `upshift fleet install`.
type InstallOptions struct {
	IO         *cmdutil.IOStreams
	RESTConfig func() (*rest.Config, error)
	Namespace  string
}

// newCmdInstall returns `upshift fleet install`.
func newCmdInstall(f *cmdutil.Factory, runF func(*InstallOptions) error) *cobra.Command {
	opts := &InstallOptions{IO: f.IO, RESTConfig: f.RESTConfig}
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install upshift's CRDs and ClusterRoles on the hub and create the fleet's namespace",
		Long: `Apply upshift's CRDs (Member, UpdateStrategy, UpdateRun, Gate) and its
ClusterRoles (upshift-controller, upshift-operator, upshift-gate-approver) to
the hub, wait until the CRDs are served, and create the fleet's namespace.
Running it again updates them in place.`,
		Example: "  upshift fleet install --context upshift-hub",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return installRun(cmd.Context(), opts)
		},
	}
	AddNamespaceFlag(cmd, &opts.Namespace)
	return cmd
}

func installRun(ctx context.Context, opts *InstallOptions) error {
	cfg, err := opts.RESTConfig()
	if err != nil {
		return err
	}
	if err := controller.Install(ctx, cfg); err != nil {
		return err
	}
	fmt.Fprintln(opts.IO.ErrOut, "Installed upshift's CRDs and ClusterRoles")
	c, err := client.New(cfg, client.Options{Scheme: Scheme()})
	if err != nil {
		return err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: opts.Namespace}}
	switch err := c.Create(ctx, ns); {
	case err == nil:
		fmt.Fprintf(opts.IO.ErrOut, "Created namespace %s\n", opts.Namespace)
	case apierrors.IsAlreadyExists(err):
	default:
		return HubError(err, "create namespace "+opts.Namespace, opts.Namespace)
	}
	fmt.Fprintf(opts.IO.Out, "Hub ready: join clusters with 'upshift fleet join NAME --group GROUP -n %s'\n", opts.Namespace)
	return nil
}
