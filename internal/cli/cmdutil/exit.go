package cmdutil

import (
	"context"
	"errors"
	"fmt"
)

// Exit codes, the same for every command. Documented in `upshift --help`.
const (
	ExitOK = 0
	// ExitError: the command failed (bad input, unreachable cluster, a
	// failed operation).
	ExitFailure = 1
	// ExitWarnings: a check found warnings and --fail-on warning was given.
	ExitWarnings = 2
	// ExitFindings: a check found errors (preflight), or an operation was
	// refused or stopped by what it checks (a PDB that blocks a drain, a
	// failed gate or analysis).
	ExitFindings = 3
	// ExitInterrupted: stopped by a signal; the operation can be resumed by
	// running the same command again.
	ExitInterrupted = 130
)

// ExitCodes is the help text that lists the exit codes.
const ExitCodes = `Exit codes:
  0    success
  1    failure: bad input, unreachable cluster, a failed operation
  2    warnings found (only with --fail-on warning)
  3    errors found, or the operation was blocked by what it checks
       (a PDB, a gate, an analysis); the message names what blocked it
  130  interrupted; run the same command again to resume`

// ExitError carries an exit code through cobra's error return.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// WithExitCode wraps err so that the process exits with code.
func WithExitCode(code int, err error) error { return &ExitError{Code: code, Err: err} }

// SilentExit exits with code without printing anything more; for commands
// whose output already said why (a preflight report with errors).
func SilentExit(code int) error { return &ExitError{Code: code} }

// ExitCode maps an error to the process exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	if errors.Is(err, context.Canceled) {
		return ExitInterrupted
	}
	return ExitFailure
}
