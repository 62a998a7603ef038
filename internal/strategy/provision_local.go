package strategy

import (
	"context"
	"fmt"

	"k8s.io/client-go/rest"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/localfleet"
)

// LocalProvisioner creates the new clusters of strategies in the
// controller's local fleet, and deletes local clusters. ByProvider puts it
// next to the AKS one.
type LocalProvisioner struct {
	// Fleet is the local fleet; nil refuses local clusters with the flag
	// that enables them.
	Fleet *localfleet.Fleet
	// Delays shape the new clusters' simulated kubelets; none when zero.
	Delays localfleet.Delays
}

var _ Provisioner = (*LocalProvisioner)(nil)

func (p *LocalProvisioner) fleet(providerName string) (*localfleet.Fleet, error) {
	switch providerName {
	case v1alpha1.ProviderLocal, "":
	default:
		return nil, fmt.Errorf("provider %q: the local provisioner creates local clusters only", providerName)
	}
	if p.Fleet == nil {
		return nil, fmt.Errorf("this controller has no local fleet; start it with --local-fleet-dir")
	}
	return p.Fleet, nil
}

// Exists implements Provisioner.
func (p *LocalProvisioner) Exists(_ context.Context, providerName, name string) (bool, error) {
	f, err := p.fleet(providerName)
	if err != nil {
		return false, err
	}
	return f.Exists(name), nil
}

// Create implements Provisioner. A cluster of that name that serves and
// has the pools asked for is taken as created (an earlier attempt finished
// it and the controller died before it could say so); one that does not is
// deleted and made again.
func (p *LocalProvisioner) Create(ctx context.Context, c NewCluster, progress func(string)) (string, error) {
	f, err := p.fleet(c.Provider)
	if err != nil {
		return "", err
	}
	if f.Exists(c.Name) {
		if v, ok := p.complete(ctx, f, c); ok {
			return v, nil
		}
		progress(fmt.Sprintf("removing the half-created cluster %s an earlier attempt left", c.Name))
		if err := f.Down(ctx, []string{c.Name}, nil); err != nil {
			return "", fmt.Errorf("failed to remove the half-created cluster %s: %w", c.Name, err)
		}
	}
	delays := p.Delays
	if delays == (localfleet.Delays{}) && c.CloneFrom != "" && f.Exists(c.CloneFrom) {
		// Same pod and node timing as the cluster it replaces, so drains and
		// readiness on green take as long as on blue.
		if d, err := f.Delays(ctx, c.CloneFrom); err == nil {
			delays = d
		}
	}
	spec := localfleet.ClusterSpec{Name: c.Name, KubernetesVersion: c.KubernetesVersion, Pools: c.Pools, Delays: delays}
	err = f.Up(ctx, []localfleet.ClusterSpec{spec}, func(e localfleet.Event) {
		progress(fmt.Sprintf("%s: %s", e.Step, e.Message))
	})
	if err != nil {
		return "", err
	}
	cl, err := f.GetCluster(ctx, c.Name)
	if err != nil {
		return "", err
	}
	return cl.KubernetesVersion, nil
}

// complete reports whether an existing cluster serves with the pools asked
// for.
func (p *LocalProvisioner) complete(ctx context.Context, f *localfleet.Fleet, c NewCluster) (string, bool) {
	cl, err := f.GetCluster(ctx, c.Name)
	if err != nil {
		return "", false
	}
	pools, err := f.ListNodePools(ctx, c.Name)
	if err != nil || len(pools) != len(c.Pools) {
		return "", false
	}
	have := map[string]int{}
	for _, pl := range pools {
		have[pl.Name] = pl.Count
	}
	for _, want := range c.Pools {
		if n, ok := have[want.Name]; !ok || n != want.Count {
			return "", false
		}
	}
	return cl.KubernetesVersion, true
}

// Delete implements Provisioner.
func (p *LocalProvisioner) Delete(ctx context.Context, providerName, name string) error {
	switch providerName {
	case v1alpha1.ProviderLocal, "":
	default:
		return fmt.Errorf("cluster %s of provider %s: %w; delete it with the provider's own tools", name, providerName, ErrCannotDelete)
	}
	f, err := p.fleet(providerName)
	if err != nil {
		return err
	}
	if !f.Exists(name) {
		return nil
	}
	return f.Down(ctx, []string{name}, nil)
}

// RESTConfig implements Provisioner.
func (p *LocalProvisioner) RESTConfig(_ context.Context, providerName, name string) (*rest.Config, error) {
	f, err := p.fleet(providerName)
	if err != nil {
		return nil, err
	}
	return f.RESTConfig(name)
}
