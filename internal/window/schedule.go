package window

import (
	"iter"
	"sort"
	"time"
)

// A day is a civil date counted in days since 1970-01-01. The schedule is
// computed on days in the window's offset and only then turned into
// instants, so that month lengths, leap years and weekdays come from the
// calendar and never from adding hours across an offset.
type day int64

const secondsPerDay = 24 * 60 * 60

func dayOf(y int, m time.Month, d int) day {
	return day(floorDiv(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix(), secondsPerDay))
}

func (d day) date() (int, time.Month, int) {
	return time.Unix(int64(d)*secondsPerDay, 0).UTC().Date()
}

// weekday of d; 1970-01-01 was a Thursday.
func (d day) weekday() time.Weekday { return time.Weekday(floorMod(int64(d)+4, 7)) }

func (d day) String() string { return time.Unix(int64(d)*secondsPerDay, 0).UTC().Format(time.DateOnly) }

// A month is counted in months since January of year 0.
type month int64

func monthOf(d day) month {
	y, m, _ := d.date()
	return month(int64(y)*12 + int64(m) - 1)
}

func (m month) yearMonth() (int, time.Month) {
	return int(floorDiv(int64(m), 12)), time.Month(floorMod(int64(m), 12) + 1)
}

func daysIn(y int, m time.Month) int { return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day() }

// compiled is a valid Spec in the form the schedule is computed on.
type compiled struct {
	offset   int64 // seconds east of UTC
	startSec int64 // seconds after local midnight
	duration time.Duration
	// activeFrom is the first day a window may open: startDate, or the
	// smallest day when there is none.
	activeFrom day
	// anchor is the day intervals are counted from: startDate or 1970-01-01.
	anchor  day
	blocked []span // sorted, merged, in UTC
	sched   Schedule
}

// span is a half-open range of instants in Unix seconds.
type span struct{ start, end int64 }

// start is when the window of day d opens.
func (c *compiled) start(d day) time.Time {
	return time.Unix(int64(d)*secondsPerDay+c.startSec-c.offset, 0).UTC()
}

// localDay is the day t falls on in the window's offset.
func (c *compiled) localDay(t time.Time) day {
	return day(floorDiv(t.Unix()+c.offset, secondsPerDay))
}

// allowed reports whether the window [s, s+duration) overlaps no blocked
// span.
func (c *compiled) allowed(s time.Time) bool {
	from, to := s.Unix(), s.Add(c.duration).Unix()
	// The first span that ends after the window starts is the only one
	// that can overlap it, since spans are sorted and disjoint.
	i := sort.Search(len(c.blocked), func(i int) bool { return c.blocked[i].end > from })
	return i == len(c.blocked) || c.blocked[i].start >= to
}

// days yields, in increasing order, the days in [from, until] on which a
// window opens by the schedule and startDate, before notAllowedDates. It
// ends at until even when no day matches, so callers need no other bound.
func (c *compiled) days(from, until day) iter.Seq[day] {
	if from < c.activeFrom {
		from = c.activeFrom
	}
	s := c.sched
	switch {
	case s.Daily != nil:
		return every(c.anchor, int64(s.Daily.IntervalDays), from, until)
	case s.Weekly != nil:
		// Week 0 is the Sunday-to-Saturday week holding the anchor
		// (Azure/AKS#5720): its occurrence may fall before startDate and
		// be skipped, and the next is intervalWeeks weeks on.
		week := c.anchor - day(c.anchor.weekday())
		wd, _ := s.Weekly.DayOfWeek.weekday()
		first := week + day(wd)
		return every(first, 7*int64(s.Weekly.IntervalWeeks), from, until)
	case s.AbsoluteMonthly != nil:
		dom := int(s.AbsoluteMonthly.DayOfMonth)
		return c.monthly(int64(s.AbsoluteMonthly.IntervalMonths), from, until, func(y int, m time.Month) (int, bool) {
			return dom, dom <= daysIn(y, m)
		})
	case s.RelativeMonthly != nil:
		wd, _ := s.RelativeMonthly.DayOfWeek.weekday()
		idx := s.RelativeMonthly.WeekIndex
		return c.monthly(int64(s.RelativeMonthly.IntervalMonths), from, until, func(y int, m time.Month) (int, bool) {
			return nthWeekday(y, m, wd, idx), true
		})
	}
	return func(func(day) bool) {}
}

// every yields first + k*step for every integer k (negative too: without a
// startDate the cadence runs back before the anchor) within [from, until].
func every(first day, step int64, from, until day) iter.Seq[day] {
	return func(yield func(day) bool) {
		d := first + day(ceilDiv(int64(from-first), step)*step)
		for ; d <= until; d += day(step) {
			if !yield(d) {
				return
			}
		}
	}
}

// monthly yields the day dayIn picks in every interval-th month counted from
// the anchor's month, skipping months where it says there is none.
func (c *compiled) monthly(interval int64, from, until day, dayIn func(int, time.Month) (int, bool)) iter.Seq[day] {
	return func(yield func(day) bool) {
		anchor := monthOf(c.anchor)
		m := anchor + month(ceilDiv(int64(monthOf(from)-anchor), interval)*interval)
		for ; m <= monthOf(until); m += month(interval) {
			y, mo := m.yearMonth()
			dom, ok := dayIn(y, mo)
			if !ok {
				continue
			}
			d := dayOf(y, mo, dom)
			if d < from || d > until {
				continue
			}
			if !yield(d) {
				return
			}
		}
	}
}

// nthWeekday is the day of month of the idx-th wd in month m of year y.
func nthWeekday(y int, m time.Month, wd time.Weekday, idx WeekIndex) int {
	if idx == Last {
		last := daysIn(y, m)
		back := floorMod(int64(dayOf(y, m, last).weekday()-wd), 7)
		return last - int(back)
	}
	first := 1 + int(floorMod(int64(wd-dayOf(y, m, 1).weekday()), 7))
	n, _ := idx.index()
	return first + 7*n
}

// weekday is w as a time.Weekday; ok is false for a name AKS does not use.
func (w Weekday) weekday() (wd time.Weekday, ok bool) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if string(w) == d.String() {
			return d, true
		}
	}
	return 0, false
}

// index is 0 for First to 4 for Last; ok is false for a name AKS does not
// use.
func (i WeekIndex) index() (n int, ok bool) {
	switch i {
	case First:
		return 0, true
	case Second:
		return 1, true
	case Third:
		return 2, true
	case Fourth:
		return 3, true
	case Last:
		return 4, true
	}
	return 0, false
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }
