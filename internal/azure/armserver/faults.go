package armserver

import (
	"fmt"
	"net/http"
	"time"
)

type faults struct {
	rules []*faultRule
	// failNext is the error the next long-running operation ends with.
	failNext []armError
	held     bool
}

type faultRule struct {
	match      Match
	remaining  int
	status     int
	code, msg  string
	retryAfter time.Duration
}

// Throttle answers the next n requests that m selects with 429
// SubscriptionRequestsThrottled and Retry-After (whole seconds, at least
// one), as ARM does when a subscription's request budget is spent.
func (s *Server) Throttle(m Match, n int, retryAfter time.Duration) {
	retryAfter = max(retryAfter, time.Second)
	secs := int((retryAfter + time.Second - 1) / time.Second)
	s.addFault(&faultRule{match: m, remaining: n, status: http.StatusTooManyRequests,
		code: "SubscriptionRequestsThrottled", retryAfter: retryAfter,
		msg: fmt.Sprintf("Number of requests for subscription exceeded the limit. Please try again after '%d' seconds.", secs)})
}

// FailRequests answers the next n requests that m selects with status and
// ARM error code and message (for example 500 InternalServerError).
func (s *Server) FailRequests(m Match, n, status int, code, message string) {
	s.addFault(&faultRule{match: m, remaining: n, status: status, code: code, msg: message})
}

func (s *Server) addFault(f *faultRule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.rules = append(s.faults.rules, f)
}

// FailNextOperation makes the next long-running operation that starts end
// with provisioningState Failed and this error; the resource keeps its old
// version or image. Calls queue: each fails one operation.
func (s *Server) FailNextOperation(code, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.failNext = append(s.faults.failNext, armError{Code: code, Message: message})
}

// HoldOperations keeps running and new operations InProgress, however
// often they are polled, until ReleaseOperations.
func (s *Server) HoldOperations() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.held = true
}

// ReleaseOperations lets held operations end at their next observation.
func (s *Server) ReleaseOperations() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.held = false
}

// injectFault is called with s.mu held; it reports whether it answered.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request) bool {
	for i, f := range s.faults.rules {
		if f.remaining <= 0 || !f.match.matches(r.Method, r.URL.Path) {
			continue
		}
		f.remaining--
		if f.remaining == 0 {
			s.faults.rules = append(s.faults.rules[:i:i], s.faults.rules[i+1:]...)
		}
		setRetryAfter(w, f.retryAfter)
		writeError(w, f.status, f.code, f.msg)
		return true
	}
	return false
}

// takeFailure pops the queued failure for a new operation, if any.
func (s *Server) takeFailure() *armError {
	if len(s.faults.failNext) == 0 {
		return nil
	}
	e := s.faults.failNext[0]
	s.faults.failNext = s.faults.failNext[1:]
	return &e
}
