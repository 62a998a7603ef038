// Package loadgen is a small open-loop HTTP load generator for the local
// data plane: it sends requests at a fixed rate to one loopback URL, records
// every request (when it was sent, how long it took, the status code and
// the cluster that answered, from the ingress's X-Upshift-Cluster header),
// and stops by itself after a duration or a number of requests, whichever
// comes first.
//
// Open loop means requests are sent on schedule whether or not earlier ones
// have answered (up to Config.Concurrency in flight), so a slow backend
// shows up as latency instead of silently lowering the rate, which is how
// real users behave. It refuses URLs that are not on loopback and rates,
// durations or counts beyond fixed bounds, so a test can never turn it on
// someone else's server or run it forever.
package loadgen
