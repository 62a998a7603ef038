// Package local is the stand-in data plane of the local fleet. kwok pods run
// no processes, so nothing in a local cluster answers HTTP; this package
// answers for the cluster, driven by what the cluster's real API server
// reports, and puts a weighted L7 gateway in front of the clusters so the
// blue-green and canary strategies have real traffic to move.
//
// # Ingress: one per cluster
//
// An Ingress serves HTTP on loopback for one cluster. An app is a Service,
// addressed by path prefix:
//
//	http://127.0.0.1:<ingress port>/<namespace>/<service>/<anything>
//
// so /shop/web/ and /shop/web/cart/42 both reach Service shop/web. Path
// prefixes were chosen over Host names because they work with curl,
// browsers and Prometheus without any name resolution. The path /metrics
// itself is the Prometheus endpoint (an app is always two segments deep,
// so nothing is hidden by it).
//
// The ingress watches Services and EndpointSlices with client-go informers
// and answers, in this order:
//
//   - 503 until its informers have synced, and whenever the cluster's API
//     server has not answered a probe (GET /version, every
//     IngressOptions.ProbeInterval) for IngressOptions.UnreachableAfter:
//     a cluster whose control plane is gone is treated as gone, since
//     nothing would repair its apps;
//   - 404 when the Service does not exist in the cluster;
//   - 503 when the Service has no ready endpoint (an endpoint counts as
//     ready when its ready condition is true or unset, as the
//     EndpointSlice API says), so scaling a Deployment to zero takes the
//     app off this cluster;
//   - 500 for an injected fault (below);
//   - 200 with a small JSON body naming the cluster and the Kubernetes
//     version its API server reports.
//
// Every answer carries the headers X-Upshift-Cluster and
// X-Upshift-Kubernetes-Version, so a load generator can tell which cluster
// answered without parsing the body, and takes IngressOptions.Latency plus
// an exponentially distributed extra delay of mean IngressOptions.Jitter
// (4ms + ~2ms by default), so latency percentiles have a shape and a tail.
//
// # Fault injection
//
// A share of an app's requests fails with 500 when its Service carries the
// annotation upshift.dev/fail-percent (AnnotationFailPercent), a number
// from 0 to 100 (fractions allowed). The annotation is read through the
// informer, so the fault follows the cluster, not the process:
//
//	kubectl --context upshift-green -n shop annotate service web upshift.dev/fail-percent=20
//	kubectl --context upshift-green -n shop annotate service web upshift.dev/fail-percent-
//
// Each request fails independently with that probability. A value that is
// not a number in 0..100 is ignored (no faults) and reported in the
// X-Upshift-Warning response header. upshift.dev/latency
// (AnnotationLatency, a Go duration such as 150ms) adds a fixed delay to
// every answer of that app, to exercise latency-based analysis.
//
// Metrics (on /metrics of each ingress): upshift_ingress_requests_total
// {cluster, namespace, service, code}, the histogram
// upshift_ingress_request_duration_seconds {cluster, namespace, service},
// and upshift_ingress_api_reachable {cluster}. Requests for paths that name
// no existing Service are counted with empty namespace and service, so an
// arbitrary path cannot create a time series.
//
// # Gateway
//
// The Gateway is a reverse proxy (net/http/httputil) in front of the
// ingresses, one backend per cluster. It picks a backend for every request
// from the current weights, so a weight change affects the very next
// request: there is no TTL and no connection affinity. A request in flight
// finishes on the backend it started on; a backend at weight 0 receives no
// new request. When the connection to the chosen backend fails before any
// response byte arrives, the request is retried once on another backend
// picked from the weights of that moment among those with weight above 0,
// if there is one; only requests without a body are retried, and only when
// the failure was a refused or failed dial or the method is idempotent, so
// a request the backend may have acted on is never sent twice. A request
// may pin its backend with the header X-Upshift-Backend (for checks of a
// cluster that has no weight yet); pinned requests are not retried.
//
// Weights are percentages per backend. Backends not named are at 0. They
// are written to a file (GatewayOptions.WeightsFile) before SetWeights
// returns and read back when a gateway starts, so a restarted gateway keeps
// the split. If a backend with weight disappears (its cluster was
// deleted), the others keep their relative shares; with no weight left the
// gateway answers 503.
//
// The gateway answers /metrics and /admin/... itself, so the apps of a
// namespace named "admin" are reached through their ingress only. It
// serves its own metrics on /metrics
// (upshift_gateway_requests_total {backend, code},
// upshift_gateway_request_duration_seconds {backend},
// upshift_gateway_retries_total {from, to} and
// upshift_gateway_backend_weight {backend}) and an admin endpoint:
//
//	GET /admin/weights   {"weights": {...}, "backends": {"name": "url"}}
//	PUT /admin/weights   {"weights": {"blue": 0, "green": 100}}
//
// The admin endpoint answers loopback clients only, and a PUT must be
// application/json, so a web page cannot change weights from a browser.
//
// Router implements traffic.Router on a Gateway, in this process
// (NewRouter) or in another one through the admin endpoint
// (NewRemoteRouter). SetWeights returns a propagation delay of 0.
//
// # Data plane and process model
//
// DataPlane runs an ingress for every cluster of a local fleet and the
// gateway in front of them, and follows the fleet: a cluster created later
// gets an ingress within a second, a deleted one loses it. `upshift local
// dataplane` runs one in the foreground; `upshift local up` starts that
// command detached (Daemon) unless it already runs, and `upshift local
// down` stops it when the last cluster is gone. Its files are in the
// fleet's data plane directory (localfleet.Fleet.DataPlaneDir):
//
//	lock          held (flock) by the running data plane: one per fleet
//	dataplane.pid its process id
//	dataplane.log what it printed
//	state.json    the gateway and ingress URLs it serves
//	weights.json  the gateway's weights
package local
