package window

import (
	"cmp"
	"fmt"
	"sort"
	"testing"
	"time"
)

// The property tests run every schedule over 2024-2032 (three leap years)
// and check the windows against a reference that decides each local day by
// the calendar alone (time.AddDate, Weekday), sharing no code with the
// package's day arithmetic.

// The range the properties are checked over: 2024-01-01 to 2033-01-01.
const (
	propFromUnix = 1704067200
	propToUnix   = 1988150400
)

// propSpecs are the schedules the properties are checked on: every schedule
// type and interval, days that some months lack, every week index, offsets
// at both ends of the range and with odd minutes, start times that cross
// midnight, startDates in a leap day and mid-range, and blocked days on
// month, year and leap-day boundaries.
func propSpecs() []*Spec {
	var scheds []Schedule
	for _, n := range []int32{1, 2, 3, 7} {
		scheds = append(scheds, Schedule{Daily: &DailySchedule{IntervalDays: n}})
	}
	for n := int32(1); n <= 4; n++ {
		for _, d := range []Weekday{Sunday, Wednesday, Saturday} {
			scheds = append(scheds, Schedule{Weekly: &WeeklySchedule{IntervalWeeks: n, DayOfWeek: d}})
		}
	}
	for _, n := range []int32{1, 2, 5, 6} {
		for _, d := range []int32{1, 15, 28, 29, 30, 31} {
			scheds = append(scheds, Schedule{AbsoluteMonthly: &AbsoluteMonthlySchedule{IntervalMonths: n, DayOfMonth: d}})
		}
	}
	for _, n := range []int32{1, 3, 6} {
		for _, i := range []WeekIndex{First, Second, Third, Fourth, Last} {
			for _, d := range []Weekday{Monday, Sunday} {
				scheds = append(scheds, Schedule{RelativeMonthly: &RelativeMonthlySchedule{IntervalMonths: n, DayOfWeek: d, WeekIndex: i}})
			}
		}
	}
	variants := []struct {
		offset, start, startDate string
		hours                    int32
		blocked                  []DateSpan
	}{
		{"", "02:00", "", 4, nil},
		{"+14:00", "23:30", "2024-02-29", 24, []DateSpan{{"2028-02-29", "2028-02-29"}, {"2025-12-31", "2026-01-01"}}},
		{"-12:00", "00:00", "2026-05-13", 8, []DateSpan{{"2027-03-01", "2027-06-30"}}},
		{"+05:45", "21:15", "", 12, []DateSpan{{"2024-12-24", "2025-01-02"}, {"2030-01-01", "2030-12-31"}}},
		{"-03:30", "23:59", "2031-01-31", 5, nil},
		// Windows that end exactly where a blocked day begins are kept.
		{"+01:00", "00:00", "", 24, []DateSpan{{"2025-03-01", "2025-03-01"}, {"2025-03-02", "2025-03-02"}, {"2026-03-01", "2026-03-01"}, {"2026-08-01", "2026-08-01"}, {"2027-01-01", "2027-01-01"}, {"2029-02-28", "2029-03-01"}}},
	}
	var specs []*Spec
	for i, sc := range scheds {
		// Each schedule gets two variants, rotating through them, to keep
		// the run short while every variant meets every schedule type.
		for _, v := range []int{i % len(variants), (i + 2) % len(variants)} {
			vv := variants[v]
			specs = append(specs, &Spec{
				Schedule: sc, DurationHours: vv.hours, StartTime: vv.start,
				UTCOffset: vv.offset, StartDate: vv.startDate, NotAllowedDates: vv.blocked,
			})
		}
	}
	return specs
}

