package analysis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/utils/clock"
	"sigs.k8s.io/yaml"

	"upshift.dev/upshift/api/v1alpha1"
	engine "upshift.dev/upshift/internal/analysis"
	"upshift.dev/upshift/internal/cli/cmdutil"
)

// NewCmd returns the analysis command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "analysis",
		Short: "Run metric analyses (Prometheus, HTTP, commands) with Argo Rollouts semantics",
	}
	cmd.AddCommand(newCmdRun(f, nil))
	return cmd
}

// RunOptions are the inputs of `upshift analysis run`.
type RunOptions struct {
	IO     *cmdutil.IOStreams
	File   string
	Output string
	// Duration is the bake time for metrics without a count.
	Duration time.Duration
	// Clock paces the measurements; real time when nil.
	Clock engine.WaitClock
}

const runLong = `Measure the metrics of an analysis file until the analysis has a verdict,
printing each measurement on stderr and the final status on stdout.

The file holds the metrics as update-run Validation gates and canary steps
write them (the fields of Argo Rollouts' AnalysisTemplate):

  apiVersion: upshift.dev/v1alpha1   # optional
  kind: Analysis                     # optional
  metrics:
  - name: error-rate
    interval: 30s
    count: 10
    failureLimit: 1
    successCondition: default(first(result), 0) < 0.05
    provider:
      prometheus:
        address: http://prometheus.monitoring:9090
        query: sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))
  - name: health
    provider:
      web: {url: "http://shop.prod/healthz", jsonPath: "{$.status}"}
    successCondition: result == "ok"
  - name: smoke
    provider:
      command: {command: ["sh", "-c", "./smoke-test.sh"], timeout: 2m}

An empty Prometheus result or NaN makes a measurement Inconclusive unless the
condition tests for it (len(result), isNaN(), default()). A metric with an
interval and no count measures until --duration has passed.

Exit codes: 0 Successful; 3 Failed, Error or Inconclusive; 1 bad input;
130 interrupted.`

func newCmdRun(f *cmdutil.Factory, runF func(context.Context, *RunOptions) error) *cobra.Command {
	opts := &RunOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:     "run -f FILE",
		Short:   "Measure the metrics of an analysis file until a verdict",
		Long:    runLong,
		Example: "  upshift analysis run -f analysis.yaml\n  upshift analysis run -f bake.yaml --duration 10m -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.ValidateOutput(opts.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML); err != nil {
				return err
			}
			if opts.File == "" {
				return cmdutil.FlagErrorf("-f is required: give the analysis file, or - for stdin")
			}
			if opts.Duration < 0 {
				return cmdutil.FlagErrorf("--duration %s is negative; give a bake time such as 10m", opts.Duration)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.File, "filename", "f", "", "Analysis file (YAML or JSON), - for stdin")
	cmd.Flags().DurationVar(&opts.Duration, "duration", 0, "Bake time: stop after this long; metrics without a count then end Successful unless a limit was crossed")
	cmdutil.AddOutputFlag(cmd, &opts.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML)
	return cmd
}

// File is what -f holds: an AnalysisSpec, optionally typed.
type File struct {
	APIVersion            string `json:"apiVersion,omitempty"`
	Kind                  string `json:"kind,omitempty"`
	v1alpha1.AnalysisSpec `json:",inline"`
}

func readSpec(opts *RunOptions) (v1alpha1.AnalysisSpec, error) {
	var data []byte
	var err error
	if opts.File == "-" {
		data, err = io.ReadAll(opts.IO.In)
	} else {
		data, err = os.ReadFile(opts.File)
	}
	if err != nil {
		return v1alpha1.AnalysisSpec{}, fmt.Errorf("cannot read the analysis file: %w", err)
	}
	var file File
	if err := yaml.UnmarshalStrict(data, &file); err != nil {
		return v1alpha1.AnalysisSpec{}, fmt.Errorf("analysis file %s: %w (see 'upshift analysis run --help' for the format)", opts.File, err)
	}
	if file.APIVersion != "" && file.APIVersion != v1alpha1.GroupVersion.String() {
		return v1alpha1.AnalysisSpec{}, fmt.Errorf("analysis file %s: apiVersion %q is not supported; use %s or leave it out", opts.File, file.APIVersion, v1alpha1.GroupVersion)
	}
	if file.Kind != "" && file.Kind != "Analysis" {
		return v1alpha1.AnalysisSpec{}, fmt.Errorf("analysis file %s: kind %q is not supported; use Analysis or leave it out", opts.File, file.Kind)
	}
	return file.AnalysisSpec, nil
}

func runRun(ctx context.Context, opts *RunOptions) error {
	spec, err := readSpec(opts)
	if err != nil {
		return err
	}
	e, err := engine.New(spec, engine.Options{})
	if err != nil {
		return fmt.Errorf("analysis file %s: %w", opts.File, err)
	}
	if opts.Duration == 0 {
		for _, m := range spec.Metrics {
			if m.Count == nil && m.Interval != "" {
				return cmdutil.FlagErrorf("metric %q has an interval and no count, so it measures until stopped: give --duration (a bake time, e.g. --duration 10m) or set its count", m.Name)
			}
		}
	}
	clk := opts.Clock
	if clk == nil {
		clk = clock.RealClock{}
	}
	p := &cmdutil.Progress{IO: opts.IO}
	var status v1alpha1.AnalysisStatus
	runErr := e.Run(ctx, &status, engine.RunOptions{
		Clock:    clk,
		Duration: opts.Duration,
		OnUpdate: func(s *v1alpha1.AnalysisStatus, r engine.Result) { progress(p, s, r) },
	})
	p.Done()
	if err := printStatus(opts, &status); err != nil {
		return err
	}
	if runErr != nil {
		if errors.Is(runErr, context.Canceled) {
			return fmt.Errorf("analysis interrupted with phase %s: %w", status.Phase, runErr)
		}
		return runErr
	}
	if status.Phase != v1alpha1.AnalysisPhaseSuccessful {
		// The verdict and its reason are on stderr and stdout already.
		return cmdutil.SilentExit(cmdutil.ExitFindings)
	}
	return nil
}
