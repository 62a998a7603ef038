package local_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"upshift.dev/upshift/internal/traffic"
	"upshift.dev/upshift/internal/traffic/local"
)

// stubBackend answers like an ingress of cluster name, over real HTTP.
func stubBackend(t *testing.T, name string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(local.HeaderCluster, name)
		_, _ = io.WriteString(w, name+"\n")
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// deadBackend is a loopback URL that refuses connections.
func deadBackend(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func serveGateway(t *testing.T, g *local.Gateway) string {
	t.Helper()
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return srv.URL
}

func get(t *testing.T, url string, header ...string) (code int, cluster, body string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get(local.HeaderCluster), string(b)
}

func TestGatewayRoutingAndRetry(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "weights.json")
	g, err := local.NewGateway(local.GatewayOptions{WeightsFile: file})
	if err != nil {
		t.Fatal(err)
	}
	url := serveGateway(t, g)

	// No backend and no weights: a clear 503, not a hang or a 502.
	if code, _, body := get(t, url+"/shop/web/"); code != http.StatusServiceUnavailable || !strings.Contains(body, "no backend has a weight") {
		t.Fatalf("no weights: got %d %q", code, body)
	}
	if err := g.SetBackends(map[string]string{"blue": stubBackend(t, "blue"), "green": stubBackend(t, "green")}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		w    traffic.Weights
		want string
	}{{traffic.Weights{"blue": 100, "green": 0}, "blue"}, {traffic.Weights{"green": 100}, "green"}} {
		if err := g.SetWeights(ctx, tc.w); err != nil {
			t.Fatal(err)
		}
		for range 50 {
			if code, cluster, _ := get(t, url+"/shop/web/"); code != 200 || cluster != tc.want {
				t.Fatalf("weights %s: got %d from %q, want 200 from %s", tc.w, code, cluster, tc.want)
			}
		}
	}
	// A pinned request reaches a backend at weight 0.
	if _, cluster, _ := get(t, url+"/shop/web/", local.HeaderBackend, "blue"); cluster != "blue" {
		t.Fatalf("pinned to blue, answered by %q", cluster)
	}
	if code, _, body := get(t, url+"/shop/web/", local.HeaderBackend, "red"); code != http.StatusBadRequest || !strings.Contains(body, `"red"`) {
		t.Fatalf("pinned to an unknown backend: got %d %q", code, body)
	}

	t.Run("refused connection is retried on the other backend", func(t *testing.T) {
		if err := g.SetBackends(map[string]string{"blue": deadBackend(t), "green": stubBackend(t, "green")}); err != nil {
			t.Fatal(err)
		}
		if err := g.SetWeights(ctx, traffic.Weights{"blue": 50, "green": 50}); err != nil {
			t.Fatal(err)
		}
		for range 100 {
			if code, cluster, body := get(t, url+"/shop/web/"); code != 200 || cluster != "green" {
				t.Fatalf("got %d from %q: %s", code, cluster, body)
			}
		}
		// With no other backend to go to, the failure is a 502 that
		// names the backend.
		if err := g.SetWeights(ctx, traffic.Weights{"blue": 100, "green": 0}); err != nil {
			t.Fatal(err)
		}
		if code, _, body := get(t, url+"/shop/web/"); code != http.StatusBadGateway || !strings.Contains(body, "backend blue") {
			t.Fatalf("got %d %q, want 502 naming blue", code, body)
		}
	})

	t.Run("weights are refused unless valid and known", func(t *testing.T) {
		for _, w := range []traffic.Weights{{}, {"blue": 60, "green": 60}, {"blue": -1, "green": 101}} {
			if err := g.SetWeights(ctx, w); err == nil {
				t.Errorf("SetWeights(%s) succeeded", w)
			}
		}
		if err := g.SetWeights(ctx, traffic.Weights{"red": 100}); !errors.Is(err, local.ErrUnknownBackend) {
			t.Errorf("weight for an unknown backend: %v, want ErrUnknownBackend", err)
		}
		// A backend that does not exist yet may be named with 0.
		if err := g.SetWeights(ctx, traffic.Weights{"green": 100, "red": 0}); err != nil {
			t.Errorf("naming an absent backend at 0: %v", err)
		}
	})

	t.Run("weights survive a restart", func(t *testing.T) {
		if err := g.SetWeights(ctx, traffic.Weights{"blue": 30, "green": 70}); err != nil {
			t.Fatal(err)
		}
		again, err := local.NewGateway(local.GatewayOptions{WeightsFile: file})
		if err != nil {
			t.Fatal(err)
		}
		if err := again.SetBackends(g.Backends()); err != nil {
			t.Fatal(err)
		}
		if got := again.Weights(); got.String() != "blue=30 green=70" {
			t.Fatalf("restarted gateway has weights %s, want blue=30 green=70", got)
		}
	})

	t.Run("a damaged weights file is an error that names the fix", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "weights.json")
		if err := os.WriteFile(bad, []byte("{"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := local.NewGateway(local.GatewayOptions{WeightsFile: bad}); err == nil || !strings.Contains(err.Error(), "remove it") {
			t.Fatalf("got %v", err)
		}
	})
}

func TestAdminEndpoint(t *testing.T) {
	g, err := local.NewGateway(local.GatewayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.SetBackends(map[string]string{"blue": stubBackend(t, "blue"), "green": stubBackend(t, "green")}); err != nil {
		t.Fatal(err)
	}
	url := serveGateway(t, g)
	put := func(contentType, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPut, url+local.WeightsPath, strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct {
		name, contentType, body string
		code                    int
	}{
		{"valid", "application/json", `{"weights":{"blue":20,"green":80}}`, 200},
		{"not json", "text/plain", `{"weights":{"blue":100}}`, http.StatusUnsupportedMediaType},
		{"bad sum", "application/json", `{"weights":{"blue":20,"green":20}}`, http.StatusBadRequest},
		{"unknown field", "application/json", `{"weight":{"blue":100}}`, http.StatusBadRequest},
		{"unknown backend", "application/json", `{"weights":{"red":100}}`, http.StatusConflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, body := put(tc.contentType, tc.body); code != tc.code {
				t.Fatalf("PUT %s: %d %s, want %d", tc.body, code, body, tc.code)
			}
		})
	}
	if got := g.Weights().String(); got != "blue=20 green=80" {
		t.Fatalf("weights %s after the admin calls, want blue=20 green=80", got)
	}
	resp, err := http.Post(url+local.WeightsPath, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d, want 405", resp.StatusCode)
	}
}
