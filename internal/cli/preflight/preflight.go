package preflight

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"

	"upshift.dev/upshift/internal/buildinfo"
	"upshift.dev/upshift/internal/cli/cmdutil"
	"upshift.dev/upshift/internal/manifest"
	pf "upshift.dev/upshift/internal/preflight"
	"upshift.dev/upshift/internal/preflight/cluster"
	"upshift.dev/upshift/internal/preflight/dryrun"
	"upshift.dev/upshift/internal/version"
)

// OutputSARIF is the SARIF 2.1.0 output format.
const OutputSARIF = "sarif"

// Fail-on levels.
const (
	FailOnError   = "error"
	FailOnWarning = "warning"
	FailOnNever   = "never"
)

func outputs() []string {
	return []string{cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML, OutputSARIF}
}

// Options are the inputs of `upshift preflight`.
type Options struct {
	IO *cmdutil.IOStreams
	// RESTConfig reaches the cluster; called only when the cluster is
	// scanned.
	RESTConfig func() (*rest.Config, error)

	TargetVersion string
	Files         []string
	Checks        []string
	DrainTimeout  time.Duration
	Output        string
	FailOn        string
	ServerDryRun  bool
	// UseCluster scans the cluster of the kubeconfig context. The command
	// sets it when no -f is given, or when --kubeconfig or --context is.
	UseCluster bool
	// ToolchainDir is the toolchain cache for --server-dry-run; the
	// default cache when empty.
	ToolchainDir string
}

const long = `Preflight answers "what will break if I upgrade to this version?" before any
upgrade starts. It reads manifests (-f: files, directories recursively, or -
for standard input; YAML, JSON, kind: List, rendered Helm output) and, with a
cluster, every served resource type (paginated), the last-applied-configuration
annotations of its objects, its Helm v3 releases (Secret and ConfigMap
records) and the API server's apiserver_requested_deprecated_apis metric.

Without -f the current kubeconfig context is scanned; with -f only the files
are read, unless --context or --kubeconfig is given too.

Check groups (--checks):
  apis       api-removed (error), api-deprecated (warning),
             last-applied-stale (info), server-rejected (error, with
             --server-dry-run)
  workloads  pdb-never-allows-eviction (error), pdb-selects-nothing,
             pdb-missing, replicas-single, probe-readiness-missing,
             termination-grace-over-drain-timeout (warnings),
             probe-liveness-missing, prestop-missing, spread-missing (info)
  versions   version-skip-minor, version-skew, version-downgrade (errors;
             need a cluster)
Always on: manifest-unparsable (error), manifest-not-object (info),
object-invalid and scan-incomplete (warnings), so nothing is skipped silently.

--server-dry-run starts a throwaway kube-apiserver of the target version (from
the toolchain cache; built on first use) and applies every manifest with
server-side dry-run; what it rejects is reported as server-rejected.

Output: -o table (grouped by check), json and yaml (a stable contract, see
docs/preflight.md), sarif (SARIF 2.1.0 for code scanning).

Exit codes:
  0  nothing at or above --fail-on
  1  usage or runtime failure
  2  warnings found, with --fail-on warning
  3  errors found (unless --fail-on never)`

