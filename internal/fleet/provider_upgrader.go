package fleet

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/nodepool"
	"upshift.dev/upshift/internal/observe"
	"upshift.dev/upshift/internal/preflight"
	"upshift.dev/upshift/internal/preflight/cluster"
	"upshift.dev/upshift/internal/provider"
	"upshift.dev/upshift/internal/provider/aks"
	"upshift.dev/upshift/internal/version"
)

// Cluster is a member's cluster and the provider that runs it.
type Cluster struct {
	// Name is the provider's name for the cluster.
	Name       string
	RESTConfig *rest.Config
	Client     kubernetes.Interface
	Clusters   provider.Clusters
	Pools      provider.NodePools
	// Machines is nil for providers that upgrade pools themselves.
	Machines provider.Machines
}

// Resolver finds a Member's cluster. It wraps provider.ErrNotFound when the
// cluster does not exist.
type Resolver interface {
	Resolve(ctx context.Context, m *v1alpha1.Member) (*Cluster, error)
}

// ProviderUpgrader upgrades members through their providers: preflight
// (removed APIs and version rules block; workload findings are reported),
// then the control plane, then each node pool with the node pool engine and
// that pool's own upgradeSettings.
type ProviderUpgrader struct {
	Resolver Resolver
	// Metrics are the node pool engine's; nil for none.
	Metrics *nodepool.Metrics
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

var _ MemberUpgrader = (*ProviderUpgrader)(nil)

// wantedImage is a pool's target image: pinned, or the provider's latest.
func wantedImage(ctx context.Context, c *Cluster, up MemberUpgrade, pool string) (string, error) {
	if img := up.NodeImages[pool]; img != "" {
		return img, nil
	}
	return c.Pools.LatestNodeImage(ctx, c.Name, pool)
}

// AtTarget implements MemberUpgrader.
func (u *ProviderUpgrader) AtTarget(ctx context.Context, up MemberUpgrade) (bool, error) {
	c, err := u.Resolver.Resolve(ctx, up.Member)
	if err != nil {
		return false, err
	}
	cl, err := c.Clusters.GetCluster(ctx, c.Name)
	if err != nil {
		return false, err
	}
	target := version.Trim(up.KubernetesVersion)
	if up.Type != v1alpha1.UpgradeNodeImageOnly && cl.KubernetesVersion != target {
		return false, nil
	}
	if up.Type == v1alpha1.UpgradeControlPlaneOnly {
		return true, nil
	}
	pools, err := c.Pools.ListNodePools(ctx, c.Name)
	if err != nil {
		return false, err
	}
	for _, p := range pools {
		img, err := wantedImage(ctx, c, up, p.Name)
		if err != nil {
			return false, err
		}
		if p.NodeImageVersion != img || p.ProvisioningState != "Succeeded" ||
			(up.Type == v1alpha1.UpgradeFull && p.CurrentOrchestratorVersion != target) {
			return false, nil
		}
	}
	return true, nil
}

// Upgrade implements MemberUpgrader. Each step checks what is already done,
// so running it again after a restart continues where it stopped.
func (u *ProviderUpgrader) Upgrade(ctx context.Context, up MemberUpgrade, progress func(Progress)) error {
	c, err := u.Resolver.Resolve(ctx, up.Member)
	if err != nil {
		return err
	}
	// A control plane that does not answer may be one this member's last
	// attempt stopped for its upgrade; the provider's upgrade is resumable,
	// so it is asked to finish before anything reads the cluster.
	if _, err := c.Clusters.GetCluster(ctx, c.Name); err != nil && up.Type != v1alpha1.UpgradeNodeImageOnly {
		progress(Progress{Step: "ControlPlane", Message: "the control plane does not answer; resuming its upgrade: " + err.Error()})
		if err := c.Clusters.UpgradeControlPlane(ctx, c.Name, up.KubernetesVersion); err != nil {
			return fmt.Errorf("control plane upgrade failed: %w", err)
		}
	}
	progress(Progress{Step: "Preflight", Message: "checking removed APIs and version rules"})
	if err := u.preflight(ctx, c, up, progress); err != nil {
		return err
	}
	if up.Type != v1alpha1.UpgradeNodeImageOnly {
		cl, err := c.Clusters.GetCluster(ctx, c.Name)
		if err != nil {
			return err
		}
		if cl.KubernetesVersion != version.Trim(up.KubernetesVersion) {
			progress(Progress{Step: "ControlPlane", Message: fmt.Sprintf("upgrading the control plane %s -> %s", cl.KubernetesVersion, up.KubernetesVersion)})
			if err := c.Clusters.UpgradeControlPlane(ctx, c.Name, up.KubernetesVersion); err != nil {
				return fmt.Errorf("control plane upgrade failed: %w", err)
			}
		}
	}
	if up.Type == v1alpha1.UpgradeControlPlaneOnly {
		return nil
	}
	return u.nodePools(ctx, c, up, progress)
}

// nodePools upgrades the pools one at a time, system pools first, as AKS
// orders them.
func (u *ProviderUpgrader) nodePools(ctx context.Context, c *Cluster, up MemberUpgrade, progress func(Progress)) error {
	pools, err := c.Pools.ListNodePools(ctx, c.Name)
	if err != nil {
		return err
	}
	cl, err := c.Clusters.GetCluster(ctx, c.Name)
	if err != nil {
		return err
	}
	for _, system := range []bool{true, false} {
		for _, p := range pools {
			if (p.Mode == provider.ModeSystem) != system {
				continue
			}
			target := provider.NodeTarget{KubernetesVersion: p.CurrentOrchestratorVersion}
			if up.Type == v1alpha1.UpgradeFull {
				target.KubernetesVersion = cl.KubernetesVersion
			}
			if target.NodeImageVersion, err = wantedImage(ctx, c, up, p.Name); err != nil {
				return err
			}
			if c.Machines == nil {
				// AKS runs the surge itself, with the pool's upgradeSettings.
				managed, ok := c.Pools.(aks.ManagedUpgrader)
				if !ok {
					return fmt.Errorf("node pool %s: the provider of member %s can neither operate nodes nor upgrade pools", p.Name, up.Member.Name)
				}
				pu := aks.PoolUpgrade{NodeImageOnly: up.Type == v1alpha1.UpgradeNodeImageOnly}
				if !pu.NodeImageOnly {
					pu.KubernetesVersion = target.KubernetesVersion
				}
				progress(Progress{Step: "NodePool/" + p.Name, Message: "AKS surge upgrade of pool " + p.Name})
				if err := managed.UpgradePool(ctx, c.Name, p.Name, pu); err != nil {
					return fmt.Errorf("node pool %s: %w", p.Name, err)
				}
				continue
			}
			engine := &nodepool.Upgrader{Client: c.Client, Pools: c.Pools, Machines: c.Machines, Clusters: c.Clusters,
				Events: &observe.Recorder{Client: c.Client, Now: u.Now}, Now: u.Now, Metrics: u.Metrics}
			spec := nodepool.Spec{Cluster: c.Name, Pool: p.Name, Target: target, Strategy: nodepool.StrategySurge, Settings: p.UpgradeSettings}
			step := "NodePool/" + p.Name
			err := engine.Run(ctx, spec, func(st nodepool.Status) {
				progress(Progress{Step: step, Message: fmt.Sprintf("%s: %s", st.Phase, st.Message)})
			})
			if err != nil {
				return fmt.Errorf("node pool %s: %w", p.Name, err)
			}
		}
	}
	return nil
}

// preflight scans the member for what would break at the target: removed
// APIs and version rules fail the member; workload findings (drain
// deadlocks, missing PDBs) are reported in its progress but do not block,
// since the node pool engine handles undrainable nodes by its own rules.
func (u *ProviderUpgrader) preflight(ctx context.Context, c *Cluster, up MemberUpgrade, progress func(Progress)) error {
	cl, err := c.Clusters.GetCluster(ctx, c.Name)
	if err != nil {
		return err
	}
	target := up.KubernetesVersion
	if up.Type == v1alpha1.UpgradeNodeImageOnly {
		target = cl.KubernetesVersion
	}
	to, err := version.Parse(target)
	if err != nil {
		return err
	}
	if from, err := version.Parse(cl.KubernetesVersion); err == nil {
		if err := version.CheckControlPlaneUpgrade(from, to, false); err != nil {
			return fmt.Errorf("preflight: %w", err)
		}
	}
	checks, _ := preflight.ParseCheckSet([]string{preflight.GroupAPIs, preflight.GroupVersions, preflight.GroupWorkloads})
	engine := preflight.New(preflight.Options{Target: to, Checks: checks})
	if c.RESTConfig != nil {
		s := &cluster.Scanner{Config: c.RESTConfig, Checks: checks}
		if _, err := s.Scan(ctx, engine); err != nil {
			return fmt.Errorf("preflight scan failed: %w", err)
		}
	}
	report := engine.Report()
	var blocking, notes []string
	for _, f := range report.Findings {
		if f.Severity != preflight.SeverityError {
			continue
		}
		line := fmt.Sprintf("%s %s: %s", f.Check, f.Object, f.Message)
		if strings.HasPrefix(f.Check, "api-") || strings.HasPrefix(f.Check, "version-") {
			blocking = append(blocking, line)
		} else {
			notes = append(notes, line)
		}
	}
	if len(blocking) > 0 {
		return fmt.Errorf("preflight found %d blocking problems for %s: %s", len(blocking), to, strings.Join(blocking, "; "))
	}
	if len(notes) > 0 {
		progress(Progress{Step: "Preflight", Message: fmt.Sprintf("%d workload problems (not blocking): %s", len(notes), strings.Join(notes, "; "))})
	}
	return nil
}
