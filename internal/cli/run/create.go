package run

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
	fleetcmd "upshift.dev/upshift/internal/cli/fleet"
	"upshift.dev/upshift/internal/cli/strategy"
	"upshift.dev/upshift/internal/version"
)

// CreateOptions are the inputs of `upshift run create`.
type CreateOptions struct {
	IO     *cmdutil.IOStreams
	Client func() (client.Client, error)

	Namespace string
	// NamespaceSet is whether -n was given; a run file's namespace is
	// used otherwise.
	NamespaceSet bool
	Name         string
	// File is a whole UpdateRun (-f); the flags below are then not used.
	File               string
	Strategy           string
	StrategyFile       string
	Type               string
	KubernetesVersion  string
	NodeImageSelection string
	Start              bool
}

func newCmdCreate(f *cmdutil.Factory, runF func(*CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{IO: f.IO, Client: fleetcmd.Client(f)}
	cmd := &cobra.Command{
		Use:   "create NAME (--strategy S | --strategy-file F) (--kubernetes-version V [--type Full|ControlPlaneOnly] | --type NodeImageOnly)",
		Short: "Create an update run",
		Long: `Create the UpdateRun NAME. It upgrades the members of the groups its strategy
names: --strategy names an UpdateStrategy of the namespace (copied when the
run starts), --strategy-file puts a strategy from a file inline in the run.

--type Full (default) upgrades the control plane then every node pool to
--kubernetes-version; ControlPlaneOnly stops after the control plane;
NodeImageOnly moves node pools to the newest node image and takes no version.
--node-image-selection Consistent picks the images once, when the run starts,
so every member ends on the same ones; Latest (default) takes the newest for
each member as it starts.

-f takes the whole UpdateRun from a file instead. A run does nothing until it
is started: pass --start, or run 'upshift run start NAME' later.`,
		Example: `  upshift run create to-1.37 --strategy rollout --kubernetes-version 1.37.2 --start
  upshift run create images --strategy-file strategy.yaml --type NodeImageOnly --node-image-selection Consistent
  upshift run create -f run.yaml --start`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Name = args[0]
			}
			opts.NamespaceSet = cmd.Flags().Changed("namespace")
			if err := opts.validate(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return createRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fleetcmd.AddNamespaceFlag(cmd, &opts.Namespace)
	fl.StringVarP(&opts.File, "filename", "f", "", "Take the whole UpdateRun from this file (- for stdin)")
	fl.StringVar(&opts.Strategy, "strategy", "", "UpdateStrategy of the namespace to follow")
	fl.StringVar(&opts.StrategyFile, "strategy-file", "", "Strategy file to put inline in the run (see 'upshift strategy create --help')")
	fl.StringVar(&opts.Type, "type", "", "Full, ControlPlaneOnly or NodeImageOnly (default Full)")
	fl.StringVar(&opts.KubernetesVersion, "kubernetes-version", "", "Target Kubernetes version (Full and ControlPlaneOnly)")
	fl.StringVar(&opts.NodeImageSelection, "node-image-selection", "", "Latest or Consistent (default Latest)")
	fl.BoolVar(&opts.Start, "start", false, "Start the run right away")
	return cmd
}

func (o *CreateOptions) validate(cmd *cobra.Command) error {
	if o.File != "" {
		for _, name := range []string{"strategy", "strategy-file", "type", "kubernetes-version", "node-image-selection"} {
			if cmd.Flags().Changed(name) {
				return cmdutil.FlagErrorf("-f takes the whole run from the file; --%s cannot be combined with it (edit the file instead)", name)
			}
		}
		return nil
	}
	if o.Name == "" {
		return cmdutil.FlagErrorf("give the run a NAME, or take it from a file with -f")
	}
	if (o.Strategy == "") == (o.StrategyFile == "") {
		return cmdutil.FlagErrorf("give exactly one of --strategy and --strategy-file")
	}
	if o.Type == "" {
		o.Type = v1alpha1.UpgradeFull
		if o.KubernetesVersion == "" {
			return cmdutil.FlagErrorf("give --kubernetes-version for a Full upgrade, or --type NodeImageOnly to only refresh node images")
		}
	}
	if err := validateUpgrade(v1alpha1.UpgradeSpec{Type: o.Type, KubernetesVersion: o.KubernetesVersion}, "--type", "--kubernetes-version"); err != nil {
		return cmdutil.FlagErrorf("%v", err)
	}
	if err := validateSelection(o.NodeImageSelection, "--node-image-selection"); err != nil {
		return cmdutil.FlagErrorf("%v", err)
	}
	return nil
}

// validateUpgrade checks the type and version the way the controller will
// when the run starts; typ and ver name them in the message (a flag or a
// field of a run file).
func validateUpgrade(u v1alpha1.UpgradeSpec, typ, ver string) error {
	switch u.Type {
	case v1alpha1.UpgradeFull, v1alpha1.UpgradeControlPlaneOnly, "":
		if u.KubernetesVersion == "" {
			return fmt.Errorf("%s is required for Full and ControlPlaneOnly upgrades", ver)
		}
		if _, err := version.Parse(u.KubernetesVersion); err != nil {
			return fmt.Errorf("%s: %w", ver, err)
		}
	case v1alpha1.UpgradeNodeImageOnly:
		if u.KubernetesVersion != "" {
			return fmt.Errorf("%s must be empty for NodeImageOnly upgrades (they keep each pool's version)", ver)
		}
	default:
		return fmt.Errorf("%s %q: use Full, ControlPlaneOnly or NodeImageOnly", typ, u.Type)
	}
	return nil
}

func validateSelection(s, field string) error {
	switch s {
	case "", v1alpha1.NodeImageLatest, v1alpha1.NodeImageConsistent:
		return nil
	}
	return fmt.Errorf("%s %q: use Latest or Consistent", field, s)
}

func createRun(ctx context.Context, opts *CreateOptions) error {
	run, err := opts.build()
	if err != nil {
		return err
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	spec := run.Spec.Strategy
	if name := run.Spec.UpdateStrategyName; name != "" {
		us := &v1alpha1.UpdateStrategy{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: run.Namespace, Name: name}, us); err != nil {
			if apierrors.IsNotFound(err) {
				return fmt.Errorf("update strategy %q not found in namespace %s; create it with 'upshift strategy create %s -f FILE%s' or list them with 'upshift strategy list%s'",
					name, run.Namespace, name, nsFlag(run.Namespace), nsFlag(run.Namespace))
			}
			return fleetcmd.HubError(err, fmt.Sprintf("read update strategy %q", name), run.Namespace)
		}
		spec = &us.Spec
	}
	if spec != nil {
		warnEmptyGroups(ctx, opts.IO.ErrOut, c, run.Namespace, spec)
	}
	if err := c.Create(ctx, run); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("update run %q already exists in namespace %s; pick another name, or delete it with 'upshift run delete %s%s'", run.Name, run.Namespace, run.Name, nsFlag(run.Namespace))
		}
		return fleetcmd.HubError(err, fmt.Sprintf("create update run %q", run.Name), run.Namespace)
	}
	what := run.Spec.Upgrade.Type + " upgrade"
	if v := run.Spec.Upgrade.KubernetesVersion; v != "" {
		what += " to " + v
	}
	via := "inline strategy"
	if run.Spec.UpdateStrategyName != "" {
		via = "strategy " + run.Spec.UpdateStrategyName
	}
	if spec != nil {
		via += " (" + strategy.Describe(spec) + ")"
	}
	fmt.Fprintf(opts.IO.Out, "Created update run %q in namespace %s: %s, %s\n", run.Name, run.Namespace, what, via)
	if run.Spec.State == v1alpha1.RunStart {
		fmt.Fprintf(opts.IO.Out, "Started; follow it with 'upshift run status %s -w%s'\n", run.Name, nsFlag(run.Namespace))
	} else {
		fmt.Fprintf(opts.IO.Out, "Start it with 'upshift run start %s%s'\n", run.Name, nsFlag(run.Namespace))
	}
	return nil
}

