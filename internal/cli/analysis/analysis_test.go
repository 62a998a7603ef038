package analysis

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
)

// jumpClock never waits: After moves time forward at once, so analyses
// with minute-long intervals finish in milliseconds.
type jumpClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *jumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *jumpClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.t = c.t.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.t
	c.mu.Unlock()
	return ch
}

// run runs `upshift analysis run` with args against a file holding spec,
// on a jumping clock, and returns stdout, stderr and the exit code.
func run(t *testing.T, spec string, args ...string) (string, string, int) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "analysis.yaml")
	if err := os.WriteFile(file, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	ios, _, out, errOut := cmdutil.Test()
	f := &cmdutil.Factory{IO: ios}
	cmd := newCmdRun(f, func(ctx context.Context, o *RunOptions) error {
		o.Clock = &jumpClock{t: time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)}
		return runRun(ctx, o)
	})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true // as the root command does
	cmd.SetArgs(append([]string{"-f", file}, args...))
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), cmdutil.ExitCode(err)
}

func TestRunSuccessful(t *testing.T) {
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`{"status": "ok", "errorRate": 0.001}`))
	}))
	t.Cleanup(web.Close)
	spec := `
apiVersion: upshift.dev/v1alpha1
kind: Analysis
metrics:
- name: smoke
  interval: 5m
  count: 3
  successCondition: asFloat(result.stdout) < 0.05
  provider:
    command: {command: ["sh", "-c", "echo 0.01"]}
- name: health
  successCondition: result == "ok"
  provider:
    web: {url: "` + web.URL + `", jsonPath: "{$.status}"}
`
	stdout, stderr, code := run(t, spec)
	if code != cmdutil.ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"smoke #1 Successful", "smoke #3 Successful", "health #1 Successful value=ok", "analysis Successful"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if !strings.Contains(stdout, "METRIC") || !strings.Contains(stdout, "smoke    Successful   3") {
		t.Errorf("stdout:\n%s", stdout)
	}
}

func TestRunFailedExitsWithFindings(t *testing.T) {
	spec := `
metrics:
- name: error-rate
  interval: 30s
  count: 5
  failureLimit: 1
  failureCondition: asFloat(result.stdout) >= 0.05
  provider:
    command: {command: ["sh", "-c", "echo 0.2"]}
`
	stdout, stderr, code := run(t, spec, "-o", "json")
	if code != cmdutil.ExitFindings {
		t.Fatalf("exit %d, want %d\n%s", code, cmdutil.ExitFindings, stderr)
	}
	var st v1alpha1.AnalysisStatus
	if err := json.Unmarshal([]byte(stdout), &st); err != nil {
		t.Fatalf("stdout is not a status: %v\n%s", err, stdout)
	}
	if st.Phase != v1alpha1.AnalysisPhaseFailed || st.MetricResults[0].Failed != 2 {
		t.Fatalf("status %+v", st)
	}
	if !strings.Contains(stderr, `analysis Failed: metric "error-rate" Failed: 2 failed measurements > failureLimit 1`) {
		t.Errorf("stderr does not say why:\n%s", stderr)
	}
}

func TestRunBakeTime(t *testing.T) {
	spec := `
metrics:
- name: bake
  interval: 1m
  provider:
    command: {command: ["true"]}
`
	if _, _, code := run(t, spec); code != cmdutil.ExitFailure {
		t.Fatalf("without --duration: exit %d, want %d", code, cmdutil.ExitFailure)
	}
	stdout, stderr, code := run(t, spec, "--duration", "10m")
	if code != cmdutil.ExitOK || !strings.Contains(stdout, "bake     Successful   10") || !strings.Contains(stdout, "terminated: duration 10m0s elapsed") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

func TestRunBadInput(t *testing.T) {
	tests := []struct {
		name, spec string
		want       string
	}{
		{"unknown field", "metrics:\n- name: x\n  intervall: 1s\n", `unknown field "intervall"`},
		{"bad condition", "metrics:\n- name: x\n  successCondition: 'result[0] <'\n  provider: {command: {command: [\"true\"]}}\n", "metrics[0].successCondition"},
		{"no provider", "metrics:\n- name: x\n", "metrics[0].provider"},
		{"wrong kind", "kind: AnalysisTemplate\nmetrics: []\n", `kind "AnalysisTemplate" is not supported`},
		{"indefinite without duration", "metrics:\n- name: x\n  interval: 1m\n  provider: {command: {command: [\"true\"]}}\n", "give --duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "a.yaml")
			if err := os.WriteFile(file, []byte(tt.spec), 0o644); err != nil {
				t.Fatal(err)
			}
			ios, _, _, _ := cmdutil.Test()
			cmd := newCmdRun(&cmdutil.Factory{IO: ios}, nil)
			cmd.SilenceUsage, cmd.SilenceErrors = true, true
			cmd.SetArgs([]string{"-f", file})
			err := cmd.ExecuteContext(context.Background())
			if code := cmdutil.ExitCode(err); code != cmdutil.ExitFailure {
				t.Fatalf("exit %d (%v), want %d", code, err, cmdutil.ExitFailure)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}
