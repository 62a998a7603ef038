package aks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"

	"upshift.dev/upshift/internal/provider"
	"upshift.dev/upshift/internal/version"
)

// CreatedForTag is the Azure tag upshift puts on the clusters it creates;
// its value names what they were created for ("BlueGreenUpgrade
// upshift-system/shop"). upshift deletes only clusters that carry it.
// (Azure tag names may not contain '/', hence no domain prefix.)
const CreatedForTag = "upshift-created-for"

// ErrNotCreatedByUpshift is wrapped when upshift is asked to delete or
// complete a cluster it did not create.
var ErrNotCreatedByUpshift = errors.New("the cluster was not created by upshift")

// CloneSpec is a cluster to create in the image of another.
type CloneSpec struct {
	// Name is the new cluster, in any form ParseClusterRef reads.
	Name string
	// From is the cluster to clone: its location, SKU, identity, network,
	// add-ons, security and auto-upgrade settings, and for each pool its
	// VM size, OS, subnet, zones, labels and taints.
	From string
	// KubernetesVersion is the new cluster's version, control plane and
	// pools.
	KubernetesVersion string
	// Pools are the new cluster's pools. Each takes its settings from
	// From's pool of the same name, or else from From's first pool of the
	// same mode; Count, VMSize (when set) and UpgradeSettings (when set)
	// are the ones given. Empty clones From's pools as they are.
	Pools []provider.NodePool
	// For is the value of CreatedForTag.
	For string
	// Progress, when set, is told what is done and what of From could not
	// be cloned as it is.
	Progress func(string)
}

// CloneCluster creates the cluster spec describes and returns it once it
// serves. It never overwrites a cluster: the PUT carries If-None-Match: *.
// Called again for a cluster it created (the CreatedForTag says so), it
// waits for a creation still running, returns a finished one, and deletes
// and creates again one that failed; a cluster of that name that upshift
// did not create is an error wrapping ErrNotCreatedByUpshift.
func (p *Provider) CloneCluster(ctx context.Context, spec CloneSpec) (provider.Cluster, error) {
	say := func(format string, args ...any) {
		if spec.Progress != nil {
			spec.Progress(fmt.Sprintf(format, args...))
		}
	}
	ref, err := p.ref(spec.Name)
	if err != nil {
		return provider.Cluster{}, err
	}
	fromRef, err := p.ref(spec.From)
	if err != nil {
		return provider.Cluster{}, err
	}
	if _, err := version.Parse(spec.KubernetesVersion); err != nil {
		return provider.Cluster{}, fmt.Errorf("create AKS cluster %s: version %q: %w", ref, spec.KubernetesVersion, err)
	}
	op := fmt.Sprintf("create AKS cluster %s at %s", ref, spec.KubernetesVersion)

	existing, err := p.getCluster(ctx, ref)
	switch {
	case errors.Is(err, provider.ErrNotFound):
	case err != nil:
		return provider.Cluster{}, err
	default:
		done, err := p.resume(ctx, op, ref, existing, spec, say)
		if err != nil || done != nil {
			return deref(done), err
		}
	}

	from, err := p.getCluster(ctx, fromRef)
	if err != nil {
		return provider.Cluster{}, err
	}
	mc, notes, err := cloneManagedCluster(from, ref, spec)
	if err != nil {
		return provider.Cluster{}, fmt.Errorf("%s: %w", op, err)
	}
	for _, n := range notes {
		say("%s", n)
	}
	say("creating AKS cluster %s in %s from %s (%d pools)", ref, deref(mc.Location), fromRef, len(mc.Properties.AgentPoolProfiles))
	f, err := p.clients(ref.Subscription)
	if err != nil {
		return provider.Cluster{}, err
	}
	poller, err := f.NewManagedClustersClient().BeginCreateOrUpdate(ctx, ref.ResourceGroup, ref.Name, mc,
		&armcontainerservice.ManagedClustersClientBeginCreateOrUpdateOptions{IfNoneMatch: ptrTo("*")})
	if err != nil {
		return provider.Cluster{}, fail(op, err)
	}
	res, err := wait(ctx, p, op, poller)
	if err != nil {
		return provider.Cluster{}, err
	}
	return created(op, spec.Name, res.ManagedCluster, spec.KubernetesVersion)
}

