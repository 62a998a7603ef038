package azure

import (
	"testing"
	"time"

	"upshift.dev/upshift/internal/traffic"
)

// BenchmarkTrafficManagerSetWeights measures a full SetWeights round trip
// (profile read, then read-modify-write of each endpoint that changes)
// against the local ARM server over TLS, alternating 20% and 80% on green,
// and reports the ARM requests each one takes.
func BenchmarkTrafficManagerSetWeights(b *testing.B) {
	srv, tm := newTM(b, emptyProfile())
	ctx := b.Context()
	steps := []traffic.Weights{traffic.Split("blue", "green", 20), traffic.Split("blue", "green", 80)}
	srv.ResetRequests()
	n := 0
	for b.Loop() {
		if _, err := tm.SetWeights(ctx, steps[n%2]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(len(srv.Requests()))/float64(n), "requests/op")
}

// BenchmarkDNSSetWeights measures a CNAME swap between two backends with
// the TTL already low (no lowering, no wait): a read and a PATCH.
func BenchmarkDNSSetWeights(b *testing.B) {
	srv := newDNSServer(b, 30)
	d := newDNS(b, srv, &jumpClock{now: t0}, nil)
	ctx := b.Context()
	steps := []traffic.Weights{{"blue": 0, "green": 100}, {"blue": 100, "green": 0}}
	srv.ResetRequests()
	n := 0
	for b.Loop() {
		if prop, err := d.SetWeights(ctx, steps[n%2]); err != nil || prop != 30*time.Second {
			b.Fatal(prop, err)
		}
		n++
	}
	b.ReportMetric(float64(len(srv.Requests()))/float64(n), "requests/op")
}
