package azure

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"upshift.dev/upshift/internal/azure/armserver"
	"upshift.dev/upshift/internal/traffic"
)

// emptyProfile asks newTM for the default profile: blue at weight 1000,
// green Disabled, TTL 60 s.
func emptyProfile() armserver.Profile { return armserver.Profile{} }

func newTM(t testing.TB, profile armserver.Profile) (*armserver.Server, *TrafficManager) {
	t.Helper()
	srv := armserver.Start(t, armserver.Options{})
	if profile.Name == "" {
		profile = armserver.Profile{
			Subscription: sub, ResourceGroup: rg, Name: "prod-tm", TTL: 60,
			Endpoints: []armserver.Endpoint{
				{Name: "blue-endpoint", TargetResourceID: "/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/publicIPAddresses/blue", Weight: 1000},
				{Name: "green-endpoint", TargetResourceID: "/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/publicIPAddresses/green", Weight: 1, Status: "Disabled"},
			},
		}
	}
	mustNoErr(t, srv.AddProfile(profile))
	tm, err := NewTrafficManager(TrafficManagerConfig{
		Subscription: sub, ResourceGroup: rg, Profile: "prod-tm",
		Endpoints: map[string]Endpoint{"blue": {Name: "blue-endpoint"}, "green": {Type: "azureEndpoints", Name: "green-endpoint"}},
	}, options(srv))
	mustNoErr(t, err)
	return srv, tm
}

// state renders the server's endpoints as "name=weight/status".
func state(t testing.TB, srv *armserver.Server) string {
	t.Helper()
	p, ok := srv.Profile(sub, rg, "prod-tm")
	if !ok {
		t.Fatal("profile is gone")
	}
	var parts []string
	for _, e := range p.Endpoints {
		parts = append(parts, fmt.Sprintf("%s=%d/%s", e.Name, e.Weight, e.Status))
	}
	return strings.Join(parts, " ")
}

func TestTrafficManagerSeedSteps(t *testing.T) {
	srv, tm := newTM(t, armserver.Profile{})
	ctx := t.Context()
	w, err := tm.Weights(ctx)
	mustNoErr(t, err)
	if w.String() != "blue=100 green=0" {
		t.Fatalf("Weights = %s", w)
	}
	for _, tc := range []struct {
		green    int
		want     string
		requests int
	}{
		{20, "blue-endpoint=800/Enabled green-endpoint=200/Enabled", 5},
		{50, "blue-endpoint=500/Enabled green-endpoint=500/Enabled", 5},
		{100, "blue-endpoint=500/Disabled green-endpoint=1000/Enabled", 5},
		{100, "blue-endpoint=500/Disabled green-endpoint=1000/Enabled", 1},
		{0, "blue-endpoint=1000/Enabled green-endpoint=1000/Disabled", 5},
	} {
		t.Run(fmt.Sprintf("green=%d", tc.green), func(t *testing.T) {
			srv.ResetRequests()
			prop, err := tm.SetWeights(ctx, traffic.Split("blue", "green", tc.green))
			mustNoErr(t, err)
			if prop != 60*time.Second {
				t.Errorf("propagation = %v, want the profile's TTL of 60s", prop)
			}
			if got := state(t, srv); got != tc.want {
				t.Errorf("endpoints = %s\nwant        %s", got, tc.want)
			}
			if n := len(srv.Requests()); n != tc.requests {
				t.Errorf("%d requests (%v), want %d", n, methods(srv.Requests()), tc.requests)
			}
			w, err := tm.Weights(ctx)
			mustNoErr(t, err)
			if want := traffic.Split("blue", "green", tc.green).String(); w.String() != want {
				t.Errorf("Weights = %s, want %s", w, want)
			}
		})
	}
}

func TestTrafficManagerGainsBeforeLosses(t *testing.T) {
	srv, tm := newTM(t, armserver.Profile{})
	_, err := tm.SetWeights(t.Context(), traffic.Weights{"blue": 0, "green": 100})
	mustNoErr(t, err)
	patches := srv.RequestsMatching(armserver.Match{Method: "PATCH"})
	if len(patches) != 2 || !strings.Contains(patches[0].Path, "green-endpoint") || !strings.Contains(patches[1].Path, "blue-endpoint") {
		t.Fatalf("PATCH order = %v; green must be enabled before blue is disabled", patches)
	}
	for _, p := range patches {
		if p.APIVersion != TrafficManagerAPIVersion || p.Header.Get("If-Match") == "" {
			t.Errorf("PATCH %s: api-version %q, If-Match %q", p.Path, p.APIVersion, p.Header.Get("If-Match"))
		}
	}
	if string(patches[1].Body) != `{"properties":{"endpointStatus":"Disabled"}}` {
		t.Errorf("disabling PATCH body = %s; it should change only endpointStatus", patches[1].Body)
	}
}

func TestTrafficManagerRetriesOn412(t *testing.T) {
	srv, tm := newTM(t, armserver.Profile{})
	srv.FailRequests(armserver.Match{Method: "PATCH", Path: "green-endpoint"}, 1, 412, "PreconditionFailed", "The condition specified using HTTP conditional header(s) is not met.")
	_, err := tm.SetWeights(t.Context(), traffic.Split("blue", "green", 20))
	mustNoErr(t, err)
	got := srv.RequestsMatching(armserver.Match{Path: "green-endpoint"})
	if strings.Join(methods(got), ",") != "GET,PATCH,GET,PATCH" || got[1].Status != 412 || got[3].Status != 200 {
		t.Fatalf("green endpoint requests = %v %v; want a re-read after the 412", methods(got), statuses(got))
	}
	if got := state(t, srv); got != "blue-endpoint=800/Enabled green-endpoint=200/Enabled" {
		t.Fatalf("endpoints = %s", got)
	}
}

