package armclient

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// Error is an ARM error with what upshift was doing. Its text keeps ARM's
// code and message, so a person reading it sees what Azure said.
type Error struct {
	// Op says what failed, naming the resource: `upgrade AKS cluster
	// "sub/rg/name" control plane to 1.37.2`.
	Op string
	// StatusCode is the HTTP status of the answer that carried the error.
	// For a failed long-running operation it is the poll's (usually 200).
	StatusCode int
	// Code and Message are ARM's error.code and error.message.
	Code    string
	Message string
	// LRO is true when a long-running operation was accepted and then
	// ended Failed or Canceled.
	LRO bool
	// Kind is a sentinel the caller chose for errors.Is (for example
	// provider.ErrNotFound for a 404); nil when none applies.
	Kind error
	// Hint names the fix, when one is known.
	Hint string
	// Err is the underlying *azcore.ResponseError.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	if e.LRO {
		b.WriteString(": the long-running operation failed")
	} else {
		fmt.Fprintf(&b, ": ARM answered %d", e.StatusCode)
	}
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Hint != "" {
		b.WriteString(" (" + e.Hint + ")")
	}
	return b.String()
}

// Unwrap lets errors.Is and errors.As see Kind and the azcore error.
func (e *Error) Unwrap() []error {
	var out []error
	if e.Kind != nil {
		out = append(out, e.Kind)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// Wrap returns err as an *Error when it carries an ARM answer (an
// *azcore.ResponseError), with a hint for 401 and 403; otherwise it wraps
// err with op. Wrap(op, nil) is nil.
func Wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return fmt.Errorf("%s: %w", op, err)
	}
	e := &Error{Op: op, StatusCode: re.StatusCode, Code: re.ErrorCode, Err: err}
	if re.RawResponse != nil {
		if body, perr := runtime.Payload(re.RawResponse); perr == nil {
			code, msg := DecodeError(body)
			if code != "" {
				e.Code = code
			}
			e.Message = msg
		}
	}
	e.LRO = re.StatusCode >= 200 && re.StatusCode < 300
	switch re.StatusCode {
	case http.StatusUnauthorized:
		e.Hint = "check the credential: `az login`, or AZURE_TENANT_ID/AZURE_CLIENT_ID and a secret, certificate or workload identity"
	case http.StatusForbidden:
		e.Hint = "grant the signed-in identity a role on the resource, for example Contributor on its resource group"
	}
	return e
}

// StatusOf returns the HTTP status of an ARM error, or 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

// DecodeError reads ARM's error envelope, {"error":{"code","message",
// "details"}}, also when it is not wrapped in "error" (some providers) or
// sits in an Azure-AsyncOperation status ({"status":"Failed","error":...}).
// The messages of details follow the message.
func DecodeError(body []byte) (code, message string) {
	type detail struct {
		Code    string   `json:"code"`
		Message string   `json:"message"`
		Details []detail `json:"details"`
	}
	var wrapped struct {
		Error *detail `json:"error"`
	}
	var d detail
	if json.Unmarshal(body, &wrapped) == nil && wrapped.Error != nil {
		d = *wrapped.Error
	} else if json.Unmarshal(body, &d) != nil {
		return "", strings.TrimSpace(string(body))
	}
	message = d.Message
	for _, x := range d.Details {
		if x.Message != "" {
			message += "; " + x.Code + ": " + x.Message
		}
	}
	return d.Code, message
}
