package strategy

import (
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"

	"upshift.dev/upshift/internal/fleet"
	"upshift.dev/upshift/internal/localfleet"
)

// Setup registers both reconcilers with the tools upshift ships: new
// clusters in the local fleet (nil refuses them with the flag that enables
// it), the local router on that fleet's data plane, and the Azure routers
// with DefaultAzureCredential.
func Setup(mgr ctrl.Manager, resolver fleet.Resolver, local *localfleet.Fleet, clk clock.PassiveClock) error {
	tools := Tools{Resolver: resolver, Clusters: &LocalProvisioner{Fleet: local}, Routers: &Routers{}}
	if local != nil {
		tools.Routers = &Routers{DataPlaneDir: local.DataPlaneDir()}
	}
	rec := mgr.GetEventRecorderFor("upshift")
	bg := &BlueGreenReconciler{Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Clock: clk, Recorder: rec, Tools: tools}
	if err := bg.SetupWithManager(mgr); err != nil {
		return err
	}
	ci := &CanaryReconciler{Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Clock: clk, Recorder: rec, Tools: tools}
	return ci.SetupWithManager(mgr)
}
