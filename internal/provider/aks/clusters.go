package aks

import (
	"context"
	"fmt"
	"slices"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"

	"upshift.dev/upshift/internal/provider"
	"upshift.dev/upshift/internal/version"
)

// getCluster reads the managed cluster.
func (p *Provider) getCluster(ctx context.Context, ref ClusterRef) (armcontainerservice.ManagedCluster, error) {
	f, err := p.clients(ref.Subscription)
	if err != nil {
		return armcontainerservice.ManagedCluster{}, err
	}
	resp, err := f.NewManagedClustersClient().Get(ctx, ref.ResourceGroup, ref.Name, nil)
	if err != nil {
		return armcontainerservice.ManagedCluster{}, fail(fmt.Sprintf("get AKS cluster %s", ref), err)
	}
	if resp.Properties == nil {
		return armcontainerservice.ManagedCluster{}, fmt.Errorf("get AKS cluster %s: ARM returned no properties", ref)
	}
	return resp.ManagedCluster, nil
}

// GetCluster implements provider.Clusters. KubernetesVersion is what the
// control plane runs (currentKubernetesVersion).
func (p *Provider) GetCluster(ctx context.Context, name string) (provider.Cluster, error) {
	ref, err := p.ref(name)
	if err != nil {
		return provider.Cluster{}, err
	}
	mc, err := p.getCluster(ctx, ref)
	if err != nil {
		return provider.Cluster{}, err
	}
	return toCluster(name, mc), nil
}

func toCluster(name string, mc armcontainerservice.ManagedCluster) provider.Cluster {
	v := deref(mc.Properties.CurrentKubernetesVersion)
	if v == "" {
		v = deref(mc.Properties.KubernetesVersion)
	}
	return provider.Cluster{
		Name:              name,
		KubernetesVersion: v,
		ProvisioningState: deref(mc.Properties.ProvisioningState),
		Location:          deref(mc.Location),
	}
}

// AvailableUpgrades implements provider.Clusters from the cluster's
// upgrade profile, oldest first, without preview versions.
func (p *Provider) AvailableUpgrades(ctx context.Context, name string) ([]string, error) {
	ref, err := p.ref(name)
	if err != nil {
		return nil, err
	}
	f, err := p.clients(ref.Subscription)
	if err != nil {
		return nil, err
	}
	resp, err := f.NewManagedClustersClient().GetUpgradeProfile(ctx, ref.ResourceGroup, ref.Name, nil)
	if err != nil {
		return nil, fail(fmt.Sprintf("get upgrade profile of AKS cluster %s", ref), err)
	}
	var vs []version.Version
	if resp.Properties != nil && resp.Properties.ControlPlaneProfile != nil {
		for _, u := range resp.Properties.ControlPlaneProfile.Upgrades {
			if u == nil || deref(u.IsPreview) {
				continue
			}
			if v, err := version.Parse(deref(u.KubernetesVersion)); err == nil {
				vs = append(vs, v)
			}
		}
	}
	slices.SortFunc(vs, func(a, b version.Version) int { return a.Compare(b) })
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, v.String())
	}
	return slices.Compact(out), nil
}

// UpgradeControlPlane implements provider.Clusters with AKS's
// control-plane-only upgrade and returns when the operation has ended and
// the control plane runs version.
func (p *Provider) UpgradeControlPlane(ctx context.Context, name, v string) error {
	ref, err := p.ref(name)
	if err != nil {
		return err
	}
	if _, err := version.Parse(v); err != nil {
		return fmt.Errorf("upgrade AKS cluster %s: version %q: %w", ref, v, err)
	}
	op := fmt.Sprintf("upgrade AKS cluster %s control plane to %s", ref, v)
	mc, err := p.getCluster(ctx, ref)
	if err != nil {
		return err
	}
	state := deref(mc.Properties.ProvisioningState)
	if deref(mc.Properties.KubernetesVersion) == v && inProgress(state) {
		// Already on its way (started by us before a restart, or by
		// someone else): wait for it rather than get a 409.
		mc, err = poll(ctx, p, op, func(ctx context.Context) (armcontainerservice.ManagedCluster, string, error) {
			mc, err := p.getCluster(ctx, ref)
			if err != nil {
				return mc, "", err
			}
			return mc, deref(mc.Properties.ProvisioningState), nil
		})
		if err != nil {
			return err
		}
		return checkControlPlane(op, mc, v)
	}
	if deref(mc.Properties.CurrentKubernetesVersion) == v && state == "Succeeded" {
		return nil
	}
	mc.Properties.KubernetesVersion = &v
	// Control plane only: the PUT names every pool's own version, so no
	// pool is upgraded along.
	for _, ap := range mc.Properties.AgentPoolProfiles {
		if ap != nil && ap.OrchestratorVersion == nil {
			ap.OrchestratorVersion = ap.CurrentOrchestratorVersion
		}
	}
	f, err := p.clients(ref.Subscription)
	if err != nil {
		return err
	}
	poller, err := f.NewManagedClustersClient().BeginCreateOrUpdate(ctx, ref.ResourceGroup, ref.Name, mc,
		&armcontainerservice.ManagedClustersClientBeginCreateOrUpdateOptions{IfMatch: mc.ETag})
	if err != nil {
		return fail(op, err)
	}
	res, err := wait(ctx, p, op, poller)
	if err != nil {
		return err
	}
	return checkControlPlane(op, res.ManagedCluster, v)
}

// checkControlPlane verifies the end state of a control plane upgrade.
func checkControlPlane(op string, mc armcontainerservice.ManagedCluster, v string) error {
	if mc.Properties == nil {
		return fmt.Errorf("%s: ARM returned no properties", op)
	}
	state := deref(mc.Properties.ProvisioningState)
	cur := deref(mc.Properties.CurrentKubernetesVersion)
	if state != "Succeeded" || (cur != "" && cur != v) {
		return fmt.Errorf("%s: the cluster ended %s at version %s; see its activity log, then run the upgrade again to resume", op, state, cur)
	}
	return nil
}

// Kubeconfig implements provider.Clusters with listClusterAdminCredential.
func (p *Provider) Kubeconfig(ctx context.Context, name string) ([]byte, error) {
	ref, err := p.ref(name)
	if err != nil {
		return nil, err
	}
	f, err := p.clients(ref.Subscription)
	if err != nil {
		return nil, err
	}
	op := fmt.Sprintf("get admin kubeconfig of AKS cluster %s", ref)
	resp, err := f.NewManagedClustersClient().ListClusterAdminCredentials(ctx, ref.ResourceGroup, ref.Name, nil)
	if err != nil {
		return nil, fail(op, err)
	}
	var first []byte
	for _, kc := range resp.Kubeconfigs {
		if kc == nil || len(kc.Value) == 0 {
			continue
		}
		if deref(kc.Name) == "clusterAdmin" {
			return kc.Value, nil
		}
		if first == nil {
			first = kc.Value
		}
	}
	if first == nil {
		return nil, fmt.Errorf("%s: AKS returned no kubeconfig; if the cluster disables local accounts, use Entra ID credentials (az aks get-credentials)", op)
	}
	return first, nil
}
