package armserver

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const (
	clusterPath = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/blue"
	tmPath      = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/trafficmanagerprofiles/tm"
	dnsPath     = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/dnsZones/contoso.com/CNAME/api"
)

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

// code is ARM's error.code, or "".
func (a answer) code() string {
	if e, ok := a.body["error"].(map[string]any); ok {
		s, _ := e["code"].(string)
		return s
	}
	return ""
}

func (a answer) message() string {
	if e, ok := a.body["error"].(map[string]any); ok {
		s, _ := e["message"].(string)
		return s
	}
	return ""
}

// send sends a raw request; headers may override Authorization.
func send(t *testing.T, s *Server, method, rawURL, body string, headers ...string) answer {
	t.Helper()
	if !strings.HasPrefix(rawURL, "https://") {
		rawURL = s.URL() + rawURL
	}
	req, err := http.NewRequestWithContext(t.Context(), method, rawURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+DefaultToken)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := s.ClientOptions().Transport.(*http.Client).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &a.body); err != nil {
			t.Fatalf("%s %s answered non-JSON %q", method, rawURL, raw)
		}
	}
	return a
}

func seed(t *testing.T, o Options) *Server {
	t.Helper()
	s := Start(t, o)
	err := s.AddCluster(Cluster{Subscription: "sub", ResourceGroup: "rg", Name: "blue", KubernetesVersion: "1.36.3",
		Pools: []Pool{{Name: "system", Mode: "System", Count: 3}, {Name: "user", Count: 5, UpgradeSettings: UpgradeSettings{MaxSurge: "1"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddProfile(Profile{Subscription: "sub", ResourceGroup: "rg", Name: "tm", Endpoints: []Endpoint{{Name: "blue", Target: "blue.example.com", Weight: 500}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddRecordSet(RecordSet{Subscription: "sub", ResourceGroup: "rg", Zone: "contoso.com", Name: "api", TTL: 3600, CNAME: "blue.example.com"}); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestProtocolErrors(t *testing.T) {
	s := seed(t, Options{})
	cs := "?api-version=" + ContainerServiceAPIVersion
	for _, tc := range []struct {
		name, method, url, body string
		headers                 []string
		status                  int
		code, msg               string
	}{
		{"no token", "GET", clusterPath + cs, "", []string{"Authorization", ""}, 401, "AuthenticationFailed", "'Authorization' header is missing"},
		{"bad token", "GET", clusterPath + cs, "", []string{"Authorization", "Bearer nope"}, 401, "InvalidAuthenticationToken", ""},
		{"no api-version", "GET", clusterPath, "", nil, 400, "MissingApiVersionParameter", ""},
		{"old api-version", "GET", clusterPath + "?api-version=2019-01-01", "", nil, 400, "NoRegisteredProviderFound", "2025-02-01"},
		{"missing cluster", "GET", strings.Replace(clusterPath, "blue", "green", 1) + cs, "", nil, 404, "ResourceNotFound", "managedClusters/green"},
		{"unknown type", "GET", "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm" + cs, "", nil, 404, "InvalidResourceType", ""},
		{"bad json", "PUT", clusterPath + cs, "{", nil, 400, "InvalidRequestContent", ""},
		{"skip a minor", "PUT", clusterPath + cs, `{"properties":{"kubernetesVersion":"1.38.0"}}`, nil, 400, "InvalidParameter", "Available upgrades: [1.37.1, 1.37.2]"},
		{"downgrade", "PUT", clusterPath + cs, `{"properties":{"kubernetesVersion":"1.35.4"}}`, nil, 400, "InvalidParameter", "Downgrading"},
		{"stale If-Match", "PUT", clusterPath + cs, `{"properties":{}}`, []string{"If-Match", `"old"`}, 412, "PreconditionFailed", ""},
		{"drain timeout 0", "PUT", clusterPath + "/agentPools/user" + cs, `{"properties":{"upgradeSettings":{"drainTimeoutInMinutes":0}}}`, nil, 400, "InvalidParameter", "drainTimeoutInMinutes 0 is invalid; use 1..1440"},
		{"soak 31", "PUT", clusterPath + "/agentPools/user" + cs, `{"properties":{"upgradeSettings":{"nodeSoakDurationInMinutes":31}}}`, nil, 400, "InvalidParameter", "use 0..30"},
		{"no surge, no unavailable", "PUT", clusterPath + "/agentPools/user" + cs, `{"properties":{"upgradeSettings":{"maxSurge":"0"}}}`, nil, 400, "InvalidParameter", "maxUnavailable above 0"},
		{"undrainable", "PUT", clusterPath + "/agentPools/user" + cs, `{"properties":{"upgradeSettings":{"maxSurge":"1","undrainableNodeBehavior":"Evict"}}}`, nil, 400, "InvalidParameter", "use Cordon or Schedule"},
		{"pool past control plane", "PUT", clusterPath + "/agentPools/user" + cs, `{"properties":{"orchestratorVersion":"1.37.2"}}`, nil, 400, "InvalidParameter", "newer than the control plane"},
		{"tm weight 0", "PATCH", tmPath + "/AzureEndpoints/blue?api-version=" + TrafficManagerAPIVersion, `{"properties":{"weight":0}}`, nil, 400, "BadRequest", "between 1 and 1000"},
		{"tm weight 1001", "PUT", tmPath + "/externalEndpoints/new?api-version=" + TrafficManagerAPIVersion, `{"properties":{"target":"x.example.com","weight":1001}}`, nil, 400, "BadRequest", "weight 1001 is invalid"},
		{"tm status", "PATCH", tmPath + "/azureendpoints/blue?api-version=" + TrafficManagerAPIVersion, `{"properties":{"endpointStatus":"Off"}}`, nil, 400, "BadRequest", "use Enabled or Disabled"},
		{"tm If-Match", "PATCH", tmPath + "/AzureEndpoints/blue?api-version=" + TrafficManagerAPIVersion, `{"properties":{"weight":2}}`, []string{"If-Match", `"stale"`}, 412, "PreconditionFailed", ""},
		{"dns negative TTL", "PATCH", dnsPath + "?api-version=" + DNSAPIVersion, `{"properties":{"TTL":-1}}`, nil, 400, "BadRequest", "TTL is invalid"},
		{"dns If-None-Match", "PUT", dnsPath + "?api-version=" + DNSAPIVersion, `{"properties":{"CNAMERecord":{"cname":"x"}}}`, []string{"If-None-Match", "*"}, 412, "PreconditionFailed", ""},
		{"dns no zone", "GET", strings.Replace(dnsPath, "contoso.com", "fabrikam.com", 1) + "?api-version=" + DNSAPIVersion, "", nil, 404, "ParentResourceNotFound", "fabrikam.com"},
		{"dns A record", "GET", strings.Replace(dnsPath, "CNAME", "A", 1) + "?api-version=" + DNSAPIVersion, "", nil, 400, "BadRequest", "CNAME"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := send(t, s, tc.method, tc.url, tc.body, tc.headers...)
			if a.status != tc.status || a.code() != tc.code || !strings.Contains(a.message(), tc.msg) {
				t.Fatalf("got %d %s %q; want %d %s containing %q", a.status, a.code(), a.message(), tc.status, tc.code, tc.msg)
			}
		})
	}
}

func TestSurgeCapacity(t *testing.T) {
	s := Start(t, Options{})
	if err := s.AddCluster(Cluster{Subscription: "sub", ResourceGroup: "rg", Name: "blue", KubernetesVersion: "1.37.2",
		Pools: []Pool{{Name: "system", Mode: "System", Count: 3}, {Name: "big", Count: 995, OrchestratorVersion: "1.36.3"}}}); err != nil {
		t.Fatal(err)
	}
	a := send(t, s, "PUT", clusterPath+"/agentPools/big?api-version="+ContainerServiceAPIVersion, `{"properties":{"orchestratorVersion":"1.37.2","upgradeSettings":{"maxSurge":"10%"}}}`)
	if a.status != 400 || !strings.Contains(a.message(), "995 plus 100 surge nodes") {
		t.Fatalf("got %d %q", a.status, a.message())
	}
	a = send(t, s, "PUT", clusterPath+"/agentPools/big?api-version="+ContainerServiceAPIVersion, `{"properties":{"orchestratorVersion":"1.37.2","upgradeSettings":{"maxSurge":"5"}}}`)
	if a.status != 200 {
		t.Fatalf("995 + 5 surge: got %d %q", a.status, a.message())
	}
}

func TestLongRunningOperationProtocol(t *testing.T) {
	now := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	s := seed(t, Options{LROPolls: 1, LRODuration: time.Minute, PollRetryAfter: 5 * time.Second, Now: func() time.Time { return now }})
	cs := "?api-version=" + ContainerServiceAPIVersion
	a := send(t, s, "PUT", clusterPath+cs, `{"properties":{"kubernetesVersion":"1.37.2"}}`)
	async := a.header.Get("Azure-AsyncOperation")
	if a.status != 200 || async == "" || a.header.Get("Retry-After") != "5" {
		t.Fatalf("PUT: %d, Azure-AsyncOperation %q, Retry-After %q", a.status, async, a.header.Get("Retry-After"))
	}
	props := a.body["properties"].(map[string]any)
	if props["provisioningState"] != "Upgrading" || props["currentKubernetesVersion"] != "1.36.3" {
		t.Fatalf("PUT body properties = %v", props)
	}
	if got := send(t, s, "PUT", clusterPath+"/agentPools/user"+cs, `{"properties":{"count":4}}`); got.status != 409 || got.code() != "OperationNotAllowed" {
		t.Fatalf("write during upgrade: %d %s", got.status, got.code())
	}
	if st := send(t, s, "GET", async, ""); st.body["status"] != "InProgress" {
		t.Fatalf("status before LRODuration = %v", st.body)
	}
	now = now.Add(time.Minute)
	if st := send(t, s, "GET", async, ""); st.body["status"] != "Succeeded" || st.body["endTime"] == nil {
		t.Fatalf("status after LRODuration = %v", st.body)
	}
	if c, _ := s.Cluster("sub", "rg", "blue"); c.CurrentKubernetesVersion != "1.37.2" || c.Pools[1].CurrentOrchestratorVersion != "1.36.3" {
		t.Fatalf("cluster after upgrade = %+v", c)
	}

	// DELETE answers 202 with Location; the Location URL answers 202 while
	// running and 204 at the end.
	a = send(t, s, "DELETE", clusterPath+"/agentPools/user"+cs, "")
	loc := a.header.Get("Location")
	if a.status != 202 || loc == "" || a.header.Get("Azure-AsyncOperation") == "" {
		t.Fatalf("DELETE: %d, Location %q", a.status, loc)
	}
	if r := send(t, s, "GET", loc, ""); r.status != 202 {
		t.Fatalf("Location poll while running: %d", r.status)
	}
	now = now.Add(time.Minute)
	if r := send(t, s, "GET", loc, ""); r.status != 204 {
		t.Fatalf("Location poll at the end: %d", r.status)
	}
	if c, _ := s.Cluster("sub", "rg", "blue"); len(c.Pools) != 1 {
		t.Fatalf("pools after delete = %+v", c.Pools)
	}

	// A failed operation reports Failed with ARM's error.
	s.FailNextOperation("UpgradeFailed", "node drain timed out")
	a = send(t, s, "POST", clusterPath+"/agentPools/system/upgradeNodeImageVersion"+cs, "")
	now = now.Add(time.Minute)
	st := send(t, s, "GET", a.header.Get("Azure-AsyncOperation"), "")
	if st.body["status"] != "Failed" || st.code() != "UpgradeFailed" || st.message() != "node drain timed out" {
		t.Fatalf("failed operation status = %v", st.body)
	}
	if c, _ := s.Cluster("sub", "rg", "blue"); c.Pools[0].ProvisioningState != "Failed" {
		t.Fatalf("pool after failure = %+v", c.Pools[0])
	}
}

func TestRecordingAndETags(t *testing.T) {
	s := seed(t, Options{})
	tmURL := tmPath + "/AzureEndpoints/blue?api-version=" + TrafficManagerAPIVersion
	a := send(t, s, "GET", tmURL, "")
	etag := a.header.Get("ETag")
	if a.status != 200 || etag == "" {
		t.Fatalf("GET endpoint: %d, ETag %q", a.status, etag)
	}
	if b := send(t, s, "PATCH", tmURL, `{"properties":{"weight":7}}`, "If-Match", etag); b.status != 200 || b.header.Get("ETag") == etag {
		t.Fatalf("PATCH with the ETag: %d, new ETag %q", b.status, b.header.Get("ETag"))
	}
	rs := s.RequestsMatching(Match{Method: "PATCH", Path: "/azureendpoints/blue"})
	if len(rs) != 1 || rs[0].Header.Get("If-Match") != etag || string(rs[0].Body) != `{"properties":{"weight":7}}` || rs[0].APIVersion != TrafficManagerAPIVersion || rs[0].Status != 200 {
		t.Fatalf("recorded = %+v", rs)
	}
	p, _ := s.Profile("sub", "rg", "tm")
	if p.Endpoints[0].Weight != 7 || p.Endpoints[0].Status != "Enabled" {
		t.Fatalf("endpoint = %+v", p.Endpoints[0])
	}
	s.Throttle(Match{Path: "dnszones"}, 2, 2*time.Second)
	for range 2 {
		if a := send(t, s, "GET", dnsPath+"?api-version="+DNSAPIVersion, ""); a.status != 429 || a.header.Get("Retry-After") != "2" || a.code() != "SubscriptionRequestsThrottled" {
			t.Fatalf("throttled GET: %d %q %s", a.status, a.header.Get("Retry-After"), a.code())
		}
	}
	if a := send(t, s, "GET", dnsPath+"?api-version="+DNSAPIVersion, ""); a.status != 200 || a.body["etag"] == "" {
		t.Fatalf("GET after throttling: %d %v", a.status, a.body)
	}
}
