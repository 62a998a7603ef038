package aks

import (
	"context"
	"fmt"
	"reflect"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"

	"upshift.dev/upshift/internal/provider"
)

// ManagedUpgrader upgrades a node pool with the cloud's own surge upgrade.
// On AKS upshift's node pool engine uses it instead of adding, draining and
// reimaging nodes itself (provider.Machines), because AKS does that
// server-side, honouring upgradeSettings.
type ManagedUpgrader interface {
	// UpgradePool upgrades the pool as u says and returns when the
	// operation has ended. It is idempotent: a pool already at the target
	// returns at once, and a pool already upgrading to it is waited for.
	// Errors wrap provider.ErrNotFound (no such cluster or pool) or
	// provider.ErrConflict (another operation runs on the cluster, or the
	// pool changed meanwhile); a failed operation's error names it and
	// carries AKS's code and message (for example a drain blocked by a
	// PodDisruptionBudget past drainTimeoutInMinutes).
	UpgradePool(ctx context.Context, cluster, pool string, u PoolUpgrade) error
}

// PoolUpgrade says what UpgradePool does. Set exactly one of
// KubernetesVersion and NodeImageOnly.
type PoolUpgrade struct {
	// KubernetesVersion moves the pool's orchestratorVersion; AKS also
	// moves its nodes to the newest node image for that version.
	KubernetesVersion string
	// NodeImageOnly moves the nodes to the pool's latest node image
	// (upgradeNodeImageVersion) and keeps the Kubernetes version.
	NodeImageOnly bool
	// Settings, when set, replace the pool's upgradeSettings before the
	// upgrade (maxSurge, drainTimeoutInMinutes, nodeSoakDurationInMinutes);
	// nil keeps the pool's own.
	Settings *provider.UpgradeSettings
}

// UpgradePool implements ManagedUpgrader.
func (p *Provider) UpgradePool(ctx context.Context, cluster, pool string, u PoolUpgrade) error {
	ref, c, err := p.poolsClient(cluster)
	if err != nil {
		return err
	}
	what := "node image"
	if u.KubernetesVersion != "" {
		what = "Kubernetes " + u.KubernetesVersion
	}
	op := fmt.Sprintf("upgrade agent pool %q of AKS cluster %s to %s", pool, ref, what)
	if (u.KubernetesVersion == "") == !u.NodeImageOnly {
		return fmt.Errorf("%s: set exactly one of KubernetesVersion and NodeImageOnly", op)
	}
	var settings *armcontainerservice.AgentPoolUpgradeSettings
	if u.Settings != nil {
		if settings, err = settingsToARM(*u.Settings); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	ap, err := p.getPool(ctx, ref, c, pool)
	if err != nil {
		return err
	}
	get := func(ctx context.Context) (armcontainerservice.AgentPool, string, error) {
		ap, err := p.getPool(ctx, ref, c, pool)
		if err != nil {
			return ap, "", err
		}
		return ap, deref(ap.Properties.ProvisioningState), nil
	}
	if inProgress(deref(ap.Properties.ProvisioningState)) {
		// Wait out what runs (ours before a restart, or anyone's), then
		// decide on the fresh state.
		if ap, err = poll(ctx, p, op, get); err != nil {
			return err
		}
	}
	settingsChanged := settings != nil && !reflect.DeepEqual(settingsFromARM(settings), settingsFromARM(ap.Properties.UpgradeSettings))
	if u.KubernetesVersion != "" {
		pr := ap.Properties
		if deref(pr.CurrentOrchestratorVersion) == u.KubernetesVersion && deref(pr.ProvisioningState) == "Succeeded" && !settingsChanged {
			return nil
		}
		pr.OrchestratorVersion = &u.KubernetesVersion
		if settings != nil {
			pr.UpgradeSettings = settings
		}
		return p.putPool(ctx, ref, c, op, ap)
	}
	if settingsChanged {
		ap.Properties.UpgradeSettings = settings
		if err := p.putPool(ctx, ref, c, fmt.Sprintf("set upgradeSettings of agent pool %q of AKS cluster %s", pool, ref), ap); err != nil {
			return err
		}
		if ap, err = p.getPool(ctx, ref, c, pool); err != nil {
			return err
		}
	}
	latest, err := p.LatestNodeImage(ctx, cluster, pool)
	if err != nil {
		return err
	}
	if deref(ap.Properties.NodeImageVersion) == latest && deref(ap.Properties.ProvisioningState) == "Succeeded" {
		return nil
	}
	poller, err := c.BeginUpgradeNodeImageVersion(ctx, ref.ResourceGroup, ref.Name, pool, nil)
	if err != nil {
		return fail(op, err)
	}
	_, err = wait(ctx, p, op, poller)
	return err
}

// putPool PUTs an agent pool as read (If-Match its eTag) and waits.
func (p *Provider) putPool(ctx context.Context, ref ClusterRef, c *armcontainerservice.AgentPoolsClient, op string, ap armcontainerservice.AgentPool) error {
	poller, err := c.BeginCreateOrUpdate(ctx, ref.ResourceGroup, ref.Name, deref(ap.Name), ap,
		&armcontainerservice.AgentPoolsClientBeginCreateOrUpdateOptions{IfMatch: ap.Properties.ETag})
	if err != nil {
		return fail(op, err)
	}
	res, err := wait(ctx, p, op, poller)
	if err != nil {
		return err
	}
	if res.Properties != nil && deref(res.Properties.ProvisioningState) != "Succeeded" {
		return fmt.Errorf("%s: the pool ended %s; see the cluster's activity log, then run the upgrade again to resume", op, deref(res.Properties.ProvisioningState))
	}
	return nil
}
