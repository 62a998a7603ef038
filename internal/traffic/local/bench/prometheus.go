package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// prometheus is a Prometheus server the bench runs for its rollback
// measurement: Debian's /usr/bin/prometheus (make deps installs it),
// scraping the given loopback targets every second.
type prometheus struct {
	url  string
	api  promv1.API
	cmd  *exec.Cmd
	done chan struct{}
}

func startPrometheus(ctx context.Context, dir string, targets []string) (*prometheus, error) {
	bin := os.Getenv("UPSHIFT_PROMETHEUS_BINARY")
	if bin == "" {
		bin = "/usr/bin/prometheus"
	}
	if _, err := exec.LookPath(bin); err != nil {
		return nil, fmt.Errorf("prometheus server %s not found (%v): run 'make deps' (apt-get install -y prometheus) or set UPSHIFT_PROMETHEUS_BINARY", bin, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	cfg := fmt.Sprintf("global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}\nscrape_configs:\n  - job_name: ingresses\n    static_configs:\n      - targets: [%s]\n",
		strings.Join(targets, ", "))
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	p := &prometheus{url: "http://" + addr, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr, "--log.level=warn")
	p.cmd.Stdout, p.cmd.Stderr = nil, nil
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	c, err := api.NewClient(api.Config{Address: p.url})
	if err != nil {
		p.stop()
		return nil, err
	}
	p.api = promv1.NewAPI(c)
	if err := p.waitUp(ctx, len(targets)); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// waitUp waits until the server is ready and has scraped every target.
func (p *prometheus) waitUp(ctx context.Context, targets int) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return errors.New("prometheus exited before it was ready")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		resp, err := http.Get(p.url + "/-/ready")
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			continue
		}
		v, _, _, err := p.api.Query(ctx, `sum(up)`, time.Now())
		if vec, ok := v.(model.Vector); err == nil && ok && len(vec) == 1 && int(vec[0].Value) == targets {
			return nil
		}
	}
	return errors.New("prometheus did not scrape every ingress within a minute")
}

func (p *prometheus) stop() {
	if p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// firstAtLeast is when query first reached threshold between from and to,
// evaluated every 50ms, as the analysis would have seen it.
func (p *prometheus) firstAtLeast(ctx context.Context, query string, threshold float64, from, to time.Time) (time.Time, error) {
	v, _, _, err := p.api.QueryRange(ctx, query, promv1.Range{Start: from, End: to, Step: 50 * time.Millisecond})
	if err != nil {
		return time.Time{}, err
	}
	m, ok := v.(model.Matrix)
	if !ok || len(m) == 0 {
		return time.Time{}, fmt.Errorf("the range query gave no series: %v", v)
	}
	for _, s := range m[0].Values {
		if float64(s.Value) >= threshold {
			return s.Timestamp.Time(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%s never reached %g", query, threshold)
}
