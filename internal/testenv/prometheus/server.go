package prometheus

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	client "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/model"
)

// DefaultBinary is where Debian's prometheus package puts the server.
const DefaultBinary = "/usr/bin/prometheus"

// Options configure Start. The zero value starts a server with no targets.
type Options struct {
	// Targets are host:port addresses on loopback whose /metrics Prometheus
	// scrapes from the start, under job "targets".
	Targets []string
	// ScrapeInterval, also the evaluation interval. 1s when zero.
	ScrapeInterval time.Duration
	// Binary is the server to run. $UPSHIFT_PROMETHEUS_BINARY, else
	// DefaultBinary, when empty.
	Binary string
	// ExtraScrapeConfigs is YAML appended to scrape_configs, indented as
	// list items ("- job_name: ..."), for tests that need relabelling or
	// other jobs.
	ExtraScrapeConfigs string
	// ReadyTimeout bounds the wait for the server to be ready. 30s when
	// zero.
	ReadyTimeout time.Duration
}

// Server is a running Prometheus.
type Server struct {
	url      string
	dir      string
	interval time.Duration
	api      promv1.API
	cmd      *exec.Cmd
	log      *syncBuffer
	exited   chan struct{}

	mu      sync.Mutex
	targets []string
}

// Start runs Prometheus for the test and stops it when the test ends. It
// returns once the server answers /-/ready.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	bin := opts.Binary
	if bin == "" {
		bin = os.Getenv("UPSHIFT_PROMETHEUS_BINARY")
	}
	if bin == "" {
		bin = DefaultBinary
	}
	if _, err := exec.LookPath(bin); err != nil {
		t.Fatalf("prometheus server %s not found (%v): run `make deps`, which installs Debian's prometheus package (apt-get install -y prometheus), or set UPSHIFT_PROMETHEUS_BINARY", bin, err)
	}
	if opts.ScrapeInterval <= 0 {
		opts.ScrapeInterval = time.Second
	}
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = 30 * time.Second
	}
	// A free port can be taken between our probe and Prometheus' bind;
	// try again with another one rather than fail the test.
	var lastErr error
	for range 3 {
		s, err := start(t, bin, opts)
		if err == nil {
			return s
		}
		lastErr = err
	}
	t.Fatalf("prometheus did not start: %v", lastErr)
	return nil
}

func start(t testing.TB, bin string, opts Options) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{
		url:      fmt.Sprintf("http://127.0.0.1:%d", port),
		dir:      t.TempDir(),
		interval: opts.ScrapeInterval,
		log:      &syncBuffer{},
		exited:   make(chan struct{}),
		targets:  slices.Clone(opts.Targets),
	}
	if err := s.writeTargets(); err != nil {
		return nil, err
	}
	cfg := filepath.Join(s.dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(s.config(opts.ExtraScrapeConfigs)), 0o644); err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin,
		"--config.file="+cfg,
		"--storage.tsdb.path="+filepath.Join(s.dir, "data"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port),
		"--web.enable-lifecycle",
		"--log.level=info",
	)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	c, err := api.NewClient(api.Config{Address: s.url})
	if err != nil {
		s.stop()
		return nil, err
	}
	s.api = promv1.NewAPI(c)
	if err := s.waitReady(opts.ReadyTimeout); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w\n--- prometheus log ---\n%s", err, s.log.String())
	}
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("--- prometheus log (%s) ---\n%s", s.url, s.log.String())
		}
	})
	return s, nil
}

func (s *Server) config(extra string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  scrape_timeout: %s\n  evaluation_interval: %s\n",
		model.Duration(s.interval), model.Duration(s.interval), model.Duration(s.interval))
	fmt.Fprintf(&b, "scrape_configs:\n  - job_name: targets\n    file_sd_configs:\n      - files: [%q]\n        refresh_interval: %s\n",
		s.targetsFile(), model.Duration(s.interval))
	for _, line := range strings.Split(strings.TrimRight(extra, "\n"), "\n") {
		if line != "" {
			b.WriteString("  " + line + "\n")
		}
	}
	return b.String()
}

