package controller

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/fleet"
	"upshift.dev/upshift/internal/localfleet"
	"upshift.dev/upshift/internal/nodepool"
	"upshift.dev/upshift/internal/provider/aks"
	"upshift.dev/upshift/internal/strategy"
	"upshift.dev/upshift/internal/traffic/azure"
)

// Options configure the controller process. Zero values are documented.
type Options struct {
	// Namespace limits the controller to one namespace (one fleet); all
	// namespaces when empty.
	Namespace string
	// LeaderElection makes replicas elect one leader, through a Lease in
	// LeaderElectionNamespace ("upshift-system" when empty).
	LeaderElection          bool
	LeaderElectionNamespace string
	// MetricsAddr serves /metrics; ":8080"-style, "0" disables.
	MetricsAddr string
	// ProbeAddr serves /healthz and /readyz; "0" disables.
	ProbeAddr string
	// LocalFleetDir enables local members, from that local fleet.
	LocalFleetDir string
	// AzureSubscription enables AKS members and AKS clusters for
	// strategies; credentials come from azidentity's default chain
	// (environment, workload identity, managed identity, az login).
	AzureSubscription string
	// AzureResourceGroup completes AKS cluster names given without one.
	AzureResourceGroup string
	// AzureCredential and AzureClientOptions replace the default
	// credential chain and the public cloud (sovereign clouds; the local
	// ARM-protocol server in tests and demos).
	AzureCredential    azcore.TokenCredential
	AzureClientOptions *arm.ClientOptions
	// Upgrader overrides how members are upgraded (tests, benchmarks);
	// providers through ProviderUpgrader when nil.
	Upgrader func(ctrl.Manager) fleet.MemberUpgrader
	// Clock overrides the run reconciler's clock (tests).
	Clock clock.PassiveClock
	// SkipMemberProbes leaves Members' status alone; for simulated fleets
	// whose members have no cluster to probe.
	SkipMemberProbes bool
	// SeveralPerProcess allows more than one manager in a process (tests);
	// controller-runtime otherwise refuses duplicate controller names.
	SeveralPerProcess bool
}

func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = apiextensionsv1.AddToScheme(s)
	_ = v1alpha1.AddToScheme(s)
	return s
}

// Run starts the controllers and blocks until ctx ends.
func Run(ctx context.Context, cfg *rest.Config, opts Options) error {
	mgr, err := NewManager(cfg, opts)
	if err != nil {
		return err
	}
	return mgr.Start(ctx)
}

// NewManager builds the manager with every reconciler registered.
func NewManager(cfg *rest.Config, opts Options) (ctrl.Manager, error) {
	if opts.LeaderElectionNamespace == "" {
		opts.LeaderElectionNamespace = "upshift-system"
	}
	if opts.MetricsAddr == "" {
		opts.MetricsAddr = "0"
	}
	if opts.ProbeAddr == "" {
		opts.ProbeAddr = "0"
	}
	mo := ctrl.Options{
		Scheme:                        newScheme(),
		Metrics:                       metricsserver.Options{BindAddress: opts.MetricsAddr},
		HealthProbeBindAddress:        opts.ProbeAddr,
		LeaderElection:                opts.LeaderElection,
		LeaderElectionID:              "upshift-controller.upshift.dev",
		LeaderElectionNamespace:       opts.LeaderElectionNamespace,
		LeaderElectionReleaseOnCancel: true,
		// Shorter than the defaults, so a replacement takes over within
		// seconds of a crashed leader (kill -9 leaves the lease held).
		LeaseDuration: durationPtr(8 * time.Second),
		RenewDeadline: durationPtr(6 * time.Second),
		RetryPeriod:   durationPtr(1 * time.Second),
	}
	if opts.SeveralPerProcess {
		skip := true
		mo.Controller.SkipNameValidation = &skip
	}
	if opts.Namespace != "" {
		mo.Cache.DefaultNamespaces = map[string]cache.Config{opts.Namespace: {}}
	}
	mgr, err := ctrl.NewManager(cfg, mo)
	if err != nil {
		return nil, fmt.Errorf("failed to create the controller manager: %w", err)
	}
	resolver := &fleet.ProviderResolver{Hub: mgr.GetAPIReader()}
	if opts.LocalFleetDir != "" {
		resolver.Local = &localfleet.Fleet{Dir: opts.LocalFleetDir}
	}
	if sub := opts.AzureSubscription; sub != "" {
		// One provider for the process, so its token cache is shared.
		resolver.AKS = sync.OnceValues(func() (*aks.Provider, error) {
			return aks.New(aks.Options{Subscription: sub, ResourceGroup: opts.AzureResourceGroup,
				Credential: opts.AzureCredential, ClientOptions: opts.AzureClientOptions})
		})
	}
	var upgrader fleet.MemberUpgrader = &fleet.ProviderUpgrader{Resolver: resolver, Metrics: nodepool.NewMetrics(metrics.Registry)}
	if opts.Upgrader != nil {
		upgrader = opts.Upgrader(mgr)
	}
	runs := &fleet.RunReconciler{
		Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Upgrader: upgrader, Clock: opts.Clock,
		Recorder: mgr.GetEventRecorderFor("upshift"),
		Metrics:  fleet.NewMetrics(metrics.Registry),
	}
	if err := runs.SetupWithManager(mgr); err != nil {
		return nil, err
	}
	members := &fleet.MemberReconciler{Client: mgr.GetClient(), Resolver: resolver, Clock: opts.Clock}
	if !opts.SkipMemberProbes {
		if err := members.SetupWithManager(mgr); err != nil {
			return nil, err
		}
	}
	// Blue-green upgrades and canary intakes create their clusters in the
	// local fleet or on AKS, and move traffic through the local fleet's
	// data plane or Azure.
	err = strategy.Setup(mgr, strategy.SetupOptions{
		Resolver: resolver, Local: resolver.Local, AKS: resolver.AKS, Clock: opts.Clock,
		Azure: azure.Options{Credential: opts.AzureCredential, ClientOptions: opts.AzureClientOptions},
	})
	if err != nil {
		return nil, err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, err
	}
	return mgr, nil
}

func durationPtr(d time.Duration) *time.Duration { return &d }
