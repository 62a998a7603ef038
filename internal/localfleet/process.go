package localfleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Process is a background process the local fleet runs besides its
// clusters (the fleet's controller): started detached, in a session of its
// own so Ctrl-C in the terminal that started it does not reach it, with its
// pid and output under Dir.
type Process struct {
	Dir string
	// Marker is a string the process's command line must contain for a pid
	// file to count as this process (a stale pid may belong to another).
	Marker string
}

// ProcessState is what a Process records when it starts.
type ProcessState struct {
	PID  int               `json:"pid"`
	Args []string          `json:"args"`
	Info map[string]string `json:"info,omitempty"`
}

func (p Process) statePath() string { return filepath.Join(p.Dir, "process.json") }

// LogPath is where the process writes its output.
func (p Process) LogPath() string { return filepath.Join(p.Dir, "log") }

// State returns the recorded state and whether the process runs.
func (p Process) State() (ProcessState, bool) {
	var st ProcessState
	b, err := os.ReadFile(p.statePath())
	if err != nil || json.Unmarshal(b, &st) != nil || st.PID <= 0 {
		return st, false
	}
	if syscall.Kill(st.PID, 0) != nil {
		return st, false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", st.PID))
	if err != nil || !strings.Contains(string(cmdline), p.Marker) {
		return st, false
	}
	return st, true
}

// Start runs name with args detached unless it already runs; info is
// recorded with it (addresses it serves). It fails if the process exits
// within its first second, with the end of its log.
func (p Process) Start(name string, args []string, info map[string]string) (ProcessState, error) {
	if st, ok := p.State(); ok {
		return st, nil
	}
	if err := os.MkdirAll(p.Dir, 0o755); err != nil {
		return ProcessState{}, err
	}
	log, err := os.OpenFile(p.LogPath(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return ProcessState{}, err
	}
	defer log.Close()
	cmd := exec.Command(name, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return ProcessState{}, fmt.Errorf("failed to start %s: %w", filepath.Base(name), err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	st := ProcessState{PID: cmd.Process.Pid, Args: append([]string{name}, args...), Info: info}
	b, _ := json.Marshal(st)
	if err := os.WriteFile(p.statePath(), b, 0o644); err != nil {
		_ = cmd.Process.Kill()
		return ProcessState{}, err
	}
	select {
	case err := <-exited:
		tail, _ := os.ReadFile(p.LogPath())
		lines := strings.Split(strings.TrimSpace(string(tail)), "\n")
		return ProcessState{}, fmt.Errorf("%s exited at start (%v): %s", filepath.Base(name), err, strings.Join(lines[max(0, len(lines)-3):], " | "))
	case <-time.After(time.Second):
	}
	return st, nil
}

// Stop ends the process: SIGTERM, then SIGKILL after 10 seconds. It is not
// an error if it does not run.
func (p Process) Stop(ctx context.Context) error {
	st, ok := p.State()
	if !ok {
		_ = os.Remove(p.statePath())
		return nil
	}
	for _, step := range []struct {
		sig  syscall.Signal
		wait time.Duration
	}{{syscall.SIGTERM, 10 * time.Second}, {syscall.SIGKILL, 5 * time.Second}} {
		if err := syscall.Kill(st.PID, step.sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			return err
		}
		deadline := time.Now().Add(step.wait)
		for time.Now().Before(deadline) {
			if _, running := p.State(); !running {
				_ = os.Remove(p.statePath())
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return fmt.Errorf("process %d did not stop", st.PID)
}

// ControllerProcess is the local fleet's update-run controller.
func (f *Fleet) ControllerProcess() Process {
	return Process{Dir: filepath.Join(f.dir(), "controller"), Marker: "controller"}
}