// NewCmd returns `upshift preflight`.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, RESTConfig: f.RESTConfig}
	cmd := &cobra.Command{
		Use:   "preflight --target-version V [-f PATH]...",
		Short: "Find what will break before upgrading to a Kubernetes version",
		Long:  long,
		Example: `  upshift preflight --target-version 1.37.2
  upshift preflight --target-version 1.37 -f k8s/ -f rendered.yaml -o json
  helm template my-chart | upshift preflight --target-version 1.37.2 -f - --server-dry-run
  upshift preflight --target-version 1.37.2 --checks workloads --drain-timeout 15m --fail-on warning`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.TargetVersion == "" {
				return cmdutil.FlagErrorf("--target-version is required, for example --target-version 1.37.2")
			}
			if _, err := version.Parse(opts.TargetVersion); err != nil {
				return cmdutil.FlagErrorf("--target-version: %v", err)
			}
			if err := cmdutil.ValidateOutput(opts.Output, outputs()...); err != nil {
				return err
			}
			switch opts.FailOn {
			case FailOnError, FailOnWarning, FailOnNever:
			default:
				return cmdutil.FlagErrorf("--fail-on %q is not supported; use one of: error, warning, never", opts.FailOn)
			}
			if _, err := pf.ParseCheckSet(opts.Checks); err != nil {
				return cmdutil.FlagErrorf("%v", err)
			}
			if opts.DrainTimeout < 0 {
				return cmdutil.FlagErrorf("--drain-timeout must not be negative; use 0 to skip termination-grace-over-drain-timeout")
			}
			if opts.ServerDryRun && len(opts.Files) == 0 {
				return cmdutil.FlagErrorf("--server-dry-run applies manifests: give them with -f")
			}
			opts.UseCluster = len(opts.Files) == 0 || f.Kubeconfig != "" || f.Context != ""
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.TargetVersion, "target-version", "", "Kubernetes version to upgrade to, for example 1.37.2 (required)")
	fl.StringSliceVarP(&opts.Files, "filename", "f", nil, "Manifest file, directory (recursive) or - for standard input; repeatable")
	fl.StringSliceVar(&opts.Checks, "checks", nil, "Check groups to run: "+strings.Join(pf.AllGroups(), ",")+" (default all)")
	fl.DurationVar(&opts.DrainTimeout, "drain-timeout", pf.DefaultDrainTimeout, "How long a node drain may take (AKS drainTimeoutInMinutes); 0 skips termination-grace-over-drain-timeout")
	fl.StringVar(&opts.FailOn, "fail-on", FailOnError, "Lowest severity that fails the command: error, warning or never")
	fl.BoolVar(&opts.ServerDryRun, "server-dry-run", false, "Apply the manifests with server-side dry-run to a throwaway API server of the target version")
	cmdutil.AddOutputFlag(cmd, &opts.Output, outputs()...)
	_ = cmd.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions([]string{FailOnError, FailOnWarning, FailOnNever}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("checks", cobra.FixedCompletions(pf.AllGroups(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Run runs the preflight and prints the report; the error carries the exit
// code.
func Run(ctx context.Context, opts *Options) error {
	target, err := version.Parse(opts.TargetVersion)
	if err != nil {
		return cmdutil.FlagErrorf("--target-version: %v", err)
	}
	checks, err := pf.ParseCheckSet(opts.Checks)
	if err != nil {
		return cmdutil.FlagErrorf("%v", err)
	}
	drain := opts.DrainTimeout
	if drain == 0 {
		drain = -1 // explicit 0: skip the check (the engine's zero means default)
	}
	engine := pf.New(pf.Options{Target: target, Checks: checks, DrainTimeout: drain})
	p := &cmdutil.Progress{IO: opts.IO}
	defer p.Done()

	stdin := opts.IO.In
	var stdinData []byte
	if opts.ServerDryRun && slices.Contains(opts.Files, "-") {
		// Standard input is read twice (checks, then the dry-run): keep it.
		b, err := io.ReadAll(opts.IO.In)
		if err != nil {
			return fmt.Errorf("cannot read standard input: %w", err)
		}
		stdinData, stdin = b, bytes.NewReader(b)
	}
	if len(opts.Files) > 0 {
		p.Println("preflight: reading %s", strings.Join(opts.Files, ", "))
		err := manifest.Read(ctx, opts.Files, manifest.Options{Stdin: stdin}, func(d manifest.Document) error {
			engine.ObserveDocument(d, pf.Source{Kind: pf.SourceFile})
			return nil
		})
		if err != nil {
			return err
		}
	}
	if !opts.UseCluster && len(opts.Checks) > 0 && checks.Has(pf.GroupVersions) {
		p.Println("preflight: the versions checks need a cluster (--context or --kubeconfig); skipped")
	}
	if opts.UseCluster {
		cfg, err := opts.RESTConfig()
		if err != nil {
			return err
		}
		s := &cluster.Scanner{Config: cfg, Checks: checks, Progress: func(m string) { p.Println("preflight: %s", m) }}
		st, err := s.Scan(ctx, engine)
		if err != nil {
			return err
		}
		p.Println("preflight: scanned %d objects of %d resource types, %d Helm releases", st.Objects, st.ResourceTypes, st.HelmReleases)
	}
	if opts.ServerDryRun {
		r := &dryrun.Runner{Target: target, ToolchainDir: opts.ToolchainDir, Progress: func(m string) { p.Println("preflight: %s", m) }}
		if err := r.Run(ctx, opts.Files, bytes.NewReader(stdinData), engine); err != nil {
			return err
		}
	}
	p.Done()
	report := engine.Report()
	if err := printReport(opts, report, checks); err != nil {
		return err
	}
	if code := exitCode(report, opts.FailOn); code != cmdutil.ExitOK {
		return cmdutil.SilentExit(code)
	}
	return nil
}

// exitCode maps the report to the documented exit codes.
func exitCode(r pf.Report, failOn string) int {
	switch {
	case failOn == FailOnNever:
		return cmdutil.ExitOK
	case r.Summary.Errors > 0:
		return cmdutil.ExitFindings
	case failOn == FailOnWarning && r.Summary.Warnings > 0:
		return cmdutil.ExitWarnings
	}
	return cmdutil.ExitOK
}

func printReport(opts *Options, r pf.Report, checks pf.CheckSet) error {
	switch opts.Output {
	case cmdutil.OutputJSON, cmdutil.OutputYAML:
		return cmdutil.PrintStructured(opts.IO.Out, opts.Output, r)
	case OutputSARIF:
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(r.SARIF(buildinfo.Version))
	}
	return printTable(opts.IO, r, checks)
}

// plural renders "1 error", "2 errors".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
