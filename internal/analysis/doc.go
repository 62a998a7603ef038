// Package analysis is upshift's one metric-analysis engine: it measures the
// metrics of a v1alpha1.AnalysisSpec and turns the measurements into a
// verdict, Successful, Failed, Error or Inconclusive, with Argo Rollouts'
// semantics. Update-run Validation gates, BlueGreenUpgrade and CanaryIntake
// use it, and so does `upshift analysis run`.
//
// # Shape
//
// New compiles a spec (conditions, durations, providers) once and reports
// every spec error by field. Engine.Reconcile is a non-blocking step: given
// a status and the time, it takes only the measurements that are due
// according to the timestamps already in status, records them, recomputes
// the phases and says when to call again. It never sleeps and keeps no state
// of its own, so a controller that is killed and restarted with the same
// status resumes exactly where it was, and a fresh engine can continue any
// status. Engine.Run loops over Reconcile with a clock for the CLI;
// Engine.Terminate stops an analysis.
//
// # When measurements are taken
//
//   - The first one initialDelay after status.startedAt (set by the first
//     Reconcile or Terminate).
//   - Each next one interval after the previous one's finishedAt.
//   - A metric without interval is measured once (count 1); if that
//     measurement errors it is retried DefaultErrorRetryInterval (10s) after.
//   - Metrics due at the same time are measured in parallel.
//   - Times in status are whole seconds, as the API server keeps them
//     (finishedAt rounded up, so that no interval is shorter than asked):
//     a status read back after a restart schedules exactly as before.
//
// # How a measurement is judged
//
// The provider returns `result` (below). Then, in order:
//
//  1. Empty result: nil, an empty list (a vector with no series, a matrix
//     with none) or a jsonPath that selected nothing. Unless a condition
//     tests for emptiness itself, by calling len(), isEmpty(), isNil() or
//     default(), using `??`, or comparing with nil, the measurement is
//     Inconclusive with the message "the query returned no series (no data:
//     no traffic yet, or a selector that matches nothing)". Argo evaluates
//     the conditions anyway and `result[0]` then fails with an index error
//     that ends in Error: that is the complaint this rule answers. No data
//     is neither a pass nor a provider fault; it is for a person (or a
//     larger inconclusiveLimit, or an initialDelay) to decide.
//  2. NaN anywhere in the result (0/0, typically an error ratio over a
//     window without requests). Unless a condition calls isNaN() or
//     default(), the measurement is Inconclusive with the message "the
//     result is NaN (0/0: usually no requests in the window)". Without this
//     rule `result[0] > 0.05` as a failureCondition would pass a canary
//     that served nothing, because every comparison with NaN is false.
//  3. The conditions, with Argo's rules:
//     - neither set: Successful (a command without conditions uses
//     `result.exitCode == 0` as its successCondition);
//     - only successCondition: Successful when true, else Failed;
//     - only failureCondition: Failed when true, else Successful;
//     - both: Failed when failureCondition is true, else Successful when
//     successCondition is true, else Inconclusive.
//     A condition that cannot be evaluated on this result (an index out of
//     range, a type mismatch) makes the measurement Error, with a message
//     naming the condition and the value.
//
// A provider that cannot measure (unreachable, non-2xx, bad JSON, timeout,
// a command that cannot start) makes the measurement Error.
//
// # What `result` is
//
//   - prometheus, instant query: a vector is a list of the sample values
//     ([]float64, in Prometheus' order; empty list when no series); a scalar
//     is a number; a string a string. Range query: a list of series, each a
//     list of values ([][]float64).
//   - web: what jsonPath selects from the JSON answer: the value itself when
//     it selects one (numbers are float64), a list when several, nil when
//     none or when a key is missing.
//   - command: {"exitCode": int, "stdout": string, "stderr": string}, with
//     trailing newlines trimmed; a non-zero exit code is a result, not an
//     error.
//
// Conditions are expr-lang expressions (https://expr-lang.org) over
// `result`, with expr's builtins (len, first, last, all, any, sum, max, min,
// mean, ...) and these helpers:
//
//	isNaN(x)      x is NaN, or a list holding a NaN
//	isInf(x)      x is ±Inf, or a list holding one
//	isEmpty(x)    x is nil or an empty list, map or string
//	isNil(x)      x is nil
//	default(x, d) d when x is nil, empty or NaN, else x
//	asFloat(x)    a number or numeric string as float64 (error otherwise)
//	asInt(x)      the same, truncated to int
//
// For example `default(first(result), 0) < 0.05` passes when there is no
// data, and `len(result) > 0 && !isNaN(result[0]) && result[0] < 0.05`
// fails then. A condition that does not compile, uses an unknown name or
// does not yield a bool is a spec error naming the field
// (metrics[0].successCondition).
//
// # From measurements to a metric's verdict
//
// Counters: count (Successful + Failed + Inconclusive measurements),
// successful, failed, inconclusive, error, consecutiveError (reset by any
// measurement that is not an error). Checked after each measurement, in
// this order, as Argo does:
//
//   - failed > failureLimit (default 0): Failed;
//   - inconclusive > inconclusiveLimit (default 0): Inconclusive;
//   - consecutiveError > consecutiveErrorLimit (default 4): Error;
//   - count set and reached: Successful (failures within failureLimit are
//     tolerated);
//   - otherwise Running (Pending before the first measurement).
//
// A metric with an interval and no count runs until its caller stops the
// analysis with Terminate (or RunOptions.Duration, a bake time): it is then
// Successful if no limit was crossed, as in Argo Rollouts, with the counts
// in its message; status.terminated tells that the caller ended it.
// Terminating a metric that has not measured yet also makes it Successful.
//
// # The analysis verdict
//
// Running (Pending while every metric waits for its initialDelay) until
// every metric has a verdict, then the worst of them in Argo's order:
// Failed > Error > Inconclusive > Successful. As soon as one metric is
// Failed, Error or Inconclusive the verdict cannot improve, so the analysis
// stops measuring and the other metrics end as if terminated. Callers act on
// the verdict as ANCHORS.md section 5 says: Failed or Error roll back,
// Inconclusive pauses for a person.
//
// Each metric keeps its last spec.measurementRetention (default 10)
// measurements in status; the counters above always cover all of them.
package analysis
