package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Clusters is what a data plane needs of a fleet; *localfleet.Fleet has it.
type Clusters interface {
	// Names lists the clusters that exist, sorted.
	Names() ([]string, error)
	// RESTConfig reaches a cluster's API server.
	RESTConfig(cluster string) (*rest.Config, error)
}

// DataPlaneOptions configure a DataPlane. Zero values take the defaults
// given.
type DataPlaneOptions struct {
	// Clusters is the fleet to follow. Required.
	Clusters Clusters
	// Dir keeps the lock, pid, state and weights files (see the package
	// documentation); nothing is written and nothing locked when empty.
	Dir string
	// GatewayAddr is the gateway's loopback address: 127.0.0.1:8080 when
	// empty; port 0 picks a free one.
	GatewayAddr string
	// IngressPortBase is the first port tried for an ingress, counting up
	// past ports in use; any free port when 0. A cluster keeps the port it
	// had before when that is free, so URLs survive a restart.
	IngressPortBase int
	// Ingress is the template of every ingress (latency, probes); Cluster
	// and Client are filled in per cluster.
	Ingress IngressOptions
	// DiscoverInterval is how often the fleet is listed: 1s when zero.
	DiscoverInterval time.Duration
	// Logger receives what the data plane does; discarded when nil.
	Logger *slog.Logger
}

// DefaultGatewayAddr is where the gateway listens unless told otherwise.
const DefaultGatewayAddr = "127.0.0.1:8080"

// DataPlane runs an ingress for every cluster of a fleet and the gateway in
// front of them, following the fleet as clusters come and go.
type DataPlane struct {
	opts    DataPlaneOptions
	gw      *Gateway
	log     *slog.Logger
	kick    chan chan struct{}
	active  atomic.Bool
	ready   chan struct{}
	readyMu sync.Once

	mu        sync.Mutex
	state     State
	ingresses map[string]*runningIngress
	pending   map[string]string // cluster -> why it has no ingress yet
}

type runningIngress struct {
	ingress *Ingress
	url     string
	port    int
	stop    context.CancelFunc
	done    chan struct{}
}