// describeSpec names a subtest, e.g. "weekly2Sunday/+14:00/23:30/24h/from2024-02-29/blocked2".
func describeSpec(s *Spec) string {
	var sched string
	switch sc := s.Schedule; {
	case sc.Daily != nil:
		sched = fmt.Sprintf("daily%d", sc.Daily.IntervalDays)
	case sc.Weekly != nil:
		sched = fmt.Sprintf("weekly%d%s", sc.Weekly.IntervalWeeks, sc.Weekly.DayOfWeek)
	case sc.AbsoluteMonthly != nil:
		sched = fmt.Sprintf("absoluteMonthly%dday%d", sc.AbsoluteMonthly.IntervalMonths, sc.AbsoluteMonthly.DayOfMonth)
	case sc.RelativeMonthly != nil:
		r := sc.RelativeMonthly
		sched = fmt.Sprintf("relativeMonthly%d%s%s", r.IntervalMonths, r.WeekIndex, r.DayOfWeek)
	}
	return fmt.Sprintf("%s/%s/%s/%dh/from%s/blocked%d", sched, cmp.Or(s.UTCOffset, "+00:00"), s.StartTime, s.DurationHours, cmp.Or(s.StartDate, "-"), len(s.NotAllowedDates))
}

// refOccurs decides, by the calendar, whether s opens a window on the civil
// date d (a UTC midnight standing for the local date).
func refOccurs(s *Spec, d time.Time) bool {
	anchor := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	if s.StartDate != "" {
		anchor, _ = time.Parse(time.DateOnly, s.StartDate)
		if d.Before(anchor) {
			return false
		}
	}
	days := func(a, b time.Time) int { return int(b.Sub(a).Hours() / 24) }
	months := func(a, b time.Time) int { return (b.Year()-a.Year())*12 + int(b.Month()-a.Month()) }
	mod := func(a, n int) int { return ((a % n) + n) % n }
	switch sc := s.Schedule; {
	case sc.Daily != nil:
		return mod(days(anchor, d), int(sc.Daily.IntervalDays)) == 0
	case sc.Weekly != nil:
		sunday := func(t time.Time) time.Time { return t.AddDate(0, 0, -int(t.Weekday())) }
		weeks := days(sunday(anchor), sunday(d)) / 7
		return d.Weekday().String() == string(sc.Weekly.DayOfWeek) && mod(weeks, int(sc.Weekly.IntervalWeeks)) == 0
	case sc.AbsoluteMonthly != nil:
		return d.Day() == int(sc.AbsoluteMonthly.DayOfMonth) && mod(months(anchor, d), int(sc.AbsoluteMonthly.IntervalMonths)) == 0
	case sc.RelativeMonthly != nil:
		r := sc.RelativeMonthly
		if d.Weekday().String() != string(r.DayOfWeek) || mod(months(anchor, d), int(r.IntervalMonths)) != 0 {
			return false
		}
		if r.WeekIndex == Last {
			return d.AddDate(0, 0, 7).Month() != d.Month()
		}
		n := map[WeekIndex]int{First: 1, Second: 2, Third: 3, Fourth: 4}[r.WeekIndex]
		return (d.Day()-1)/7+1 == n
	}
	return false
}

// refWindows lists the windows of s that open in [from, to), by refOccurs
// and the documented notAllowedDates rule.
func refWindows(s *Spec, from, to time.Time) []Interval {
	off, _ := parseOffset(s.UTCOffset)
	zone := time.FixedZone("window", off*60)
	h, m, _ := splitClock(s.StartTime)
	dur := time.Duration(s.DurationHours) * time.Hour
	var out []Interval
	for d := from.In(zone).AddDate(0, 0, -1); d.Before(to.In(zone).AddDate(0, 0, 1)); d = d.AddDate(0, 0, 1) {
		civil := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
		if !refOccurs(s, civil) {
			continue
		}
		start := time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, zone).UTC()
		if start.Before(from) || !start.Before(to) {
			continue
		}
		iv := Interval{Start: start, End: start.Add(dur)}
		blocked := false
		for _, ds := range s.NotAllowedDates {
			a, _ := time.ParseInLocation(time.DateOnly, ds.Start, zone)
			b, _ := time.ParseInLocation(time.DateOnly, ds.End, zone)
			if iv.Start.Before(b.AddDate(0, 0, 1)) && a.Before(iv.End) {
				blocked = true
			}
		}
		if !blocked {
			out = append(out, iv)
		}
	}
	return out
}

