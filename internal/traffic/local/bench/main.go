package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"

	"upshift.dev/upshift/internal/localfleet"
	"upshift.dev/upshift/internal/toolchain"
	"upshift.dev/upshift/internal/traffic/local"
)

// Versions of the two sides, as in the issue.
const (
	blueVersion  = "1.36.3"
	greenVersion = "1.37.2"
	appPath      = "/shop/web/"
	minRPS       = 500
)

type options struct {
	rate     int
	duration time.Duration
	variants []string
}

func main() {
	// The rollback measurement's clients come long after the start; without
	// a logger controller-runtime would print a stack trace.
	ctrl.SetLogger(logr.Discard())
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole bench; it returns the exit code: 0 when no request
// failed and every variant reached minRPS, 1 otherwise, 2 for bad flags,
// 130 when interrupted. The clusters are deleted before it returns.
func run(args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.rate, "rate", 800, "requests per second sent through the gateway")
	fs.DurationVar(&o.duration, "duration", 40*time.Second, "length of each variant's load")
	variants := fs.String("variants", "all-at-once,stepped", "comma-separated variants: all-at-once, stepped")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	for _, v := range strings.Split(*variants, ",") {
		v = strings.TrimSpace(v)
		if _, ok := plans()[v]; !ok {
			fmt.Fprintf(stderr, "bench: unknown variant %q; use all-at-once or stepped\n", v)
			return 2
		}
		o.variants = append(o.variants, v)
	}
	if o.rate < minRPS || o.duration < 30*time.Second {
		fmt.Fprintf(stderr, "bench: note: below the issue's minimum of %d requests per second for 30s; fine for a trial, not for the figures\n", minRPS)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	reports, err := bench(ctx, o, stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
	}
	switch {
	case ctx.Err() != nil:
		return 130
	case err != nil:
		return 1
	}
	code := 0
	for _, r := range reports {
		if r.Total.Failed > 0 || r.Total.RPS < minRPS {
			fmt.Fprintf(stderr, "bench: %s: %d failed requests, %.0f req/s achieved (want 0 failed and at least %d/s)\n", r.Variant, r.Total.Failed, r.Total.RPS, minRPS)
			code = 1
		}
	}
	return code
}

// env is what the variants share: the two clusters behind a running data
// plane.
type env struct {
	fleet   *localfleet.Fleet
	dp      *local.DataPlane
	gateway string
	router  *local.Router
}

func bench(ctx context.Context, o options, stdout, log io.Writer) ([]Report, error) {
	started := time.Now()
	fmt.Fprintf(stdout, "machine: nproc %d, %s at start (shared with other engineers: figures vary with their load)\n", runtime.NumCPU(), loadavg())
	if _, err := (toolchain.Cache{}).Ensure(ctx, nil, blueVersion, greenVersion); err != nil {
		return nil, err
	}
	// A fleet directory of its own: other engineers' clusters live in the
	// default one, and test sweepers kill what is under upshift-fleettest.
	dir, err := os.MkdirTemp("", "upshift-bench-cutover-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	e, teardown, err := setup(ctx, dir, stdout, log)
	defer teardown()
	if err != nil {
		return nil, err
	}
	var reports []Report
	for _, v := range o.variants {
		fmt.Fprintf(log, "%s: variant %s: %d req/s for %s\n", time.Now().Format(time.TimeOnly), v, o.rate, o.duration)
		r, err := runVariant(ctx, e, v, o)
		if err != nil {
			return reports, fmt.Errorf("variant %s: %w", v, err)
		}
		r.MetricToRollback, r.RollbackNote = measureRollback(ctx, e)
		r.write(stdout)
		reports = append(reports, r)
	}
	fmt.Fprintf(stdout, "machine: %s at end; bench took %s\n", loadavg(), time.Since(started).Round(time.Second))
	return reports, nil
}

// setup starts blue and green and the data plane in front of them, and
// waits until both answer for the app. teardown is never nil.
func setup(ctx context.Context, dir string, stdout, log io.Writer) (*env, func(), error) {
	f := &localfleet.Fleet{Dir: dir}
	delays := localfleet.Delays{PodStart: 500 * time.Millisecond, PodStop: 500 * time.Millisecond}
	spec := func(name, v string) localfleet.ClusterSpec {
		return localfleet.ClusterSpec{Name: name, KubernetesVersion: v, Pools: localfleet.MemberPools(2, v), Delays: delays, SampleApps: true}
	}
	down := func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		if err := f.Down(cctx, nil, nil); err != nil {
			fmt.Fprintln(log, "bench: teardown:", err)
		}
	}
	start := time.Now()
	err := f.Up(ctx, []localfleet.ClusterSpec{spec("blue", blueVersion), spec("green", greenVersion)}, func(ev localfleet.Event) {
		fmt.Fprintf(log, "  %s: %s: %s\n", ev.Cluster, ev.Step, ev.Message)
	})
	if err != nil {
		return nil, down, err
	}
	fmt.Fprintf(stdout, "clusters: blue %s, green %s, with the sample apps (up in %s)\n", blueVersion, greenVersion, time.Since(start).Round(100*time.Millisecond))

	dp, err := local.NewDataPlane(local.DataPlaneOptions{
		Clusters: f, Dir: f.DataPlaneDir(), GatewayAddr: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return nil, down, err
	}
	dctx, stopDP := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- dp.Run(dctx) }()
	teardown := func() {
		stopDP()
		if err := <-done; err != nil {
			fmt.Fprintln(log, "bench: data plane:", err)
		}
		down()
	}
	select {
	case <-dp.Ready():
	case err := <-done:
		done <- err
		return nil, teardown, err
	}
	st := dp.State()
	router, err := local.NewRemoteRouter(st.Gateway, "blue", "green")
	if err != nil {
		return nil, teardown, err
	}
	for _, c := range []string{"blue", "green"} {
		if err := waitServing(ctx, st.Ingresses[c]+appPath); err != nil {
			return nil, teardown, fmt.Errorf("cluster %s: %w", c, err)
		}
	}
	fmt.Fprintf(stdout, "data plane: gateway %s, ingresses blue %s, green %s; ingress latency 4ms + exp(2ms)\n", st.Gateway, st.Ingresses["blue"], st.Ingresses["green"])
	return &env{fleet: f, dp: dp, gateway: st.Gateway, router: router}, teardown, nil
}

// waitServing waits until url answers 200: the ingress has synced and the
// Service has ready endpoints.
func waitServing(ctx context.Context, url string) error {
	deadline := time.Now().Add(time.Minute)
	last := ""
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(b)))
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return errors.New("not serving " + url + " after a minute: " + last)
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return "load average " + strings.Join(f[:3], " ")
	}
	return "load average unknown"
}