// NewDataPlane checks o and loads the gateway's weights; nothing listens
// before Run.
func NewDataPlane(o DataPlaneOptions) (*DataPlane, error) {
	if o.Clusters == nil {
		return nil, errors.New("data plane: no fleet given")
	}
	if o.GatewayAddr == "" {
		o.GatewayAddr = DefaultGatewayAddr
	}
	if o.DiscoverInterval <= 0 {
		o.DiscoverInterval = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Ingress.Logger == nil {
		o.Ingress.Logger = o.Logger
	}
	d := &DataPlane{opts: o, log: o.Logger, kick: make(chan chan struct{}), ready: make(chan struct{}),
		ingresses: map[string]*runningIngress{}, pending: map[string]string{}}
	weights := ""
	if o.Dir != "" {
		weights = filepath.Join(o.Dir, WeightsFileName)
	}
	gw, err := NewGateway(GatewayOptions{WeightsFile: weights, Discover: d.discoverNow, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	d.gw = gw
	return d, nil
}

// Gateway is the data plane's gateway, for a Router in this process.
func (d *DataPlane) Gateway() *Gateway { return d.gw }

// Ready is closed once Run serves the gateway and an ingress for every
// cluster that had a working kubeconfig context.
func (d *DataPlane) Ready() <-chan struct{} { return d.ready }

// State returns the URLs served now.
func (d *DataPlane) State() State {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.state.clone()
}

// Run serves until ctx ends. It fails at once, with an *AddrInUseError for
// a gateway address that is taken, or when another data plane holds Dir.
func (d *DataPlane) Run(ctx context.Context) error {
	if !d.active.CompareAndSwap(false, true) {
		return errors.New("data plane is already running")
	}
	defer d.active.Store(false)
	if d.opts.Dir != "" {
		unlock, err := lockDir(d.opts.Dir)
		if err != nil {
			return err
		}
		defer unlock()
	}
	previous, _ := readState(d.opts.Dir)
	l, err := Listen(d.opts.GatewayAddr)
	if err != nil {
		return err
	}
	// The gateway stops before the ingresses, so requests it still
	// forwards find their backend.
	var wg sync.WaitGroup
	gctx, stopGateway := context.WithCancel(ctx)
	gatewayDone := make(chan struct{})
	go func() {
		defer close(gatewayDone)
		if err := d.gw.Serve(gctx, l); err != nil {
			d.log.Error("gateway stopped", "err", err)
		}
	}()
	defer func() {
		stopGateway()
		<-gatewayDone
		d.mu.Lock()
		d.stopLocked(sortedKeys(d.ingresses))
		d.mu.Unlock()
		wg.Wait()
	}()
	d.mu.Lock()
	d.state = State{PID: currentPID(), Gateway: "http://" + l.Addr().String(), Ingresses: map[string]string{}}
	d.mu.Unlock()
	d.log.Info("gateway listening", "url", "http://"+l.Addr().String())

	t := time.NewTicker(d.opts.DiscoverInterval)
	defer t.Stop()
	for {
		d.sync(ctx, &wg, previous)
		d.readyMu.Do(func() { close(d.ready) })
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case reply := <-d.kick:
			d.sync(ctx, &wg, previous)
			close(reply)
		}
	}
}

// discoverNow has Run look at the fleet now and waits for it; the gateway
// calls it before refusing a backend it does not know.
func (d *DataPlane) discoverNow(ctx context.Context) error {
	if !d.active.Load() {
		return nil
	}
	reply := make(chan struct{})
	select {
	case d.kick <- reply:
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(5 * time.Second):
		return errors.New("data plane is not looking at the fleet")
	}
	select {
	case <-reply:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sync starts an ingress for each new cluster, stops those of clusters
// that are gone, and publishes the result to the gateway and the state
// file. A cluster whose context cannot be loaded yet (it is being
// created) is tried again on the next round.
func (d *DataPlane) sync(ctx context.Context, wg *sync.WaitGroup, previous State) {
	names, err := d.opts.Clusters.Names()
	if err != nil {
		d.log.Warn("listing the fleet failed", "err", err)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var gone []string
	for name := range d.ingresses {
		if !slices.Contains(names, name) {
			gone = append(gone, name)
		}
	}
	for _, name := range names {
		if _, ok := d.ingresses[name]; ok {
			continue
		}
		ri, err := d.start(ctx, wg, name, previous)
		if err != nil {
			// Said once per distinct error: a cluster being created
			// has no context for a few rounds.
			if msg := err.Error(); d.pending[name] != msg {
				d.pending[name] = msg
				d.log.Warn("no ingress for the cluster yet; trying again every round", "cluster", name, "err", err)
			}
			continue
		}
		delete(d.pending, name)
		d.ingresses[name] = ri
		d.log.Info("ingress listening", "cluster", name, "url", ri.url)
	}
	// The gateway forgets a backend before its ingress stops, and the
	// ingress lets what it still has finish.
	backends := map[string]string{}
	for name, ri := range d.ingresses {
		if !slices.Contains(gone, name) {
			backends[name] = ri.url
		}
	}
	if err := d.gw.SetBackends(backends); err != nil {
		d.log.Error("updating the gateway's backends failed", "err", err)
	}
	d.stopLocked(gone)
	d.state.Ingresses = backends
	if err := writeState(d.opts.Dir, d.state); err != nil {
		d.log.Warn("writing the state file failed", "err", err)
	}
}

func (d *DataPlane) start(ctx context.Context, wg *sync.WaitGroup, name string, previous State) (*runningIngress, error) {
	cfg, err := d.opts.Clusters.RESTConfig(name)
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	o := d.opts.Ingress
	o.Cluster, o.Client = name, client
	in, err := NewIngress(o)
	if err != nil {
		return nil, err
	}
	l, err := d.listenIngress(name, previous)
	if err != nil {
		return nil, err
	}
	ictx, stop := context.WithCancel(ctx)
	ri := &runningIngress{ingress: in, url: "http://" + l.Addr().String(), port: l.Addr().(*net.TCPAddr).Port, stop: stop, done: make(chan struct{})}
	var iwg sync.WaitGroup
	iwg.Add(2)
	go func() { defer iwg.Done(); _ = in.Run(ictx) }()
	go func() { defer iwg.Done(); _ = in.Serve(ictx, l) }()
	wg.Add(1)
	go func() { defer wg.Done(); iwg.Wait(); close(ri.done) }()
	return ri, nil
}

// listenIngress picks the cluster's port: the one it had, else the first
// free one from IngressPortBase, else any.
func (d *DataPlane) listenIngress(name string, previous State) (net.Listener, error) {
	var candidates []int
	if p := portOf(previous.Ingresses[name]); p > 0 {
		candidates = append(candidates, p)
	}
	if base := d.opts.IngressPortBase; base > 0 {
		for p := base; p < base+200 && p < 65536; p++ {
			candidates = append(candidates, p)
		}
	} else {
		candidates = append(candidates, 0)
	}
	taken := map[int]bool{portOf(d.state.Gateway): true}
	for _, ri := range d.ingresses {
		taken[ri.port] = true
	}
	for _, p := range candidates {
		if p != 0 && taken[p] {
			continue
		}
		if l, err := Listen(net.JoinHostPort("127.0.0.1", strconv.Itoa(p))); err == nil {
			return l, nil
		}
	}
	return nil, fmt.Errorf("no free port for the ingress of cluster %q from %d", name, d.opts.IngressPortBase)
}

func portOf(rawURL string) int {
	_, p, err := net.SplitHostPort(trimScheme(rawURL))
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(p)
	return n
}

func (d *DataPlane) stopLocked(names []string) {
	for _, n := range names {
		ri := d.ingresses[n]
		ri.stop()
		<-ri.done
		delete(d.ingresses, n)
		d.log.Info("ingress stopped", "cluster", n)
	}
}
