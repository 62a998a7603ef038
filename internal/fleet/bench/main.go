// Command bench measures the update-run controller on a real hub API
// server with N simulated members (N = 10, 100, 1000 by default; 1000 is
// Azure Kubernetes Fleet Manager's limit per fleet). Member upgrades take a
// fixed time (fleet.SimulatedUpgrader), since what is measured is the
// controller: how close its makespan comes to the ideal schedule the
// strategy allows, how many hub API writes it needs per member, and its CPU
// time and peak memory.
//
// The strategy is three stages (10%, 30% and 60% of the members), each one
// group with maxConcurrency 25%, no waits or gates, so the ideal makespan is
// the sum over stages of ceil(members / concurrency) upgrade durations.
//
// Writes are counted on the controller's own HTTP transport. The simulated
// upgrader's one write per member (recording the new version on the
// Member, standing in for the cluster's own change) is counted apart.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/controller"
	"upshift.dev/upshift/internal/fleet"
	"upshift.dev/upshift/internal/localfleet"
	"upshift.dev/upshift/internal/toolchain"
)

func main() {
	sizes := flag.String("members", "10,100,1000", "fleet sizes to run, comma-separated")
	dur := flag.Duration("upgrade", 2*time.Second, "simulated duration of one member upgrade")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the runs (the controller runs in this process) to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench-fleet:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "bench-fleet:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	ctrl.SetLogger(logr.Discard())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *sizes, *dur); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench-fleet:", err)
		os.Exit(1)
	}
}

type result struct {
	members         int
	makespan, ideal time.Duration
	writes, reads   int64
	simulated       int64
	cpu, hubCPU     time.Duration
	peakHeap        uint64
	statusBytes     int
}

func run(ctx context.Context, sizes string, dur time.Duration) error {
	fmt.Printf("bench-fleet: nproc %d, load %s\n", runtime.NumCPU(), loadavg())
	if _, err := (toolchain.Cache{}).Ensure(ctx, nil, "1.37.2"); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "upshift-bench-fleet-")
	if err != nil {
		return err
	}
	f := &localfleet.Fleet{Dir: dir}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = f.Down(cctx, nil, nil)
		_ = os.RemoveAll(dir)
	}()
	fmt.Println("bench-fleet: starting a hub (real kube-apiserver and etcd)")
	if err := f.Up(ctx, []localfleet.ClusterSpec{{Name: "hub", KubernetesVersion: "1.37.2"}}, nil); err != nil {
		return err
	}
	cfg, err := f.RESTConfig("hub")
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = 500, 1000
	if err := controller.Install(ctx, cfg); err != nil {
		return err
	}
	var results []result
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("-members %q: use positive numbers", s)
		}
		r, err := runOne(ctx, cfg, n, dur, hubCPU(dir))
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MEMBERS\tMAKESPAN\tIDEAL\tRATIO\tHUB WRITES/MEMBER\tHUB READS/MEMBER\tCPU\tCPU/MEMBER\tPEAK HEAP\tSTATUS SIZE\tHUB API SERVER+ETCD CPU")
	for _, r := range results {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%.2f\t%.2f\t%.2f\t%s\t%s\t%.0f MiB\t%d KiB\t%s\n", r.members,
			r.makespan.Round(10*time.Millisecond), r.ideal, r.makespan.Seconds()/r.ideal.Seconds(),
			float64(r.writes)/float64(r.members), float64(r.reads)/float64(r.members),
			r.cpu.Round(10*time.Millisecond), (r.cpu / time.Duration(r.members)).Round(10*time.Microsecond),
			float64(r.peakHeap)/(1<<20), r.statusBytes/1024, r.hubCPU.Round(10*time.Millisecond))
	}
	tw.Flush()
	fmt.Printf("(simulated member upgrades of %s each; the simulator's own write per member is not in HUB WRITES; load now %s)\n", dur, loadavg())
	return nil
}

// countingTransport counts the controller's requests by kind.
type countingTransport struct {
	next          http.RoundTripper
	writes, reads *atomic.Int64
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		c.reads.Add(1)
	} else {
		c.writes.Add(1)
	}
	return c.next.RoundTrip(r)
}

