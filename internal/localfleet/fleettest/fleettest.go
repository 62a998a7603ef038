// Package fleettest starts real local clusters for tests: real
// kube-apiserver, etcd, controller-manager and scheduler, with kwok nodes,
// torn down when the test ends (also when it fails). The toolchain is built
// first if it is not cached, so a test never skips for a missing binary.
//
// Each call gets its own fleet directory under $TMPDIR/upshift-fleettest/,
// so tests in parallel packages never share clusters, and a sweeper (make
// test does this) can kill what a crashed test binary left running.
package fleettest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"upshift.dev/upshift/internal/localfleet"
	"upshift.dev/upshift/internal/provider"
	"upshift.dev/upshift/internal/toolchain"
)

// Options shape a single test cluster.
type Options struct {
	// KubernetesVersion defaults to the newest supported version.
	KubernetesVersion string
	// Nodes per pool; with Pools nil, a system and an apps pool of this
	// size are created (none when 0).
	Nodes int
	Pools []provider.NodePool
	// SampleApps and FragileApp install the sample workloads.
	SampleApps bool
	FragileApp bool
	Delays     localfleet.Delays
}

// Cluster is a running test cluster.
type Cluster struct {
	Fleet      *localfleet.Fleet
	Name       string
	Context    string
	Kubeconfig string
	RESTConfig *rest.Config
	Client     kubernetes.Interface
}

// Fleet is a set of running test clusters sharing one kubeconfig.
type Fleet struct {
	*localfleet.Fleet
	Clusters map[string]*Cluster
}

// Spec turns Options into a ClusterSpec named name.
func (o Options) Spec(name string) localfleet.ClusterSpec {
	v := o.KubernetesVersion
	if v == "" {
		v = toolchain.KubernetesVersions[len(toolchain.KubernetesVersions)-1]
	}
	pools := o.Pools
	if pools == nil && o.Nodes > 0 {
		pools = localfleet.MemberPools(o.Nodes, v)
	}
	return localfleet.ClusterSpec{
		Name: name, KubernetesVersion: v, Pools: pools, Delays: o.Delays,
		SampleApps: o.SampleApps, FragileApp: o.FragileApp,
	}
}

// Start starts one cluster named "test".
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	return StartFleet(t, opts.Spec("test")).Clusters["test"]
}

// buildOnce serialises toolchain builds within a test binary; the cache's
// file lock does it across binaries.
var buildOnce sync.Mutex

// StartFleet starts the clusters in parallel and registers their teardown.
func StartFleet(t testing.TB, specs ...localfleet.ClusterSpec) *Fleet {
	t.Helper()
	ctx := context.Background()
	var versions []string
	for _, s := range specs {
		versions = append(versions, s.KubernetesVersion)
	}
	buildOnce.Lock()
	start := time.Now()
	_, err := toolchain.Cache{}.Ensure(ctx, func(p toolchain.Progress) {
		if p.Phase != toolchain.PhaseCached && p.Phase != toolchain.PhaseCompiling {
			t.Logf("toolchain: %s %s (%s)", p.Component, p.Phase, time.Since(start).Round(time.Second))
		}
	}, versions...)
	buildOnce.Unlock()
	if err != nil {
		t.Fatalf("toolchain: %v", err)
	}

	root := filepath.Join(os.TempDir(), "upshift-fleettest")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(root, sanitize(t.Name())+"-")
	if err != nil {
		t.Fatal(err)
	}
	f := &localfleet.Fleet{Dir: dir}
	t.Cleanup(func() {
		if t.Failed() {
			logComponentErrors(t, dir)
		}
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := f.Down(cctx, nil, nil); err != nil {
			t.Errorf("teardown: %v", err)
		}
		_ = os.RemoveAll(dir)
	})
	upStart := time.Now()
	if err := f.Up(ctx, specs, func(e localfleet.Event) {
		t.Logf("%s: %s: %s", e.Cluster, e.Step, e.Message)
	}); err != nil {
		t.Fatalf("local fleet up: %v", err)
	}
	t.Logf("fleet of %d up in %s", len(specs), time.Since(upStart).Round(100*time.Millisecond))

	out := &Fleet{Fleet: f, Clusters: map[string]*Cluster{}}
	for _, s := range specs {
		cfg, err := f.RESTConfig(s.Name)
		if err != nil {
			t.Fatal(err)
		}
		client, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		out.Clusters[s.Name] = &Cluster{
			Fleet: f, Name: s.Name, Context: localfleet.ContextName(s.Name),
			Kubeconfig: f.KubeconfigPath(), RESTConfig: cfg, Client: client,
		}
	}
	return out
}

func sanitize(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '-'
		}
	}
	if len(b) > 40 {
		b = b[:40]
	}
	return string(b)
}

// logComponentErrors prints the error lines of every component's log, so a
// failure in CI shows what the control plane or kwok said.
func logComponentErrors(t testing.TB, dir string) {
	logs, _ := filepath.Glob(filepath.Join(dir, "kwok", "clusters", "*", "logs", "*.log"))
	for _, path := range logs {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		var hits []string
		for _, line := range strings.Split(string(b), "\n") {
			l := strings.ToLower(line)
			if strings.Contains(l, "error") || strings.Contains(l, "panic") || strings.Contains(l, "fail") {
				hits = append(hits, line)
			}
		}
		if len(hits) > 20 {
			hits = hits[len(hits)-20:]
		}
		if len(hits) > 0 {
			rel, _ := filepath.Rel(dir, path)
			t.Logf("--- %s (last %d error lines)\n%s", rel, len(hits), strings.Join(hits, "\n"))
		}
	}
}
