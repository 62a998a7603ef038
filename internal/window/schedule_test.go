package window

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func mustParse(t testing.TB, doc string) *Spec {
	t.Helper()
	s, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// starts formats the Start of each interval, for compact expectations.
func starts(ivs []Interval) string {
	var b []string
	for _, iv := range ivs {
		b = append(b, iv.Start.Format(time.RFC3339))
	}
	return strings.Join(b, " ")
}

// TestUpcoming pins the windows each schedule type opens, with the sources
// of the expectations where AKS documents them.
func TestUpcoming(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		at   string
		want string // Starts of the next windows, space-separated
	}{
		{
			name: "daily every day",
			doc:  `{schedule: {daily: {intervalDays: 1}}, durationHours: 4, startTime: "02:00"}`,
			at:   "2026-03-01T03:00:00Z",
			want: "2026-03-02T02:00:00Z 2026-03-03T02:00:00Z 2026-03-04T02:00:00Z",
		},
		{
			// Azure SDK example MaintenanceConfigurationsList: daily every 5
			// days from 2023-01-01 at 13:30 -07:00.
			name: "daily every 5 days from startDate in -07:00",
			doc:  `{schedule: {daily: {intervalDays: 5}}, durationHours: 10, startTime: "13:30", utcOffset: "-07:00", startDate: "2023-01-01"}`,
			at:   "2022-12-01T00:00:00Z",
			want: "2023-01-01T20:30:00Z 2023-01-06T20:30:00Z 2023-01-11T20:30:00Z",
		},
		{
			name: "daily every 3 days without startDate counts from 1970-01-01",
			doc:  `{schedule: {daily: {intervalDays: 3}}, durationHours: 4, startTime: "00:00"}`,
			// 2027-09-29 is day 21090 = 3*7030 after 1970-01-01.
			at:   "2027-09-28T12:00:00Z",
			want: "2027-09-29T00:00:00Z 2027-10-02T00:00:00Z",
		},
		{
			name: "weekly every Monday",
			doc:  `{schedule: {weekly: {intervalWeeks: 1, dayOfWeek: Monday}}, durationHours: 4, startTime: "01:00"}`,
			at:   "2026-05-01T00:00:00Z", // a Friday
			want: "2026-05-04T01:00:00Z 2026-05-11T01:00:00Z",
		},
		{
			// Azure/AKS#5720: every 2 weeks on Sunday from Tuesday
			// 2026-04-14 opens first on 2026-04-26, not 04-19.
			name: "weekly every 2 weeks counts from startDate's Sunday-to-Saturday week",
			doc:  `{schedule: {weekly: {intervalWeeks: 2, dayOfWeek: Sunday}}, durationHours: 4, startTime: "02:00", startDate: "2026-04-14"}`,
			at:   "2026-04-01T00:00:00Z",
			want: "2026-04-26T02:00:00Z 2026-05-10T02:00:00Z 2026-05-24T02:00:00Z",
		},
		{
			name: "weekly on startDate's own day opens that day",
			doc:  `{schedule: {weekly: {intervalWeeks: 3, dayOfWeek: Tuesday}}, durationHours: 4, startTime: "02:00", startDate: "2026-04-14"}`,
			at:   "2026-04-01T00:00:00Z",
			want: "2026-04-14T02:00:00Z 2026-05-05T02:00:00Z",
		},
		{
			name: "weekly Monday 23:00 at -05:00 opens Tuesday 04:00 UTC",
			doc:  `{schedule: {weekly: {intervalWeeks: 1, dayOfWeek: Monday}}, durationHours: 6, startTime: "23:00", utcOffset: "-05:00"}`,
			at:   "2026-05-01T00:00:00Z",
			want: "2026-05-05T04:00:00Z 2026-05-12T04:00:00Z",
		},
		{
			// Azure SDK example: every 3 months on the 15th from 2023-01-01.
			name: "absoluteMonthly every 3 months on the 15th",
			doc:  `{schedule: {absoluteMonthly: {intervalMonths: 3, dayOfMonth: 15}}, durationHours: 5, startTime: "08:30", utcOffset: "+00:00", startDate: "2023-01-01"}`,
			at:   "2023-01-01T00:00:00Z",
			want: "2023-01-15T08:30:00Z 2023-04-15T08:30:00Z 2023-07-15T08:30:00Z 2023-10-15T08:30:00Z",
		},
		{
			name: "absoluteMonthly 31 skips months without a 31st",
			doc:  `{schedule: {absoluteMonthly: {intervalMonths: 1, dayOfMonth: 31}}, durationHours: 4, startTime: "00:00"}`,
			at:   "2026-01-01T00:00:00Z",
			want: "2026-01-31T00:00:00Z 2026-03-31T00:00:00Z 2026-05-31T00:00:00Z 2026-07-31T00:00:00Z 2026-08-31T00:00:00Z 2026-10-31T00:00:00Z 2026-12-31T00:00:00Z",
		},
		{
			name: "absoluteMonthly 31 every 2 months keeps counting skipped months",
			doc:  `{schedule: {absoluteMonthly: {intervalMonths: 2, dayOfMonth: 31}}, durationHours: 4, startTime: "00:00", startDate: "2026-01-01"}`,
			at:   "2026-01-01T00:00:00Z",
			// Jan, Mar, May, Jul; Sep and Nov have no 31st; Jan 2027.
			want: "2026-01-31T00:00:00Z 2026-03-31T00:00:00Z 2026-05-31T00:00:00Z 2026-07-31T00:00:00Z 2027-01-31T00:00:00Z",
		},
		{
			name: "absoluteMonthly 29 opens in February only in leap years",
			doc:  `{schedule: {absoluteMonthly: {intervalMonths: 1, dayOfMonth: 29}}, durationHours: 4, startTime: "00:00"}`,
			at:   "2027-01-30T00:00:00Z",
			want: "2027-03-29T00:00:00Z",
		},
		{
			name: "absoluteMonthly 29 on Feb 29 of a leap year",
			doc:  `{schedule: {absoluteMonthly: {intervalMonths: 1, dayOfMonth: 29}}, durationHours: 4, startTime: "00:00"}`,
			at:   "2028-01-30T00:00:00Z",
			want: "2028-02-29T00:00:00Z 2028-03-29T00:00:00Z",
		},
		{
			name: "absoluteMonthly on the 1st at +05:00 opens on the last day of the month before in UTC",
			doc:  `{schedule: {absoluteMonthly: {intervalMonths: 1, dayOfMonth: 1}}, durationHours: 4, startTime: "01:00", utcOffset: "+05:00"}`,
			at:   "2026-02-15T00:00:00Z",
			want: "2026-02-28T20:00:00Z 2026-03-31T20:00:00Z",
		},
		{
			name: "absoluteMonthly on the 31st 23:00 at -08:00 opens on the 1st in UTC",
			doc:  `{schedule: {absoluteMonthly: {intervalMonths: 1, dayOfMonth: 31}}, durationHours: 8, startTime: "23:00", utcOffset: "-08:00"}`,
			at:   "2026-01-15T00:00:00Z",
			want: "2026-02-01T07:00:00Z 2026-04-01T07:00:00Z",
		},
		{
			// .NET SDK example: every 3 months on the first Monday, 08:30
			// +05:30, from 2023-01-01.
			name: "relativeMonthly first Monday every 3 months at +05:30",
			doc:  `{schedule: {relativeMonthly: {intervalMonths: 3, weekIndex: First, dayOfWeek: Monday}}, durationHours: 10, startTime: "08:30", utcOffset: "+05:30", startDate: "2023-01-01"}`,
			at:   "2022-12-01T00:00:00Z",
			want: "2023-01-02T03:00:00Z 2023-04-03T03:00:00Z 2023-07-03T03:00:00Z 2023-10-02T03:00:00Z",
		},
		{
			name: "relativeMonthly last Friday",
			doc:  `{schedule: {relativeMonthly: {intervalMonths: 1, weekIndex: Last, dayOfWeek: Friday}}, durationHours: 4, startTime: "20:00"}`,
			at:   "2026-01-01T00:00:00Z",
			want: "2026-01-30T20:00:00Z 2026-02-27T20:00:00Z 2026-03-27T20:00:00Z 2026-04-24T20:00:00Z 2026-05-29T20:00:00Z",
		},
		{
			name: "relativeMonthly fourth Sunday every 2 months",
			doc:  `{schedule: {relativeMonthly: {intervalMonths: 2, weekIndex: Fourth, dayOfWeek: Sunday}}, durationHours: 4, startTime: "00:00", startDate: "2026-02-01"}`,
			at:   "2026-01-01T00:00:00Z",
			want: "2026-02-22T00:00:00Z 2026-04-26T00:00:00Z 2026-06-28T00:00:00Z",
		},
		{
			name: "startDate in the future",
			doc:  `{schedule: {daily: {intervalDays: 1}}, durationHours: 4, startTime: "00:00", startDate: "2030-06-01"}`,
			at:   "2026-01-01T00:00:00Z",
			want: "2030-06-01T00:00:00Z 2030-06-02T00:00:00Z",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.doc)
			n := len(strings.Fields(tt.want))
			got, err := s.Upcoming(utc(tt.at), n)
			if err != nil {
				t.Fatalf("Upcoming: %v", err)
			}
			if starts(got) != tt.want {
				t.Errorf("starts:\n got %s\nwant %s", starts(got), tt.want)
			}
			for _, iv := range got {
				if d := iv.End.Sub(iv.Start); d != time.Duration(s.DurationHours)*time.Hour {
					t.Errorf("%s lasts %s, want %dh", iv, d, s.DurationHours)
				}
			}
		})
	}
}

