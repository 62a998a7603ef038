package local_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"upshift.dev/upshift/internal/traffic/local"
)

// An ingress whose API server does not answer serves nothing, and says why.
func TestIngressWithoutAPIServer(t *testing.T) {
	client, err := kubernetes.NewForConfig(&rest.Config{Host: deadBackend(t), Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	in, err := local.NewIngress(local.IngressOptions{Cluster: "gone", Client: client, ProbeInterval: 100 * time.Millisecond, Latency: -1, Jitter: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = in.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	srv := httptest.NewServer(in)
	t.Cleanup(srv.Close)

	for _, tc := range []struct {
		path string
		code int
		body string
	}{
		{"/shop/web/", http.StatusServiceUnavailable, "cluster gone: its API server has not answered yet"},
		{"/", http.StatusNotFound, "address an app as /<namespace>/<service>/"},
		{"/shop", http.StatusNotFound, "address an app as"},
	} {
		code, cluster, body := get(t, srv.URL+tc.path)
		if code != tc.code || cluster != "gone" || !strings.Contains(body, tc.body) {
			t.Errorf("GET %s: %d from %q %q; want %d from gone containing %q", tc.path, code, cluster, body, tc.code, tc.body)
		}
	}
	code, _, body := get(t, srv.URL+"/metrics")
	if code != 200 || !strings.Contains(body, `upshift_ingress_api_reachable{cluster="gone"} 0`) ||
		!strings.Contains(body, `upshift_ingress_requests_total{cluster="gone",code="503",namespace="",service=""} 1`) {
		t.Errorf("metrics:\n%s", body)
	}
}
