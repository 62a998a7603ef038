package strategy

import (
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/fleet"
	"upshift.dev/upshift/internal/localfleet"
	"upshift.dev/upshift/internal/provider/aks"
	"upshift.dev/upshift/internal/traffic/azure"
)

// SetupOptions are the tools Setup gives both reconcilers.
type SetupOptions struct {
	// Resolver reaches the members' clusters.
	Resolver fleet.Resolver
	// Local is the local fleet new local clusters go to, and whose data
	// plane the local router drives; nil refuses both with the flag that
	// enables them.
	Local *localfleet.Fleet
	// AKS returns the AKS provider new AKS clusters are created with; nil
	// refuses them with the flag that enables them.
	AKS func() (*aks.Provider, error)
	// Azure configures the Azure routers (credential, cloud);
	// DefaultAzureCredential and the public cloud when zero.
	Azure azure.Options
	// Clock is the reconcilers' clock; the wall clock when nil.
	Clock clock.PassiveClock
}

// Setup registers both reconcilers with the tools upshift ships: new
// clusters in the local fleet or on AKS, the local router on the local
// fleet's data plane, and the Azure routers.
func Setup(mgr ctrl.Manager, o SetupOptions) error {
	tools := Tools{
		Resolver: o.Resolver,
		Clusters: ByProvider{
			v1alpha1.ProviderLocal: &LocalProvisioner{Fleet: o.Local},
			v1alpha1.ProviderAKS:   &AKSProvisioner{Provider: o.AKS},
		},
		Routers: &Routers{Azure: o.Azure},
	}
	if o.Local != nil {
		tools.Routers = &Routers{DataPlaneDir: o.Local.DataPlaneDir(), Azure: o.Azure}
	}
	rec := mgr.GetEventRecorderFor("upshift")
	bg := &BlueGreenReconciler{Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Clock: o.Clock, Recorder: rec, Tools: tools}
	if err := bg.SetupWithManager(mgr); err != nil {
		return err
	}
	ci := &CanaryReconciler{Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Clock: o.Clock, Recorder: rec, Tools: tools}
	return ci.SetupWithManager(mgr)
}
