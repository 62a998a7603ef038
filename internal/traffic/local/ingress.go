package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/prometheus/client_golang/prometheus"

	upversion "upshift.dev/upshift/internal/version"
)

// Annotations on a Service that change how the ingress answers for it.
const (
	// AnnotationFailPercent makes that share of requests fail with 500.
	AnnotationFailPercent = "upshift.dev/fail-percent"
	// AnnotationLatency adds a fixed delay (a Go duration) to every answer.
	AnnotationLatency = "upshift.dev/latency"
)

// Response headers set by the ingress on every answer.
const (
	HeaderCluster           = "X-Upshift-Cluster"
	HeaderKubernetesVersion = "X-Upshift-Kubernetes-Version"
	HeaderWarning           = "X-Upshift-Warning"
)

// IngressOptions configure an Ingress. Zero values take the defaults given.
type IngressOptions struct {
	// Cluster names the cluster in answers and metrics. Required.
	Cluster string
	// Client reaches the cluster's API server. Required.
	Client kubernetes.Interface
	// Latency is the least time an answer takes: 4ms when zero, none when
	// negative.
	Latency time.Duration
	// Jitter is the mean of an exponentially distributed delay added to
	// Latency (capped at ten times the mean), so percentiles have a tail:
	// 2ms when zero, none when negative.
	Jitter time.Duration
	// ProbeInterval is how often the API server is asked for its version:
	// 1s when zero.
	ProbeInterval time.Duration
	// UnreachableAfter is how long the API server may fail to answer before
	// every app on the cluster gets 503: 3s when zero. It is longer than a
	// probe so one slow answer on a loaded machine does not flap the
	// cluster.
	UnreachableAfter time.Duration
	// Logger receives probe failures and recoveries; discarded when nil.
	Logger *slog.Logger
}

func (o *IngressOptions) defaults() {
	if o.Latency == 0 {
		o.Latency = 4 * time.Millisecond
	}
	if o.Jitter == 0 {
		o.Jitter = 2 * time.Millisecond
	}
	if o.ProbeInterval <= 0 {
		o.ProbeInterval = time.Second
	}
	if o.UnreachableAfter <= 0 {
		o.UnreachableAfter = 3 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// Ingress answers HTTP for the apps of one cluster; see the package
// documentation for what it answers. It is an http.Handler; Run keeps its
// view of the cluster current.
type Ingress struct {
	opts     IngressOptions
	factory  informers.SharedInformerFactory
	services corelisters.ServiceLister
	slices   cache.Indexer
	synced   []cache.InformerSynced
	metrics  *ingressMetrics
	metricsH http.Handler

	running atomic.Bool
	ready   atomic.Bool            // informers synced
	lastOK  atomic.Int64           // unix nanos of the last answered probe
	version atomic.Pointer[string] // Kubernetes version of the last probe
}

// sliceIndex indexes EndpointSlices by "namespace/service".
const sliceIndex = "service"

// NewIngress checks o and sets up the informers; nothing talks to the
// cluster before Run.
func NewIngress(o IngressOptions) (*Ingress, error) {
	if o.Cluster == "" || o.Client == nil {
		return nil, errors.New("ingress: set the cluster name and its client")
	}
	o.defaults()
	// Managed fields are most of an object's size and never read here.
	factory := informers.NewSharedInformerFactoryWithOptions(o.Client, 0, informers.WithTransform(stripManagedFields))
	svc := factory.Core().V1().Services()
	eps := factory.Discovery().V1().EndpointSlices()
	if err := eps.Informer().AddIndexers(cache.Indexers{sliceIndex: indexByService}); err != nil {
		return nil, err
	}
	in := &Ingress{
		opts:     o,
		factory:  factory,
		services: svc.Lister(),
		slices:   eps.Informer().GetIndexer(),
		synced:   []cache.InformerSynced{svc.Informer().HasSynced, eps.Informer().HasSynced},
	}
	in.metrics = newIngressMetrics(o.Cluster, in.reachable)
	in.metricsH = in.metrics.handler()
	empty := ""
	in.version.Store(&empty)
	return in, nil
}

func stripManagedFields(obj any) (any, error) {
	if a, err := meta.Accessor(obj); err == nil {
		a.SetManagedFields(nil)
	}
	return obj, nil
}

func indexByService(obj any) ([]string, error) {
	s, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok {
		return nil, nil
	}
	name := s.Labels[discoveryv1.LabelServiceName]
	if name == "" {
		return nil, nil
	}
	return []string{s.Namespace + "/" + name}, nil
}

// Cluster is the name the ingress answers with.
func (in *Ingress) Cluster() string { return in.opts.Cluster }

// Registry is the ingress's metrics, also served on its /metrics.
func (in *Ingress) Registry() prometheus.Gatherer { return in.metrics.reg }

// Run watches the cluster until ctx ends. It returns at once with an error
// if the ingress already runs.
func (in *Ingress) Run(ctx context.Context) error {
	if !in.running.CompareAndSwap(false, true) {
		return fmt.Errorf("ingress for cluster %q is already running", in.opts.Cluster)
	}
	in.factory.Start(ctx.Done())
	go func() {
		if cache.WaitForCacheSync(ctx.Done(), in.synced...) {
			in.ready.Store(true)
		}
	}()
	in.probeLoop(ctx)
	in.factory.Shutdown()
	return nil
}

// probeLoop asks the API server for its version every ProbeInterval, which
// tells both whether it answers and which version the cluster runs now (a
// control-plane upgrade changes it under a running ingress).
func (in *Ingress) probeLoop(ctx context.Context) {
	t := time.NewTicker(in.opts.ProbeInterval)
	defer t.Stop()
	healthy := true
	for {
		err := in.probe(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && healthy:
			in.opts.Logger.Warn("API server probe failed", "cluster", in.opts.Cluster, "err", err)
			healthy = false
		case err == nil && !healthy:
			in.opts.Logger.Info("API server answers again", "cluster", in.opts.Cluster, "version", *in.version.Load())
			healthy = true
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (in *Ingress) probe(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(ctx, in.opts.ProbeInterval)
	defer cancel()
	raw, err := in.opts.Client.Discovery().RESTClient().Get().AbsPath("/version").Do(pctx).Raw()
	if err != nil {
		return err
	}
	var info version.Info
	if err := json.Unmarshal(raw, &info); err != nil {
		return fmt.Errorf("decoding /version: %w", err)
	}
	v := upversion.Trim(info.GitVersion)
	in.version.Store(&v)
	in.lastOK.Store(time.Now().UnixNano())
	return nil
}

// reachable reports whether the API server answered within
// UnreachableAfter.
func (in *Ingress) reachable() bool {
	last := in.lastOK.Load()
	return last != 0 && time.Since(time.Unix(0, last)) < in.opts.UnreachableAfter
}

// Serve answers on l until ctx ends, then shuts down gracefully: requests
// in flight finish (at most 5s).
func (in *Ingress) Serve(ctx context.Context, l net.Listener) error {
	return serve(ctx, l, in)
}
