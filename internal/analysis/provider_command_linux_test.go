//go:build linux

package analysis

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"upshift.dev/upshift/api/v1alpha1"
)

// A timed-out command's children die with it: the whole process group is
// killed, not only the shell.
func TestCommandTimeoutKillsChildren(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	m := v1alpha1.Metric{Name: "cmd", Provider: v1alpha1.MetricProvider{Command: &v1alpha1.CommandMetric{
		Command: []string{"sh", "-c", "sleep 60 & echo $! > " + pidFile + "; wait"},
		Timeout: "500ms",
	}}}
	if got := measureOnce(t, m); got.Phase != v1alpha1.AnalysisPhaseError {
		t.Fatalf("phase %s: %s", got.Phase, got.Message)
	}
	pid, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	stat := filepath.Join("/proc", strings.TrimSpace(string(pid)), "stat")
	// SIGKILL is delivered at once; the wait is only for the kernel to
	// mark the process dead (gone, or a zombie nobody reaped yet).
	for i := 0; ; i++ {
		b, err := os.ReadFile(stat)
		if err != nil || strings.Contains(string(b), ") Z ") {
			return
		}
		if i == 100 {
			t.Fatalf("the child sleep outlived the timeout: %s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
