// Package toolchain implements `upshift toolchain build|status`: building and
// inspecting the cached control-plane binaries of the local fleet.
package toolchain

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"upshift.dev/upshift/internal/cli/cmdutil"
	tc "upshift.dev/upshift/internal/toolchain"
)

// NewCmd returns the toolchain command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "toolchain",
		Short: "Build and inspect the local fleet's control-plane binaries",
		Long: `The local fleet runs real kube-apiserver, kube-controller-manager,
kube-scheduler and etcd binaries, plus kwok for simulated nodes. They are built
once from the Go module proxy into a cache outside any repository
(` + "`$XDG_CACHE_HOME/upshift/toolchain`" + `, or $UPSHIFT_TOOLCHAIN_DIR) and reused.`,
	}
	cmd.AddCommand(newCmdBuild(f, nil), newCmdStatus(f, nil))
	return cmd
}

// BuildOptions are the inputs of `upshift toolchain build`.
type BuildOptions struct {
	IO                 *cmdutil.IOStreams
	KubernetesVersions []string
	CacheDir           string
}

func newCmdBuild(f *cmdutil.Factory, runF func(*BuildOptions) error) *cobra.Command {
	opts := &BuildOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Build the binaries that are not cached yet",
		Long: `Build kube-apiserver, kube-controller-manager and kube-scheduler for each
Kubernetes version, etcd, kwok and kwokctl. Components already in the cache are
kept; a build interrupted half-way is discarded and started again.

The first build takes 12-16 minutes per Kubernetes version on 2 cores.`,
		Example: "  upshift toolchain build\n  upshift toolchain build --kubernetes-version 1.37.2",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.CacheDir = tc.DefaultDir()
			if runF != nil {
				return runF(opts)
			}
			return buildRun(cmd, opts)
		},
	}
	cmd.Flags().StringSliceVar(&opts.KubernetesVersions, "kubernetes-version", nil,
		"Kubernetes versions to build (default all supported: "+strings.Join(tc.KubernetesVersions, ", ")+")")
	return cmd
}

func buildRun(cmd *cobra.Command, opts *BuildOptions) error {
	for _, v := range opts.KubernetesVersions {
		if !tc.Supported(v) {
			return cmdutil.FlagErrorf("--kubernetes-version %q is not supported; use one of: %s", v, strings.Join(tc.KubernetesVersions, ", "))
		}
	}
	p := &cmdutil.Progress{IO: opts.IO, Interval: 15 * time.Second}
	_, err := tc.Cache{Dir: opts.CacheDir}.Ensure(cmd.Context(), Reporter(p), opts.KubernetesVersions...)
	p.Done()
	return err
}

// Reporter renders build progress on a Progress line; other commands that
// may trigger a build (local up) use it too.
func Reporter(p *cmdutil.Progress) tc.ProgressFunc {
	return func(ev tc.Progress) {
		switch ev.Phase {
		case tc.PhaseCached:
			// Quiet: a warm cache is the common case.
		case tc.PhaseWaiting:
			p.Println("toolchain: %s is being built by another process; waiting", ev.Component)
		case tc.PhaseResolving:
			p.Println("toolchain: building %s (resolving modules)", ev.Component)
		case tc.PhaseCompiling:
			pct := 0
			if ev.Total > 0 {
				pct = 100 * ev.Compiled / ev.Total
			}
			p.Update(ev.Component, fmt.Sprintf("toolchain: %s compiling %d/%d packages (%d%%) %s  %s",
				ev.Component, ev.Compiled, ev.Total, pct, ev.Elapsed.Round(time.Second), ev.Package))
		case tc.PhaseDone:
			p.Println("toolchain: %s built in %s", ev.Component, ev.Elapsed.Round(time.Second))
		}
	}
}

// StatusOptions are the inputs of `upshift toolchain status`.
type StatusOptions struct {
	IO       *cmdutil.IOStreams
	Output   string
	CacheDir string
}

func newCmdStatus(f *cmdutil.Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show which components are built",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.ValidateOutput(opts.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML); err != nil {
				return err
			}
			opts.CacheDir = tc.DefaultDir()
			if runF != nil {
				return runF(opts)
			}
			return statusRun(opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, &opts.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML)
	return cmd
}

type statusRow struct {
	Component string `json:"component"`
	Version   string `json:"version"`
	Built     bool   `json:"built"`
	BuildTime string `json:"buildTime,omitempty"`
	Dir       string `json:"dir"`
}

func statusRun(opts *StatusOptions) error {
	comps, err := tc.Components()
	if err != nil {
		return err
	}
	var rows []statusRow
	for _, e := range (tc.Cache{Dir: opts.CacheDir}).Status(comps) {
		r := statusRow{Component: e.Component.Name, Version: e.Component.Version, Built: e.Built, Dir: e.Dir}
		if e.Manifest != nil {
			r.BuildTime = e.Manifest.BuildTime
		}
		rows = append(rows, r)
	}
	if opts.Output != cmdutil.OutputTable {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Output, rows)
	}
	t := cmdutil.NewTable(opts.IO, "COMPONENT", "VERSION", "BUILT", "BUILD TIME", "DIR")
	for _, r := range rows {
		built := "no"
		if r.Built {
			built = "yes"
		}
		t.Row(r.Component, r.Version, built, r.BuildTime, r.Dir)
	}
	return t.Flush()
}
