// Package root assembles the upshift command tree and runs it.
package root

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	ctrl "sigs.k8s.io/controller-runtime"

	"upshift.dev/upshift/internal/cli/analysis"
	bluegreencmd "upshift.dev/upshift/internal/cli/bluegreen"
	canarycmd "upshift.dev/upshift/internal/cli/canary"
	"upshift.dev/upshift/internal/cli/cmdutil"
	controllercmd "upshift.dev/upshift/internal/cli/controller"
	dashboardcmd "upshift.dev/upshift/internal/cli/dashboard"
	draincmd "upshift.dev/upshift/internal/cli/drain"
	fleetcmd "upshift.dev/upshift/internal/cli/fleet"
	gatecmd "upshift.dev/upshift/internal/cli/gate"
	"upshift.dev/upshift/internal/cli/local"
	nodepoolcmd "upshift.dev/upshift/internal/cli/nodepool"
	observecmd "upshift.dev/upshift/internal/cli/observe"
	preflightcmd "upshift.dev/upshift/internal/cli/preflight"
	runcmd "upshift.dev/upshift/internal/cli/run"
	strategycmd "upshift.dev/upshift/internal/cli/strategy"
	"upshift.dev/upshift/internal/cli/toolchain"
	"upshift.dev/upshift/internal/cli/version"
	"upshift.dev/upshift/internal/cli/window"
)

// NewCmd builds the root command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "upshift",
		Short: "Carry Kubernetes clusters through production upgrades",
		Long: `upshift carries Kubernetes clusters through production upgrades: preflight
checks, node pool surge and blue-green upgrades with a PDB-aware drain, staged
fleet update runs with gates, and cluster blue-green and canary swaps with
metric analysis and rollback. It runs against AKS or against a local fleet of
real control planes (upshift local up).

` + cmdutil.ExitCodes,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.SetOut(f.IO.Out)
	cmd.SetErr(f.IO.ErrOut)
	cmd.PersistentFlags().StringVar(&f.Kubeconfig, "kubeconfig", "", "Path to the kubeconfig file (default $KUBECONFIG or ~/.kube/config)")
	cmd.PersistentFlags().StringVar(&f.Context, "context", "", "The kubeconfig context to use")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cmdutil.FlagError{Err: err} })
	cmd.AddCommand(
		version.NewCmd(f),
		toolchain.NewCmd(f),
		analysis.NewCmd(f),
		window.NewCmd(f),
		local.NewCmd(f),
		draincmd.NewCmd(f, nil),
		nodepoolcmd.NewCmd(f),
		controllercmd.NewCmd(f, nil),
		preflightcmd.NewCmd(f, nil),
		fleetcmd.NewCmd(f),
		strategycmd.NewCmd(f),
		runcmd.NewCmd(f),
		gatecmd.NewCmd(f),
		observecmd.NewCmd(f),
		dashboardcmd.NewCmd(f, nil),
		bluegreencmd.NewCmd(f),
		canarycmd.NewCmd(f),
	)
	return cmd
}

// Main runs upshift and returns the process exit code.
func Main() int {
	f := &cmdutil.Factory{IO: cmdutil.System()}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd := NewCmd(f)
	// controller-runtime prints a stack trace when one of its clients is
	// made more than 30 s after start and no logger was set (local up
	// does that); only the controller logs, and sets its own.
	if c, _, err := cmd.Find(os.Args[1:]); err != nil || c.CommandPath() != "upshift controller" {
		ctrl.SetLogger(logr.Discard())
	}
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return cmdutil.ExitOK
	}
	code := cmdutil.ExitCode(err)
	if ctx.Err() != nil && code == cmdutil.ExitFailure {
		code = cmdutil.ExitInterrupted
	}
	var ee *cmdutil.ExitError
	if !errors.As(err, &ee) || ee.Err != nil {
		fmt.Fprintf(f.IO.ErrOut, "error: %v\n", err)
	}
	var fe *cmdutil.FlagError
	if errors.As(err, &fe) {
		fmt.Fprintln(f.IO.ErrOut, "Run 'upshift --help' or add --help to the command for usage.")
	}
	return code
}
