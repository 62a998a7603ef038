package armserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// armError is ARM's error body, inside {"error": ...}.
type armError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if v == nil {
		return
	}
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]armError{"error": {Code: code, Message: message}})
}

func notFound(w http.ResponseWriter, typ, name, rg string) {
	writeError(w, http.StatusNotFound, "ResourceNotFound",
		fmt.Sprintf("The Resource '%s/%s' under resource group '%s' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix", typ, name, rg))
}

func badParameter(w http.ResponseWriter, format string, args ...any) {
	writeError(w, http.StatusBadRequest, "InvalidParameter", fmt.Sprintf(format, args...))
}

// decode reads a JSON request body strictly enough to reject what ARM
// rejects (malformed JSON, wrong types) and names the problem.
func decode(w http.ResponseWriter, body []byte, v any) bool {
	if len(bytes.TrimSpace(body)) == 0 {
		writeError(w, http.StatusBadRequest, "InvalidRequestContent", "The request content was invalid and could not be deserialized: the body is empty.")
		return false
	}
	if err := json.Unmarshal(body, v); err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequestContent", "The request content was invalid and could not be deserialized: "+err.Error())
		return false
	}
	return true
}

// newID returns a fresh GUID-shaped identifier. Callers hold s.mu.
func (s *Server) newID() string {
	s.seq++
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", s.opts.Now().Unix()&0xffffffff, s.seq)
}

// checkPreconditions applies If-Match and If-None-Match against the
// current etag ("" when the resource does not exist) and writes 412 when
// they fail.
func checkPreconditions(w http.ResponseWriter, r *http.Request, current string, exists bool) bool {
	if m := r.Header.Get("If-Match"); m != "" {
		if !exists || (m != "*" && unquote(m) != unquote(current)) {
			writeError(w, http.StatusPreconditionFailed, "PreconditionFailed",
				fmt.Sprintf("The condition specified using HTTP conditional header(s) is not met: If-Match %s, current etag %q.", m, current))
			return false
		}
	}
	if m := r.Header.Get("If-None-Match"); m == "*" && exists {
		writeError(w, http.StatusPreconditionFailed, "PreconditionFailed",
			"The condition specified using HTTP conditional header(s) is not met: If-None-Match * and the resource exists.")
		return false
	}
	return true
}

func unquote(etag string) string {
	return strings.Trim(strings.TrimPrefix(etag, "W/"), `"`)
}

// setRetryAfter adds Retry-After in whole seconds, as ARM sends it.
func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	if d >= time.Second {
		w.Header().Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
	}
}

// key joins identifiers case-insensitively: ARM names are.
func key(parts ...string) string {
	return strings.ToLower(strings.Join(parts, "/"))
}