// build makes the UpdateRun from the flags or the run file.
func (o *CreateOptions) build() (*v1alpha1.UpdateRun, error) {
	if o.File != "" {
		return o.readFile()
	}
	run := &v1alpha1.UpdateRun{
		ObjectMeta: metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace},
		Spec: v1alpha1.UpdateRunSpec{
			UpdateStrategyName: o.Strategy,
			Upgrade:            v1alpha1.UpgradeSpec{Type: o.Type, KubernetesVersion: o.KubernetesVersion},
			NodeImageSelection: v1alpha1.NodeImageSelection{Type: o.NodeImageSelection},
		},
	}
	if o.StrategyFile != "" {
		spec, _, err := strategy.Read(o.IO.In, o.StrategyFile)
		if err != nil {
			return nil, err
		}
		run.Spec.Strategy = spec
	}
	if o.Start {
		run.Spec.State = v1alpha1.RunStart
	}
	return run, nil
}

// readFile reads -f: an UpdateRun, checked strictly and as the controller
// will check it. Server-set fields (from 'kubectl get -o yaml') are
// dropped so the file can be a copy of another run.
func (o *CreateOptions) readFile() (*v1alpha1.UpdateRun, error) {
	var data []byte
	var err error
	if o.File == "-" {
		data, err = io.ReadAll(o.IO.In)
	} else {
		data, err = os.ReadFile(o.File)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the run file: %w", err)
	}
	run := &v1alpha1.UpdateRun{}
	if err := yaml.UnmarshalStrict(data, run); err != nil {
		return nil, fmt.Errorf("run file %s: %w", o.File, err)
	}
	if run.Kind != "UpdateRun" || (run.APIVersion != "" && run.APIVersion != v1alpha1.GroupVersion.String()) {
		return nil, fmt.Errorf("run file %s: got %s %s; want kind UpdateRun, apiVersion %s", o.File, run.APIVersion, run.Kind, v1alpha1.GroupVersion)
	}
	if o.Name != "" {
		run.Name = o.Name
	}
	if run.Name == "" {
		return nil, fmt.Errorf("run file %s has no metadata.name; set it or give NAME", o.File)
	}
	switch {
	case run.Namespace == "":
		run.Namespace = o.Namespace
	case o.NamespaceSet && run.Namespace != o.Namespace:
		return nil, cmdutil.FlagErrorf("run file %s is for namespace %s but -n says %s", o.File, run.Namespace, o.Namespace)
	}
	run.ObjectMeta = metav1.ObjectMeta{Name: run.Name, Namespace: run.Namespace, Labels: run.Labels, Annotations: run.Annotations}
	run.Status = v1alpha1.UpdateRunStatus{}
	if (run.Spec.UpdateStrategyName == "") == (run.Spec.Strategy == nil) {
		return nil, fmt.Errorf("run file %s: give exactly one of spec.updateStrategyName and spec.strategy", o.File)
	}
	if run.Spec.Upgrade.Type == "" {
		run.Spec.Upgrade.Type = v1alpha1.UpgradeFull
	}
	if err := validateUpgrade(run.Spec.Upgrade, "spec.upgrade.type", "spec.upgrade.kubernetesVersion"); err != nil {
		return nil, fmt.Errorf("run file %s: %w", o.File, err)
	}
	if err := validateSelection(run.Spec.NodeImageSelection.Type, "spec.nodeImageSelection.type"); err != nil {
		return nil, fmt.Errorf("run file %s: %w", o.File, err)
	}
	if run.Spec.Strategy != nil {
		if err := strategy.Validate(run.Spec.Strategy); err != nil {
			return nil, fmt.Errorf("run file %s: spec.strategy.%w", o.File, err)
		}
	}
	if o.Start {
		run.Spec.State = v1alpha1.RunStart
	}
	return run, nil
}

// warnEmptyGroups says which of the strategy's groups have no member yet:
// the run would pass over them, which is rarely what was meant. It only
// warns, because members may still join before the run starts.
func warnEmptyGroups(ctx context.Context, w io.Writer, c client.Client, ns string, s *v1alpha1.UpdateStrategySpec) {
	var members v1alpha1.MemberList
	if err := c.List(ctx, &members, client.InNamespace(ns)); err != nil {
		return
	}
	has := map[string]bool{}
	for _, m := range members.Items {
		has[m.Spec.Group] = true
	}
	var empty []string
	for _, st := range s.Stages {
		for _, g := range st.Groups {
			if !has[g.Name] {
				empty = append(empty, g.Name)
			}
		}
	}
	sort.Strings(empty)
	if len(empty) > 0 {
		fmt.Fprintf(w, "warning: no member in group %s yet; join clusters with 'upshift fleet join NAME --group GROUP%s' before the run starts\n", strings.Join(empty, ", "), nsFlag(ns))
	}
}
