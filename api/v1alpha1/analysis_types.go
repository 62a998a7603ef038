package v1alpha1

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The analysis types follow Argo Rollouts' AnalysisRun field for field where
// Argo has the field, so that metrics written for Argo read the same here.
// They are not a kind of their own: update-run Validation gates,
// BlueGreenUpgrade and CanaryIntake embed AnalysisSpec in their spec and
// AnalysisStatus in their status. The semantics (when a measurement is taken,
// how limits turn measurements into a verdict, empty and NaN results) are
// documented in package internal/analysis, the one engine that runs them.

// AnalysisPhase is the phase of a measurement, of a metric, or of a whole
// analysis.
// +kubebuilder:validation:Enum=Pending;Running;Successful;Failed;Error;Inconclusive
type AnalysisPhase string

const (
	// AnalysisPhasePending: nothing measured yet (an initialDelay is running).
	AnalysisPhasePending AnalysisPhase = "Pending"
	// AnalysisPhaseRunning: measuring; the verdict is not known yet.
	AnalysisPhaseRunning AnalysisPhase = "Running"
	// AnalysisPhaseSuccessful: the conditions held within the limits.
	AnalysisPhaseSuccessful AnalysisPhase = "Successful"
	// AnalysisPhaseFailed: more measurements failed than failureLimit allows.
	AnalysisPhaseFailed AnalysisPhase = "Failed"
	// AnalysisPhaseError: the provider could not measure, more times in a row
	// than consecutiveErrorLimit allows.
	AnalysisPhaseError AnalysisPhase = "Error"
	// AnalysisPhaseInconclusive: more measurements were inconclusive than
	// inconclusiveLimit allows; a person should decide.
	AnalysisPhaseInconclusive AnalysisPhase = "Inconclusive"
)

// Completed reports whether the phase is a verdict that no longer changes.
func (p AnalysisPhase) Completed() bool {
	switch p {
	case AnalysisPhaseSuccessful, AnalysisPhaseFailed, AnalysisPhaseError, AnalysisPhaseInconclusive:
		return true
	}
	return false
}

// Duration is a Go duration string such as "30s", "5m" or "1h30m", the way
// Argo Rollouts writes intervals. The empty string means "not set".
// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
type Duration string

// DurationOf renders d for a spec; zero is "" (not set).
func DurationOf(d time.Duration) Duration {
	if d == 0 {
		return ""
	}
	return Duration(d.String())
}

// Parse returns the duration; "" is zero.
func (d Duration) Parse() (time.Duration, error) {
	if d == "" {
		return 0, nil
	}
	v, err := time.ParseDuration(string(d))
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration; write it like \"30s\", \"5m\" or \"1h30m\"", string(d))
	}
	if v < 0 {
		return 0, fmt.Errorf("%q is negative; durations must be zero or more", string(d))
	}
	return v, nil
}

// AnalysisSpec is a set of metrics measured side by side. Its verdict is the
// worst verdict of its metrics; the first metric that ends Failed, Error or
// Inconclusive stops the others.
type AnalysisSpec struct {
	// Metrics to measure. Names must be unique.
	// +kubebuilder:validation:MinItems=1
	// +listType=map
	// +listMapKey=name
	Metrics []Metric `json:"metrics"`

	// MeasurementRetention is how many of its latest measurements each
	// metric keeps in status.metricResults[].measurements, so that status
	// stays small however long a metric runs. The counters (count,
	// successful, failed, ...) are never trimmed and stay exact. Default 10,
	// as in Argo Rollouts.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	// +kubebuilder:default=10
	// +optional
	MeasurementRetention *int32 `json:"measurementRetention,omitempty"`
}

