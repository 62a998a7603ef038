package analysis

import (
	"fmt"
	"strconv"

	"upshift.dev/upshift/api/v1alpha1"
	engine "upshift.dev/upshift/internal/analysis"
	"upshift.dev/upshift/internal/cli/cmdutil"
)

// progress prints one line per measurement, and one when a metric or the
// analysis reaches a verdict. Every line is kept (no live rewriting): an
// analysis is a log people read back.
func progress(p *cmdutil.Progress, s *v1alpha1.AnalysisStatus, r engine.Result) {
	for _, t := range r.Measurements {
		res := result(s, t.Metric)
		if res == nil {
			continue
		}
		m := t.Measurement
		line := fmt.Sprintf("%s #%d %s", t.Metric, res.Count+res.Error, m.Phase)
		if m.Value != "" {
			line += " value=" + m.Value
		}
		line += fmt.Sprintf(" (successful %d, failed %d, inconclusive %d, errors %d)", res.Successful, res.Failed, res.Inconclusive, res.Error)
		if m.Message != "" {
			line += ": " + m.Message
		}
		p.Println("%s", line)
		if res.Phase.Completed() {
			p.Println("%s %s: %s", t.Metric, res.Phase, res.Message)
		}
	}
	if s.Phase.Completed() {
		p.Println("analysis %s: %s", s.Phase, s.Message)
	}
}

func result(s *v1alpha1.AnalysisStatus, name string) *v1alpha1.MetricResult {
	for i := range s.MetricResults {
		if s.MetricResults[i].Name == name {
			return &s.MetricResults[i]
		}
	}
	return nil
}

func printStatus(opts *RunOptions, s *v1alpha1.AnalysisStatus) error {
	if opts.Output != cmdutil.OutputTable {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Output, s)
	}
	t := cmdutil.NewTable(opts.IO, "METRIC", "PHASE", "COUNT", "SUCCESSFUL", "FAILED", "INCONCLUSIVE", "ERRORS", "LAST VALUE", "MESSAGE")
	for _, r := range s.MetricResults {
		last := ""
		if n := len(r.Measurements); n > 0 {
			last = r.Measurements[n-1].Value
		}
		t.Row(r.Name, string(r.Phase), itoa(r.Count), itoa(r.Successful), itoa(r.Failed), itoa(r.Inconclusive), itoa(r.Error), last, r.Message)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(opts.IO.Out, "analysis %s: %s\n", s.Phase, s.Message)
	return err
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }
