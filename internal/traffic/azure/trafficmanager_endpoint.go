package azure

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"upshift.dev/upshift/internal/azure/armclient"
)

// setEndpoint moves one backend's endpoint to want by read-modify-write:
// GET (for the ETag), PATCH weight and endpointStatus with If-Match, and
// on 412 read again. It returns the setting it replaced.
func (tm *TrafficManager) setEndpoint(ctx context.Context, backend string, want endpointSetting) (endpointSetting, error) {
	ep := tm.cfg.Endpoints[backend]
	path := tm.endpointPath(ep)
	op := fmt.Sprintf("set Traffic Manager endpoint %s/%s (backend %q) of profile %s to %s", ep.Type, ep.Name, backend, tm.cfg.Profile, want)
	var lastErr error
	for range maxAttempts {
		resp, err := tm.conn.do(ctx, http.MethodGet, path, TrafficManagerAPIVersion, nil, "")
		if err != nil {
			return endpointSetting{}, armclient.Wrap(op, err)
		}
		var cur tmEndpoint
		if err := json.Unmarshal(resp.body, &cur); err != nil {
			return endpointSetting{}, fmt.Errorf("%s: %w", op, err)
		}
		if cur.Properties == want {
			return cur.Properties, nil
		}
		patch := endpointSetting{EndpointStatus: want.EndpointStatus}
		if want.EndpointStatus != "Disabled" || cur.Properties.Weight != want.Weight {
			patch.Weight = want.Weight
		}
		body := map[string]endpointSetting{"properties": patch}
		_, err = tm.conn.do(ctx, http.MethodPatch, path, TrafficManagerAPIVersion, body, resp.etag)
		if err == nil {
			return cur.Properties, nil
		}
		if !preconditionFailed(err) {
			return endpointSetting{}, armclient.Wrap(op, err)
		}
		lastErr = err // someone else changed it: read again
	}
	return endpointSetting{}, armclient.Wrap(fmt.Sprintf("%s (it changed under us %d times)", op, maxAttempts), lastErr)
}

// rollback puts back the endpoints changed before a step failed with err,
// so the profile keeps its old weights, and returns err with what happened.
func (tm *TrafficManager) rollback(ctx context.Context, err error, done []applied) error {
	if len(done) == 0 {
		return fmt.Errorf("%w; no endpoint was changed", err)
	}
	var restored, broken []string
	for i := len(done) - 1; i >= 0; i-- {
		a := done[i]
		name := tm.cfg.Endpoints[a.backend].Name
		if _, rerr := tm.setEndpoint(ctx, a.backend, a.prev); rerr != nil {
			broken = append(broken, fmt.Sprintf("%s (%v)", name, rerr))
			continue
		}
		restored = append(restored, name)
	}
	if len(broken) > 0 {
		return fmt.Errorf("%w; putting back the endpoints already changed failed for %s, so the profile holds a mix of old and new weights: run the step again or fix them by hand", err, strings.Join(broken, ", "))
	}
	return fmt.Errorf("%w; endpoints already changed were put back (%s), so the weights are unchanged", err, strings.Join(restored, ", "))
}
