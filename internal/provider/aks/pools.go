package aks

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"

	"upshift.dev/upshift/internal/provider"
)

// poolsClient parses the cluster name and returns its agent pools client.
func (p *Provider) poolsClient(cluster string) (ClusterRef, *armcontainerservice.AgentPoolsClient, error) {
	ref, err := p.ref(cluster)
	if err != nil {
		return ClusterRef{}, nil, err
	}
	f, err := p.clients(ref.Subscription)
	if err != nil {
		return ClusterRef{}, nil, err
	}
	return ref, f.NewAgentPoolsClient(), nil
}

func toNodePool(ap *armcontainerservice.AgentPool) provider.NodePool {
	out := provider.NodePool{Name: deref(ap.Name)}
	pr := ap.Properties
	if pr == nil {
		return out
	}
	out.Mode = string(deref(pr.Mode))
	out.Count = int(deref(pr.Count))
	out.OrchestratorVersion = deref(pr.OrchestratorVersion)
	out.CurrentOrchestratorVersion = deref(pr.CurrentOrchestratorVersion)
	out.NodeImageVersion = deref(pr.NodeImageVersion)
	out.VMSize = deref(pr.VMSize)
	out.UpgradeSettings = settingsFromARM(pr.UpgradeSettings)
	out.ProvisioningState = deref(pr.ProvisioningState)
	return out
}

// ListNodePools implements provider.NodePools.
func (p *Provider) ListNodePools(ctx context.Context, cluster string) ([]provider.NodePool, error) {
	ref, c, err := p.poolsClient(cluster)
	if err != nil {
		return nil, err
	}
	var out []provider.NodePool
	pager := c.NewListPager(ref.ResourceGroup, ref.Name, nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fail(fmt.Sprintf("list agent pools of AKS cluster %s", ref), err)
		}
		for _, ap := range page.Value {
			if ap != nil {
				out = append(out, toNodePool(ap))
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// getPool reads one agent pool.
func (p *Provider) getPool(ctx context.Context, ref ClusterRef, c *armcontainerservice.AgentPoolsClient, pool string) (armcontainerservice.AgentPool, error) {
	resp, err := c.Get(ctx, ref.ResourceGroup, ref.Name, pool, nil)
	if err != nil {
		return armcontainerservice.AgentPool{}, fail(fmt.Sprintf("get agent pool %q of AKS cluster %s", pool, ref), err)
	}
	if resp.Properties == nil {
		return armcontainerservice.AgentPool{}, fmt.Errorf("get agent pool %q of AKS cluster %s: ARM returned no properties", pool, ref)
	}
	return resp.AgentPool, nil
}

// CreateNodePool implements provider.NodePools: a PUT with If-None-Match:
// * (so an existing pool wraps provider.ErrConflict), awaited. AKS picks the
// newest node image for the version; pool.NodeImageVersion is read-only in
// API 2025-02-01 and not sent.
func (p *Provider) CreateNodePool(ctx context.Context, cluster string, pool provider.NodePool) error {
	ref, c, err := p.poolsClient(cluster)
	if err != nil {
		return err
	}
	op := fmt.Sprintf("create agent pool %q in AKS cluster %s", pool.Name, ref)
	if pool.Name == "" {
		return fmt.Errorf("%s: the pool has no name; give it one (AKS: 1-12 lowercase letters and digits)", op)
	}
	if pool.Count < 0 || pool.Count > 1000 {
		return fmt.Errorf("%s: count %d is invalid; use 0..1000", op, pool.Count)
	}
	mode := armcontainerservice.AgentPoolMode(pool.Mode)
	switch pool.Mode {
	case "":
		mode = armcontainerservice.AgentPoolModeUser
	case provider.ModeSystem, provider.ModeUser:
	default:
		return fmt.Errorf("%s: mode %q is invalid; use System or User", op, pool.Mode)
	}
	settings, err := settingsToARM(pool.UpgradeSettings)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	props := &armcontainerservice.ManagedClusterAgentPoolProfileProperties{
		Count:           int32Ptr(pool.Count),
		Mode:            &mode,
		OSType:          ptrTo(armcontainerservice.OSTypeLinux),
		Type:            ptrTo(armcontainerservice.AgentPoolTypeVirtualMachineScaleSets),
		UpgradeSettings: settings,
	}
	if pool.OrchestratorVersion != "" {
		props.OrchestratorVersion = &pool.OrchestratorVersion
	}
	if pool.VMSize != "" {
		props.VMSize = &pool.VMSize
	}
	poller, err := c.BeginCreateOrUpdate(ctx, ref.ResourceGroup, ref.Name, pool.Name,
		armcontainerservice.AgentPool{Properties: props},
		&armcontainerservice.AgentPoolsClientBeginCreateOrUpdateOptions{IfNoneMatch: ptrTo("*")})
	if err != nil {
		return fail(op, err)
	}
	_, err = wait(ctx, p, op, poller)
	return err
}

// DeleteNodePool implements provider.NodePools. Deleting a pool that does
// not exist succeeds, as in ARM.
func (p *Provider) DeleteNodePool(ctx context.Context, cluster, pool string) error {
	ref, c, err := p.poolsClient(cluster)
	if err != nil {
		return err
	}
	op := fmt.Sprintf("delete agent pool %q of AKS cluster %s", pool, ref)
	poller, err := c.BeginDelete(ctx, ref.ResourceGroup, ref.Name, pool, nil)
	if err != nil {
		return fail(op, err)
	}
	_, err = wait(ctx, p, op, poller)
	return err
}

// LatestNodeImage implements provider.NodePools from the pool's upgrade
// profile.
func (p *Provider) LatestNodeImage(ctx context.Context, cluster, pool string) (string, error) {
	ref, c, err := p.poolsClient(cluster)
	if err != nil {
		return "", err
	}
	resp, err := c.GetUpgradeProfile(ctx, ref.ResourceGroup, ref.Name, pool, nil)
	if err != nil {
		return "", fail(fmt.Sprintf("get upgrade profile of agent pool %q of AKS cluster %s", pool, ref), err)
	}
	if resp.Properties == nil || deref(resp.Properties.LatestNodeImageVersion) == "" {
		return "", fmt.Errorf("agent pool %q of AKS cluster %s: the upgrade profile names no latest node image", pool, ref)
	}
	return *resp.Properties.LatestNodeImageVersion, nil
}

// SetPoolTarget implements provider.NodePools. On AKS a changed
// orchestratorVersion starts AKS's own upgrade, so a target can only be
// "recorded" when the pool is already there; otherwise it wraps
// errors.ErrUnsupported and names ManagedUpgrader.
func (p *Provider) SetPoolTarget(ctx context.Context, cluster, pool string, target provider.NodeTarget) error {
	ref, c, err := p.poolsClient(cluster)
	if err != nil {
		return err
	}
	ap, err := p.getPool(ctx, ref, c, pool)
	if err != nil {
		return err
	}
	np := toNodePool(&ap)
	if np.OrchestratorVersion == target.KubernetesVersion && (target.NodeImageVersion == "" || target.NodeImageVersion == np.NodeImageVersion) {
		return nil
	}
	return fmt.Errorf("set target of agent pool %q of AKS cluster %s to %s/%s: %w: AKS upgrades the nodes as soon as orchestratorVersion changes; upgrade the pool with the AKS ManagedUpgrader (UpgradePool), which upshift's node pool engine uses on AKS",
		pool, ref, target.KubernetesVersion, target.NodeImageVersion, errors.ErrUnsupported)
}

func ptrTo[T any](v T) *T { return &v }