// Metric is one thing to measure, how often, and how to judge it.
type Metric struct {
	// Name identifies the metric in status and messages.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// Interval between the end of one measurement and the start of the
	// next. Without an interval the metric is measured once (count is then
	// at most 1); a measurement that errors is retried after 10s.
	// +optional
	Interval Duration `json:"interval,omitempty"`

	// InitialDelay before the first measurement, counted from
	// status.startedAt of the analysis.
	// +optional
	InitialDelay Duration `json:"initialDelay,omitempty"`

	// Count is how many measurements (Successful, Failed or Inconclusive;
	// errors do not count) the metric takes before it is Successful. Unset
	// with an interval: the metric runs until its caller terminates the
	// analysis. Unset without an interval: 1.
	// +kubebuilder:validation:Minimum=1
	// +optional
	Count *int32 `json:"count,omitempty"`

	// SuccessCondition is an expr-lang expression over `result` that is true
	// when a measurement is good, e.g. `result[0] < 0.05`.
	// +optional
	SuccessCondition string `json:"successCondition,omitempty"`

	// FailureCondition is an expr-lang expression over `result` that is true
	// when a measurement is bad, e.g. `result[0] >= 0.05`.
	// +optional
	FailureCondition string `json:"failureCondition,omitempty"`

	// FailureLimit is how many Failed measurements the metric tolerates: it
	// is Failed when failed > failureLimit. Default 0.
	// +kubebuilder:validation:Minimum=0
	// +optional
	FailureLimit int32 `json:"failureLimit,omitempty"`

	// InconclusiveLimit is how many Inconclusive measurements the metric
	// tolerates: it is Inconclusive when inconclusive > inconclusiveLimit.
	// Default 0.
	// +kubebuilder:validation:Minimum=0
	// +optional
	InconclusiveLimit int32 `json:"inconclusiveLimit,omitempty"`

	// ConsecutiveErrorLimit is how many measurement errors in a row the
	// metric tolerates: it is Error when consecutiveError >
	// consecutiveErrorLimit. Default 4.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:default=4
	// +optional
	ConsecutiveErrorLimit *int32 `json:"consecutiveErrorLimit,omitempty"`

	// Provider takes the measurements.
	Provider MetricProvider `json:"provider"`
}

// MetricProvider names exactly one way to measure.
// +kubebuilder:validation:MinProperties=1
// +kubebuilder:validation:MaxProperties=1
type MetricProvider struct {
	// +optional
	Prometheus *PrometheusMetric `json:"prometheus,omitempty"`
	// +optional
	Web *WebMetric `json:"web,omitempty"`
	// +optional
	Command *CommandMetric `json:"command,omitempty"`
}

// PrometheusMetric runs a PromQL query. An instant query gives `result` as a
// list of sample values (a vector), a number (a scalar) or a string; a range
// query gives a list of series, each a list of values.
type PrometheusMetric struct {
	// Address of the Prometheus server, e.g. http://prometheus.monitoring:9090.
	// +kubebuilder:validation:Pattern=`^https?://`
	Address string `json:"address"`

	// Query is PromQL.
	// +kubebuilder:validation:MinLength=1
	Query string `json:"query"`

	// Range makes this a range query; unset is an instant query at the
	// measurement's start.
	// +optional
	Range *PrometheusRange `json:"range,omitempty"`

	// Timeout of one query. Default 30s.
	// +optional
	Timeout Duration `json:"timeout,omitempty"`

	// Headers sent with each query (for example Authorization).
	// +optional
	Headers []Header `json:"headers,omitempty"`
}

// PrometheusRange is the window of a range query. Start and End are
// expr-lang expressions, as in Argo Rollouts, where now() is the start of the
// measurement: `now() - duration("5m")`.
type PrometheusRange struct {
	// Start of the window.
	// +kubebuilder:validation:MinLength=1
	Start string `json:"start"`
	// End of the window. Default `now()`.
	// +optional
	End string `json:"end,omitempty"`
	// Step between points.
	Step Duration `json:"step"`
}

