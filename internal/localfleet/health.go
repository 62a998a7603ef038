package localfleet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"sigs.k8s.io/yaml"
)

// DeadComponents lists the cluster's components whose process is gone.
// kwokctl starts them detached, so nothing restarts them by itself.
func (f *Fleet) DeadComponents(name string) []string {
	pids, _ := filepath.Glob(filepath.Join(f.clusterDir(name), "pids", "*.pid"))
	var dead []string
	for _, p := range pids {
		b, err := os.ReadFile(p)
		pid, perr := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || perr != nil || !running(pid) {
			dead = append(dead, strings.TrimSuffix(filepath.Base(p), ".pid"))
		}
	}
	sort.Strings(dead)
	return dead
}

// running reports whether pid is a live process. A killed process whose
// parent does not reap it (kwokctl's children are reparented, and a
// container's init may not reap) stays a zombie that signal 0 still
// reaches, so /proc decides.
func running(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true // no /proc: signal 0 is all there is
	}
	// The state follows the command, which may hold spaces and parentheses.
	rest := stat[bytes.LastIndexByte(stat, ')')+1:]
	fields := strings.Fields(string(rest))
	return len(fields) == 0 || (fields[0] != "Z" && fields[0] != "X")
}

// Start starts again the components of an existing cluster that are not
// running (after a reboot, a crash or a kill -9), with the data and ports
// they had, and waits until the cluster is healthy. It returns the
// components it started; none when all were running.
func (f *Fleet) Start(ctx context.Context, name string) ([]string, error) {
	if !f.Exists(name) {
		return nil, fmt.Errorf("cluster %q does not exist; create it with 'upshift local up --clusters %s'", name, name)
	}
	dead := f.DeadComponents(name)
	if err := f.waitHealthy(ctx, name, 2*time.Minute); err != nil {
		return dead, err
	}
	return dead, nil
}

// waitHealthy waits until every component runs and the kwok controller
// answers its /healthz (it serves only after it has reached the API server,
// which it gives up on after about 30 seconds on a loaded machine).
// Components that died are started again, a few times at most.
func (f *Fleet) waitHealthy(ctx context.Context, name string, timeout time.Duration) error {
	port, err := f.kwokPort(name)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 2 * time.Second}
	restarts := 0
	for {
		if dead := f.DeadComponents(name); len(dead) > 0 {
			if restarts >= 5 {
				return fmt.Errorf("components %s of cluster %q keep dying; see the logs in %s", strings.Join(dead, ", "), name, filepath.Join(f.clusterDir(name), "logs"))
			}
			restarts++
			// kwokctl takes a pid that signal 0 reaches for a running
			// component and waits minutes for it to stop; a zombie (whose
			// parent does not reap it) never does. Its pid file goes first.
			for _, c := range dead {
				_ = os.Remove(filepath.Join(f.clusterDir(name), "pids", c+".pid"))
			}
			if _, err := f.kwokctl(ctx, "start", "cluster", "--name", name); err != nil {
				return fmt.Errorf("failed to restart %s: %w", strings.Join(dead, ", "), err)
			}
		} else if resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", port)); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster %q is not healthy after %s: the kwok controller does not answer on port %d (see %s)", name, timeout, port, filepath.Join(f.clusterDir(name), "logs", "kwok-controller.log"))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// kwokPort reads the kwok controller's port from kwokctl's saved config.
func (f *Fleet) kwokPort(name string) (int, error) {
	b, err := os.ReadFile(filepath.Join(f.clusterDir(name), "kwok.yaml"))
	if err != nil {
		return 0, err
	}
	for _, doc := range strings.Split(string(b), "\n---") {
		var cfg struct {
			Kind    string
			Options struct {
				KwokControllerPort int `json:"kwokControllerPort"`
			}
		}
		if yaml.Unmarshal([]byte(doc), &cfg) == nil && cfg.Kind == "KwokctlConfiguration" && cfg.Options.KwokControllerPort != 0 {
			return cfg.Options.KwokControllerPort, nil
		}
	}
	return 0, errors.New("kwokctl's configuration of cluster " + name + " has no kwok controller port")
}
