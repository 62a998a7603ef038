package aks

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"

	"upshift.dev/upshift/internal/azure/armclient"
	"upshift.dev/upshift/internal/provider"
)

// Options are a Provider's long-lived settings. The zero value uses the
// Azure public cloud with DefaultAzureCredential; cluster names must then
// be aks:// names or resource IDs.
type Options struct {
	// Subscription completes cluster names without one.
	Subscription string
	// ResourceGroup completes cluster names given as just <cluster>.
	ResourceGroup string
	// Credential authenticates to ARM; DefaultAzureCredential when nil.
	Credential azcore.TokenCredential
	// ClientOptions are azcore's (cloud, transport, retry, logging); nil
	// means the public cloud and azcore's defaults: three retries of 408,
	// 429 and 5xx, honouring Retry-After up to 60 s.
	ClientOptions *arm.ClientOptions
	// PollInterval is the wait between polls of a long-running operation
	// when ARM sends no Retry-After; armclient.DefaultPollInterval (10 s)
	// when zero.
	PollInterval time.Duration
	// Clock waits between polls; the wall clock when nil.
	Clock armclient.Clock
	// OnPoll, when set, is told after each poll what operation is running,
	// the status ARM reported and when the next poll is. For progress
	// output; it must not block.
	OnPoll func(op, status string, next time.Duration)
}

// Provider talks to AKS. It is safe for concurrent use.
type Provider struct {
	opts Options
	cred azcore.TokenCredential

	mu        sync.Mutex
	factories map[string]*armcontainerservice.ClientFactory
}

var (
	_ provider.Clusters  = (*Provider)(nil)
	_ provider.NodePools = (*Provider)(nil)
	_ ManagedUpgrader    = (*Provider)(nil)
)

// New returns a provider. It fails only when no credential can be made.
func New(o Options) (*Provider, error) {
	cred, err := armclient.Credential(o.Credential)
	if err != nil {
		return nil, err
	}
	return &Provider{opts: o, cred: cred, factories: map[string]*armcontainerservice.ClientFactory{}}, nil
}

// ref parses a cluster name with the provider's defaults.
func (p *Provider) ref(name string) (ClusterRef, error) {
	return ParseClusterRef(name, p.opts.Subscription, p.opts.ResourceGroup)
}

// clients returns the SDK client factory of a subscription, made once so
// its pipeline's token cache is reused.
func (p *Provider) clients(sub string) (*armcontainerservice.ClientFactory, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if f, ok := p.factories[sub]; ok {
		return f, nil
	}
	f, err := armcontainerservice.NewClientFactory(sub, p.cred, p.opts.ClientOptions)
	if err != nil {
		return nil, err
	}
	p.factories[sub] = f
	return f, nil
}

// wait polls an operation to its end with the provider's interval, clock
// and progress callback.
func wait[T any](ctx context.Context, p *Provider, op string, poller *runtime.Poller[T]) (T, error) {
	res, err := armclient.Wait(ctx, poller, armclient.WaitOptions{
		Interval: p.opts.PollInterval,
		Clock:    p.opts.Clock,
		OnPoll: func(status string, next time.Duration) {
			if p.opts.OnPoll != nil {
				p.opts.OnPoll(op, status, next)
			}
		},
	})
	return res, fail(op, err)
}

// fail turns an SDK error into one that names op, keeps ARM's code and
// message, and wraps provider.ErrNotFound or provider.ErrConflict.
func fail(op string, err error) error {
	err = armclient.Wrap(op, err)
	var e *armclient.Error
	if !errors.As(err, &e) {
		return err
	}
	switch {
	case e.LRO:
		e.Hint = "see the cluster's activity log; running the same upgrade again resumes it"
	case e.StatusCode == http.StatusNotFound:
		e.Kind = provider.ErrNotFound
	case e.StatusCode == http.StatusConflict:
		e.Kind = provider.ErrConflict
		e.Hint = "wait for the running operation to finish (az aks show --query provisioningState) and retry"
	case e.StatusCode == http.StatusPreconditionFailed:
		e.Kind = provider.ErrConflict
		e.Hint = "the object changed since upshift read it, or already exists; read it again and retry"
	}
	return e
}

// inProgress reports whether a provisioningState is not terminal.
func inProgress(state string) bool {
	switch state {
	case "", "Succeeded", "Failed", "Canceled":
		return false
	}
	return true
}

// poll GETs an object until its provisioningState is terminal, for an
// operation upshift did not start (or started before a restart).
func poll[T any](ctx context.Context, p *Provider, op string, get func(context.Context) (T, string, error)) (T, error) {
	clk := p.opts.Clock
	if clk == nil {
		clk = armclient.RealClock{}
	}
	interval := p.opts.PollInterval
	if interval <= 0 {
		interval = armclient.DefaultPollInterval
	}
	for {
		v, state, err := get(ctx)
		if err != nil || !inProgress(state) {
			return v, err
		}
		if p.opts.OnPoll != nil {
			p.opts.OnPoll(op, state, interval)
		}
		select {
		case <-ctx.Done():
			return v, ctx.Err()
		case <-clk.After(interval):
		}
	}
}

func deref[T any](v *T) T {
	if v == nil {
		var zero T
		return zero
	}
	return *v
}
