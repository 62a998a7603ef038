package armclient

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// Clock tells the time and waits. k8s.io/utils/clock.RealClock satisfies
// it; tests pass a clock that jumps forward instead of waiting.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

// Now implements Clock.
func (RealClock) Now() time.Time { return time.Now() }

// After implements Clock.
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Poller is the part of an azcore *runtime.Poller[T] that Wait uses.
type Poller[T any] interface {
	Done() bool
	Poll(ctx context.Context) (*http.Response, error)
	Result(ctx context.Context) (T, error)
}

var _ Poller[struct{}] = (*runtime.Poller[struct{}])(nil)

// DefaultPollInterval is the wait between polls when ARM sends no
// Retry-After. AKS operations take minutes, so polling faster only spends
// the subscription's read quota.
const DefaultPollInterval = 10 * time.Second

// maxRetryAfter caps a Retry-After from a poll, so a bad header cannot
// stall an operation for hours.
const maxRetryAfter = 10 * time.Minute

// WaitOptions are the settings of Wait.
type WaitOptions struct {
	// Interval between polls when the poll response has no Retry-After.
	// Zero means DefaultPollInterval.
	Interval time.Duration
	// Clock waits between polls. RealClock when nil.
	Clock Clock
	// OnPoll, when set, is called after each poll with the status ARM
	// reported ("InProgress", "Upgrading", ...; empty when the response had
	// none) and the wait before the next poll.
	OnPoll func(status string, next time.Duration)
}

// Wait polls p until its operation ends and returns the result. A failed or
// canceled operation, like any ARM error, comes back as an error that Wrap
// turns into an *Error with LRO set. Wait returns ctx's error when ctx ends
// first; the operation goes on in Azure.
func Wait[T any](ctx context.Context, p Poller[T], o WaitOptions) (T, error) {
	clk := o.Clock
	if clk == nil {
		clk = RealClock{}
	}
	next := o.Interval
	if next <= 0 {
		next = DefaultPollInterval
	}
	for !p.Done() {
		select {
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		case <-clk.After(next):
		}
		resp, err := p.Poll(ctx)
		if err != nil {
			var zero T
			return zero, err
		}
		next = o.Interval
		if next <= 0 {
			next = DefaultPollInterval
		}
		if ra := RetryAfter(resp); ra > 0 {
			next = min(ra, maxRetryAfter)
		}
		if o.OnPoll != nil {
			o.OnPoll(pollStatus(resp), next)
		}
	}
	return p.Result(ctx)
}

// RetryAfter reads the delay a response asks for: retry-after-ms or
// x-ms-retry-after-ms in milliseconds, else Retry-After in seconds or as an
// HTTP date. Zero when there is none.
func RetryAfter(resp *http.Response) time.Duration {
	if resp == nil {
		return 0
	}
	for _, h := range []string{"retry-after-ms", "x-ms-retry-after-ms"} {
		if v := resp.Header.Get(h); v != "" {
			if ms, err := strconv.Atoi(v); err == nil && ms > 0 {
				return time.Duration(ms) * time.Millisecond
			}
		}
	}
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(s, 0)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// pollStatus reads "status" (an Azure-AsyncOperation status) or
// "properties.provisioningState" (a resource) from a poll response.
func pollStatus(resp *http.Response) string {
	if resp == nil {
		return ""
	}
	body, err := runtime.Payload(resp)
	if err != nil || len(body) == 0 {
		return ""
	}
	var v struct {
		Status     string `json:"status"`
		Properties struct {
			ProvisioningState string `json:"provisioningState"`
		} `json:"properties"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	if v.Status != "" {
		return v.Status
	}
	return v.Properties.ProvisioningState
}
