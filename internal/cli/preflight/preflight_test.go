package preflight

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/rest"

	"upshift.dev/upshift/internal/cli/cmdutil"
	"upshift.dev/upshift/internal/localfleet/fleettest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func run(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	ios, in, out, errOut := cmdutil.Test()
	in.WriteString(stdin)
	f := &cmdutil.Factory{IO: ios}
	cmd := NewCmd(f, nil)
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), cmdutil.ExitCode(err)
}

// golden compares got with the golden file name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	cmdutil.Golden(t, filepath.Join("testdata", "golden", name), got, *update)
}

func TestOutputsGolden(t *testing.T) {
	for _, o := range []string{"table", "json", "yaml", "sarif"} {
		t.Run(o, func(t *testing.T) {
			out, _, code := run(t, "", "--target-version", "1.37.2", "-f", "testdata/input", "-o", o)
			if code != cmdutil.ExitFindings {
				t.Errorf("exit %d, want %d", code, cmdutil.ExitFindings)
			}
			golden(t, "report."+o, out)
		})
	}
}

func TestJSONIsTheContract(t *testing.T) {
	out, _, _ := run(t, "", "--target-version", "1.37.2", "-f", "testdata/input", "-o", "json")
	var r struct {
		TargetVersion string `json:"targetVersion"`
		Findings      []struct {
			Check    string            `json:"check"`
			Severity string            `json:"severity"`
			Object   map[string]string `json:"object"`
			Sources  []string          `json:"sources"`
		} `json:"findings"`
		Summary map[string]int `json:"summary"`
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.TargetVersion != "1.37.2" || len(r.Findings) == 0 || r.Summary["errors"] == 0 {
		t.Errorf("%+v", r)
	}
	for _, f := range r.Findings {
		if f.Check == "" || f.Severity == "" || len(f.Sources) == 0 {
			t.Errorf("incomplete finding %+v", f)
		}
	}
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"errors fail by default", []string{"-f", "testdata/input/app.yaml"}, cmdutil.ExitFindings},
		{"errors with --fail-on warning", []string{"-f", "testdata/input/app.yaml", "--fail-on", "warning"}, cmdutil.ExitFindings},
		{"errors with --fail-on never", []string{"-f", "testdata/input/app.yaml", "--fail-on", "never"}, cmdutil.ExitOK},
		{"warnings pass by default", []string{"-f", "testdata/input/warnings.yaml"}, cmdutil.ExitOK},
		{"warnings with --fail-on warning", []string{"-f", "testdata/input/warnings.yaml", "--fail-on", "warning"}, cmdutil.ExitWarnings},
		{"clean", []string{"-f", "testdata/input/clean.yaml", "--fail-on", "warning"}, cmdutil.ExitOK},
		{"missing target", []string{"-f", "testdata/input/clean.yaml", "--target-version", ""}, cmdutil.ExitFailure},
		{"bad target", []string{"-f", "testdata/input/clean.yaml", "--target-version", "one.two"}, cmdutil.ExitFailure},
		{"bad output", []string{"-f", "testdata/input/clean.yaml", "-o", "xml"}, cmdutil.ExitFailure},
		{"bad fail-on", []string{"-f", "testdata/input/clean.yaml", "--fail-on", "info"}, cmdutil.ExitFailure},
		{"bad checks", []string{"-f", "testdata/input/clean.yaml", "--checks", "apis,nope"}, cmdutil.ExitFailure},
		{"missing file", []string{"-f", "testdata/input/nope.yaml"}, cmdutil.ExitFailure},
		{"dry-run without files", []string{"--server-dry-run"}, cmdutil.ExitFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--target-version", "1.37.2"}, tt.args...)
			_, errOut, code := run(t, "", args...)
			if code != tt.want {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.want, errOut)
			}
		})
	}
}

func TestStdinAndChecks(t *testing.T) {
	in, err := os.ReadFile("testdata/input/app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, _, code := run(t, string(in), "--target-version", "1.37.2", "-f", "-", "--checks", "workloads", "-o", "json")
	if code != cmdutil.ExitFindings {
		t.Errorf("exit %d", code)
	}
	if strings.Contains(out, "api-removed") || !strings.Contains(out, `"file:-#3"`) || !strings.Contains(out, "pdb-never-allows-eviction") {
		t.Errorf("got %s", out)
	}
}

func TestClusterOnlyWhenAsked(t *testing.T) {
	called := false
	ios, _, _, _ := cmdutil.Test()
	f := &cmdutil.Factory{IO: ios}
	var got *Options
	cmd := NewCmd(f, func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--target-version", "1.37.2", "-f", "x.yaml"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.UseCluster {
		t.Error("-f alone must not contact the cluster")
	}
	cmd = NewCmd(f, func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--target-version", "1.37.2"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !got.UseCluster {
		t.Error("without -f the cluster is scanned")
	}
	got.RESTConfig = func() (*rest.Config, error) { called = true; return &rest.Config{Host: "http://127.0.0.1:1"}, nil }
	var buf bytes.Buffer
	got.IO.Out = &buf
	if err := Run(context.Background(), got); err == nil || !called {
		t.Errorf("an unreachable cluster must fail: %v", err)
	}
}

// TestServerDryRunFromStdin reads standard input twice (checks, then the
// dry-run against a real kube-apiserver 1.37.2).
func TestServerDryRunFromStdin(t *testing.T) {
	in := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: broken}\nspec:\n  selector: {matchLabels: {app: a}}\n" +
		"  template:\n    metadata: {labels: {app: b}}\n    spec: {containers: [{name: c, image: nginx}]}\n"
	out, errOut, code := run(t, in, "--target-version", "1.37.2", "-f", "-", "--server-dry-run", "--checks", "apis", "-o", "json")
	if code != cmdutil.ExitFindings || !strings.Contains(out, `"server-rejected"`) || !strings.Contains(out, `"file:-#1"`) {
		t.Errorf("exit %d, stdout %s, stderr %s", code, out, errOut)
	}
}

// TestClusterScanThroughTheCommand runs the command against a real local
// cluster, chosen with --kubeconfig and --context.
func TestClusterScanThroughTheCommand(t *testing.T) {
	c := fleettest.Start(t, fleettest.Options{KubernetesVersion: "1.36.3", Nodes: 1, SampleApps: true, FragileApp: true})
	ios, _, out, errOut := cmdutil.Test()
	f := &cmdutil.Factory{IO: ios, Kubeconfig: c.Kubeconfig, Context: c.Context}
	cmd := NewCmd(f, nil)
	cmd.SetArgs([]string{"--target-version", "1.37.2", "-o", "json"})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	code := cmdutil.ExitCode(cmd.ExecuteContext(context.Background()))
	if code != cmdutil.ExitFindings {
		t.Fatalf("exit %d; stderr %s", code, errOut)
	}
	var r struct {
		Findings []struct {
			Check   string            `json:"check"`
			Object  map[string]string `json:"object"`
			Sources []string          `json:"sources"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, fd := range r.Findings {
		if fd.Check == "pdb-never-allows-eviction" && fd.Object["namespace"] == "legacy" && fd.Object["name"] == "ledger" {
			found = true
		}
		if strings.HasPrefix(fd.Check, "version-") || fd.Check == "scan-incomplete" {
			t.Errorf("unexpected %+v", fd)
		}
	}
	if !found {
		t.Errorf("the fragile app's PDB was not reported: %s", out)
	}
	if !strings.Contains(errOut.String(), "scanned") {
		t.Errorf("no progress on stderr: %s", errOut)
	}
}