// TestNotAllowedDates checks the documented rule: whole days in utcOffset,
// end included, and a window that overlaps them by any amount is dropped.
func TestNotAllowedDates(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		at   string
		want string
	}{
		{
			// ARM API doc: with +02:00, 2022-12-23..2023-01-03 blocks
			// 2022-12-22 22:00 to 2023-01-03 22:00 UTC. A daily 00:30
			// window opens 22:30 UTC the evening before.
			name: "AKS example in +02:00",
			doc: `{schedule: {daily: {intervalDays: 1}}, durationHours: 4, startTime: "00:30", utcOffset: "+02:00",
			       notAllowedDates: [{start: "2022-12-23", end: "2023-01-03"}]}`,
			at:   "2022-12-21T00:00:00Z",
			want: "2022-12-21T22:30:00Z 2023-01-03T22:30:00Z 2023-01-04T22:30:00Z",
		},
		{
			name: "a window that runs into a blocked day is dropped",
			doc: `{schedule: {daily: {intervalDays: 1}}, durationHours: 8, startTime: "22:00",
			       notAllowedDates: [{start: "2026-01-10", end: "2026-01-10"}]}`,
			at:   "2026-01-08T00:00:00Z",
			want: "2026-01-08T22:00:00Z 2026-01-11T22:00:00Z",
		},
		{
			name: "a window ending exactly at a blocked day's midnight is kept",
			doc: `{schedule: {daily: {intervalDays: 1}}, durationHours: 4, startTime: "20:00",
			       notAllowedDates: [{start: "2026-01-10", end: "2026-01-10"}]}`,
			at:   "2026-01-08T00:00:00Z",
			want: "2026-01-08T20:00:00Z 2026-01-09T20:00:00Z 2026-01-11T20:00:00Z",
		},
		{
			name: "overlapping and unsorted spans",
			doc: `{schedule: {weekly: {intervalWeeks: 1, dayOfWeek: Saturday}}, durationHours: 4, startTime: "10:00",
			       notAllowedDates: [{start: "2026-12-20", end: "2027-01-02"}, {start: "2026-12-01", end: "2026-12-25"}]}`,
			at:   "2026-11-25T00:00:00Z",
			want: "2026-11-28T10:00:00Z 2027-01-09T10:00:00Z",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.doc)
			got, err := s.Upcoming(utc(tt.at), len(strings.Fields(tt.want)))
			if err != nil {
				t.Fatalf("Upcoming: %v", err)
			}
			if starts(got) != tt.want {
				t.Errorf("starts:\n got %s\nwant %s", starts(got), tt.want)
			}
		})
	}
}

