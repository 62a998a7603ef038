package azure

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"upshift.dev/upshift/internal/azure/armclient"
	"upshift.dev/upshift/internal/traffic"
)

// SetWeights implements traffic.Router. Only all-or-nothing weights work;
// the cutover lowers the TTL, waits the old one, then swaps the target,
// and returns the low TTL.
func (d *DNS) SetWeights(ctx context.Context, w traffic.Weights) (time.Duration, error) {
	if err := w.Validate(d.backends); err != nil {
		return 0, fmt.Errorf("azure-dns router: %w", err)
	}
	to := ""
	for _, b := range d.backends {
		if w[b] == 100 {
			to = b
		}
	}
	if to == "" {
		return 0, fmt.Errorf("azure-dns router: weights %s: %w: a CNAME points at one backend at a time, so only 0/100 splits work; use the azure-traffic-manager router for canary steps such as 20/50/100", w, traffic.ErrUnsupported)
	}
	target := d.cfg.Targets[to]
	op := fmt.Sprintf("point %s at %s (backend %q)", d.name(), target, to)
	low := seconds(d.cfg.LowTTL)
	for range maxAttempts {
		r, err := d.read(ctx)
		if err != nil {
			return 0, err
		}
		if sameHost(r.target, target) {
			return time.Duration(r.ttl) * time.Second, nil
		}
		r, err = d.lowerTTL(ctx, op, r, low)
		if preconditionFailed(err) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if err := d.waitOldTTL(ctx, r); err != nil {
			return 0, fmt.Errorf("%s: %w", op, err)
		}
		r, err = d.patch(ctx, op, r.etag, map[string]any{"CNAMERecord": map[string]string{"cname": target}})
		if preconditionFailed(err) {
			continue
		}
		if err != nil {
			return 0, armclient.Wrap(op, err)
		}
		return time.Duration(r.ttl) * time.Second, nil
	}
	return 0, fmt.Errorf("%s: the record set changed under us %d times; try again", op, maxAttempts)
}

// lowerTTL sets the TTL to low and records the TTL in force and the time
// in metadata, unless the TTL is already low enough (then metadata from an
// interrupted cutover, if any, stays as it is).
func (d *DNS) lowerTTL(ctx context.Context, op string, r cname, low int64) (cname, error) {
	if r.ttl <= low {
		return r, nil
	}
	md := withoutOurs(r.metadata)
	md[MetadataOriginalTTL] = strconv.FormatInt(r.ttl, 10)
	md[MetadataLoweredAt] = d.conn.clock.Now().UTC().Format(time.RFC3339)
	out, err := d.patch(ctx, op, r.etag, map[string]any{"TTL": low, "metadata": md})
	if err != nil && !preconditionFailed(err) {
		return cname{}, armclient.Wrap(fmt.Sprintf("%s: lower the TTL from %ds to %ds", op, r.ttl, low), err)
	}
	return out, err
}

// waitOldTTL waits until the TTL that was in force before the router
// lowered it has run out since it was lowered, measured from the metadata
// timestamp so a restarted process waits only what is left.
func (d *DNS) waitOldTTL(ctx context.Context, r cname) error {
	orig, ok := originalTTL(r.metadata)
	at, err := time.Parse(time.RFC3339, r.metadata[MetadataLoweredAt])
	if !ok || err != nil {
		return nil // the TTL was low already: nothing cached outlives it
	}
	until := at.Add(time.Duration(orig) * time.Second)
	left := until.Sub(d.conn.clock.Now())
	if left <= 0 {
		return nil
	}
	if d.cfg.OnWait != nil {
		d.cfg.OnWait(DNSWait{
			Reason:   fmt.Sprintf("%s: TTL lowered from %ds to %ds at %s; waiting the old TTL so resolvers drop cached answers before the target changes", d.name(), orig, r.ttl, at.Format(time.RFC3339)),
			Duration: left, Until: until,
		})
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-d.conn.clock.After(left):
		return nil
	}
}

// Settle implements traffic.Settler: it restores the TTL saved in the
// record set's metadata and removes the router's keys. Without saved
// metadata there is nothing to restore and it returns nil, so it is safe
// to call from any process, any number of times.
func (d *DNS) Settle(ctx context.Context) error {
	for range maxAttempts {
		r, err := d.read(ctx)
		if err != nil {
			return err
		}
		orig, ok := originalTTL(r.metadata)
		if !ok {
			return nil
		}
		op := fmt.Sprintf("restore the TTL of %s to %ds", d.name(), orig)
		_, err = d.patch(ctx, op, r.etag, map[string]any{"TTL": orig, "metadata": withoutOurs(r.metadata)})
		if err == nil {
			return nil
		}
		if !preconditionFailed(err) {
			return armclient.Wrap(op, err)
		}
	}
	return fmt.Errorf("restore the TTL of %s: the record set changed under us %d times; try again", d.name(), maxAttempts)
}