// resume handles a cluster of the new name that exists already: it returns
// the cluster when it is done, nil when it has been deleted and must be
// created again.
func (p *Provider) resume(ctx context.Context, op string, ref ClusterRef, mc armcontainerservice.ManagedCluster, spec CloneSpec, say func(string, ...any)) (*provider.Cluster, error) {
	if _, ours := mc.Tags[CreatedForTag]; !ours {
		return nil, fmt.Errorf("%s: a cluster of that name exists and was not created by upshift (it has no %s tag): %w; choose another name", op, CreatedForTag, ErrNotCreatedByUpshift)
	}
	state := deref(mc.Properties.ProvisioningState)
	if inProgress(state) {
		say("AKS cluster %s is %s (an earlier attempt started it); waiting", ref, state)
		var err error
		mc, err = poll(ctx, p, op, func(ctx context.Context) (armcontainerservice.ManagedCluster, string, error) {
			mc, err := p.getCluster(ctx, ref)
			if err != nil {
				return mc, "", err
			}
			return mc, deref(mc.Properties.ProvisioningState), nil
		})
		if errors.Is(err, provider.ErrNotFound) {
			return nil, nil // it was being deleted
		}
		if err != nil {
			return nil, err
		}
		state = deref(mc.Properties.ProvisioningState)
	}
	if state == "Succeeded" {
		c, err := created(op, spec.Name, mc, spec.KubernetesVersion)
		return &c, err
	}
	say("AKS cluster %s ended %s in an earlier attempt; deleting it to create it again", ref, state)
	if err := p.DeleteCluster(ctx, spec.Name); err != nil {
		return nil, err
	}
	return nil, nil
}

// created checks the end state of a creation.
func created(op, name string, mc armcontainerservice.ManagedCluster, v string) (provider.Cluster, error) {
	if mc.Properties == nil {
		return provider.Cluster{}, fmt.Errorf("%s: ARM returned no properties", op)
	}
	c := toCluster(name, mc)
	if c.ProvisioningState != "Succeeded" || c.KubernetesVersion != v {
		return c, fmt.Errorf("%s: the cluster ended %s at version %s; see its activity log", op, c.ProvisioningState, c.KubernetesVersion)
	}
	return c, nil
}

