package main

import (
	"testing"
	"time"

	"upshift.dev/upshift/internal/localfleet"
)

func TestIdealBound(t *testing.T) {
	d := localfleet.Delays{PodStart: 2 * time.Second, PodStop: time.Second, NodeReady: 2 * time.Second}
	// One pod of each app per node; api allows 1 disruption, web 5.
	budgets := []budget{{Name: "api", Pods: 50, Allowed: 1}, {Name: "web", Pods: 50, Allowed: 5}}
	for _, tc := range []struct {
		name        string
		nodes, size int
		want        time.Duration
		batches     int
	}{
		// 10 batches of 5: api needs 5 waves, 1s + 4×2s = 9s drains.
		{"10% of 50", 50, 5, 10 * (2 + 9) * time.Second, 10},
		// 17, 17, 16: 33s, 33s, 31s drains.
		{"33% of 50", 50, 17, (3*2 + 33 + 33 + 31) * time.Second, 3},
		// Node by node: one wave each.
		{"one at a time", 50, 1, 50 * (2 + 1) * time.Second, 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := idealBound(tc.nodes, tc.size, d, 0, budgets)
			if b.Total != tc.want || len(b.Drains) != tc.batches {
				t.Errorf("bound = %s over %d batches, want %s over %d (%s)", b.Total, len(b.Drains), tc.want, tc.batches, b)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		watch        bool
		want         string
	}{
		{"GET", "/api/v1/nodes", false, "list nodes"},
		{"GET", "/api/v1/nodes", true, "watch nodes"},
		{"GET", "/api/v1/nodes/n1", false, "get nodes"},
		{"PATCH", "/api/v1/nodes/n1/status", false, "patch nodes/status"},
		{"POST", "/api/v1/namespaces/bench/pods/p/eviction", false, "evict pods/eviction"},
		{"GET", "/apis/policy/v1/poddisruptionbudgets", false, "list poddisruptionbudgets"},
		{"GET", "/apis/apps/v1/namespaces/bench/daemonsets/node-agent", false, "get daemonsets"},
		{"GET", "/api", false, "get /api"},
		{"GET", "/apis/policy/v1", false, "get /apis/policy/v1"},
	} {
		if got := classify(tc.method, tc.path, tc.watch); got != tc.want {
			t.Errorf("classify(%s %s) = %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}

func TestKubectlRequestLine(t *testing.T) {
	for _, tc := range []struct {
		line string
		want bool
	}{
		{`I1125 22:09:05.931902   31678 round_trippers.go:632] "Response" verb="POST" url="https://127.0.0.1:22033/api/v1/namespaces/bench/pods/x/eviction" status="429 Too Many Requests" milliseconds=3`, true},
		{`I0101 00:00:00.000000 1 round_trippers.go:553] GET https://127.0.0.1:6443/api/v1/nodes 200 OK in 4 milliseconds`, true},
		{`error when evicting pods/"x" -n "bench" (will retry after 5s): Cannot evict pod`, false},
	} {
		if got := kubectlRequestRE.MatchString(tc.line); got != tc.want {
			t.Errorf("match(%q) = %v, want %v", tc.line, got, tc.want)
		}
	}
}
