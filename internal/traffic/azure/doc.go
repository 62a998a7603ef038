// Package azure holds upshift's Azure traffic routers, two implementations
// of traffic.Router that speak raw ARM REST through azcore's pipeline
// (bearer token, retries that honour Retry-After, ARM error decoding); the
// Traffic Manager and DNS SDK modules are not available to upshift's build,
// and the REST shapes used are small.
//
// TrafficManager ("azure-traffic-manager") drives weighted endpoints of a
// Traffic Manager profile, one endpoint per backend. A share of p percent
// becomes weight p*10 (1..1000 is Traffic Manager's range); 0 percent
// becomes endpointStatus Disabled, because weight 0 is not allowed. The
// seed's 20/50/100 canary steps are therefore 800/200, 500/500, then 1000
// and Disabled. Each endpoint is changed by read-modify-write with ETag and
// If-Match, re-read and retried on 412; endpoints that gain traffic change
// before those that lose it, so the profile never has every backend
// Disabled; and if one endpoint fails, those already changed are put back,
// so the weights Weights reports are the old ones. SetWeights returns the
// profile's DNS TTL (dnsConfig.ttl) as the propagation delay: resolvers may
// keep answering with the old choice that long.
//
// Traffic Manager's REST specification (2022-04-01) documents no etag for
// endpoints. The router sends If-Match only when a GET of the endpoint
// returned an ETag header, so against real Traffic Manager it degrades to a
// plain read-modify-write of the two properties it owns (weight and
// endpointStatus) with a PATCH that leaves every other property alone.
//
// DNS ("azure-dns") swaps the target of an Azure DNS CNAME record set, so
// it can only send all traffic to one backend: weights other than 0/100
// wrap traffic.ErrUnsupported and name the azure-traffic-manager router
// for canary steps. Before the first swap it lowers the record's TTL to
// DNSConfig.LowTTL (30 s by default) and then waits the old TTL, so every
// resolver has dropped the long-lived answer before the target changes;
// the wait is reported through DNSConfig.OnWait and taken on the injected
// clock. The original TTL and the time it was lowered are kept in the
// record set's metadata (upshiftOriginalTtl, upshiftTtlLoweredAt), so a
// restarted process waits only what is left and Settle, from any process,
// restores the original TTL. SetWeights returns the low TTL as the
// propagation delay.
package azure