// DeleteCluster deletes a cluster upshift created and waits until it is
// gone. A cluster that does not exist is not an error; one without the
// CreatedForTag is refused with ErrNotCreatedByUpshift.
func (p *Provider) DeleteCluster(ctx context.Context, name string) error {
	ref, err := p.ref(name)
	if err != nil {
		return err
	}
	op := fmt.Sprintf("delete AKS cluster %s", ref)
	mc, err := p.getCluster(ctx, ref)
	if errors.Is(err, provider.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, ours := mc.Tags[CreatedForTag]; !ours {
		return fmt.Errorf("%s: it has no %s tag: %w; delete it yourself (az aks delete) if you mean to", op, CreatedForTag, ErrNotCreatedByUpshift)
	}
	f, err := p.clients(ref.Subscription)
	if err != nil {
		return err
	}
	poller, err := f.NewManagedClustersClient().BeginDelete(ctx, ref.ResourceGroup, ref.Name, nil)
	if err != nil {
		return fail(op, err)
	}
	_, err = wait(ctx, p, op, poller)
	return err
}

// cloneManagedCluster builds the PUT body of the new cluster from the GET
// of the one it replaces: the same resource with what is read-only, or
// unique to the old cluster, taken out. The notes say what could not be
// cloned as it is.
func cloneManagedCluster(from armcontainerservice.ManagedCluster, ref ClusterRef, spec CloneSpec) (armcontainerservice.ManagedCluster, []string, error) {
	var mc armcontainerservice.ManagedCluster
	// A deep copy through the SDK's own JSON, so fields this code does not
	// know (a newer API version's) come along.
	b, err := json.Marshal(from)
	if err != nil {
		return mc, nil, err
	}
	if err := json.Unmarshal(b, &mc); err != nil {
		return mc, nil, err
	}
	if mc.Properties == nil {
		return mc, nil, errors.New("the cluster to clone has no properties")
	}
	var notes []string
	mc.ID, mc.Name, mc.Type, mc.ETag, mc.SystemData = nil, nil, nil, nil, nil
	tags := map[string]*string{}
	for k, v := range mc.Tags {
		tags[k] = v
	}
	tags[CreatedForTag] = ptrTo(strings.TrimSpace(spec.For))
	if spec.For == "" {
		tags[CreatedForTag] = ptrTo("upshift")
	}
	mc.Tags = tags

	if id := mc.Identity; id != nil {
		id.PrincipalID, id.TenantID = nil, nil
		for k := range id.UserAssignedIdentities {
			id.UserAssignedIdentities[k] = &armcontainerservice.ManagedServiceIdentityUserAssignedIdentitiesValue{}
		}
	}

	pr := mc.Properties
	if sp := pr.ServicePrincipalProfile; sp != nil && !strings.EqualFold(deref(sp.ClientID), "msi") && deref(sp.ClientID) != "" {
		return mc, nil, fmt.Errorf("the cluster to clone authenticates with service principal %s, whose secret ARM does not return; "+
			"upshift clones clusters that use a managed identity (az aks update --enable-managed-identity)", deref(sp.ClientID))
	}
	if pr.WindowsProfile != nil {
		return mc, nil, errors.New("the cluster to clone has a Windows profile, whose admin password ARM does not return; create the new cluster yourself and join it to the fleet")
	}
	// Read-only, or the old cluster's own.
	pr.ProvisioningState, pr.PowerState, pr.CurrentKubernetesVersion = nil, nil, nil
	pr.Fqdn, pr.AzurePortalFQDN, pr.PrivateFQDN, pr.MaxAgentPools, pr.ResourceUID = nil, nil, nil, nil, nil
	pr.PrivateLinkResources = nil
	oldNodeRG := deref(pr.NodeResourceGroup)
	pr.NodeResourceGroup = nil // AKS names a new one (MC_<group>_<cluster>_<location>)
	for k, id := range pr.IdentityProfile {
		// A kubelet identity AKS made lives in the old node resource group
		// and goes with it; one the user brought is kept.
		if id == nil || oldNodeRG == "" || strings.Contains(strings.ToLower(deref(id.ResourceID)), "/resourcegroups/"+strings.ToLower(oldNodeRG)+"/") {
			delete(pr.IdentityProfile, k)
			continue
		}
		id.ClientID, id.ObjectID = nil, nil
	}
	if len(pr.IdentityProfile) == 0 {
		pr.IdentityProfile = nil
	}
	if pr.FqdnSubdomain != nil {
		pr.FqdnSubdomain = ptrTo(dnsPrefixFor(ref.Name))
	} else {
		pr.DNSPrefix = ptrTo(dnsPrefixFor(ref.Name))
	}
	for _, a := range pr.AddonProfiles {
		if a != nil {
			a.Identity = nil
		}
	}
	if pr.OidcIssuerProfile != nil {
		pr.OidcIssuerProfile.IssuerURL = nil
	}
	if np := pr.NetworkProfile; np != nil {
		if lb := np.LoadBalancerProfile; lb != nil {
			lb.EffectiveOutboundIPs = nil
			// A public IP or prefix serves one load balancer: the new
			// cluster gets as many managed ones instead, and says so, since
			// allow-lists elsewhere may name the old addresses.
			n := 0
			if lb.OutboundIPs != nil {
				n += len(lb.OutboundIPs.PublicIPs)
			}
			if lb.OutboundIPPrefixes != nil {
				n += len(lb.OutboundIPPrefixes.PublicIPPrefixes)
			}
			if n > 0 {
				lb.OutboundIPs, lb.OutboundIPPrefixes = nil, nil
				lb.ManagedOutboundIPs = &armcontainerservice.ManagedClusterLoadBalancerProfileManagedOutboundIPs{Count: ptrTo(int32(n))}
				notes = append(notes, fmt.Sprintf("the old cluster's outbound public IPs or prefixes serve its own load balancer: the new cluster gets %d managed outbound IPs instead; update allow-lists that name the old addresses", n))
			}
		}
		if ng := np.NatGatewayProfile; ng != nil {
			ng.EffectiveOutboundIPs = nil
		}
	}
	pr.KubernetesVersion = ptrTo(spec.KubernetesVersion)

	pools, err := clonePools(pr.AgentPoolProfiles, spec)
	if err != nil {
		return mc, nil, err
	}
	pr.AgentPoolProfiles = pools
	return mc, notes, nil
}

// clonePools makes the new cluster's agentPoolProfiles.
func clonePools(old []*armcontainerservice.ManagedClusterAgentPoolProfile, spec CloneSpec) ([]*armcontainerservice.ManagedClusterAgentPoolProfile, error) {
	want := spec.Pools
	if len(want) == 0 {
		for _, o := range old {
			if o != nil {
				want = append(want, provider.NodePool{Name: deref(o.Name), Mode: string(deref(o.Mode)), Count: int(deref(o.Count))})
			}
		}
	}
	template := func(w provider.NodePool) *armcontainerservice.ManagedClusterAgentPoolProfile {
		for _, o := range old {
			if o != nil && strings.EqualFold(deref(o.Name), w.Name) {
				return o
			}
		}
		for _, o := range old {
			if o != nil && strings.EqualFold(string(deref(o.Mode)), w.Mode) {
				return o
			}
		}
		return nil
	}
	var out []*armcontainerservice.ManagedClusterAgentPoolProfile
	system := false
	for i, w := range want {
		t := template(w)
		if t == nil {
			return nil, fmt.Errorf("pools[%d] %s: the cluster to clone has no %s pool to take its settings from; give a pool of a mode it has", i, w.Name, w.Mode)
		}
		var ap armcontainerservice.ManagedClusterAgentPoolProfile
		b, err := json.Marshal(t)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &ap); err != nil {
			return nil, err
		}
		ap.Name = ptrTo(w.Name)
		if w.Mode != "" {
			mode := armcontainerservice.AgentPoolMode(w.Mode)
			ap.Mode = &mode
		}
		ap.Count = ptrTo(int32(w.Count))
		if ap.EnableAutoScaling != nil && *ap.EnableAutoScaling {
			// Inside the autoscaler's range, or AKS refuses the pool.
			c := max(int32(w.Count), deref(ap.MinCount))
			if ap.MaxCount != nil {
				c = min(c, *ap.MaxCount)
			}
			ap.Count = &c
		}
		if w.VMSize != "" {
			ap.VMSize = ptrTo(w.VMSize)
		}
		if w.UpgradeSettings != (provider.UpgradeSettings{}) {
			us, err := settingsToARM(w.UpgradeSettings)
			if err != nil {
				return nil, fmt.Errorf("pools[%d] %s: %w", i, w.Name, err)
			}
			ap.UpgradeSettings = us
		}
		ap.OrchestratorVersion = ptrTo(spec.KubernetesVersion)
		ap.CurrentOrchestratorVersion, ap.NodeImageVersion, ap.ProvisioningState, ap.ETag, ap.PowerState = nil, nil, nil, nil, nil
		system = system || deref(ap.Mode) == armcontainerservice.AgentPoolModeSystem
		out = append(out, &ap)
	}
	if !system {
		return nil, errors.New("the new cluster has no System pool; AKS needs one")
	}
	return out, nil
}

// dnsPrefixFor makes an AKS DNS prefix from a cluster name: 1-54
// letters, digits and hyphens, starting and ending with a letter or digit.
func dnsPrefixFor(name string) string {
	b := []byte(strings.ReplaceAll(name, "_", "-"))
	if len(b) > 54 {
		b = b[:54]
	}
	return strings.Trim(string(b), "-")
}
