package analysis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"upshift.dev/upshift/api/v1alpha1"
)

// DefaultCommandTimeout bounds one run when the metric sets no timeout.
const DefaultCommandTimeout = 30 * time.Second

// maxCommandOutput caps what a command's stdout and stderr keep each.
const maxCommandOutput = 64 << 10

type commandProvider struct {
	argv    []string
	timeout time.Duration
}

var _ Provider = (*commandProvider)(nil)

func newCommandProvider(m *v1alpha1.CommandMetric, path *field.Path) (Provider, field.ErrorList) {
	var errs field.ErrorList
	if len(m.Command) == 0 || strings.TrimSpace(m.Command[0]) == "" {
		errs = append(errs, field.Required(path.Child("command"), `name the program and its arguments, e.g. ["sh", "-c", "curl -fsS http://my-app/healthz"]`))
	}
	p := &commandProvider{argv: m.Command, timeout: DefaultCommandTimeout}
	if t, err := m.Timeout.Parse(); err != nil {
		errs = append(errs, field.Invalid(path.Child("timeout"), m.Timeout, err.Error()))
	} else if t > 0 {
		p.timeout = t
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return p, nil
}

// Measure runs the command. A non-zero exit code is a result, not an error:
// the conditions (by default `result.exitCode == 0`) judge it. Errors are a
// program that cannot start and the timeout.
func (p *commandProvider) Measure(ctx context.Context, _ time.Time) (Value, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.argv[0], p.argv[1:]...)
	// Kill the whole process group on timeout: `sh -c "sleep 600"` would
	// otherwise leave sleep holding stdout open, and Wait with it.
	killGroupOnCancel(cmd)
	cmd.WaitDelay = 2 * time.Second
	stdout := &capped{max: maxCommandOutput}
	stderr := &capped{max: maxCommandOutput}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return Value{}, fmt.Errorf("command %q did not finish within timeout %s", p.argv[0], p.timeout)
	}
	code := 0
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		return Value{}, fmt.Errorf("command %q could not run: %w; check that it is installed and on PATH", p.argv[0], err)
	}
	out := strings.TrimRight(stdout.String(), " \t\r\n")
	errOut := strings.TrimRight(stderr.String(), " \t\r\n")
	v := Value{Result: map[string]any{"exitCode": code, "stdout": out, "stderr": errOut}}
	v.Text = fmt.Sprintf("exitCode=%d stdout=%q", code, out)
	if len(v.Text) > maxValueText {
		v.Text = v.Text[:maxValueText-len("…")] + "…"
	}
	if code != 0 && errOut != "" {
		v.Warning = "stderr: " + errOut
	}
	return v, nil
}

// capped is a buffer that keeps the first max bytes and drops the rest,
// still reporting them written so that the command does not get EPIPE.
type capped struct {
	buf bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (c *capped) String() string { return c.buf.String() }
