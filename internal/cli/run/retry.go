package run

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
	fleetcmd "upshift.dev/upshift/internal/cli/fleet"
)

// RetryOptions are the inputs of `upshift run retry`.
type RetryOptions struct {
	IO              *cmdutil.IOStreams
	Client          func() (client.Client, error)
	Namespace, Name string
	Member          string
}

func newCmdRetry(f *cmdutil.Factory, runF func(*RetryOptions) error) *cobra.Command {
	opts := &RetryOptions{IO: f.IO, Client: fleetcmd.Client(f)}
	cmd := &cobra.Command{
		Use:   "retry NAME --member M",
		Short: "Give a failed member another attempt",
		Long: `Ask for another attempt at a Failed member: the run records the attempt number
(the member's last attempt + 1) in spec.retries, and the controller upgrades
the member again. A run that had failed because of it resumes.`,
		Example: "  upshift run retry to-1.37 --member prod-eu-3",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if opts.Member == "" {
				return cmdutil.FlagErrorf("--member is required")
			}
			if runF != nil {
				return runF(opts)
			}
			return retryRun(cmd.Context(), opts)
		},
	}
	fleetcmd.AddNamespaceFlag(cmd, &opts.Namespace)
	cmd.Flags().StringVar(&opts.Member, "member", "", "Failed member to retry (required)")
	return cmd
}

func retryRun(ctx context.Context, opts *RetryOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var attempt int32
	_, wrote, err := edit(ctx, c, opts.Namespace, opts.Name, fmt.Sprintf("retry member %q in update run %q", opts.Member, opts.Name), func(run *v1alpha1.UpdateRun) error {
		m := findMember(run, opts.Member)
		if m == nil {
			if len(run.Status.Stages) == 0 {
				return fmt.Errorf("update run %q has not started; there is nothing to retry", opts.Name)
			}
			return fmt.Errorf("update run %q has no member %q; its members: %s", opts.Name, opts.Member, strings.Join(memberNames(run), ", "))
		}
		attempt = m.Attempt + 1
		for _, r := range run.Spec.Retries {
			if r.Member == opts.Member && r.Attempt >= attempt {
				attempt = r.Attempt
				return errNoChange{} // asked already; the controller has not acted yet
			}
		}
		if m.State != v1alpha1.StateFailed {
			return fmt.Errorf("member %q of update run %q is %s, not Failed; only failed members can be retried", opts.Member, opts.Name, m.State)
		}
		run.Spec.Retries = append(run.Spec.Retries, v1alpha1.MemberRetry{Member: opts.Member, Attempt: attempt})
		return nil
	})
	if err != nil {
		return err
	}
	if !wrote {
		fmt.Fprintf(opts.IO.Out, "Attempt %d of member %q was already requested in update run %q\n", attempt, opts.Member, opts.Name)
		return nil
	}
	fmt.Fprintf(opts.IO.Out, "Retrying member %q of update run %q (attempt %d); follow it with 'upshift run status %s -w%s'\n", opts.Member, opts.Name, attempt, opts.Name, nsFlag(opts.Namespace))
	return nil
}
