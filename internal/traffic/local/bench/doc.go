// Command bench measures a blue-green cutover through the local gateway
// under load (`make bench-cutover`).
//
// It starts two fresh local clusters with the sample apps, blue at
// Kubernetes 1.36.3 and green at 1.37.2, runs the data plane in this
// process (an ingress per cluster, the gateway in front), and drives the
// gateway through its admin endpoint with the local traffic.Router, as a
// controller in another process would. For each variant a load generator
// (package loadgen: open loop, loopback only, bounded in time and count)
// sends GET /shop/web/ through the gateway at -rate requests per second
// for -duration (at least 500/s for 30s by default), and traffic moves
// from blue to green in the middle:
//
//   - all-at-once: blue=0 green=100 at half the duration;
//   - stepped: green 20%, 50%, then 100% at one third, one half and two
//     thirds of the duration.
//
// Every request is recorded with the time it was sent, its latency, its
// status and the cluster that answered (the ingress's X-Upshift-Cluster
// header). The run is cut into phases: before (until the first SetWeights
// call), during (from the first call until two seconds after the last one
// returned) and after. For each phase it prints requests, failed requests
// (no response, or a status other than 2xx), p50 and p99 latency and
// requests per second achieved, and for the final step the time from the
// decision (the start of the SetWeights call that sends 100% to green) to
// the moment from which every new request is answered by green: the
// sending time of the last request blue answered, minus the decision
// time, or 0 when that request was sent before the decision. The
// SetWeights call's own duration is printed beside it, as the bound for
// requests sent while it ran.
//
// After each variant, the time from a failing metric to rollback is
// measured with the canary strategy's reconciler (see measureRollback):
// green at 20% as a canary of blue under load, its error rate analysed
// from a real Prometheus (Debian's, started by the bench) scraping the
// ingresses every second with an analysis interval of 2s, and 20% of its
// requests made to fail with the upshift.dev/fail-percent annotation. The
// figure runs from the first moment the error rate, as the analysis
// queries it, reached 5% (Prometheus evaluated every 50ms) to the sending
// time of the last request green answered.
//
// The machine is shared, so nproc and the load average are printed at the
// start and the end; no figure is compared with a wall-clock threshold,
// but the bench exits 1 when a request failed or a variant achieved less
// than 500 requests per second (the minimum). Both clusters are
// deleted at the end, also on failure and Ctrl-C.
//
//	go run ./internal/traffic/local/bench [-rate 800] [-duration 40s] [-variants all-at-once,stepped]
package main