func TestTrafficManagerThrottled(t *testing.T) {
	srv, tm := newTM(t, armserver.Profile{})
	srv.Throttle(armserver.Match{Method: "PATCH"}, 1, time.Second)
	start := time.Now()
	_, err := tm.SetWeights(t.Context(), traffic.Split("blue", "green", 50))
	mustNoErr(t, err)
	if d := time.Since(start); d < time.Second {
		t.Errorf("SetWeights took %v; the 429 asked for Retry-After: 1", d)
	}
	patches := srv.RequestsMatching(armserver.Match{Method: "PATCH"})
	if len(patches) != 3 || patches[0].Status != 429 {
		t.Fatalf("PATCHes = %v", statuses(patches))
	}
	if got := state(t, srv); got != "blue-endpoint=500/Enabled green-endpoint=500/Enabled" {
		t.Fatalf("endpoints = %s", got)
	}
}

func TestTrafficManagerFailureLeavesWeights(t *testing.T) {
	srv, tm := newTM(t, armserver.Profile{})
	ctx := t.Context()
	// green gains first and succeeds; blue's PATCH keeps failing past
	// azcore's retries, so green must be put back.
	srv.FailRequests(armserver.Match{Method: "PATCH", Path: "blue-endpoint"}, 10, 500, "InternalServerError", "An error occurred while updating the Traffic Manager profile.")
	_, err := tm.SetWeights(ctx, traffic.Split("blue", "green", 20))
	if err == nil {
		t.Fatal("SetWeights succeeded through a failing endpoint")
	}
	for _, want := range []string{"blue-endpoint", `backend "blue"`, "InternalServerError", "An error occurred", "put back (green-endpoint)", "weights are unchanged"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if got := state(t, srv); got != "blue-endpoint=1000/Enabled green-endpoint=1/Disabled" {
		t.Fatalf("endpoints = %s; want the starting ones", got)
	}
	w, err := tm.Weights(ctx)
	mustNoErr(t, err)
	if w.String() != "blue=100 green=0" {
		t.Fatalf("Weights after the failure = %s", w)
	}
}

func TestTrafficManagerRefuses(t *testing.T) {
	srv, tm := newTM(t, armserver.Profile{})
	ctx := t.Context()
	if _, err := tm.SetWeights(ctx, traffic.Weights{"blue": 70, "green": 20}); err == nil || !strings.Contains(err.Error(), "sum to 90") {
		t.Errorf("weights summing to 90: %v", err)
	}
	if _, err := tm.SetWeights(ctx, traffic.Weights{"blue": 50, "green": 50, "red": 0}); err == nil || !strings.Contains(err.Error(), "unknown backend") {
		t.Errorf("unknown backend: %v", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("invalid weights sent %d requests", n)
	}

	mustNoErr(t, srv.AddProfile(armserver.Profile{Subscription: sub, ResourceGroup: rg, Name: "prod-tm", RoutingMethod: "Priority",
		Endpoints: []armserver.Endpoint{{Name: "blue-endpoint", Target: "blue.example.com"}, {Name: "green-endpoint", Target: "green.example.com"}}}))
	if _, err := tm.SetWeights(ctx, traffic.Split("blue", "green", 20)); err == nil || !strings.Contains(err.Error(), "routes by Priority") {
		t.Errorf("Priority profile: %v", err)
	}

	mustNoErr(t, srv.AddProfile(armserver.Profile{Subscription: sub, ResourceGroup: rg, Name: "prod-tm",
		Endpoints: []armserver.Endpoint{{Name: "blue-endpoint", Target: "b"}, {Name: "green-endpoint", Target: "g"}, {Name: "legacy", Type: "ExternalEndpoints", Target: "l"}}}))
	if _, err := tm.SetWeights(ctx, traffic.Split("blue", "green", 20)); !errors.Is(err, traffic.ErrUnsupported) || !strings.Contains(err.Error(), `"legacy"`) {
		t.Errorf("unmanaged Enabled endpoint: %v", err)
	}
	if w, err := tm.Weights(ctx); err != nil || w.String() != "blue=33 green=33" {
		t.Errorf("Weights with an unmanaged endpoint = %v, %v; want shares of all three", w, err)
	}

	mustNoErr(t, srv.AddProfile(armserver.Profile{Subscription: sub, ResourceGroup: rg, Name: "prod-tm",
		Endpoints: []armserver.Endpoint{{Name: "blue-endpoint", Target: "b"}}}))
	if _, err := tm.Weights(ctx); err == nil || !strings.Contains(err.Error(), `no endpoint AzureEndpoints/green-endpoint for backend "green"`) {
		t.Errorf("missing endpoint: %v", err)
	}

	if _, err := NewTrafficManager(TrafficManagerConfig{Subscription: sub, ResourceGroup: rg, Profile: "p",
		Endpoints: map[string]Endpoint{"a": {Name: "x"}, "b": {Name: "x"}}}, options(srv)); err == nil || !strings.Contains(err.Error(), "both map to endpoint") {
		t.Errorf("two backends on one endpoint: %v", err)
	}
}

func statuses(rs []armserver.Request) []int {
	var out []int
	for _, r := range rs {
		out = append(out, r.Status)
	}
	return out
}