// Header is an HTTP header.
type Header struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// WebMetric calls an HTTP endpoint that answers JSON. `result` is what
// JSONPath selects: the value itself when it selects one value, a list when
// it selects several.
type WebMetric struct {
	// URL to call.
	// +kubebuilder:validation:Pattern=`^https?://`
	URL string `json:"url"`
	// Method is GET (default), POST or PUT.
	// +kubebuilder:validation:Enum=GET;POST;PUT
	// +optional
	Method string `json:"method,omitempty"`
	// +optional
	Headers []Header `json:"headers,omitempty"`
	// Body sent with POST and PUT.
	// +optional
	Body string `json:"body,omitempty"`
	// TimeoutSeconds of one call. Default 10.
	// +kubebuilder:validation:Minimum=0
	// +optional
	TimeoutSeconds int64 `json:"timeoutSeconds,omitempty"`
	// JSONPath in kubectl's syntax, e.g. `{$.data.errorRate}`. Default `{$}`,
	// the whole document.
	// +optional
	JSONPath string `json:"jsonPath,omitempty"`
}

// CommandMetric runs a program. `result` is `{"exitCode": int, "stdout":
// string, "stderr": string}`; without conditions a measurement is Successful
// when the exit code is 0 and Failed otherwise, like Argo's job provider.
type CommandMetric struct {
	// Command is the program and its arguments, run without a shell; use
	// ["sh", "-c", "..."] for one.
	// +kubebuilder:validation:MinItems=1
	Command []string `json:"command"`
	// Timeout of one run; the process group is killed then. Default 30s.
	// +optional
	Timeout Duration `json:"timeout,omitempty"`
}

// AnalysisStatus is the memory of an analysis: the engine derives what to do
// next only from it (and the spec), so a restarted controller resumes where
// the last one stopped.
type AnalysisStatus struct {
	// Phase is the verdict of the whole analysis: Running until every metric
	// has one, then the worst of them (Failed > Error > Inconclusive >
	// Successful).
	// +optional
	Phase AnalysisPhase `json:"phase,omitempty"`
	// Message explains the phase.
	// +optional
	Message string `json:"message,omitempty"`
	// StartedAt is when the analysis started; initialDelay counts from it.
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
	// FinishedAt is when the phase became a verdict.
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
	// Terminated is true when the caller stopped the analysis before it
	// reached a verdict of its own.
	// +optional
	Terminated bool `json:"terminated,omitempty"`
	// MetricResults has one entry per metric, in spec order.
	// +listType=map
	// +listMapKey=name
	// +optional
	MetricResults []MetricResult `json:"metricResults,omitempty"`
}

// MetricResult is the state of one metric.
type MetricResult struct {
	Name string `json:"name"`
	// +optional
	Phase AnalysisPhase `json:"phase,omitempty"`
	// Message explains the phase, or repeats the last measurement's message.
	// +optional
	Message string `json:"message,omitempty"`
	// Count of measurements that reached a verdict (all but errors).
	// +optional
	Count int32 `json:"count"`
	// +optional
	Successful int32 `json:"successful"`
	// +optional
	Failed int32 `json:"failed"`
	// +optional
	Inconclusive int32 `json:"inconclusive"`
	// +optional
	Error int32 `json:"error"`
	// ConsecutiveError counts errors since the last measurement that was not
	// an error.
	// +optional
	ConsecutiveError int32 `json:"consecutiveError"`
	// Measurements are the latest measurements, oldest first, at most
	// spec.measurementRetention of them.
	// +optional
	Measurements []Measurement `json:"measurements,omitempty"`
}

// Measurement is one measurement. Times are recorded at second precision,
// as the API server stores them.
type Measurement struct {
	Phase AnalysisPhase `json:"phase"`
	// Value is what the provider returned, as text (cut at 512 bytes).
	// +optional
	Value string `json:"value,omitempty"`
	// Message says why the measurement has its phase when the value alone
	// does not (an error, an empty or NaN result).
	// +optional
	Message string `json:"message,omitempty"`
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
}
