package azure

import (
	"sync"
	"testing"
	"time"

	"upshift.dev/upshift/internal/azure/armserver"
)

const (
	sub = "00000000-0000-0000-0000-000000000001"
	rg  = "traffic-rg"
)

// jumpClock is a Clock whose waits return at once, moving now forward and
// recording how long they were.
type jumpClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func (c *jumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *jumpClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

func (c *jumpClock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

// stuckClock never ends a wait.
type stuckClock struct{ now time.Time }

func (c stuckClock) Now() time.Time                     { return c.now }
func (stuckClock) After(time.Duration) <-chan time.Time { return make(chan time.Time) }

func options(srv *armserver.Server) Options {
	return Options{Credential: srv.Credential(), ClientOptions: srv.ClientOptions()}
}

func methods(rs []armserver.Request) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Method)
	}
	return out
}

func mustNoErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
