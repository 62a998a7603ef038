package main

import (
	"bufio"
	"context"
	_ "embed"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"upshift.dev/upshift/internal/localfleet"
)

// kubectlScript is the manual upgrade, a plain bash script.
//
//go:embed kubectl-upgrade.sh
var kubectlScript string

// runKubectl upgrades the pool with the kubectl script, node by node, and
// counts its requests from kubectl's own -v=6 logs.
func runKubectl(ctx context.Context, fleet *localfleet.Fleet, c *cluster, kubectl string, o options, log io.Writer) result {
	r := result{Method: "kubectl, node by node", Nodes: c.nodes, Pods: c.pods}
	budgets, err := readBudgets(ctx, c.client)
	if err != nil {
		r.Err = err
		return r
	}
	r.Ideal = idealBound(c.nodes, 1, o.delays(), 0, budgets)
	logs, err := os.MkdirTemp(fleet.Dir, "kubectl-logs-")
	if err != nil {
		r.Err = err
		return r
	}
	cmd := exec.CommandContext(ctx, "bash", "-c", kubectlScript)
	cmd.Env = append(os.Environ(),
		"KUBECTL="+kubectl, "KUBECONFIG_FILE="+fleet.KubeconfigPath(), "CONTEXT="+localfleet.ContextName(c.name),
		"POOL="+poolName, "VERSION="+toVersion, "IMAGE="+target().NodeImageVersion,
		fmt.Sprintf("READY_DELAY=%.3f", o.nodeReady.Seconds()), "LOG_DIR="+logs)
	cmd.Stderr = prefixWriter{w: log, prefix: "    kubectl script: "}
	// The script's kubectl children die with it on Ctrl-C.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second

	fmt.Fprintf(log, "  %s: kubectl script (%s), node by node\n", c.name, kubectl)
	watcher := watchPDBs(ctx, c.client)
	start := time.Now()
	err = cmd.Run()
	r.Makespan = time.Since(start)
	r.PDB = watcher.stop()
	counts, breakdown, cerr := countKubectlLogs(logs)
	r.Requests = counts["drain"]
	r.Extra = counts["replace"] + counts["list"]
	fmt.Fprintf(log, "  %s: script ended after %s (err=%v); ideal %s\n", c.name, round(r.Makespan), err, r.Ideal)
	if cerr == nil {
		fmt.Fprintf(log, "    kubectl requests: cordon+drain %d (%.1f/node), replace (patch status, label, uncordon) %d (%.1f/node), node list and discovery %d\n",
			counts["drain"], perNode(counts["drain"], c.nodes), counts["replace"], perNode(counts["replace"], c.nodes), counts["list"])
		breakdown.write(log, c.nodes)
	}
	if err != nil {
		r.Err = fmt.Errorf("kubectl script: %w; last lines of the drain log:\n%s", err, tail(filepath.Join(logs, "drain.log"), 5))
		return r
	}
	if cerr != nil {
		r.Err = cerr
		return r
	}
	r.Verdict = verify(ctx, c.client, c.nodes, target(), 3*time.Minute)
	return r
}

// kubectlRequestRE matches one request in kubectl's -v=6 log, in the
// structured form ("Response" verb="GET" url="..." status="200 OK") and in
// the older one (GET https://... 200 OK in 3 milliseconds).
var kubectlRequestRE = regexp.MustCompile(`verb="([A-Z]+)" url="([^"]+)"[^\n]*status="(\d{3})|\b(GET|POST|PUT|PATCH|DELETE|HEAD) (https?://\S+) (\d{3})\b`)

// countKubectlLogs counts the request lines in each step's log, and breaks
// all of them down by verb and resource.
func countKubectlLogs(dir string) (map[string]int, *requestCounter, error) {
	counts := map[string]int{}
	all := &requestCounter{}
	for _, step := range []string{"list", "drain", "replace"} {
		f, err := os.Open(filepath.Join(dir, step+".log"))
		if err != nil {
			return nil, nil, fmt.Errorf("kubectl log: %w", err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			m := kubectlRequestRE.FindStringSubmatch(sc.Text())
			if m == nil {
				continue
			}
			method, raw := m[1], m[2]
			if method == "" {
				method, raw = m[4], m[5]
			}
			counts[step]++
			if u, err := url.Parse(raw); err == nil {
				all.add(step + ": " + classify(method, u.Path, u.Query().Get("watch") == "true"))
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, nil, err
		}
	}
	if counts["drain"] == 0 {
		return counts, all, fmt.Errorf("no request lines in kubectl's -v=6 logs under %s: has its log format changed?", dir)
	}
	return counts, all, nil
}

// prefixWriter prefixes each write (the script writes whole lines).
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p prefixWriter) Write(b []byte) (int, error) {
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if l != "" {
			fmt.Fprint(p.w, p.prefix+l)
		}
	}
	return len(b), nil
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
