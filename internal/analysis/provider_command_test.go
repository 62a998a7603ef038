package analysis

import (
	"strings"
	"testing"

	"upshift.dev/upshift/api/v1alpha1"
)

func TestCommandProvider(t *testing.T) {
	tests := []struct {
		name    string
		command []string
		timeout v1alpha1.Duration
		success string
		want    v1alpha1.AnalysisPhase
		value   string
		message string
	}{
		{"exit 0", []string{"sh", "-c", "echo ready"}, "", "", v1alpha1.AnalysisPhaseSuccessful, `exitCode=0 stdout="ready"`, ""},
		{"exit 3", []string{"sh", "-c", "echo not ready >&2; exit 3"}, "", "", v1alpha1.AnalysisPhaseFailed, "exitCode=3", "stderr: not ready"},
		{"stdout as a number", []string{"sh", "-c", "echo 0.02"}, "", "result.exitCode == 0 && asFloat(result.stdout) < 0.05", v1alpha1.AnalysisPhaseSuccessful, `stdout="0.02"`, ""},
		{"exit code judged by a condition", []string{"sh", "-c", "exit 2"}, "", "result.exitCode == 2", v1alpha1.AnalysisPhaseSuccessful, "exitCode=2", ""},
		{"timeout kills the process group", []string{"sh", "-c", "sleep 30; echo late"}, "300ms", "", v1alpha1.AnalysisPhaseError, "", "did not finish within timeout 300ms"},
		{"not installed", []string{"/nonexistent/check"}, "", "", v1alpha1.AnalysisPhaseError, "", "could not run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := v1alpha1.Metric{Name: "cmd", SuccessCondition: tt.success,
				Provider: v1alpha1.MetricProvider{Command: &v1alpha1.CommandMetric{Command: tt.command, Timeout: tt.timeout}}}
			got := measureOnce(t, m)
			if got.Phase != tt.want || !strings.Contains(got.Value, tt.value) || !strings.Contains(got.Message, tt.message) {
				t.Fatalf("got %s value %q message %q; want %s value ~%q message ~%q", got.Phase, got.Value, got.Message, tt.want, tt.value, tt.message)
			}
		})
	}
}