func runOne(ctx context.Context, base *rest.Config, n int, dur time.Duration, hubCPU func() time.Duration) (result, error) {
	ns := fmt.Sprintf("bench-%d", n)
	setup, err := client.New(base, client.Options{Scheme: controllerScheme()})
	if err != nil {
		return result{}, err
	}
	if err := setup.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return result{}, err
	}
	stages := []struct {
		name  string
		share float64
	}{{"dev", 0.1}, {"test", 0.3}, {"prod", 0.6}}
	var strategy v1alpha1.UpdateStrategySpec
	ideal, made := time.Duration(0), 0
	for i, st := range stages {
		count := int(math.Round(float64(n) * st.share))
		if i == len(stages)-1 {
			count = n - made
		}
		count = max(count, 1)
		made += count
		for j := 0; j < count; j++ {
			m := &v1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%04d", st.name, j), Namespace: ns},
				Spec: v1alpha1.MemberSpec{Provider: v1alpha1.ProviderKubeconfig, ClusterName: st.name, Group: st.name}}
			if err := setup.Create(ctx, m); err != nil {
				return result{}, err
			}
		}
		strategy.Stages = append(strategy.Stages, v1alpha1.StageSpec{Name: st.name, Groups: []v1alpha1.GroupSpec{{Name: st.name, MaxConcurrency: "25%"}}})
		conc := max(1, int(math.Ceil(float64(count)*0.25)))
		ideal += time.Duration(math.Ceil(float64(count)/float64(conc))) * dur
	}

	var writes, reads, simulated atomic.Int64
	cfg := rest.CopyConfig(base)
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return countingTransport{rt, &writes, &reads} }
	simCfg := rest.CopyConfig(base)
	simCfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return countingTransport{rt, &simulated, &atomic.Int64{}}
	}
	simClient, err := client.New(simCfg, client.Options{Scheme: controllerScheme()})
	if err != nil {
		return result{}, err
	}
	mgr, err := controller.NewManager(cfg, controller.Options{
		Namespace: ns, SkipMemberProbes: true, SeveralPerProcess: true,
		Upgrader: func(ctrl.Manager) fleet.MemberUpgrader {
			return &fleet.SimulatedUpgrader{Client: simClient, Duration: dur}
		},
	})
	if err != nil {
		return result{}, err
	}
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mctx) }()
	defer func() { cancel(); <-done }()
	if !mgr.GetCache().WaitForCacheSync(mctx) {
		return result{}, fmt.Errorf("controller cache did not sync")
	}

	var peak atomic.Uint64
	sampler, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	go samplePeak(sampler, &peak)
	writes.Store(0)
	reads.Store(0)
	// The end is seen through a watch: polling a status of 150 KiB would
	// load the hub (and this process) as much as the controller does.
	watcher, err := client.NewWithWatch(base, client.Options{Scheme: controllerScheme()})
	if err != nil {
		return result{}, err
	}
	runs := &v1alpha1.UpdateRunList{}
	w, err := watcher.Watch(ctx, runs, client.InNamespace(ns))
	if err != nil {
		return result{}, err
	}
	defer w.Stop()
	cpu0, hub0 := cpuTime(), hubCPU()
	start := time.Now()
	run := &v1alpha1.UpdateRun{ObjectMeta: metav1.ObjectMeta{Name: "bench", Namespace: ns}, Spec: v1alpha1.UpdateRunSpec{
		Strategy: &strategy, State: v1alpha1.RunStart, Upgrade: v1alpha1.UpgradeSpec{Type: v1alpha1.UpgradeFull, KubernetesVersion: "1.37.2"}}}
	if err := setup.Create(ctx, run); err != nil {
		return result{}, err
	}
	fmt.Printf("bench-fleet: %d members: running (ideal %s)\n", n, ideal)
	timeout := time.After(30 * time.Minute)
	for done := false; !done; {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				return result{}, fmt.Errorf("the watch of the run ended")
			}
			got, isRun := ev.Object.(*v1alpha1.UpdateRun)
			if !isRun {
				continue
			}
			run = got
			if run.Status.State == v1alpha1.StateFailed {
				return result{}, fmt.Errorf("the run failed: %s", run.Status.Error)
			}
			done = run.Status.State == v1alpha1.StateCompleted
		case <-timeout:
			return result{}, fmt.Errorf("the run did not complete in 30 minutes")
		case <-ctx.Done():
			return result{}, ctx.Err()
		}
	}
	makespan := time.Since(start)
	raw, _ := runtimeJSONSize(run)
	return result{members: n, makespan: makespan, ideal: ideal, writes: writes.Load(), reads: reads.Load(),
		simulated: simulated.Load(), cpu: cpuTime() - cpu0, hubCPU: hubCPU() - hub0, peakHeap: peak.Load(), statusBytes: raw}, nil
}

// hubCPU returns a function that reads the CPU time the hub's
// kube-apiserver and etcd have used, from their pid files and /proc.
func hubCPU(fleetDir string) func() time.Duration {
	return func() time.Duration {
		var total time.Duration
		for _, name := range []string{"kube-apiserver", "etcd"} {
			b, err := os.ReadFile(filepath.Join(fleetDir, "kwok", "clusters", "hub", "pids", name+".pid"))
			if err != nil {
				continue
			}
			stat, err := os.ReadFile(filepath.Join("/proc", strings.TrimSpace(string(b)), "stat"))
			if err != nil {
				continue
			}
			// Fields after the command (which may hold spaces): utime and
			// stime are the 12th and 13th, in clock ticks (100 per second).
			f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
			if len(f) > 12 {
				ut, _ := strconv.ParseInt(f[11], 10, 64)
				st, _ := strconv.ParseInt(f[12], 10, 64)
				total += time.Duration(ut+st) * 10 * time.Millisecond
			}
		}
		return total
	}
}

func controllerScheme() *kruntime.Scheme {
	s := kruntime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = v1alpha1.AddToScheme(s)
	return s
}

// cpuTime is this process's user plus system CPU time; the controller runs
// in it, and the bench's own work during a run is one watch of the run.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// samplePeak records the largest heap in use until ctx ends.
func samplePeak(ctx context.Context, peak *atomic.Uint64) {
	var ms runtime.MemStats
	for ctx.Err() == nil {
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse > peak.Load() {
			peak.Store(ms.HeapInuse)
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func runtimeJSONSize(run *v1alpha1.UpdateRun) (int, error) {
	b, err := json.Marshal(run)
	return len(b), err
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
