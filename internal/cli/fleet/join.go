package fleet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	fleetengine "upshift.dev/upshift/internal/fleet"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
	"upshift.dev/upshift/internal/localfleet"
	"upshift.dev/upshift/internal/provider"
	"upshift.dev/upshift/internal/window"
)

// JoinOptions are the inputs of `upshift fleet join`.
type JoinOptions struct {
	IO     *cmdutil.IOStreams
	Client func() (client.Client, error)
	Now    func() time.Time

	Namespace string
	Name      string
	Group     string
	// Provider is local, kubeconfig or aks.
	Provider string
	// Cluster is the provider's name for the cluster; Name when empty
	// (required for aks).
	Cluster string
	// KubeconfigFile and KubeconfigContext give a kubeconfig member's
	// credentials; the file's current context when KubeconfigContext is
	// empty.
	KubeconfigFile    string
	KubeconfigContext string
	// WindowFile holds the member's maintenance window; none (always
	// open) when empty.
	WindowFile string
	// LocalFleetDir is the local fleet local members come from;
	// localfleet.DefaultDir() when empty.
	LocalFleetDir string
}

func newCmdJoin(f *cmdutil.Factory, runF func(*JoinOptions) error) *cobra.Command {
	opts := &JoinOptions{IO: f.IO, Client: Client(f), Now: f.Clock()}
	cmd := &cobra.Command{
		Use:   "join NAME --group GROUP [--provider local|kubeconfig|aks]",
		Short: "Join a cluster to the fleet as a Member of an update group",
		Long: `Create the Member NAME (or update it when it exists) in the update group
--group. Update strategies name groups; a run upgrades each group's members.

--provider local (default) joins a cluster of the local fleet ('upshift local
up'): its kubeconfig is copied into the Secret member-NAME-kubeconfig, which
the Member references. --provider kubeconfig joins any cluster from
--kubeconfig-file (upshift drains and checks it but cannot upgrade its
control plane). --provider aks joins an AKS cluster by --cluster
aks://SUBSCRIPTION/RESOURCE_GROUP/NAME; the controller gets its credentials
from Azure.

--window-file attaches a maintenance window (AKS maintenanceWindow schema, see
'upshift window check --help'): a member's upgrade starts only inside it.`,
		Example: `  upshift fleet join dev --group dev
  upshift fleet join edge-1 --group edge --provider kubeconfig --kubeconfig-file edge-1.yaml
  upshift fleet join prod-eu --group prod --provider aks --cluster aks://0000-1111/rg-prod/prod-eu --window-file weekend.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return joinRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	AddNamespaceFlag(cmd, &opts.Namespace)
	fl.StringVar(&opts.Group, "group", "", "Update group of the member (required)")
	fl.StringVar(&opts.Provider, "provider", v1alpha1.ProviderLocal, "How the cluster is reached: local, kubeconfig or aks")
	fl.StringVar(&opts.Cluster, "cluster", "", "The provider's name for the cluster (default NAME; aks://SUBSCRIPTION/RESOURCE_GROUP/NAME for aks)")
	fl.StringVar(&opts.KubeconfigFile, "kubeconfig-file", "", "Kubeconfig of the cluster (--provider kubeconfig)")
	fl.StringVar(&opts.KubeconfigContext, "kubeconfig-context", "", "Context of --kubeconfig-file to use (default its current context)")
	fl.StringVar(&opts.WindowFile, "window-file", "", "Maintenance window of the member (YAML or JSON)")
	fl.StringVar(&opts.LocalFleetDir, "local-fleet-dir", "", "Local fleet directory for --provider local (default $UPSHIFT_LOCAL_DIR or ~/.local/state/upshift/local)")
	_ = cmd.MarkFlagFilename("kubeconfig-file")
	_ = cmd.MarkFlagFilename("window-file", "yaml", "yml", "json")
	return cmd
}

func (o *JoinOptions) validate() error {
	if errs := validation.IsDNS1123Subdomain(o.Name); len(errs) > 0 || len(o.Name) > 230 {
		return cmdutil.FlagErrorf("member name %q: use lowercase letters, digits, '-' and '.', at most 230 characters", o.Name)
	}
	if o.Group == "" {
		return cmdutil.FlagErrorf("--group is required: strategies upgrade members by group")
	}
	if len(o.Group) > 50 {
		return cmdutil.FlagErrorf("--group %q is longer than 50 characters", o.Group)
	}
	if o.Cluster == "" && o.Provider != v1alpha1.ProviderAKS {
		o.Cluster = o.Name
	}
	switch o.Provider {
	case v1alpha1.ProviderLocal:
		if o.KubeconfigFile != "" {
			return cmdutil.FlagErrorf("--kubeconfig-file is for --provider kubeconfig; a local member's kubeconfig comes from the local fleet")
		}
	case v1alpha1.ProviderKubeconfig:
		if o.KubeconfigFile == "" {
			return cmdutil.FlagErrorf("--provider kubeconfig needs --kubeconfig-file")
		}
	case v1alpha1.ProviderAKS:
		if o.KubeconfigFile != "" {
			return cmdutil.FlagErrorf("--kubeconfig-file is for --provider kubeconfig; the controller gets AKS credentials from Azure")
		}
		if err := validateAKSCluster(o.Cluster); err != nil {
			return err
		}
	default:
		return cmdutil.FlagErrorf("--provider %q: use local, kubeconfig or aks", o.Provider)
	}
	return nil
}

func validateAKSCluster(s string) error {
	rest, ok := strings.CutPrefix(s, "aks://")
	parts := strings.Split(rest, "/")
	if !ok || len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return cmdutil.FlagErrorf("--provider aks needs --cluster aks://SUBSCRIPTION/RESOURCE_GROUP/NAME, got %q", s)
	}
	return nil
}

func joinRun(ctx context.Context, opts *JoinOptions) error {
	win, err := readWindow(opts.IO, opts.WindowFile)
	if err != nil {
		return err
	}
	kubeconfig, err := opts.kubeconfig(ctx)
	if err != nil {
		return err
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	res, err := fleetengine.Join(ctx, c, fleetengine.Membership{
		Namespace: opts.Namespace, Name: opts.Name, Group: opts.Group, Provider: opts.Provider,
		Cluster: opts.Cluster, Kubeconfig: kubeconfig, Window: win,
	})
	if err != nil {
		return HubError(err, fmt.Sprintf("join member %q", opts.Name), opts.Namespace)
	}
	verb := "Joined"
	if res.Updated {
		verb = "Updated"
	}
	fmt.Fprintf(opts.IO.Out, "%s member %q (%s cluster %s, group %s) in namespace %s\n", verb, opts.Name, opts.Provider, opts.Cluster, opts.Group, opts.Namespace)
	if res.Secret != "" {
		fmt.Fprintf(opts.IO.Out, "Kubeconfig stored in Secret %s\n", res.Secret)
	}
	if win != nil {
		now := opts.Now()
		if st, err := win.Status(now); err == nil {
			fmt.Fprintf(opts.IO.Out, "Maintenance window: %s\n", windowText(st, now, true))
		}
	}
	return nil
}

// kubeconfig returns the standalone kubeconfig the member's Secret holds,
// or nil for providers that need none.
func (o *JoinOptions) kubeconfig(ctx context.Context) ([]byte, error) {
	switch o.Provider {
	case v1alpha1.ProviderLocal:
		lf := &localfleet.Fleet{Dir: o.LocalFleetDir}
		b, err := lf.Kubeconfig(ctx, o.Cluster)
		if errors.Is(err, provider.ErrNotFound) {
			return nil, fmt.Errorf("local cluster %q is not in the local fleet at %s: start it with 'upshift local up --clusters %s', or point --local-fleet-dir at its fleet, or use --cluster: %w",
				o.Cluster, localDir(o.LocalFleetDir), o.Cluster, err)
		}
		return b, err
	case v1alpha1.ProviderKubeconfig:
		return standaloneKubeconfig(o.KubeconfigFile, o.KubeconfigContext)
	}
	return nil, nil
}

func localDir(dir string) string {
	if dir == "" {
		return localfleet.DefaultDir()
	}
	return dir
}

// readWindow reads and validates --window-file ("-" is stdin); nil when
// none is given.
func readWindow(ios *cmdutil.IOStreams, path string) (*window.Spec, error) {
	if path == "" {
		return nil, nil
	}
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(ios.In)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read --window-file: %w", err)
	}
	spec, err := window.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("--window-file %s: %w", path, err)
	}
	for _, w := range spec.Warnings() {
		fmt.Fprintf(ios.ErrOut, "warning: --window-file %s: %s\n", path, w)
	}
	return spec, nil
}

// windowText says whether a member's window is open at now and when it
// next closes or opens.
func windowText(st window.Status, now time.Time, tty bool) string {
	switch {
	case st.Open && st.CurrentWindow != nil && st.CurrentWindow.Unbounded():
		return "always open"
	case st.Open && st.CurrentWindow != nil:
		return "open, closes " + WhenTime(st.CurrentWindow.End, now, tty)
	case st.NextWindow == nil:
		return "closed, none opens within 10 years"
	}
	return "closed, opens " + WhenTime(st.NextWindow.Start, now, tty)
}
