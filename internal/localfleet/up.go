package localfleet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"upshift.dev/upshift/internal/provider"
	"upshift.dev/upshift/internal/toolchain"
	"upshift.dev/upshift/internal/version"
)

// ClusterSpec describes a local cluster to create.
type ClusterSpec struct {
	Name              string
	KubernetesVersion string
	// Pools are created as kwok nodes. A hub usually has only a system pool.
	Pools  []provider.NodePool
	Delays Delays
	// SampleApps installs the sample shop and add-ons; FragileApp adds the
	// single-replica app whose PDB never allows an eviction.
	SampleApps bool
	FragileApp bool
}

// MemberPools are the AKS-shaped pools of a member cluster: a system pool
// and an apps (user) pool of n nodes each.
func MemberPools(n int, kubeVersion string) []provider.NodePool {
	mk := func(name, mode string) provider.NodePool {
		return provider.NodePool{
			Name: name, Mode: mode, Count: n,
			OrchestratorVersion: version.Trim(kubeVersion), NodeImageVersion: DefaultNodeImage(),
			UpgradeSettings: provider.UpgradeSettings{MaxSurge: "33%", DrainTimeoutInMinutes: 30, UndrainableNodeBehavior: "Schedule"},
		}
	}
	return []provider.NodePool{mk("system", provider.ModeSystem), mk("apps", provider.ModeUser)}
}

// Event reports progress of a fleet operation.
type Event struct {
	Cluster string
	Step    string
	Message string
	Elapsed time.Duration
}

// ProgressFunc receives events; it may be nil and must be safe for
// concurrent use, since clusters start in parallel.
type ProgressFunc func(Event)

func (p ProgressFunc) emit(cluster, step, format string, args ...any) {
	if p != nil {
		p(Event{Cluster: cluster, Step: step, Message: fmt.Sprintf(format, args...)})
	}
}

