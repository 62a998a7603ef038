package window

import (
	"encoding/json"
	"fmt"
	"time"
)

// Horizon is how far after the given instant Next looks for a window: ten
// years. Every valid schedule opens at least once a year, so only
// notAllowedDates or a distant startDate can exhaust it.
const Horizon = 3653 * 24 * time.Hour

// Interval is one window: work may start at Start or later, and before End.
// The zero Interval is unbounded, the Always window's.
//
// +kubebuilder:object:generate=false
type Interval struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Contains reports whether t is in [Start, End). The unbounded Interval
// contains every instant.
func (i Interval) Contains(t time.Time) bool {
	if i.Unbounded() {
		return true
	}
	return !t.Before(i.Start) && t.Before(i.End)
}

// Unbounded reports whether i is the Always window's interval.
func (i Interval) Unbounded() bool { return i.Start.IsZero() && i.End.IsZero() }

// MarshalJSON writes Start and End in UTC RFC 3339 ("2026-05-03T02:00:00Z"),
// whatever their location, and null when unbounded: the JSON of `upshift
// window check` is a contract.
func (i Interval) MarshalJSON() ([]byte, error) {
	type out struct {
		Start *string `json:"start"`
		End   *string `json:"end"`
	}
	var o out
	if !i.Unbounded() {
		for _, t := range []*time.Time{&i.Start, &i.End} {
			if y := t.UTC().Year(); y < 0 || y > 9999 {
				return nil, fmt.Errorf("window %s is outside years 0000-9999", i)
			}
		}
		s, e := i.Start.UTC().Format(time.RFC3339), i.End.UTC().Format(time.RFC3339)
		o.Start, o.End = &s, &e
	}
	return json.Marshal(o)
}

func (i Interval) String() string {
	if i.Unbounded() {
		return "always"
	}
	return i.Start.UTC().Format(time.RFC3339) + "/" + i.End.UTC().Format(time.RFC3339)
}

// Status is the answer to "may work start now, and if not, when?". Its JSON
// is what `upshift window check -o json` prints.
//
// +kubebuilder:object:generate=false
type Status struct {
	// Open is whether work may start at the instant asked about.
	Open bool `json:"open"`
	// CurrentWindow is the window holding that instant, or nil.
	CurrentWindow *Interval `json:"currentWindow"`
	// NextWindow is the first window that opens after that instant, or nil
	// when none opens within Horizon (or the window is Always).
	NextWindow *Interval `json:"nextWindow"`
}

// NoWindowError says that no window opens within Horizon after After, and
// why.
//
// +kubebuilder:object:generate=false
type NoWindowError struct {
	After  time.Time
	Until  time.Time
	Reason string
}

func (e *NoWindowError) Error() string {
	if e.Until.IsZero() {
		return e.Reason
	}
	return fmt.Sprintf("no maintenance window opens between %s and %s: %s",
		e.After.UTC().Format(time.RFC3339), e.Until.UTC().Format(time.RFC3339), e.Reason)
}

// CanStart reports whether work may start at at. It is Open under the name
// callers gate on: a window admits starts only; work that started inside
// one runs to completion, so nothing asks whether a window is still open
// once work runs. An invalid window never admits a start.
func (s *Spec) CanStart(at time.Time) bool { return s.Open(at) }

// Open reports whether at is inside a window. The Always window is always
// open; an invalid window never is.
func (s *Spec) Open(at time.Time) bool { return s.Current(at) != nil }

// Current returns the window holding at, or nil when at is outside every
// window or s is invalid. For the Always window it returns the unbounded
// Interval.
func (s *Spec) Current(at time.Time) *Interval {
	if s == nil {
		return &Interval{}
	}
	c, err := s.compile()
	if err != nil {
		return nil
	}
	// A window that holds at opened at most 24 hours before it, so on the
	// local day of at or the day before.
	today := c.localDay(at)
	for d := range c.days(today-1, today) {
		start := c.start(d)
		if start.After(at) {
			break
		}
		iv := Interval{Start: start, End: start.Add(c.duration)}
		if iv.Contains(at) && c.allowed(start) {
			return &iv
		}
	}
	return nil
}

// Next returns the first window that opens after at (Start > at), searching
// Horizon ahead. It returns a *NoWindowError when there is none (and for
// the Always window, which has no next window), and an *InvalidError when s
// is invalid.
func (s *Spec) Next(at time.Time) (Interval, error) {
	if s == nil {
		return Interval{}, &NoWindowError{After: at, Reason: "no maintenance window is configured: work may start at any time"}
	}
	c, err := s.compile()
	if err != nil {
		return Interval{}, err
	}
	until := at.Add(Horizon)
	blocked := 0
	for d := range c.days(c.localDay(at), c.localDay(until)) {
		start := c.start(d)
		if !start.After(at) {
			continue
		}
		if start.After(until) {
			break
		}
		if c.allowed(start) {
			return Interval{Start: start, End: start.Add(c.duration)}, nil
		}
		blocked++
	}
	reason := fmt.Sprintf("all %d windows in that time overlap notAllowedDates; remove or shorten notAllowedDates", blocked)
	switch {
	case s.StartDate != "" && c.start(c.activeFrom).After(until):
		reason = fmt.Sprintf("startDate %s is after that; set an earlier startDate", s.StartDate)
	case blocked == 0:
		// Unreachable for a valid schedule; said plainly in case it is not.
		reason = "the schedule has no day in that time"
	}
	return Interval{}, &NoWindowError{After: at, Until: until, Reason: reason}
}

// Upcoming returns the next n windows after at, in order. When fewer than n
// open (each within Horizon of the one before), it returns those found and
// the *NoWindowError that ended the search.
func (s *Spec) Upcoming(at time.Time, n int) ([]Interval, error) {
	var out []Interval
	for len(out) < n {
		iv, err := s.Next(at)
		if err != nil {
			return out, err
		}
		out = append(out, iv)
		at = iv.Start
	}
	return out, nil
}

// Status answers whether work may start at at, and when the next window
// opens. It fails only when s is invalid; a window that never opens again
// has a nil NextWindow (Next says why).
func (s *Spec) Status(at time.Time) (Status, error) {
	if err := s.Validate(); err != nil {
		return Status{}, err
	}
	st := Status{CurrentWindow: s.Current(at)}
	st.Open = st.CurrentWindow != nil
	if next, err := s.Next(at); err == nil {
		st.NextWindow = &next
	}
	return st, nil
}
