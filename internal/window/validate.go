package window

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Problem is one thing wrong with a window: the field, as a JSON path from
// the window ("schedule.weekly.intervalWeeks"), and what is wrong with it
// and how to fix it.
//
// +kubebuilder:object:generate=false
type Problem struct {
	Field  string
	Detail string
}

func (p Problem) String() string {
	if p.Field == "" {
		return p.Detail
	}
	return p.Field + ": " + p.Detail
}

// InvalidError lists every problem found in a window, in the order found.
//
// +kubebuilder:object:generate=false
type InvalidError struct {
	Problems []Problem
}

// Error is one line, so that a command can print it as is.
func (e *InvalidError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "invalid maintenance window: " + strings.Join(parts, "; ")
}

const (
	weekdayNames   = "Sunday, Monday, Tuesday, Wednesday, Thursday, Friday, Saturday"
	weekIndexNames = "First, Second, Third, Fourth, Last"
	scheduleNames  = "daily, weekly, absoluteMonthly, relativeMonthly"
	// maxOffset is the widest offset in use on Earth (+14:00, Kiribati;
	// -12:00 is the other end). Larger values are typos.
	maxOffset = 14 * 60
)

// Validate returns an *InvalidError listing every problem, or nil. The Always
// window (nil) is valid.
func (s *Spec) Validate() error {
	if s == nil {
		return nil
	}
	var v validator
	v.schedule(s.Schedule)
	if s.DurationHours == 0 {
		v.add("durationHours", "required; set the window length in hours, 4..24")
	} else {
		v.rangeCheck("durationHours", s.DurationHours, 4, 24)
	}
	v.clock("startTime", s.StartTime)
	v.offset("utcOffset", s.UTCOffset)
	if s.StartDate != "" {
		v.date("startDate", s.StartDate)
	}
	for i, ds := range s.NotAllowedDates {
		f := fmt.Sprintf("notAllowedDates[%d]", i)
		start, okS := v.requiredDate(f+".start", ds.Start)
		end, okE := v.requiredDate(f+".end", ds.End)
		if okS && okE && end.Before(start) {
			v.add(f, fmt.Sprintf("end %s is before start %s; swap them", ds.End, ds.Start))
		}
	}
	return v.err()
}

// Warnings are things that are valid but probably not meant, one line each:
// a monthly day that some months lack, an interval counted from 1970
// because startDate is unset.
func (s *Spec) Warnings() []string {
	if s == nil || s.Validate() != nil {
		return nil
	}
	var w []string
	if am := s.Schedule.AbsoluteMonthly; am != nil && am.DayOfMonth > 28 {
		lacking := map[int32]string{29: "February in common years", 30: "February", 31: "February, April, June, September and November"}[am.DayOfMonth]
		w = append(w, fmt.Sprintf("schedule.absoluteMonthly.dayOfMonth: %d: no window opens in %s (months without that day are skipped); use relativeMonthly with weekIndex Last for a window at every month's end", am.DayOfMonth, lacking))
	}
	if s.StartDate == "" && s.interval() > 1 {
		w = append(w, "startDate: unset, so the interval is counted from 1970-01-01; set startDate to the date the cadence should count from (AKS uses the day the configuration was created)")
	}
	return w
}

func (s *Spec) interval() int32 {
	switch sc := s.Schedule; {
	case sc.Daily != nil:
		return sc.Daily.IntervalDays
	case sc.Weekly != nil:
		return sc.Weekly.IntervalWeeks
	case sc.AbsoluteMonthly != nil:
		return sc.AbsoluteMonthly.IntervalMonths
	case sc.RelativeMonthly != nil:
		return sc.RelativeMonthly.IntervalMonths
	}
	return 0
}

// compile validates s and turns it into the form the schedule is computed
// on.
func (s *Spec) compile() (*compiled, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	c := &compiled{
		duration:   time.Duration(s.DurationHours) * time.Hour,
		sched:      s.Schedule,
		activeFrom: day(minInt64),
	}
	c.startSec = int64(parseClock(s.StartTime)) * 60
	off, _ := parseOffset(s.UTCOffset)
	c.offset = int64(off) * 60
	if s.StartDate != "" {
		c.activeFrom = dayOfDate(s.StartDate)
		c.anchor = c.activeFrom
	}
	for _, ds := range s.NotAllowedDates {
		// Whole days in the window's offset, end included.
		c.blocked = append(c.blocked, span{
			start: int64(dayOfDate(ds.Start))*secondsPerDay - c.offset,
			end:   int64(dayOfDate(ds.End)+1)*secondsPerDay - c.offset,
		})
	}
	c.blocked = merge(c.blocked)
	return c, nil
}

const minInt64 = -1 << 63

// merge sorts spans and joins those that overlap or touch.
func merge(spans []span) []span {
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	var out []span
	for _, sp := range spans {
		if n := len(out); n > 0 && sp.start <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, sp.end)
			continue
		}
		out = append(out, sp)
	}
	return out
}

// splitClock splits "HH:mm" into its two numbers; ok is false unless s is
// exactly two digits, a colon and two digits.
func splitClock(s string) (h, m int, ok bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, 0, false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, 0, false
		}
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), int(s[3]-'0')*10 + int(s[4]-'0'), true
}

// parseClock returns minutes after midnight of a validated "HH:mm".
func parseClock(s string) int {
	h, m, _ := splitClock(s)
	return h*60 + m
}

