package loadgen_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"upshift.dev/upshift/internal/traffic/local"
	"upshift.dev/upshift/internal/traffic/local/loadgen"
)

func TestRunIsBounded(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := served.Add(1)
		w.Header().Set(local.HeaderCluster, "blue")
		if n%10 == 0 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()

	// The count stops it before the duration does.
	res, err := loadgen.Run(context.Background(), loadgen.Config{URL: srv.URL, Rate: 1000, Duration: time.Minute, Requests: 200})
	if err != nil {
		t.Fatal(err)
	}
	s := loadgen.Summarize(res.Samples, 0)
	if s.Requests != 200 || served.Load() != 200 || s.Failed != 20 || s.Codes[500] != 20 || s.Clusters["blue"] != 180 {
		t.Fatalf("got %s, codes %v, served %d", s, s.Codes, served.Load())
	}
	for i := 1; i < len(res.Samples); i++ {
		if res.Samples[i].Start < 0 || res.Samples[i].Latency <= 0 {
			t.Fatalf("sample %d: %+v", i, res.Samples[i])
		}
	}

	// The duration stops it: 50/s for 200ms is 10 requests.
	res, err = loadgen.Run(context.Background(), loadgen.Config{URL: srv.URL, Rate: 50, Duration: 200 * time.Millisecond})
	if err != nil || len(res.Samples) != 10 {
		t.Fatalf("got %d samples, %v; want 10", len(res.Samples), err)
	}
}

func TestRunRefuses(t *testing.T) {
	for _, c := range []loadgen.Config{
		{URL: "http://192.0.2.1/", Rate: 10, Duration: time.Second},
		{URL: "http://example.com/", Rate: 10, Duration: time.Second},
		{URL: "http://127.0.0.1:1/", Rate: 0, Duration: time.Second},
		{URL: "http://127.0.0.1:1/", Rate: loadgen.MaxRate + 1, Duration: time.Second},
		{URL: "http://127.0.0.1:1/", Rate: 10, Duration: loadgen.MaxDuration + time.Second},
		{URL: "http://127.0.0.1:1/", Rate: 10, Duration: time.Second, Requests: loadgen.MaxRequests + 1},
	} {
		if _, err := loadgen.Run(context.Background(), c); err == nil || !strings.HasPrefix(err.Error(), "loadgen: ") {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

func TestSummarize(t *testing.T) {
	var samples []loadgen.Sample
	for i := 1; i <= 100; i++ {
		samples = append(samples, loadgen.Sample{Start: time.Duration(i) * time.Millisecond, Latency: time.Duration(i) * time.Millisecond, Code: 200, Cluster: "green"})
	}
	samples = append(samples, loadgen.Sample{Err: "connection refused"})
	s := loadgen.Summarize(samples, time.Second)
	if s.Requests != 101 || s.Failed != 1 || s.P50 != 50*time.Millisecond || s.P99 != 99*time.Millisecond || s.RPS != 101 || s.Clusters["green"] != 100 {
		t.Fatalf("got %s", s)
	}
}
