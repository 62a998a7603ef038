package strategy

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/provider"
	"upshift.dev/upshift/internal/provider/aks"
)

// AKSProvisioner creates the new clusters of strategies on AKS, each in
// the image of the cluster it replaces (aks.Provider.CloneCluster), and
// deletes only clusters upshift created (they carry aks.CreatedForTag).
type AKSProvisioner struct {
	// Provider returns the AKS provider; nil refuses AKS clusters with the
	// flag that enables them.
	Provider func() (*aks.Provider, error)
}

var _ Provisioner = (*AKSProvisioner)(nil)

func (a *AKSProvisioner) provider() (*aks.Provider, error) {
	if a.Provider == nil {
		return nil, errors.New("this controller has no Azure configuration; start it with --azure-subscription (and --azure-resource-group for short cluster names)")
	}
	return a.Provider()
}

// Exists implements Provisioner.
func (a *AKSProvisioner) Exists(ctx context.Context, _, name string) (bool, error) {
	p, err := a.provider()
	if err != nil {
		return false, err
	}
	_, err = p.GetCluster(ctx, name)
	if errors.Is(err, provider.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Create implements Provisioner.
func (a *AKSProvisioner) Create(ctx context.Context, c NewCluster, progress func(string)) (string, error) {
	p, err := a.provider()
	if err != nil {
		return "", err
	}
	if c.CloneFrom == "" {
		return "", fmt.Errorf("AKS cluster %s: upshift creates AKS clusters in the image of the one they replace, and none was given", c.Name)
	}
	cl, err := p.CloneCluster(ctx, aks.CloneSpec{
		Name: c.Name, From: c.CloneFrom, KubernetesVersion: c.KubernetesVersion, Pools: c.Pools,
		For: c.For, Progress: progress,
	})
	if err != nil {
		return "", err
	}
	return cl.KubernetesVersion, nil
}

// Delete implements Provisioner.
func (a *AKSProvisioner) Delete(ctx context.Context, _, name string) error {
	p, err := a.provider()
	if err != nil {
		return err
	}
	err = p.DeleteCluster(ctx, name)
	if errors.Is(err, aks.ErrNotCreatedByUpshift) {
		return fmt.Errorf("%w: %w", ErrCannotDelete, err)
	}
	return err
}

// RESTConfig implements Provisioner with the cluster's admin credentials.
func (a *AKSProvisioner) RESTConfig(ctx context.Context, _, name string) (*rest.Config, error) {
	p, err := a.provider()
	if err != nil {
		return nil, err
	}
	kc, err := p.Kubeconfig(ctx, name)
	if err != nil {
		return nil, err
	}
	return clientcmd.RESTConfigFromKubeConfig(kc)
}

// ByProvider sends each call to the provisioner of the cluster's provider
// (local when empty).
type ByProvider map[string]Provisioner

var _ Provisioner = ByProvider(nil)

func (b ByProvider) of(providerName string) (Provisioner, error) {
	if providerName == "" {
		providerName = v1alpha1.ProviderLocal
	}
	if p, ok := b[providerName]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("provider %q cannot create clusters; use provider local or aks", providerName)
}

// Exists implements Provisioner.
func (b ByProvider) Exists(ctx context.Context, providerName, name string) (bool, error) {
	p, err := b.of(providerName)
	if err != nil {
		return false, err
	}
	return p.Exists(ctx, providerName, name)
}

// Create implements Provisioner.
func (b ByProvider) Create(ctx context.Context, c NewCluster, progress func(string)) (string, error) {
	p, err := b.of(c.Provider)
	if err != nil {
		return "", err
	}
	return p.Create(ctx, c, progress)
}

// Delete implements Provisioner. Clusters of providers upshift does not
// run (kubeconfig members) wrap ErrCannotDelete.
func (b ByProvider) Delete(ctx context.Context, providerName, name string) error {
	p, err := b.of(providerName)
	if err != nil {
		return fmt.Errorf("cluster %s of provider %s: %w; delete it with the provider's own tools", name, providerName, ErrCannotDelete)
	}
	return p.Delete(ctx, providerName, name)
}

// RESTConfig implements Provisioner.
func (b ByProvider) RESTConfig(ctx context.Context, providerName, name string) (*rest.Config, error) {
	p, err := b.of(providerName)
	if err != nil {
		return nil, err
	}
	return p.RESTConfig(ctx, providerName, name)
}