func TestCurrent(t *testing.T) {
	// Daily 22:00 for 8 hours at +01:00: 21:00Z to 05:00Z the next day.
	s := mustParse(t, `{schedule: {daily: {intervalDays: 1}}, durationHours: 8, startTime: "22:00", utcOffset: "+01:00",
	                    notAllowedDates: [{start: "2026-03-10", end: "2026-03-10"}]}`)
	tests := []struct {
		at   string
		want string // "" for closed
	}{
		{"2026-03-01T20:59:59Z", ""},
		{"2026-03-01T21:00:00Z", "2026-03-01T21:00:00Z/2026-03-02T05:00:00Z"}, // opens at Start
		{"2026-03-02T03:00:00Z", "2026-03-01T21:00:00Z/2026-03-02T05:00:00Z"}, // after midnight, both UTC and local
		{"2026-03-02T05:00:00Z", ""},                                          // End is not in the window
		{"2026-03-09T23:00:00Z", ""},                                          // the 9th's window runs into the blocked 10th
		{"2026-03-10T22:00:00Z", ""},                                          // the 10th's own window
		{"2026-03-11T22:00:00Z", "2026-03-11T21:00:00Z/2026-03-12T05:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.at, func(t *testing.T) {
			at := utc(tt.at)
			got := ""
			if cur := s.Current(at); cur != nil {
				got = cur.String()
			}
			if got != tt.want {
				t.Errorf("Current = %q, want %q", got, tt.want)
			}
			if open := s.Open(at); open != (tt.want != "") || s.CanStart(at) != open {
				t.Errorf("Open = %t, CanStart = %t, want %t", open, s.CanStart(at), tt.want != "")
			}
		})
	}
}

