package localfleet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"upshift.dev/upshift/internal/provider"
	"upshift.dev/upshift/internal/toolchain"
)

// Fleet is the set of local clusters under one state directory. Everything
// about a cluster is read back from kwokctl's work directory and from the
// cluster itself, so any number of upshift processes can share a Fleet.
type Fleet struct {
	// Dir is the state directory; DefaultDir() when empty.
	Dir string
	// Toolchain is where the binaries are cached.
	Toolchain toolchain.Cache
}

var (
	_ provider.Clusters  = (*Fleet)(nil)
	_ provider.NodePools = (*Fleet)(nil)
	_ provider.Machines  = (*Fleet)(nil)
)

// DefaultDir is $UPSHIFT_LOCAL_DIR, else
// ${XDG_STATE_HOME:-$HOME/.local/state}/upshift/local.
func DefaultDir() string {
	if d := os.Getenv("UPSHIFT_LOCAL_DIR"); d != "" {
		return d
	}
	base := os.Getenv("XDG_STATE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = os.TempDir()
		}
		base = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(base, "upshift", "local")
}

func (f *Fleet) dir() string {
	if f.Dir != "" {
		return f.Dir
	}
	return DefaultDir()
}

// KubeconfigPath is the file holding one context per cluster,
// upshift-<cluster>.
func (f *Fleet) KubeconfigPath() string { return filepath.Join(f.dir(), "kubeconfig") }

// ContextName is the kubeconfig context of a cluster.
func ContextName(cluster string) string { return "upshift-" + cluster }

func (f *Fleet) kwokDir() string { return filepath.Join(f.dir(), "kwok") }

func (f *Fleet) clusterDir(name string) string {
	return filepath.Join(f.kwokDir(), "clusters", name)
}

// Names lists the clusters that exist (running or not), sorted.
func (f *Fleet) Names() ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(f.kwokDir(), "clusters"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			if _, err := os.Stat(filepath.Join(f.clusterDir(e.Name()), "kwok.yaml")); err == nil {
				names = append(names, e.Name())
			}
		}
	}
	sort.Strings(names)
	return names, nil
}

// Exists reports whether a cluster of that name exists.
func (f *Fleet) Exists(name string) bool {
	_, err := os.Stat(filepath.Join(f.clusterDir(name), "kwok.yaml"))
	return err == nil
}

var clusterNameRE = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$`)

// ValidateName checks a cluster name: a DNS label of at most 20 characters,
// since it becomes a context name, a directory and part of node names.
func ValidateName(name string) error {
	if !clusterNameRE.MatchString(name) {
		return fmt.Errorf("invalid cluster name %q: use 1-20 lowercase letters, digits and '-', starting with a letter (for example dev)", name)
	}
	return nil
}

// kwokctl runs kwokctl against the fleet's work directory.
func (f *Fleet) kwokctl(ctx context.Context, args ...string) ([]byte, error) {
	kwokctl, err := f.kwokctlPath()
	if err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, kwokctl, args...)
	cmd.Env = append(os.Environ(), "KWOK_WORKDIR="+f.kwokDir())
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return stdout.Bytes(), fmt.Errorf("kwokctl %s: interrupted: %w", kwokctlVerb(args), ctx.Err())
		}
		return stdout.Bytes(), fmt.Errorf("kwokctl %s: %w: %s", kwokctlVerb(args), err, kwokctlError(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// kwokctlError distils kwokctl's structured log into what went wrong: the
// error and warning records, else the last message.
func kwokctlError(log string) string {
	var keep []string
	last := ""
	for _, l := range strings.Split(strings.TrimSpace(log), "\n") {
		var rec struct{ Level, Msg, Err string }
		if json.Unmarshal([]byte(l), &rec) != nil {
			if l = strings.TrimSpace(l); l != "" {
				last = l
			}
			continue
		}
		msg := rec.Msg
		if rec.Err != "" {
			msg += ": " + rec.Err
		}
		last = msg
		if rec.Level == "ERROR" || rec.Level == "WARN" {
			keep = append(keep, msg)
		}
	}
	if len(keep) == 0 {
		return last
	}
	return strings.Join(keep[max(0, len(keep)-3):], "; ")
}

// kwokctlVerb is "create cluster" for "--config F create cluster --name x".
func kwokctlVerb(args []string) string {
	for i, a := range args {
		if a == "--config" {
			args = append(append([]string(nil), args[:i]...), args[i+2:]...)
			break
		}
	}
	return strings.Join(args[:min(len(args), 2)], " ")
}

func (f *Fleet) kwokctlPath() (string, error) {
	k := toolchain.Kwok()
	for _, e := range f.Toolchain.Status([]toolchain.Component{k}) {
		if e.Built {
			return filepath.Join(e.Dir, "bin", "kwokctl"), nil
		}
	}
	return "", fmt.Errorf("kwokctl is not built; run 'upshift toolchain build' (or 'make toolchain')")
}

// RESTConfig returns the REST config of a cluster from the fleet kubeconfig.
func (f *Fleet) RESTConfig(cluster string) (*rest.Config, error) {
	if !f.Exists(cluster) {
		return nil, fmt.Errorf("local cluster %q: %w (see 'upshift local status')", cluster, provider.ErrNotFound)
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: f.KubeconfigPath()},
		&clientcmd.ConfigOverrides{CurrentContext: ContextName(cluster)}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("local cluster %q has no usable kubeconfig context: %w", cluster, err)
	}
	cfg.QPS, cfg.Burst = 200, 400
	cfg.UserAgent = "upshift"
	return cfg, nil
}

// Client returns a clientset for a cluster.
func (f *Fleet) Client(cluster string) (kubernetes.Interface, error) {
	cfg, err := f.RESTConfig(cluster)
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(cfg)
}
