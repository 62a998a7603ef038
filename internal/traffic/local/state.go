package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Files in a data plane's directory.
const (
	LockFileName    = "lock"
	PIDFileName     = "dataplane.pid"
	LogFileName     = "dataplane.log"
	StateFileName   = "state.json"
	WeightsFileName = "weights.json"
)

// State is what a data plane serves, as written to its state file after
// every change.
type State struct {
	PID int `json:"pid"`
	// Gateway is the gateway's URL, e.g. http://127.0.0.1:8080.
	Gateway string `json:"gateway"`
	// Ingresses maps each cluster to its ingress URL.
	Ingresses map[string]string `json:"ingresses"`
	UpdatedAt time.Time         `json:"updatedAt"`
}

func (s State) clone() State {
	s.Ingresses = maps.Clone(s.Ingresses)
	return s
}

// ReadStatus reports whether a data plane runs for dir and, if it does,
// what it serves.
func ReadStatus(dir string) (State, bool, error) {
	if !Running(dir) {
		return State{}, false, nil
	}
	s, err := readState(dir)
	return s, true, err
}

// LastState returns what the last data plane of dir served, running or not
// (its gateway address, to start the next one on the same).
func LastState(dir string) (State, error) { return readState(dir) }

// Running reports whether a data plane holds dir's lock.
func Running(dir string) bool {
	f, err := os.OpenFile(filepath.Join(dir, LockFileName), os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if err == nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return false
	}
	return errors.Is(err, syscall.EWOULDBLOCK)
}

// lockDir takes dir's lock for this process's data plane and writes the
// pid file; the lock goes with the process however it ends, so a crashed
// data plane never blocks the next one.
func lockDir(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, LockFileName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	// Running takes the lock for an instant to test it; a few tries keep
	// such a test from failing a start.
	for try := 0; ; try++ {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil || try == 10 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		f.Close()
		pid, _ := readPID(dir)
		return nil, fmt.Errorf("a data plane (pid %d) already serves this fleet (%s); stop it first, or use the one running", pid, dir)
	}
	pidFile := filepath.Join(dir, PIDFileName)
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(currentPID())+"\n"), 0o644); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		_ = os.Remove(pidFile)
		f.Close()
	}, nil
}

func readPID(dir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dir, PIDFileName))
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

func currentPID() int { return os.Getpid() }

func readState(dir string) (State, error) {
	if dir == "" {
		return State{}, nil
	}
	b, err := os.ReadFile(filepath.Join(dir, StateFileName))
	if errors.Is(err, os.ErrNotExist) {
		return State{}, nil
	}
	if err != nil {
		return State{}, err
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return State{}, fmt.Errorf("data plane state %s: %w", filepath.Join(dir, StateFileName), err)
	}
	return s, nil
}

// writeState replaces the state file atomically, so a reader never sees
// half of it.
func writeState(dir string, s State) error {
	if dir == "" {
		return nil
	}
	s.UpdatedAt = time.Now().UTC()
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, StateFileName)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func trimScheme(u string) string {
	return strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://")
}
