package armserver

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Request is one request the server received, as recorded for tests.
type Request struct {
	Method string
	// Path is the URL path as sent.
	Path       string
	APIVersion string
	Query      url.Values
	Header     http.Header
	Body       []byte
	// Status is what the server answered.
	Status int
	At     time.Time
}

// Match selects requests: by method (any when empty) and by a substring of
// the path, compared case-insensitively (any when empty).
type Match struct {
	Method string
	Path   string
}

func (m Match) matches(method, p string) bool {
	if m.Method != "" && !strings.EqualFold(m.Method, method) {
		return false
	}
	return m.Path == "" || strings.Contains(strings.ToLower(p), strings.ToLower(m.Path))
}

// record is called with s.mu held.
func (s *Server) record(r *http.Request, body []byte, status int) {
	s.requests = append(s.requests, Request{
		Method:     r.Method,
		Path:       r.URL.Path,
		APIVersion: r.URL.Query().Get("api-version"),
		Query:      r.URL.Query(),
		Header:     r.Header.Clone(),
		Body:       body,
		Status:     status,
		At:         s.opts.Now(),
	})
}

// Requests returns the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// RequestsMatching returns the recorded requests that m selects.
func (s *Server) RequestsMatching(m Match) []Request {
	var out []Request
	for _, r := range s.Requests() {
		if m.matches(r.Method, r.Path) {
			out = append(out, r)
		}
	}
	return out
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}