func (s *Server) targetsFile() string { return filepath.Join(s.dir, "targets.json") }

// writeTargets replaces the service-discovery file atomically, as
// Prometheus asks, so that it never reads half a file.
func (s *Server) writeTargets() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	groups := []map[string]any{{"targets": s.targets, "labels": map[string]string{}}}
	data, err := json.Marshal(groups)
	if err != nil {
		return err
	}
	tmp := s.targetsFile() + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, s.targetsFile())
}

func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("prometheus exited before it was ready")
		default:
		}
		resp, err := http.Get(s.url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("prometheus was not ready within %s", timeout)
}

func (s *Server) stop() {
	if s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// URL is the server's address, e.g. http://127.0.0.1:40123, for a metric's
// provider.prometheus.address.
func (s *Server) URL() string { return s.url }

// API is a client of the server.
func (s *Server) API() promv1.API { return s.api }

// Logs returns what the server printed so far.
func (s *Server) Logs() string { return s.log.String() }

// AddTargets adds loopback host:port targets to the running server and
// waits until each was scraped successfully. Expect a few seconds:
// Prometheus applies discovery changes to its scrapers every 5s.
func (s *Server) AddTargets(t testing.TB, targets ...string) {
	t.Helper()
	s.mu.Lock()
	s.targets = append(s.targets, targets...)
	s.mu.Unlock()
	if err := s.writeTargets(); err != nil {
		t.Fatalf("prometheus: writing targets: %v", err)
	}
	s.WaitForTargets(t)
}

// WaitForTargets waits until every target is up (scraped successfully at
// least once), at most 30 scrape intervals.
func (s *Server) WaitForTargets(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	want := slices.Clone(s.targets)
	s.mu.Unlock()
	var last string
	ok := s.poll(30*s.interval+5*time.Second, func(ctx context.Context) bool {
		res, err := s.api.Targets(ctx)
		if err != nil {
			last = err.Error()
			return false
		}
		up := map[string]bool{}
		why := map[string]string{}
		for _, at := range res.Active {
			addr := at.DiscoveredLabels[model.AddressLabel]
			up[addr] = at.Health == promv1.HealthGood
			why[addr] = fmt.Sprintf("health %q, last error %q", at.Health, at.LastError)
		}
		for _, w := range want {
			if !up[w] {
				last = fmt.Sprintf("target %s not up yet: %s", w, cmp.Or(why[w], "not discovered"))
				return false
			}
		}
		return true
	})
	if !ok {
		t.Fatalf("prometheus: targets %v not up: %s", want, last)
	}
}

// Query runs an instant query now and fails the test on an error.
func (s *Server) Query(t testing.TB, query string) model.Value {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, _, _, err := s.api.Query(ctx, query, time.Now())
	if err != nil {
		t.Fatalf("prometheus: query %q: %v", query, err)
	}
	return v
}

// WaitFor runs query until ok accepts its result, at most timeout, and
// returns that result: for waiting until a scrape has seen what the test
// just did.
func (s *Server) WaitFor(t testing.TB, query string, timeout time.Duration, ok func(model.Value) bool) model.Value {
	t.Helper()
	var last model.Value
	var lastErr error
	if !s.poll(timeout, func(ctx context.Context) bool {
		last, _, _, lastErr = s.api.Query(ctx, query, time.Now())
		return lastErr == nil && ok(last)
	}) {
		t.Fatalf("prometheus: query %q did not give the expected result within %s; last: %v (err %v)", query, timeout, last, lastErr)
	}
	return last
}

func (s *Server) poll(timeout time.Duration, f func(context.Context) bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		done := f(ctx)
		cancel()
		if done {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Serve exposes a client_golang registry on a loopback HTTP server for the
// test's lifetime and returns its host:port, ready to be a target.
func Serve(t testing.TB, g client.Gatherer) string {
	t.Helper()
	srv := httptest.NewServer(promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// syncBuffer collects the server's output from two pipes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