func TestPropertyWindowsMatchCalendar(t *testing.T) {
	propFrom, propTo := time.Unix(propFromUnix, 0).UTC(), time.Unix(propToUnix, 0).UTC()
	for _, s := range propSpecs() {
		t.Run(describeSpec(s), func(t *testing.T) {
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			want := refWindows(s, propFrom, propTo)
			var got []Interval
			at := propFrom.Add(-time.Second)
			for {
				iv, err := s.Next(at)
				if err != nil {
					t.Fatalf("Next(%s): %v", at, err)
				}
				if !iv.Start.Before(propTo) {
					break
				}
				if !iv.Start.After(at) {
					t.Fatalf("Next(%s) = %s, not after it", at, iv)
				}
				got = append(got, iv)
				at = iv.Start
			}
			if len(got) != len(want) {
				t.Fatalf("got %d windows, reference %d; first got %v, first want %v", len(got), len(want), first(got), first(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("window %d = %s, reference %s", i, got[i], want[i])
				}
			}
			checkShape(t, s, got)
			checkAt(t, s, got, propFrom, propTo)
		})
	}
}

func first(ivs []Interval) any {
	if len(ivs) == 0 {
		return nil
	}
	return ivs[0]
}

// checkShape checks the invariants each window and each pair of
// consecutive windows must hold.
func checkShape(t *testing.T, s *Spec, ws []Interval) {
	t.Helper()
	off, _ := parseOffset(s.UTCOffset)
	zone := time.FixedZone("window", off*60)
	dur := time.Duration(s.DurationHours) * time.Hour
	for i, w := range ws {
		local := w.Start.In(zone)
		if w.End.Sub(w.Start) != dur {
			t.Errorf("%s lasts %s, want %s", w, w.End.Sub(w.Start), dur)
		}
		if got := local.Format("15:04"); got != s.StartTime {
			t.Errorf("%s opens at %s local, want %s", w, got, s.StartTime)
		}
		if s.StartDate != "" && local.Format(time.DateOnly) < s.StartDate {
			t.Errorf("%s opens before startDate %s", w, s.StartDate)
		}
		for _, ds := range s.NotAllowedDates {
			for d := w.Start.In(zone); d.Before(w.End); d = d.Add(time.Hour) {
				if day := d.Format(time.DateOnly); day >= ds.Start && day <= ds.End {
					t.Errorf("%s overlaps notAllowedDates %s..%s", w, ds.Start, ds.End)
				}
			}
		}
		sc := s.Schedule
		switch {
		case sc.Weekly != nil:
			if local.Weekday().String() != string(sc.Weekly.DayOfWeek) {
				t.Errorf("%s is on %s in %s, want %s", w, local.Weekday(), zone, sc.Weekly.DayOfWeek)
			}
		case sc.AbsoluteMonthly != nil:
			if local.Day() != int(sc.AbsoluteMonthly.DayOfMonth) {
				t.Errorf("%s is on day %d, want %d (months without it are skipped)", w, local.Day(), sc.AbsoluteMonthly.DayOfMonth)
			}
		case sc.RelativeMonthly != nil:
			last := time.Date(local.Year(), local.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
			if sc.RelativeMonthly.WeekIndex == Last && local.Day() <= last-7 {
				t.Errorf("%s (Last) is not in the month's last 7 days", w)
			}
		}
		if i == 0 {
			continue
		}
		prev := ws[i-1].Start.In(zone)
		if !w.Start.After(ws[i-1].End) && !w.Start.Equal(ws[i-1].End) {
			t.Errorf("%s overlaps the window before, %s", w, ws[i-1])
		}
		// Consecutive windows are a whole number of intervals apart.
		civil := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
		days := int(civil(local).Sub(civil(prev)).Hours() / 24)
		months := (local.Year()-prev.Year())*12 + int(local.Month()-prev.Month())
		var apart, interval int
		switch {
		case sc.Daily != nil:
			apart, interval = days, int(sc.Daily.IntervalDays)
		case sc.Weekly != nil:
			apart, interval = days/7, int(sc.Weekly.IntervalWeeks)
		case sc.AbsoluteMonthly != nil:
			apart, interval = months, int(sc.AbsoluteMonthly.IntervalMonths)
		case sc.RelativeMonthly != nil:
			apart, interval = months, int(sc.RelativeMonthly.IntervalMonths)
		}
		if apart%interval != 0 || apart == 0 {
			t.Errorf("%s and %s are %d periods apart, not a multiple of %d", ws[i-1], w, apart, interval)
		}
	}
}

// checkAt samples instants across the range and checks Current, Open and
// Next against the list of windows.
func checkAt(t *testing.T, s *Spec, ws []Interval, propFrom, propTo time.Time) {
	t.Helper()
	// A step that is prime in minutes walks through every time of day.
	const step = 16*time.Hour + 53*time.Minute
	for at := propFrom.Add(36 * time.Hour); at.Before(propTo.Add(-400 * 24 * time.Hour)); at = at.Add(step) {
		// The first window that opens after at.
		i := sort.Search(len(ws), func(i int) bool { return ws[i].Start.After(at) })
		var holding *Interval
		if i > 0 && ws[i-1].Contains(at) {
			holding = &ws[i-1]
		}
		cur := s.Current(at)
		switch {
		case holding == nil && cur != nil:
			t.Fatalf("Current(%s) = %s, want nil", at, cur)
		case holding != nil && (cur == nil || *cur != *holding):
			t.Fatalf("Current(%s) = %v, want %s", at, cur, holding)
		case cur != nil && !cur.Contains(at):
			t.Fatalf("Current(%s) = %s does not contain it", at, cur)
		}
		if s.Open(at) != (cur != nil) {
			t.Fatalf("Open(%s) = %t, Current = %v", at, s.Open(at), cur)
		}
		next, err := s.Next(at)
		if err != nil {
			t.Fatalf("Next(%s): %v", at, err)
		}
		if i == len(ws) || next != ws[i] || !next.Start.After(at) {
			t.Fatalf("Next(%s) = %s, want the first window after it", at, next)
		}
	}
}

// TestPropertyMonthEnds counts windows per year for the days some months
// lack, as the package documentation says.
func TestPropertyMonthEnds(t *testing.T) {
	for _, tt := range []struct {
		dom  int32
		want map[int]int // windows per year
	}{
		{28, map[int]int{2024: 12, 2025: 12, 2028: 12}},
		{29, map[int]int{2024: 12, 2025: 11, 2026: 11, 2027: 11, 2028: 12, 2032: 12}},
		{30, map[int]int{2024: 11, 2028: 11, 2029: 11}},
		{31, map[int]int{2024: 7, 2025: 7, 2030: 7}},
	} {
		t.Run(fmt.Sprint(tt.dom), func(t *testing.T) {
			s := &Spec{Schedule: Schedule{AbsoluteMonthly: &AbsoluteMonthlySchedule{IntervalMonths: 1, DayOfMonth: tt.dom}}, DurationHours: 4, StartTime: "12:00"}
			ws, err := s.Upcoming(time.Unix(propFromUnix-1, 0), 12*9)
			if err != nil {
				t.Fatal(err)
			}
			per := map[int]int{}
			for _, w := range ws {
				per[w.Start.Year()]++
			}
			for y, n := range tt.want {
				if per[y] != n {
					t.Errorf("%d: %d windows, want %d", y, per[y], n)
				}
			}
		})
	}
}
