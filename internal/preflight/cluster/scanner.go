package cluster

import (
	"context"
	"fmt"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"upshift.dev/upshift/internal/manifest"
	"upshift.dev/upshift/internal/preflight"
)

// Sink receives what a scan finds. *preflight.Engine is one; all methods
// must be safe for concurrent use.
type Sink interface {
	Observe(obj map[string]any, src preflight.Source)
	ObserveDocument(d manifest.Document, src preflight.Source)
	ObserveLastApplied(ref preflight.ObjectRef, meta metav1.Object)
	ObserveRequestedAPI(r preflight.RequestedAPI)
	CheckVersions(info preflight.VersionInfo)
	Add(f preflight.Finding)
}

var _ Sink = (*preflight.Engine)(nil)

// Scanner scans one cluster. Its fields are settings; the zero values are
// documented defaults.
type Scanner struct {
	// Config reaches the cluster.
	Config *rest.Config
	// PageSize is the list page size (limit). 500 when zero.
	PageSize int64
	// HelmPageSize is the page size for Helm release records, which are
	// large (a compressed chart each). 20 when zero.
	HelmPageSize int64
	// Workers is how many resource types are listed at once. 4 when zero.
	Workers int
	// Checks are the check groups that will run; the scan skips what none
	// of them needs. All when empty.
	Checks preflight.CheckSet
	// Progress, when set, receives one line per step.
	Progress func(msg string)
}

// Stats count what a scan read.
type Stats struct {
	ResourceTypes int
	Objects       int
	HelmReleases  int
	MetricSeries  int
}

type clients struct {
	kube     kubernetes.Interface
	dynamic  dynamic.Interface
	metadata metadata.Interface
}

// Scan reads the cluster into sink. It returns an error only when the
// cluster cannot be reached at all; partial failures are findings.
func (s *Scanner) Scan(ctx context.Context, sink Sink) (Stats, error) {
	if s.Config == nil {
		return Stats{}, fmt.Errorf("cluster scan: no REST config; use --kubeconfig and --context")
	}
	c, err := newClients(s.Config)
	if err != nil {
		return Stats{}, err
	}
	var st Stats
	if s.Checks.Has(preflight.GroupVersions) {
		s.progress("reading the control plane and node versions")
		info, err := versionInfo(ctx, c.kube, s.pageSize())
		if err != nil {
			return st, err
		}
		sink.CheckVersions(info)
	} else if _, err := c.kube.Discovery().ServerVersion(); err != nil {
		return st, fmt.Errorf("cannot reach the cluster: %w (check --kubeconfig and --context)", err)
	}
	if s.Checks.Has(preflight.GroupAPIs) || s.Checks.Has(preflight.GroupWorkloads) {
		n, objects, err := s.scanResources(ctx, c, sink)
		st.ResourceTypes, st.Objects = n, objects
		if err != nil {
			return st, err
		}
	}
	if s.Checks.Has(preflight.GroupAPIs) {
		s.progress("reading Helm release records")
		n, err := s.scanHelm(ctx, c.kube, sink)
		st.HelmReleases = n
		if err != nil {
			return st, err
		}
		s.progress("reading the apiserver_requested_deprecated_apis metric")
		st.MetricSeries, err = scanMetric(ctx, c.kube, sink)
		if err != nil {
			return st, err
		}
	}
	return st, nil
}

func newClients(cfg *rest.Config) (*clients, error) {
	cfg = rest.CopyConfig(cfg)
	// Deprecation warnings are what the scan reports; client-go would also
	// print them to stderr.
	cfg.WarningHandler = rest.NoWarnings{}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster scan: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster scan: %w", err)
	}
	md, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster scan: %w", err)
	}
	return &clients{kube: kube, dynamic: dyn, metadata: md}, nil
}

func (s *Scanner) pageSize() int64 {
	if s.PageSize > 0 {
		return s.PageSize
	}
	return 500
}

func (s *Scanner) helmPageSize() int64 {
	if s.HelmPageSize > 0 {
		return s.HelmPageSize
	}
	return 20
}

func (s *Scanner) workers() int {
	if s.Workers > 0 {
		return s.Workers
	}
	return 4
}

func (s *Scanner) progress(format string, args ...any) {
	if s.Progress != nil {
		s.Progress(fmt.Sprintf(format, args...))
	}
}

// incomplete reports a part of the cluster that could not be scanned.
func incomplete(sink Sink, ref preflight.ObjectRef, what string, err error, fix string) {
	sink.Add(preflight.Finding{
		Check: preflight.CheckScanIncomplete, Object: ref, Sources: []string{"cluster"},
		Message: fmt.Sprintf("%s: %v; findings that depend on it are missing", what, err),
		Fix:     fix,
	})
}

// counter is a concurrency-safe counter.
type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) add(n int) {
	c.mu.Lock()
	c.n += n
	c.mu.Unlock()
}

func (c *counter) value() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
