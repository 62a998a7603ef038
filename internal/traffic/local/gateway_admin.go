package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"upshift.dev/upshift/internal/traffic"
)

// WeightsPath is the gateway's admin endpoint for weights.
const WeightsPath = "/admin/weights"

// WeightsDocument is the body of GET and PUT on WeightsPath. A PUT needs
// only Weights; the answer to both carries Backends too.
type WeightsDocument struct {
	Weights traffic.Weights `json:"weights"`
	// Backends maps each backend to its ingress base URL.
	Backends map[string]string `json:"backends,omitempty"`
}

// adminError is the body of an admin error answer.
type adminError struct {
	Error string `json:"error"`
}

func (g *Gateway) admin(w http.ResponseWriter, r *http.Request) {
	if !loopbackRemote(r) {
		// The listener is on loopback already; this guards a gateway
		// someone put behind a forwarder.
		writeJSON(w, http.StatusForbidden, adminError{"the gateway's admin endpoint answers loopback clients only"})
		return
	}
	if r.URL.Path != WeightsPath {
		writeJSON(w, http.StatusNotFound, adminError{fmt.Sprintf("no admin endpoint %s; use %s", r.URL.Path, WeightsPath)})
		return
	}
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, WeightsDocument{Weights: g.Weights(), Backends: g.Backends()})
	case http.MethodPut:
		// Requiring JSON makes a browser preflight the request, which the
		// gateway never approves: a web page cannot move traffic.
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
			writeJSON(w, http.StatusUnsupportedMediaType, adminError{"send the weights as Content-Type: application/json"})
			return
		}
		var doc WeightsDocument
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&doc); err != nil {
			writeJSON(w, http.StatusBadRequest, adminError{fmt.Sprintf(`decoding weights: %v; send {"weights": {"blue": 0, "green": 100}}`, err)})
			return
		}
		if err := g.SetWeights(r.Context(), doc.Weights); err != nil {
			var invalid *invalidError
			code := http.StatusInternalServerError
			switch {
			case errors.As(err, &invalid):
				code = http.StatusBadRequest
			case errors.Is(err, ErrUnknownBackend):
				code = http.StatusConflict
			}
			writeJSON(w, code, adminError{err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, WeightsDocument{Weights: g.Weights(), Backends: g.Backends()})
	default:
		w.Header().Set("Allow", "GET, PUT")
		writeJSON(w, http.StatusMethodNotAllowed, adminError{"use GET or PUT on " + WeightsPath})
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
