package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/web"
)

// DefaultInterval is how often the hub is read when Server.Interval is
// zero.
const DefaultInterval = 2 * time.Second

// Server serves the dashboard of one hub. One poller reads the hub every
// Interval and every browser shares what it read; nothing is written to
// the hub.
type Server struct {
	// Hub reads upshift's objects; a client that reads the API server (not
	// a cache) shows the hub as it is.
	Hub client.Reader
	// Namespace is the fleet shown; every namespace when empty.
	Namespace string
	// Interval between reads of the hub; DefaultInterval when zero.
	Interval time.Duration
	// Now is the clock of GeneratedAt; time.Now when nil.
	Now func() time.Time

	mu      sync.Mutex
	latest  []byte        // JSON of the last State
	last    *State        // the last State read without an error
	changed chan struct{} // closed and replaced when latest changes
}

// Run reads the hub every Interval until ctx ends. The handlers serve
// what it last read; start it before serving.
func (s *Server) Run(ctx context.Context) {
	interval := s.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	for {
		s.refresh(ctx)
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// refresh reads the hub once and publishes the result if it changed. A
// failed read keeps the last good snapshot and says why.
func (s *Server) refresh(ctx context.Context) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	st, err := Snapshot(rctx, s.Hub, s.Namespace, now())
	cancel()
	if ctx.Err() != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		prev := s.last
		if prev == nil {
			prev = &State{Namespace: s.Namespace, Members: []Member{}, Runs: []Run{}, Gates: []Gate{}, BlueGreen: []Swap{}, Canaries: []Swap{}}
		}
		failed := *prev
		failed.Error, failed.GeneratedAt = err.Error(), now().UTC()
		st = &failed
	} else {
		s.last = st
	}
	b, merr := json.Marshal(st)
	if merr != nil {
		return
	}
	// GeneratedAt changes every time; publish only what else changed.
	if s.latest != nil && sameBut(s.latest, b) {
		return
	}
	s.latest = b
	if s.changed != nil {
		close(s.changed)
	}
	s.changed = make(chan struct{})
}

// sameBut compares two State documents without their generatedAt.
func sameBut(a, b []byte) bool {
	var x, y map[string]json.RawMessage
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	delete(x, "generatedAt")
	delete(y, "generatedAt")
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// current returns the latest snapshot and the channel that is closed when
// a newer one is published.
func (s *Server) current() ([]byte, chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	return s.latest, s.changed
}

// Handler serves the page (/), its assets, GET /api/state (the State as
// JSON) and GET /api/events (a Server-Sent Events stream: one "state"
// event now and one at every change).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	assets, _ := fs.Sub(web.Files, "dashboard")
	mux.Handle("GET /", http.FileServerFS(assets))
	mux.HandleFunc("GET /{$}", s.serveIndex)
	mux.HandleFunc("GET /api/state", s.serveState)
	mux.HandleFunc("GET /api/events", s.serveEvents)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	return securityHeaders(mux)
}

// securityHeaders keeps the page to itself: no framing, no scripts or
// connections but its own.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// serveIndex serves the page with the last snapshot in it, so the page is
// drawn as it loads rather than a round trip later. json.Marshal escapes
// '<' and '>', so the data cannot end the script element it sits in.
func (s *Server) serveIndex(w http.ResponseWriter, r *http.Request) {
	page, err := fs.ReadFile(web.Files, "dashboard/index.html")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if b, _ := s.current(); b != nil {
		inline := append([]byte(`<script id="state" type="application/json">`), b...)
		inline = append(inline, []byte("</script>\n</body>")...)
		page = bytes.Replace(page, []byte("</body>"), inline, 1)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(page)
}

func (s *Server) serveState(w http.ResponseWriter, r *http.Request) {
	b, _ := s.current()
	if b == nil {
		http.Error(w, "the hub has not been read yet; try again in a moment", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

// heartbeat keeps proxies from closing an idle event stream.
const heartbeat = 15 * time.Second

func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming is not supported by this connection", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("Connection", "keep-alive")
	w.WriteHeader(http.StatusOK)
	flusher.Flush()
	var sent []byte
	for {
		b, changed := s.current()
		if b != nil && !bytes.Equal(b, sent) {
			if _, err := fmt.Fprintf(w, "event: state\ndata: %s\n\n", b); err != nil {
				return
			}
			flusher.Flush()
			sent = b
		}
		select {
		case <-r.Context().Done():
			return
		case <-changed:
		case <-time.After(heartbeat):
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil {
				return
			}
			flusher.Flush()
		}
	}
}
