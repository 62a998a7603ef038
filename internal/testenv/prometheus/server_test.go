package prometheus_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	client "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"

	promtest "upshift.dev/upshift/internal/testenv/prometheus"
)

func TestServerScrapesTargets(t *testing.T) {
	first := client.NewRegistry()
	requests := client.NewCounterVec(client.CounterOpts{Name: "test_requests_total", Help: "Requests by code."}, []string{"code"})
	first.MustRegister(requests)
	requests.WithLabelValues("200").Add(7)

	srv := promtest.Start(t, promtest.Options{Targets: []string{promtest.Serve(t, first)}})
	srv.WaitForTargets(t)
	v := srv.WaitFor(t, `test_requests_total{code="200"}`, 10*time.Second, func(v model.Value) bool {
		vec, ok := v.(model.Vector)
		return ok && len(vec) == 1 && vec[0].Value == 7
	})
	t.Logf("%s", v)

	// A target added later is discovered through the file SD.
	second := client.NewRegistry()
	later := client.NewGauge(client.GaugeOpts{Name: "test_later", Help: "Added after the start."})
	second.MustRegister(later)
	later.Set(3)
	srv.AddTargets(t, promtest.Serve(t, second))
	srv.WaitFor(t, `test_later`, 10*time.Second, func(v model.Value) bool {
		vec, ok := v.(model.Vector)
		return ok && len(vec) == 1 && vec[0].Value == 3
	})
}

func TestMissingBinaryFailsWithTheFix(t *testing.T) {
	ft := &fakeT{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		promtest.Start(ft, promtest.Options{Binary: "/nonexistent/prometheus"})
	}()
	<-done
	if !ft.failed || !strings.Contains(ft.msg, "make deps") {
		t.Fatalf("want a fatal error naming `make deps`, got failed=%v %q", ft.failed, ft.msg)
	}
}

// fakeT records Fatalf and ends the goroutine the way testing.T does.
type fakeT struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed = true
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
