package armserver

import (
	"fmt"
	"net/http"
	"time"
)

// Operation states, as in Azure-AsyncOperation status bodies.
const (
	statusInProgress = "InProgress"
	statusSucceeded  = "Succeeded"
	statusFailed     = "Failed"
)

// operation is one long-running AKS operation.
type operation struct {
	id, sub, location string
	// cluster is the key of the cluster the operation locks.
	cluster string
	// what names the operation in 409 messages ("upgrade managed cluster").
	what     string
	status   string
	observed int
	started  time.Time
	ended    time.Time
	failure  *armError
	// succeed and fail apply the end state; result is what the Location
	// URL answers after success (nil: 204 No Content).
	succeed func()
	fail    func()
	result  func() any
}

// lro describes an operation a handler starts.
type lro struct {
	sub, location, cluster, what string
	succeed, fail                func()
	result                       func() any
	// status is the HTTP status of the accepted response (200, 201, 202);
	// 202 responses also carry a Location header.
	status int
	body   any
}

// start registers the operation and writes the accepted response with its
// polling headers. Callers hold s.mu.
func (s *Server) start(w http.ResponseWriter, c *call, l lro) *operation {
	op := &operation{
		id: s.newID(), sub: l.sub, location: l.location, cluster: l.cluster, what: l.what,
		status: statusInProgress, started: c.now, failure: s.takeFailure(),
		succeed: l.succeed, fail: l.fail, result: l.result,
	}
	s.ops[key(op.id)] = op
	q := "?api-version=" + ContainerServiceAPIVersion
	prefix := fmt.Sprintf("%s/subscriptions/%s/providers/Microsoft.ContainerService/locations/%s", c.base(), l.sub, l.location)
	w.Header().Set("Azure-AsyncOperation", prefix+"/operations/"+op.id+q)
	if l.status == http.StatusAccepted {
		w.Header().Set("Location", prefix+"/operationresults/"+op.id+q)
	}
	setRetryAfter(w, s.opts.PollRetryAfter)
	writeJSON(w, l.status, l.body)
	return op
}

// observe counts one look at op and ends it when it is due.
func (s *Server) observe(op *operation, now time.Time) {
	if op.status != statusInProgress {
		return
	}
	op.observed++
	if s.faults.held || op.observed < s.opts.LROPolls || now.Sub(op.started) < s.opts.LRODuration {
		return
	}
	op.ended = now
	if op.failure != nil {
		op.status = statusFailed
		if op.fail != nil {
			op.fail()
		}
		return
	}
	op.status = statusSucceeded
	if op.succeed != nil {
		op.succeed()
	}
}

// observeCluster counts a GET of a cluster or pool as a look at the
// operation running on the cluster, so clients that poll the resource's
// provisioningState see it end too.
func (s *Server) observeCluster(clusterKey string, now time.Time) {
	if op := s.busy(clusterKey); op != nil {
		s.observe(op, now)
	}
}

// busy returns the operation in progress on the cluster, if any.
func (s *Server) busy(clusterKey string) *operation {
	for _, op := range s.ops {
		if op.cluster == clusterKey && op.status == statusInProgress {
			return op
		}
	}
	return nil
}

// conflict writes AKS's 409 when an operation runs on the cluster.
func (s *Server) conflict(w http.ResponseWriter, clusterKey, clusterName string) bool {
	op := s.busy(clusterKey)
	if op == nil {
		return false
	}
	writeError(w, http.StatusConflict, "OperationNotAllowed", fmt.Sprintf(
		"Operation is not allowed because there's an in progress %s operation (%s) on managed cluster '%s' started at %s. Please wait for it to finish before starting a new operation.",
		op.what, op.id, clusterName, op.started.UTC().Format(time.RFC3339)))
	return true
}

func (s *Server) operation(w http.ResponseWriter, c *call) *operation {
	op := s.ops[key(c.args[2])]
	if op == nil || !sameKey(op.sub, c.args[0]) {
		writeError(w, http.StatusNotFound, "NotFound", fmt.Sprintf("Operation '%s' was not found.", c.args[2]))
		return nil
	}
	s.observe(op, c.now)
	return op
}

func (s *Server) getOperationStatus(w http.ResponseWriter, c *call) {
	op := s.operation(w, c)
	if op == nil {
		return
	}
	body := map[string]any{
		"id":        c.r.URL.Path,
		"name":      op.id,
		"status":    op.status,
		"startTime": op.started.UTC().Format(time.RFC3339Nano),
	}
	if op.status != statusInProgress {
		body["endTime"] = op.ended.UTC().Format(time.RFC3339Nano)
	} else {
		setRetryAfter(w, s.opts.PollRetryAfter)
	}
	if op.status == statusFailed {
		body["error"] = op.failure
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) getOperationResult(w http.ResponseWriter, c *call) {
	op := s.operation(w, c)
	if op == nil {
		return
	}
	switch {
	case op.status == statusInProgress:
		w.Header().Set("Location", c.base()+c.r.URL.RequestURI())
		setRetryAfter(w, s.opts.PollRetryAfter)
		writeJSON(w, http.StatusAccepted, nil)
	case op.status == statusFailed:
		writeError(w, http.StatusBadRequest, op.failure.Code, op.failure.Message)
	case op.result == nil:
		writeJSON(w, http.StatusNoContent, nil)
	default:
		writeJSON(w, http.StatusOK, op.result())
	}
}

func sameKey(a, b string) bool { return key(a) == key(b) }
