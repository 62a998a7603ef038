package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// StartDaemon starts cmd, a data plane for dir (`upshift local dataplane`),
// detached from the caller: in a session of its own, so a Ctrl-C in the
// terminal that started it does not reach it, with its output appended to
// dir's log file. It returns once the data plane has written its state,
// that is serves the gateway and an ingress for every cluster it could
// reach. If a data plane already holds dir, nothing is started and
// started is false.
//
// Build cmd with exec.Command, not exec.CommandContext: the data plane
// outlives ctx, which bounds only the wait for it.
func StartDaemon(ctx context.Context, dir string, cmd *exec.Cmd) (st State, started bool, err error) {
	if Running(dir) {
		st, err := readState(dir)
		return st, false, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return State{}, false, err
	}
	logPath := filepath.Join(dir, LogFileName)
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return State{}, false, err
	}
	defer logFile.Close()
	offset, _ := logFile.Seek(0, io.SeekEnd)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return State{}, false, fmt.Errorf("starting the data plane: %w", err)
	}
	pid := cmd.Process.Pid
	exited := make(chan error, 1)
	// Reaps the child if it dies while we wait; once this process exits,
	// the data plane is adopted by init.
	go func() { exited <- cmd.Wait() }()

	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if s, err := readState(dir); err == nil && s.PID == pid {
			return s, true, nil
		}
		select {
		case err := <-exited:
			if Running(dir) { // another start won the race: use that one
				st, rerr := readState(dir)
				return st, false, rerr
			}
			return State{}, false, fmt.Errorf("the data plane exited at start (%v): %s", err, logTail(logPath, offset))
		case <-ctx.Done():
			return State{}, false, fmt.Errorf("waiting for the data plane (pid %d, log %s): %w", pid, logPath, ctx.Err())
		case <-deadline.C:
			return State{}, false, fmt.Errorf("the data plane (pid %d) did not come up within 30s; see %s", pid, logPath)
		case <-tick.C:
		}
	}
}

// StopDaemon stops the data plane that holds dir: SIGTERM, which lets
// requests in flight finish, then SIGKILL if it is still there after 10s.
// stopped is false when none was running. Only the process holding dir's
// lock is signalled, so a stale pid file never hits another process.
func StopDaemon(ctx context.Context, dir string) (stopped bool, err error) {
	if !Running(dir) {
		return false, nil
	}
	pid, err := readPID(dir)
	if err != nil || pid <= 0 {
		return false, fmt.Errorf("a data plane holds %s but its pid file is unreadable (%v); stop it by hand", dir, err)
	}
	for _, step := range []struct {
		sig  syscall.Signal
		wait time.Duration
	}{{syscall.SIGTERM, 10 * time.Second}, {syscall.SIGKILL, 5 * time.Second}} {
		if err := syscall.Kill(pid, step.sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			return false, fmt.Errorf("stopping the data plane (pid %d): %w", pid, err)
		}
		if waitStopped(ctx, dir, step.wait) {
			return true, nil
		}
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
	}
	return false, fmt.Errorf("the data plane (pid %d) did not stop", pid)
}

func waitStopped(ctx context.Context, dir string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if !Running(dir) {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return !Running(dir)
}

// logTail is the last lines the data plane wrote since offset.
func logTail(path string, offset int64) string {
	b, err := os.ReadFile(path)
	if err != nil || int64(len(b)) < offset {
		return "see " + path
	}
	lines := strings.Split(strings.TrimSpace(string(b[offset:])), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	if len(lines) == 1 && lines[0] == "" {
		return "no output; see " + path
	}
	return strings.Join(lines, "\n")
}
