package azure

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"upshift.dev/upshift/internal/azure/armserver"
	"upshift.dev/upshift/internal/traffic"
)

const (
	blueHost  = "blue.eastus.cloudapp.azure.com"
	greenHost = "green.westus.cloudapp.azure.com"
)

var t0 = time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)

func newDNSServer(t testing.TB, ttl int64) *armserver.Server {
	t.Helper()
	srv := armserver.Start(t, armserver.Options{})
	mustNoErr(t, srv.AddRecordSet(armserver.RecordSet{
		Subscription: sub, ResourceGroup: rg, Zone: "contoso.com", Name: "api",
		TTL: ttl, CNAME: blueHost, Metadata: map[string]string{"owner": "platform"},
	}))
	return srv
}

func newDNS(t testing.TB, srv *armserver.Server, clk interface {
	Now() time.Time
	After(time.Duration) <-chan time.Time
}, onWait func(DNSWait)) *DNS {
	t.Helper()
	o := options(srv)
	o.Clock = clk
	d, err := NewDNS(DNSConfig{
		Subscription: sub, ResourceGroup: rg, Zone: "contoso.com", RecordSet: "api",
		Targets: map[string]string{"blue": blueHost, "green": greenHost + "."},
		OnWait:  onWait,
	}, o)
	mustNoErr(t, err)
	return d
}

func record(t testing.TB, srv *armserver.Server) armserver.RecordSet {
	t.Helper()
	r, ok := srv.RecordSet(sub, rg, "contoso.com", "api")
	if !ok {
		t.Fatal("record set is gone")
	}
	return r
}

func TestDNSCutoverLowersWaitsSwapsAndSettlesAfterRestart(t *testing.T) {
	srv := newDNSServer(t, 3600)
	clk := &jumpClock{now: t0}
	var waits []DNSWait
	d := newDNS(t, srv, clk, func(w DNSWait) { waits = append(waits, w) })
	ctx := t.Context()

	w, err := d.Weights(ctx)
	mustNoErr(t, err)
	if w.String() != "blue=100 green=0" {
		t.Fatalf("Weights = %s", w)
	}
	prop, err := d.SetWeights(ctx, traffic.Weights{"blue": 0, "green": 100})
	mustNoErr(t, err)
	if prop != 30*time.Second {
		t.Errorf("propagation = %v, want the low TTL of 30s", prop)
	}
	if got := clk.Waits(); len(got) != 1 || got[0] != time.Hour {
		t.Errorf("clock waits = %v, want the old TTL of 1h", got)
	}
	if len(waits) != 1 || waits[0].Duration != time.Hour || !waits[0].Until.Equal(t0.Add(time.Hour)) || !strings.Contains(waits[0].Reason, "from 3600s to 30s") {
		t.Errorf("OnWait = %+v", waits)
	}
	r := record(t, srv)
	if r.CNAME != greenHost+"." || r.TTL != 30 || r.Metadata[MetadataOriginalTTL] != "3600" || r.Metadata[MetadataLoweredAt] != "2026-08-01T12:00:00Z" || r.Metadata["owner"] != "platform" {
		t.Fatalf("record after cutover = %+v", r)
	}
	patches := srv.RequestsMatching(armserver.Match{Method: "PATCH"})
	if len(patches) != 2 || !strings.Contains(string(patches[0].Body), `"TTL":30`) || !strings.Contains(string(patches[1].Body), `"cname":"`+greenHost) {
		t.Fatalf("PATCHes = %d: lower the TTL, then swap", len(patches))
	}
	for _, p := range patches {
		if p.Header.Get("If-Match") == "" || p.APIVersion != DNSAPIVersion {
			t.Errorf("PATCH without If-Match or with api-version %q", p.APIVersion)
		}
	}
	if w, _ := d.Weights(ctx); w.String() != "blue=0 green=100" {
		t.Errorf("Weights after cutover = %s", w)
	}

	// Roll back while the TTL is still low: no wait.
	prop, err = d.SetWeights(ctx, traffic.Weights{"blue": 100, "green": 0})
	mustNoErr(t, err)
	if prop != 30*time.Second || len(clk.Waits()) != 1 {
		t.Errorf("rollback: propagation %v, waits %v", prop, clk.Waits())
	}

	// A new process (a restarted controller) restores the TTL.
	restarted := newDNS(t, srv, &jumpClock{now: t0.Add(2 * time.Hour)}, nil)
	mustNoErr(t, restarted.Settle(ctx))
	r = record(t, srv)
	if r.TTL != 3600 || len(r.Metadata) != 1 || r.Metadata["owner"] != "platform" || r.CNAME != blueHost {
		t.Fatalf("record after Settle = %+v", r)
	}
	srv.ResetRequests()
	mustNoErr(t, restarted.Settle(ctx))
	if got := methods(srv.Requests()); strings.Join(got, ",") != "GET" {
		t.Errorf("a second Settle sent %v; want just a GET", got)
	}
}

