package traffic

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Weights maps backend name to its share of traffic in percent. A valid set
// sums to 100; a backend at 0 gets no new traffic.
type Weights map[string]int

// Router reads and sets traffic weights for a fixed set of backends.
type Router interface {
	// Weights returns the current shares. Backends the router knows but
	// sends nothing to are present with 0.
	Weights(ctx context.Context) (Weights, error)
	// SetWeights applies w (which must name every backend and sum to 100)
	// and returns once the router has accepted it, with the propagation
	// delay before every client follows it. It wraps ErrUnsupported when the
	// router cannot express w (a DNS CNAME can only point at one backend).
	SetWeights(ctx context.Context, w Weights) (propagation time.Duration, err error)
}

// Settler is implemented by routers that temporarily change something for a
// cutover (Azure DNS lowers the record TTL) and restore it afterwards.
type Settler interface {
	// Settle restores what the cutover changed, once traffic is final.
	Settle(ctx context.Context) error
}

// ErrUnsupported is wrapped by routers for weights they cannot express.
var ErrUnsupported = errors.New("unsupported by this router")

// Validate checks that w names only known backends, every known backend,
// and sums to 100.
func (w Weights) Validate(backends []string) error {
	known := map[string]bool{}
	for _, b := range backends {
		known[b] = true
	}
	sum := 0
	for name, pct := range w {
		if !known[name] {
			return fmt.Errorf("weights name unknown backend %q (backends: %s)", name, strings.Join(backends, ", "))
		}
		if pct < 0 || pct > 100 {
			return fmt.Errorf("weight of %q is %d; use 0..100", name, pct)
		}
		sum += pct
	}
	for _, b := range backends {
		if _, ok := w[b]; !ok {
			return fmt.Errorf("weights do not name backend %q; give every backend a weight (0 to send it nothing)", b)
		}
	}
	if sum != 100 {
		return fmt.Errorf("weights sum to %d, want 100", sum)
	}
	return nil
}

// String renders "blue=80 green=20" in name order.
func (w Weights) String() string {
	names := make([]string, 0, len(w))
	for n := range w {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%d", n, w[n])
	}
	return strings.Join(parts, " ")
}

// Split returns weights that send pct percent to to and the rest to from.
func Split(from, to string, pct int) Weights {
	return Weights{from: 100 - pct, to: pct}
}
