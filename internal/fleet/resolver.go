package fleet

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/localfleet"
	"upshift.dev/upshift/internal/provider"
	"upshift.dev/upshift/internal/provider/aks"
)

// ProviderResolver resolves Members with the providers the controller was
// configured with.
type ProviderResolver struct {
	// Hub reads kubeconfig Secrets.
	Hub client.Reader
	// Local is the local fleet on this machine; nil disables local members.
	Local *localfleet.Fleet
	// AKS builds an AKS provider; nil disables AKS members.
	AKS func() (*aks.Provider, error)
}

var _ Resolver = (*ProviderResolver)(nil)

// Resolve implements Resolver.
func (r *ProviderResolver) Resolve(ctx context.Context, m *v1alpha1.Member) (*Cluster, error) {
	switch m.Spec.Provider {
	case v1alpha1.ProviderLocal, "":
		if r.Local == nil {
			return nil, errors.New("this controller has no local fleet; start it with --local-fleet-dir")
		}
		cfg, err := r.restConfig(ctx, m)
		if err != nil {
			return nil, err
		}
		if cfg == nil {
			if cfg, err = r.Local.RESTConfig(m.Spec.ClusterName); err != nil {
				return nil, err
			}
		}
		return r.cluster(m.Spec.ClusterName, cfg, r.Local, r.Local, r.Local)
	case v1alpha1.ProviderKubeconfig:
		cfg, err := r.restConfig(ctx, m)
		if err != nil {
			return nil, err
		}
		if cfg == nil {
			return nil, fmt.Errorf("member %s: provider kubeconfig needs spec.kubeconfigSecretRef", m.Name)
		}
		client, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return nil, err
		}
		ro := &readOnly{client: client}
		return r.cluster(m.Spec.ClusterName, cfg, ro, ro, nil)
	case v1alpha1.ProviderAKS:
		if r.AKS == nil {
			return nil, errors.New("this controller has no Azure configuration; start it with --azure-subscription (credentials come from the environment, workload identity or az login)")
		}
		p, err := r.AKS()
		if err != nil {
			return nil, err
		}
		kc, err := p.Kubeconfig(ctx, m.Spec.ClusterName)
		if err != nil {
			return nil, err
		}
		cfg, err := clientcmd.RESTConfigFromKubeConfig(kc)
		if err != nil {
			return nil, err
		}
		return r.cluster(m.Spec.ClusterName, cfg, p, p, nil)
	}
	return nil, fmt.Errorf("member %s: unknown provider %q", m.Name, m.Spec.Provider)
}

func (r *ProviderResolver) cluster(name string, cfg *rest.Config, clusters provider.Clusters, pools provider.NodePools, machines provider.Machines) (*Cluster, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 100, 200
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &Cluster{Name: name, RESTConfig: cfg, Client: client, Clusters: clusters, Pools: pools, Machines: machines}, nil
}

// restConfig reads the member's kubeconfig Secret, or returns nil when it
// names none.
func (r *ProviderResolver) restConfig(ctx context.Context, m *v1alpha1.Member) (*rest.Config, error) {
	ref := m.Spec.KubeconfigSecretRef
	if ref == nil {
		return nil, nil
	}
	key := ref.Key
	if key == "" {
		key = "kubeconfig"
	}
	s := &corev1.Secret{}
	if err := r.Hub.Get(ctx, client.ObjectKey{Namespace: m.Namespace, Name: ref.Name}, s); err != nil {
		return nil, fmt.Errorf("member %s: kubeconfig Secret %s: %w", m.Name, ref.Name, err)
	}
	data, ok := s.Data[key]
	if !ok {
		return nil, fmt.Errorf("member %s: Secret %s has no key %q", m.Name, ref.Name, key)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(data)
	if err != nil {
		return nil, fmt.Errorf("member %s: Secret %s holds no usable kubeconfig: %w", m.Name, ref.Name, err)
	}
	return cfg, nil
}