func TestDNSResumesTheWaitAfterRestart(t *testing.T) {
	srv := newDNSServer(t, 600)
	ctx, cancel := context.WithCancel(t.Context())
	// The first process lowers the TTL, starts waiting and dies.
	first := newDNS(t, srv, stuckClock{now: t0}, func(DNSWait) { cancel() })
	if _, err := first.SetWeights(ctx, traffic.Weights{"blue": 0, "green": 100}); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted cutover = %v", err)
	}
	if r := record(t, srv); r.TTL != 30 || r.CNAME != blueHost {
		t.Fatalf("record after the interruption = %+v", r)
	}
	// The next one, 400 s later, waits only the 200 s left.
	clk := &jumpClock{now: t0.Add(400 * time.Second)}
	next := newDNS(t, srv, clk, nil)
	_, err := next.SetWeights(t.Context(), traffic.Weights{"blue": 0, "green": 100})
	mustNoErr(t, err)
	if got := clk.Waits(); len(got) != 1 || got[0] != 200*time.Second {
		t.Errorf("waits after restart = %v, want [3m20s]", got)
	}
	if r := record(t, srv); r.CNAME != greenHost+"." || r.Metadata[MetadataOriginalTTL] != "600" {
		t.Fatalf("record = %+v", r)
	}
}

func TestDNSRefusesSplits(t *testing.T) {
	srv := newDNSServer(t, 300)
	d := newDNS(t, srv, &jumpClock{now: t0}, nil)
	_, err := d.SetWeights(t.Context(), traffic.Split("blue", "green", 20))
	if !errors.Is(err, traffic.ErrUnsupported) || !strings.Contains(err.Error(), "azure-traffic-manager") {
		t.Fatalf("80/20 on DNS = %v; want ErrUnsupported naming azure-traffic-manager", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("a refused split sent %d requests", n)
	}
}

func TestDNSLowTTLAlreadyAnd412AndThrottle(t *testing.T) {
	srv := newDNSServer(t, 20)
	clk := &jumpClock{now: t0}
	d := newDNS(t, srv, clk, nil)
	srv.FailRequests(armserver.Match{Method: "PATCH"}, 1, 412, "PreconditionFailed", "The condition specified using HTTP conditional header(s) is not met.")
	srv.Throttle(armserver.Match{Method: "GET"}, 1, time.Second)
	start := time.Now()
	prop, err := d.SetWeights(t.Context(), traffic.Weights{"blue": 0, "green": 100})
	mustNoErr(t, err)
	if time.Since(start) < time.Second {
		t.Error("the throttled GET was retried before Retry-After")
	}
	if prop != 20*time.Second || len(clk.Waits()) != 0 {
		t.Errorf("propagation %v and waits %v; a 20s TTL needs neither lowering nor waiting", prop, clk.Waits())
	}
	got := srv.Requests()
	if strings.Join(methods(got), ",") != "GET,GET,PATCH,GET,PATCH" || got[0].Status != 429 || got[2].Status != 412 {
		t.Fatalf("requests = %v %v", methods(got), statuses(got))
	}
	if r := record(t, srv); r.CNAME != greenHost+"." || r.TTL != 20 || r.Metadata[MetadataOriginalTTL] != "" {
		t.Fatalf("record = %+v", r)
	}
}

func TestDNSServerErrorNamesTheRecord(t *testing.T) {
	srv := newDNSServer(t, 20)
	d := newDNS(t, srv, &jumpClock{now: t0}, nil)
	srv.FailRequests(armserver.Match{Method: "PATCH"}, 10, 500, "InternalServerError", "The DNS service is unavailable.")
	_, err := d.SetWeights(t.Context(), traffic.Weights{"blue": 0, "green": 100})
	if err == nil || !strings.Contains(err.Error(), "CNAME record set api.contoso.com") || !strings.Contains(err.Error(), "InternalServerError") {
		t.Fatalf("err = %v", err)
	}
	if w, err := d.Weights(t.Context()); err != nil || w.String() != "blue=100 green=0" {
		t.Fatalf("Weights after the failure = %v, %v", w, err)
	}
}