// parseOffset returns the minutes east of UTC of "+HH:mm" or "-HH:mm"
// (empty is +00:00); ok is false when s is neither.
func parseOffset(s string) (minutes int, ok bool) {
	if s == "" {
		return 0, true
	}
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') {
		return 0, false
	}
	h, m, ok := splitClock(s[1:])
	if !ok || m > 59 {
		return 0, false
	}
	if s[0] == '-' {
		return -(h*60 + m), true
	}
	return h*60 + m, true
}

func dayOfDate(s string) day {
	t, _ := time.Parse(time.DateOnly, s)
	return dayOf(t.Date())
}

// validator collects problems.
type validator struct{ problems []Problem }

func (v *validator) add(field, detail string) {
	v.problems = append(v.problems, Problem{Field: field, Detail: detail})
}

func (v *validator) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	return &InvalidError{Problems: v.problems}
}

func (v *validator) rangeCheck(field string, n, lo, hi int32) {
	if n < lo || n > hi {
		v.add(field, fmt.Sprintf("%d is out of range %d..%d", n, lo, hi))
	}
}

func (v *validator) required(field string, n, lo, hi int32) {
	if n == 0 {
		v.add(field, fmt.Sprintf("required; set %d..%d", lo, hi))
		return
	}
	v.rangeCheck(field, n, lo, hi)
}

func (v *validator) schedule(s Schedule) {
	var set []string
	for _, k := range []struct {
		name string
		on   bool
	}{{"daily", s.Daily != nil}, {"weekly", s.Weekly != nil}, {"absoluteMonthly", s.AbsoluteMonthly != nil}, {"relativeMonthly", s.RelativeMonthly != nil}} {
		if k.on {
			set = append(set, k.name)
		}
	}
	switch len(set) {
	case 0:
		v.add("schedule", "required; set exactly one of "+scheduleNames)
	case 1:
	default:
		v.add("schedule", fmt.Sprintf("set exactly one of %s, not %s", scheduleNames, strings.Join(set, " and ")))
	}
	if d := s.Daily; d != nil {
		v.required("schedule.daily.intervalDays", d.IntervalDays, 1, 7)
	}
	if w := s.Weekly; w != nil {
		v.required("schedule.weekly.intervalWeeks", w.IntervalWeeks, 1, 4)
		v.weekday("schedule.weekly.dayOfWeek", w.DayOfWeek)
	}
	if a := s.AbsoluteMonthly; a != nil {
		v.required("schedule.absoluteMonthly.intervalMonths", a.IntervalMonths, 1, 6)
		v.required("schedule.absoluteMonthly.dayOfMonth", a.DayOfMonth, 1, 31)
	}
	if r := s.RelativeMonthly; r != nil {
		v.required("schedule.relativeMonthly.intervalMonths", r.IntervalMonths, 1, 6)
		v.weekday("schedule.relativeMonthly.dayOfWeek", r.DayOfWeek)
		v.weekIndex("schedule.relativeMonthly.weekIndex", r.WeekIndex)
	}
}

func (v *validator) weekday(field string, w Weekday) {
	if _, ok := w.weekday(); ok {
		return
	}
	if w == "" {
		v.add(field, "required; use one of "+weekdayNames)
		return
	}
	v.add(field, fmt.Sprintf("%q is not a day of the week; use %s", string(w), suggest(string(w), weekdayNames)))
}

func (v *validator) weekIndex(field string, i WeekIndex) {
	if _, ok := i.index(); ok {
		return
	}
	if i == "" {
		v.add(field, "required; use one of "+weekIndexNames)
		return
	}
	v.add(field, fmt.Sprintf("%q is not a week index; use %s", string(i), suggest(string(i), weekIndexNames)))
}

// suggest names the valid value that differs from got only in case, or
// lists them all.
func suggest(got, names string) string {
	for n := range strings.SplitSeq(names, ", ") {
		if strings.EqualFold(n, got) {
			return fmt.Sprintf("%q (names are case-sensitive)", n)
		}
	}
	return "one of " + names
}

func (v *validator) clock(field, s string) {
	if s == "" {
		v.add(field, `required; set the local time the window opens, "HH:mm" such as "02:00"`)
		return
	}
	if h, m, ok := splitClock(s); !ok || h > 23 || m > 59 {
		v.add(field, fmt.Sprintf(`%q is not a time; use "HH:mm" from "00:00" to "23:59"`, s))
	}
}

func (v *validator) offset(field, s string) {
	if s == "" {
		return
	}
	o, ok := parseOffset(s)
	if !ok {
		v.add(field, fmt.Sprintf(`%q is not a UTC offset; use "+HH:mm" or "-HH:mm" such as "+05:30" or "-08:00"`, s))
		return
	}
	if o > maxOffset || o < -maxOffset {
		v.add(field, fmt.Sprintf("%q is out of range -14:00..+14:00", s))
	}
}

func (v *validator) date(field, s string) (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		v.add(field, fmt.Sprintf(`%q is not a date; use "YYYY-MM-DD" such as "2026-01-31"`, s))
		return time.Time{}, false
	}
	return t, true
}

func (v *validator) requiredDate(field, s string) (time.Time, bool) {
	if s == "" {
		v.add(field, `required; set a date, "YYYY-MM-DD"`)
		return time.Time{}, false
	}
	return v.date(field, s)
}
