package localfleet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"upshift.dev/upshift/internal/provider"
	"upshift.dev/upshift/internal/toolchain"
	"upshift.dev/upshift/internal/version"
)

// controlPlaneBinaries are the components an upgrade swaps. etcd and kwok
// stay: AKS upgrades its managed etcd separately, and kwok plays the nodes.
var controlPlaneBinaries = []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler"}

// UpgradeControlPlane implements provider.Clusters with a real upgrade: the
// cluster is stopped, its kube-apiserver, kube-controller-manager and
// kube-scheduler links (kwokctl keeps them in the cluster's bin/ folder) are
// pointed at the target version's binaries, and the cluster is started again
// on the same etcd data.
//
// Every step is derived from what is on disk and what the API server
// answers, so running it again after a kill -9 finishes the job: links
// already at the target mean only a start is missing.
func (f *Fleet) UpgradeControlPlane(ctx context.Context, name, target string) error {
	if !f.Exists(name) {
		return fmt.Errorf("local cluster %q: %w (see 'upshift local status')", name, provider.ErrNotFound)
	}
	to, err := version.Parse(target)
	if err != nil {
		return err
	}
	if !toolchain.Supported(to.String()) {
		return fmt.Errorf("Kubernetes version %s is not supported by the local fleet; use one of: %s", to, strings.Join(toolchain.KubernetesVersions, ", "))
	}
	linked, err := f.linkedVersion(name)
	if err != nil {
		return err
	}
	c, running := f.GetCluster(ctx, name)
	if running == nil && c.KubernetesVersion == to.String() {
		return nil
	}
	if linked != to.String() {
		from, err := version.Parse(linked)
		if err != nil {
			return err
		}
		if err := version.CheckControlPlaneUpgrade(from, to, false); err != nil {
			return err
		}
		if err := f.checkNodesAllow(ctx, name, to); err != nil {
			return err
		}
		bins, err := f.Toolchain.Lookup(to.String())
		if err != nil {
			return err
		}
		if _, err := f.kwokctl(ctx, "stop", "cluster", "--name", name); err != nil {
			return err
		}
		if err := f.relink(name, bins); err != nil {
			// Put the old binaries back so the cluster is not left stopped
			// on a mix of versions.
			if old, lerr := f.Toolchain.Lookup(from.String()); lerr == nil {
				_ = f.relink(name, old)
			}
			_, _ = f.kwokctl(context.WithoutCancel(ctx), "start", "cluster", "--name", name)
			return fmt.Errorf("failed to switch binaries; the cluster was restarted at %s: %w", from, err)
		}
	} else if running == nil {
		// Links at the target but the old server still answers: a previous
		// run died between relinking and stopping.
		if _, err := f.kwokctl(ctx, "stop", "cluster", "--name", name); err != nil {
			return err
		}
	}
	if _, err := f.kwokctl(ctx, "start", "cluster", "--name", name); err != nil {
		return fmt.Errorf("cluster %q is stopped with %s binaries and did not start: %w; run the same command again to retry", name, to, err)
	}
	// Health first: it restarts a component that died at start (a port
	// taken in the restart window, a loaded machine) before the version is
	// asked of an API server that may not be there.
	if err := f.waitHealthy(ctx, name, 2*time.Minute); err != nil {
		return fmt.Errorf("cluster %q did not come back healthy on %s: %w; run the same command again to retry", name, to, err)
	}
	return f.waitVersion(ctx, name, to.String(), 2*time.Minute)
}

// checkNodesAllow refuses a control-plane version that would leave nodes
// more than the kubelet skew policy allows behind. Nodes newer than the
// current control plane cannot exist, so only the lower bound matters.
func (f *Fleet) checkNodesAllow(ctx context.Context, name string, to version.Version) error {
	pools, err := f.ListNodePools(ctx, name)
	if err != nil {
		return nil // the cluster may be stopped; nodes are checked when it runs
	}
	for _, p := range pools {
		v, err := version.Parse(p.CurrentOrchestratorVersion)
		if err != nil {
			continue
		}
		if err := version.CheckNodeSkew(to, v); err != nil {
			return fmt.Errorf("node pool %q: %w", p.Name, err)
		}
	}
	return nil
}

// linkedVersion reads which toolchain version the cluster's kube-apiserver
// link points at.
func (f *Fleet) linkedVersion(name string) (string, error) {
	link := filepath.Join(f.clusterDir(name), "bin", "kube-apiserver")
	dest, err := os.Readlink(link)
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %w", link, err)
	}
	dir := filepath.Base(filepath.Dir(filepath.Dir(dest))) // .../kubernetes-v1.37.2/bin/kube-apiserver
	v, ok := strings.CutPrefix(dir, "kubernetes-v")
	if !ok {
		return "", fmt.Errorf("%s points at %s, which is not an upshift toolchain binary", link, dest)
	}
	return v, nil
}

// relink atomically repoints each control-plane link: a new link is made
// beside the old one and renamed over it.
func (f *Fleet) relink(name string, bins toolchain.Binaries) error {
	targets := map[string]string{
		"kube-apiserver":          bins.KubeApiserver,
		"kube-controller-manager": bins.KubeControllerManager,
		"kube-scheduler":          bins.KubeScheduler,
	}
	for _, b := range controlPlaneBinaries {
		link := filepath.Join(f.clusterDir(name), "bin", b)
		tmp := link + ".upshift-new"
		_ = os.Remove(tmp)
		if err := os.Symlink(targets[b], tmp); err != nil {
			return err
		}
		if err := os.Rename(tmp, link); err != nil {
			return err
		}
	}
	return nil
}

func (f *Fleet) waitVersion(ctx context.Context, name, want string, timeout time.Duration) error {
	var last string
	var lastErr error
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		c, err := f.GetCluster(ctx, name)
		last, lastErr = c.KubernetesVersion, err
		return err == nil && c.KubernetesVersion == want, nil
	})
	if err != nil {
		return fmt.Errorf("cluster %q did not come back at %s (last seen %q): %w", name, want, last, errors.Join(err, lastErr))
	}
	return nil
}