// Validate checks specs before anything is started, so bad input never
// leaves a half-started fleet behind.
func (f *Fleet) Validate(specs []ClusterSpec) error {
	if len(specs) == 0 {
		return errors.New("no clusters given; use --clusters, for example --clusters hub,dev,test,prod")
	}
	seen := map[string]bool{}
	var errs []error
	for _, s := range specs {
		if err := ValidateName(s.Name); err != nil {
			errs = append(errs, err)
			continue
		}
		if seen[s.Name] {
			errs = append(errs, fmt.Errorf("cluster %q is listed twice in --clusters", s.Name))
		}
		seen[s.Name] = true
		if !toolchain.Supported(s.KubernetesVersion) {
			errs = append(errs, fmt.Errorf("cluster %q: Kubernetes version %q is not supported by the local fleet; use one of: %s",
				s.Name, s.KubernetesVersion, strings.Join(toolchain.KubernetesVersions, ", ")))
		}
		if f.Exists(s.Name) {
			errs = append(errs, fmt.Errorf("cluster %q already exists; use it as it is, or remove it first with 'upshift local down %s'", s.Name, s.Name))
		}
		for _, p := range s.Pools {
			if err := validatePool(p); err != nil {
				errs = append(errs, fmt.Errorf("cluster %q: %w", s.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Up creates the clusters in parallel. It is all or nothing: if any cluster
// fails, every cluster this call created is deleted again, and the error
// names the cluster and the step that failed.
func (f *Fleet) Up(ctx context.Context, specs []ClusterSpec, progress ProgressFunc) error {
	if err := f.Validate(specs); err != nil {
		return err
	}
	var versions []string
	for _, s := range specs {
		versions = append(versions, s.KubernetesVersion)
	}
	if _, err := f.Toolchain.Ensure(ctx, nil, versions...); err != nil {
		return err
	}
	if err := os.MkdirAll(f.dir(), 0o755); err != nil {
		return err
	}

	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		errs    []error
		created []string
	)
	for _, s := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started, err := f.createCluster(ctx, s, progress)
			mu.Lock()
			defer mu.Unlock()
			if started {
				created = append(created, s.Name)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("cluster %q: %w", s.Name, err))
			}
		}()
	}
	wg.Wait()
	if len(errs) == 0 {
		return nil
	}
	// Clean up with a context of its own: the caller's may be cancelled
	// (Ctrl-C), and that is exactly when no half-started cluster may stay.
	cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	for _, name := range created {
		progress.emit(name, "cleanup", "removing the half-started cluster")
		if err := f.deleteCluster(cleanup, name); err != nil {
			errs = append(errs, fmt.Errorf("cluster %q: cleanup failed, remove it with 'upshift local down %s': %w", name, name, err))
		}
	}
	return errors.Join(errs...)
}

// createCluster starts one control plane, adds its nodes and apps. started
// reports whether anything was created that must be cleaned up on failure.
func (f *Fleet) createCluster(ctx context.Context, s ClusterSpec, progress ProgressFunc) (started bool, err error) {
	bins, err := f.Toolchain.Lookup(s.KubernetesVersion)
	if err != nil {
		return false, err
	}
	owner, err := filepath.Abs(f.clusterDir(s.Name))
	if err != nil {
		return false, err
	}
	p, err := ports.allocate(owner)
	if err != nil {
		return false, err
	}
	cfg, err := kwokctlConfig(s.Delays, p)
	if err != nil {
		return false, err
	}
	cfgDir := filepath.Join(f.dir(), "config")
	if err := os.MkdirAll(cfgDir, 0o755); err != nil {
		return false, err
	}
	cfgPath := filepath.Join(cfgDir, s.Name+"-kwokctl.yaml")
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		return false, err
	}

	start := time.Now()
	progress.emit(s.Name, "control-plane", "starting kube-apiserver %s, etcd, controller-manager, scheduler, kwok", s.KubernetesVersion)
	started = true
	_, err = f.kwokctl(ctx,
		"--config", cfgPath,
		"create", "cluster", "--name", s.Name,
		"--runtime", "binary",
		"--kube-apiserver-binary", bins.KubeApiserver,
		"--kube-controller-manager-binary", bins.KubeControllerManager,
		"--kube-scheduler-binary", bins.KubeScheduler,
		"--etcd-binary", bins.Etcd,
		"--kwok-controller-binary", bins.Kwok,
		"--kubeconfig", filepath.Join(cfgDir, "kwokctl-kubeconfig"),
		"--disable-qps-limits",
		// One instance each: leader election only adds a way to die when
		// a loaded machine delays a lease renewal.
		"--extra-args", "kube-controller-manager=leader-elect=false",
		"--extra-args", "kube-scheduler=leader-elect=false",
		// No node leases: a restarted kwok controller (a control-plane
		// upgrade restarts it) gets a new identity and would wait out its
		// predecessor's 40-second leases before managing any node again.
		// Nodes report health through the status heartbeat stage instead.
		// kwokctl turns 0 into 40, so the override goes to kwok directly.
		"--extra-args", "kwok-controller=node-lease-duration-seconds=0",
		"--quiet-pull",
		"--wait", "2m",
	)
	if err != nil {
		return started, err
	}
	if err := f.addContext(s.Name); err != nil {
		return started, err
	}
	if err := f.waitHealthy(ctx, s.Name, 2*time.Minute); err != nil {
		return started, err
	}
	progress.emit(s.Name, "control-plane", "ready in %s", time.Since(start).Round(100*time.Millisecond))

	client, err := f.Client(s.Name)
	if err != nil {
		return started, err
	}
	if err := saveDelays(ctx, client, s.Delays); err != nil {
		return started, err
	}
	if err := f.createPools(ctx, client, s, progress); err != nil {
		return started, err
	}
	if s.SampleApps {
		if err := f.installSamples(ctx, s, progress); err != nil {
			return started, err
		}
	}
	progress.emit(s.Name, "ready", "cluster ready in %s", time.Since(start).Round(100*time.Millisecond))
	return started, nil
}

// Down deletes clusters (all when names is empty). Deleting a cluster that
// does not exist is an error naming it, after the others were deleted.
func (f *Fleet) Down(ctx context.Context, names []string, progress ProgressFunc) error {
	if len(names) == 0 {
		all, err := f.Names()
		if err != nil {
			return err
		}
		names = all
	}
	var errs []error
	for _, name := range names {
		if !f.Exists(name) {
			errs = append(errs, fmt.Errorf("local cluster %q does not exist (see 'upshift local status')", name))
			continue
		}
		progress.emit(name, "delete", "deleting")
		if err := f.deleteCluster(ctx, name); err != nil {
			errs = append(errs, fmt.Errorf("cluster %q: %w", name, err))
			continue
		}
		progress.emit(name, "delete", "deleted")
	}
	return errors.Join(errs...)
}

func (f *Fleet) deleteCluster(ctx context.Context, name string) error {
	var errs []error
	if _, err := os.Stat(f.clusterDir(name)); err == nil {
		if _, err := f.kwokctl(ctx, "delete", "cluster", "--name", name, "--kubeconfig", filepath.Join(f.dir(), "config", "kwokctl-kubeconfig")); err != nil {
			errs = append(errs, err)
		}
	}
	if err := f.removeContext(name); err != nil {
		errs = append(errs, err)
	}
	_ = os.Remove(filepath.Join(f.dir(), "config", name+"-kwokctl.yaml"))
	if owner, err := filepath.Abs(f.clusterDir(name)); err == nil {
		ports.release(owner)
	}
	return errors.Join(errs...)
}
