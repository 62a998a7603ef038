package azure_test

import (
	"context"
	"fmt"

	"upshift.dev/upshift/internal/azure/armserver"
	"upshift.dev/upshift/internal/traffic"
	"upshift.dev/upshift/internal/traffic/azure"
)

// The seed's canary steps through Traffic Manager weighted endpoints,
// against the local ARM-protocol server.
func ExampleTrafficManager() {
	srv := armserver.New(armserver.Options{})
	srv.Serve()
	defer srv.Close()
	_ = srv.AddProfile(armserver.Profile{
		Subscription: "sub", ResourceGroup: "rg", Name: "prod-tm", TTL: 60,
		Endpoints: []armserver.Endpoint{
			{Type: "ExternalEndpoints", Name: "blue-endpoint", Target: "blue.eastus.cloudapp.azure.com", Weight: 1000},
			{Type: "ExternalEndpoints", Name: "green-endpoint", Target: "green.westus.cloudapp.azure.com", Status: "Disabled"},
		},
	})
	tm, err := azure.NewTrafficManager(azure.TrafficManagerConfig{
		Subscription: "sub", ResourceGroup: "rg", Profile: "prod-tm",
		Endpoints: map[string]azure.Endpoint{
			"blue":  {Type: "ExternalEndpoints", Name: "blue-endpoint"},
			"green": {Type: "ExternalEndpoints", Name: "green-endpoint"},
		},
	}, azure.Options{Credential: srv.Credential(), ClientOptions: srv.ClientOptions()})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.TODO()
	for _, pct := range []int{20, 50, 100} {
		prop, err := tm.SetWeights(ctx, traffic.Split("blue", "green", pct))
		if err != nil {
			fmt.Println(err)
			return
		}
		p, _ := srv.Profile("sub", "rg", "prod-tm")
		fmt.Printf("green %3d%%: ", pct)
		for _, e := range p.Endpoints {
			fmt.Printf("%s=%d/%s ", e.Name, e.Weight, e.Status)
		}
		fmt.Printf("(clients follow within %v)\n", prop)
	}
	// Output:
	// green  20%: blue-endpoint=800/Enabled green-endpoint=200/Enabled (clients follow within 1m0s)
	// green  50%: blue-endpoint=500/Enabled green-endpoint=500/Enabled (clients follow within 1m0s)
	// green 100%: blue-endpoint=500/Disabled green-endpoint=1000/Enabled (clients follow within 1m0s)
}