// TestTouchingWindows: a daily 24-hour window touches the next one; the
// instant where they meet belongs to the later one only.
func TestTouchingWindows(t *testing.T) {
	s := mustParse(t, `{schedule: {daily: {intervalDays: 1}}, durationHours: 24, startTime: "06:00"}`)
	at := utc("2026-03-02T06:00:00Z")
	if cur := s.Current(at); cur == nil || !cur.Start.Equal(at) {
		t.Fatalf("Current(%s) = %v, want the window starting then", at, cur)
	}
	next, err := s.Next(at)
	if err != nil || !next.Start.Equal(at.Add(24*time.Hour)) {
		t.Fatalf("Next(%s) = %v, %v; want the window a day later", at, next, err)
	}
}

func TestAlways(t *testing.T) {
	var s *Spec
	at := utc("2026-03-02T06:00:00Z")
	if !s.Open(at) || !s.CanStart(at) {
		t.Error("the Always window is closed")
	}
	if cur := s.Current(at); cur == nil || !cur.Unbounded() || !cur.Contains(at) {
		t.Errorf("Current = %v, want the unbounded interval", cur)
	}
	if err := s.Validate(); err != nil {
		t.Errorf("Validate = %v", err)
	}
	if _, err := s.Next(at); err == nil {
		t.Error("Next of the Always window returned no error")
	}
	st, err := s.Status(at)
	if err != nil || !st.Open || st.NextWindow != nil {
		t.Errorf("Status = %+v, %v", st, err)
	}
}

func TestNextNone(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{
			// The AgentBaker e2e tests block maintenance until 2100 this way.
			name: "blocked for a century",
			doc: `{schedule: {weekly: {intervalWeeks: 1, dayOfWeek: Monday}}, durationHours: 4, startTime: "00:00", utcOffset: "+08:00",
			       notAllowedDates: [{start: "2000-01-01", end: "2100-01-01"}]}`,
			want: "all 522 windows in that time overlap notAllowedDates",
		},
		{
			name: "startDate beyond the horizon",
			doc:  `{schedule: {daily: {intervalDays: 1}}, durationHours: 4, startTime: "00:00", startDate: "2099-01-01"}`,
			want: "startDate 2099-01-01 is after that",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.doc)
			at := utc("2026-01-01T00:00:00Z")
			_, err := s.Next(at)
			var nw *NoWindowError
			if !errors.As(err, &nw) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Next error = %v, want a *NoWindowError containing %q", err, tt.want)
			}
			st, err := s.Status(at)
			if err != nil || st.Open || st.NextWindow != nil {
				t.Errorf("Status = %+v, %v; want closed with no next window", st, err)
			}
		})
	}
}

func TestInvalidNeverOpens(t *testing.T) {
	s := &Spec{Schedule: Schedule{Daily: &DailySchedule{IntervalDays: 9}}, DurationHours: 4, StartTime: "00:00"}
	at := utc("2026-01-01T01:00:00Z")
	if s.Open(at) || s.Current(at) != nil {
		t.Error("an invalid window is open")
	}
	if _, err := s.Next(at); err == nil {
		t.Error("Next of an invalid window returned no error")
	}
	if _, err := s.Status(at); err == nil {
		t.Error("Status of an invalid window returned no error")
	}
}
