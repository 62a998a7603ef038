package fleet

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
)

// DefaultNamespace is where a hub keeps its fleet unless -n says otherwise;
// the controller's leader-election Lease lives there too.
const DefaultNamespace = "upshift-system"

// AddNamespaceFlag registers -n/--namespace, the fleet's namespace on the
// hub.
func AddNamespaceFlag(cmd *cobra.Command, target *string) {
	cmd.Flags().StringVarP(target, "namespace", "n", DefaultNamespace, "Namespace of the fleet on the hub")
}

// NamespaceArg is the -n argument to repeat in a hint ("upshift run list
// -n team-a"), empty for the default namespace, so hints stay short.
func NamespaceArg(ns string) string {
	if ns == DefaultNamespace {
		return ""
	}
	return " -n " + ns
}

// Scheme is the hub's scheme: core kinds and upshift's. A new one per call,
// so no command shares mutable state with another.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = v1alpha1.AddToScheme(s)
	return s
}

// Client returns a lazy constructor of a hub client for the factory's
// --kubeconfig and --context. Commands keep the function in their Options
// so that tests can swap in another client (an impersonating one, say)
// without a kubeconfig.
func Client(f *cmdutil.Factory) func() (client.Client, error) {
	return func() (client.Client, error) {
		cfg, err := f.RESTConfig()
		if err != nil {
			return nil, err
		}
		c, err := client.New(cfg, client.Options{Scheme: Scheme()})
		if err != nil {
			return nil, fmt.Errorf("cannot reach the hub at %s: %w", cfg.Host, err)
		}
		return c, nil
	}
}

// HubError rewrites the errors every hub command can meet into ones that
// name the fix: CRDs missing, namespace missing, RBAC refusing. Others are
// wrapped with what was attempted. what reads after "cannot", as in
// "create member \"dev\"". The original error stays in the chain, so
// callers can still test it with apierrors.IsNotFound and friends.
func HubError(err error, what, namespace string) error {
	switch {
	case err == nil:
		return nil
	case meta.IsNoMatchError(err):
		return fmt.Errorf("cannot %s: upshift's CRDs are not installed on this hub; install them with 'upshift fleet install' (or check --context): %w", what, err)
	case apierrors.IsNotFound(err) && notFoundKind(err) == "namespaces":
		return fmt.Errorf("cannot %s: namespace %s does not exist on the hub; create it with 'upshift fleet install -n %s': %w", what, namespace, namespace, err)
	case apierrors.IsForbidden(err):
		return fmt.Errorf("not allowed to %s: %w; ask for a binding to the upshift-operator ClusterRole (join members, steer runs) or upshift-gate-approver (approve and skip gates)", what, err)
	}
	return fmt.Errorf("cannot %s: %w", what, err)
}

// notFoundKind is the resource a NotFound error is about ("namespaces" when
// a create lands in a namespace that does not exist).
func notFoundKind(err error) string {
	var st apierrors.APIStatus
	if errors.As(err, &st) && st.Status().Details != nil {
		return st.Status().Details.Kind
	}
	return ""
}
