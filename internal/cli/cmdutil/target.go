package cmdutil

import (
	"fmt"
	"strings"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"upshift.dev/upshift/internal/localfleet"
	"upshift.dev/upshift/internal/provider"
	"upshift.dev/upshift/internal/toolchain"
)

// Target is the cluster a command acts on: its API, and the provider that
// runs it (for control-plane and node operations).
type Target struct {
	// Name is the provider's name for the cluster.
	Name       string
	Context    string
	RESTConfig *rest.Config
	Client     kubernetes.Interface
	Clusters   provider.Clusters
	Pools      provider.NodePools
	// Machines is nil for providers that upgrade pools themselves (AKS).
	Machines provider.Machines
}

// Target resolves --context to a cluster and its provider. A context of the
// local fleet (upshift-NAME) uses the local provider.
func (f *Factory) Target() (*Target, error) {
	raw, err := f.ClientConfig().RawConfig()
	if err != nil {
		return nil, err
	}
	ctxName := f.Context
	if ctxName == "" {
		ctxName = raw.CurrentContext
	}
	cfg, err := f.RESTConfig()
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	t := &Target{Context: ctxName, RESTConfig: cfg, Client: client}
	fleet := &localfleet.Fleet{Toolchain: toolchain.Cache{}}
	if name, ok := strings.CutPrefix(ctxName, "upshift-"); ok && fleet.Exists(name) {
		t.Name, t.Clusters, t.Pools, t.Machines = name, fleet, fleet, fleet
		return t, nil
	}
	return nil, fmt.Errorf("context %q is not a cluster upshift can operate: node and control-plane operations need a provider; use a local fleet context (upshift local up, then --context upshift-NAME); AKS clusters are driven by update runs on a hub (see 'upshift fleet join --provider aks')", ctxName)
}
