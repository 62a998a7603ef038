package local_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"upshift.dev/upshift/internal/traffic"
	"upshift.dev/upshift/internal/traffic/local"
)

// A blue-green switch through the gateway, with two stand-in ingresses.
func ExampleRouter() {
	ingress := func(cluster string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set(local.HeaderCluster, cluster)
		}))
	}
	blue, green := ingress("blue"), ingress("green")
	defer blue.Close()
	defer green.Close()
	gw, err := local.NewGateway(local.GatewayOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = gw.SetBackends(map[string]string{"blue": blue.URL, "green": green.URL})
	front := httptest.NewServer(gw)
	defer front.Close()

	r := local.NewRouter(gw, "blue", "green")
	for _, pct := range []int{0, 100} {
		prop, err := r.SetWeights(context.TODO(), traffic.Split("blue", "green", pct))
		if err != nil {
			fmt.Println(err)
			return
		}
		resp, err := http.Get(front.URL + "/shop/web/")
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Printf("green %3d%%: answered by %s (clients follow within %v)\n", pct, resp.Header.Get(local.HeaderCluster), prop)
	}
	// Output:
	// green   0%: answered by blue (clients follow within 0s)
	// green 100%: answered by green (clients follow within 0s)
}
