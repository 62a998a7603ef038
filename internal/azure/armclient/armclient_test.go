package armclient

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

type fakePoller struct {
	headers []http.Header // one per poll; the last ends the operation
	polls   int
}

func (p *fakePoller) Done() bool { return p.polls >= len(p.headers) }

func (p *fakePoller) Poll(context.Context) (*http.Response, error) {
	h := p.headers[p.polls]
	p.polls++
	return &http.Response{StatusCode: 200, Header: h, Body: http.NoBody}, nil
}

func (p *fakePoller) Result(context.Context) (string, error) { return "done", nil }

type jumpClock struct {
	now   time.Time
	waits []time.Duration
}

func (c *jumpClock) Now() time.Time { return c.now }

func (c *jumpClock) After(d time.Duration) <-chan time.Time {
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

func TestWaitHonoursRetryAfterOnTheInjectedClock(t *testing.T) {
	p := &fakePoller{headers: []http.Header{{"Retry-After": {"7"}}, {"Retry-After-Ms": {"1500"}}, {}}}
	clk := &jumpClock{}
	var seen []time.Duration
	got, err := Wait(t.Context(), Poller[string](p), WaitOptions{Interval: 3 * time.Second, Clock: clk, OnPoll: func(_ string, next time.Duration) { seen = append(seen, next) }})
	if err != nil || got != "done" {
		t.Fatalf("Wait = %q, %v", got, err)
	}
	want := []time.Duration{3 * time.Second, 7 * time.Second, 1500 * time.Millisecond}
	if len(clk.waits) != 3 || clk.waits[0] != want[0] || clk.waits[1] != want[1] || clk.waits[2] != want[2] {
		t.Fatalf("waits = %v, want %v", clk.waits, want)
	}
	if len(seen) != 3 || seen[2] != 3*time.Second {
		t.Fatalf("OnPoll next = %v", seen)
	}
}

type stuckClock struct{}

func (stuckClock) Now() time.Time                       { return time.Time{} }
func (stuckClock) After(time.Duration) <-chan time.Time { return make(chan time.Time) }

func TestWaitStopsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Wait(ctx, Poller[string](&fakePoller{headers: []http.Header{{}}}), WaitOptions{Clock: stuckClock{}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait = %v", err)
	}
}

func TestDecodeError(t *testing.T) {
	for _, tc := range []struct{ body, code, msg string }{
		{`{"error":{"code":"ResourceNotFound","message":"gone"}}`, "ResourceNotFound", "gone"},
		{`{"status":"Failed","error":{"code":"UpgradeFailed","message":"drain","details":[{"code":"PodDrainFailure","message":"pdb web"}]}}`, "UpgradeFailed", "drain; PodDrainFailure: pdb web"},
		{`{"code":"BadRequest","message":"unwrapped"}`, "BadRequest", "unwrapped"},
		{`not json`, "", "not json"},
	} {
		code, msg := DecodeError([]byte(tc.body))
		if code != tc.code || msg != tc.msg {
			t.Errorf("DecodeError(%s) = %q, %q; want %q, %q", tc.body, code, msg, tc.code, tc.msg)
		}
	}
}

func TestErrorText(t *testing.T) {
	sentinel := errors.New("not found")
	e := &Error{Op: `get AKS cluster "x"`, StatusCode: 404, Code: "ResourceNotFound", Message: "gone", Kind: sentinel}
	if !errors.Is(e, sentinel) || e.Error() != `get AKS cluster "x": ARM answered 404: ResourceNotFound: gone` {
		t.Fatalf("Error() = %q", e)
	}
	e = &Error{Op: "upgrade", LRO: true, Code: "UpgradeFailed", Message: "drain", Hint: "retry"}
	if !strings.Contains(e.Error(), "upgrade: the long-running operation failed: UpgradeFailed: drain (retry)") {
		t.Fatalf("Error() = %q", e)
	}
	if Wrap("op", nil) != nil {
		t.Fatal("Wrap(nil) is not nil")
	}
}
