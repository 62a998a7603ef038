package window

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestParseShapes reads the three accepted shapes. The ARM and az shapes are
// the AKS docs' own examples (planned-maintenance.md).
func TestParseShapes(t *testing.T) {
	absoluteMonthly := Spec{
		Schedule:        Schedule{AbsoluteMonthly: &AbsoluteMonthlySchedule{IntervalMonths: 3, DayOfMonth: 1}},
		DurationHours:   4,
		StartTime:       "09:00",
		UTCOffset:       "-08:00",
		NotAllowedDates: []DateSpan{{Start: "2023-12-23", End: "2024-01-05"}},
	}
	azShow := absoluteMonthly
	azShow.StartDate = "2023-01-20"
	tests := []struct {
		file string
		want Spec
	}{
		{"arm-absolute-monthly.json", absoluteMonthly},
		{"az-show.json", azShow},
		{"weekly.yaml", Spec{
			Schedule:        Schedule{Weekly: &WeeklySchedule{IntervalWeeks: 2, DayOfWeek: Sunday}},
			DurationHours:   4,
			StartTime:       "02:00",
			UTCOffset:       "-05:00",
			StartDate:       "2026-04-14",
			NotAllowedDates: []DateSpan{{Start: "2026-12-20", End: "2027-01-03"}},
		}},
		{"relative-monthly.yaml", Spec{
			Schedule:      Schedule{RelativeMonthly: &RelativeMonthlySchedule{IntervalMonths: 1, DayOfWeek: Friday, WeekIndex: Last}},
			DurationHours: 8,
			StartTime:     "22:00",
			UTCOffset:     "+05:30",
		}},
		{"daily.json", Spec{Schedule: Schedule{Daily: &DailySchedule{IntervalDays: 1}}, DurationHours: 6, StartTime: "01:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse(data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("Parse =\n%+v\nwant\n%+v", *got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want string // the whole error
	}{
		{
			name: "empty",
			doc:  "",
			want: "invalid maintenance window: got an empty document; want a maintenanceWindow mapping with schedule, durationHours and startTime",
		},
		{
			name: "list",
			doc:  "- schedule: {}",
			want: "invalid maintenance window: got a list; want a maintenanceWindow mapping with schedule, durationHours and startTime",
		},
		{
			name: "not YAML",
			doc:  "schedule: [",
			want: "cannot read maintenance window (YAML or JSON): yaml: line 1: did not find expected node content",
		},
		{
			name: "duplicate key",
			doc:  "durationHours: 4\ndurationHours: 5\n",
			want: `cannot read maintenance window (YAML or JSON): yaml: unmarshal errors: line 2: key "durationHours" already set in map`,
		},
		{
			name: "unknown field",
			doc:  `{schedule: {daily: {intervalDays: 1}}, durationHours: 4, startTime: "00:00", timezone: UTC}`,
			want: "invalid maintenance window: timezone: unknown field; known fields here: schedule, durationHours, startTime, utcOffset, startDate, notAllowedDates",
		},
		{
			name: "field in the wrong case",
			doc:  `{schedule: {weekly: {intervalweeks: 1, dayOfWeek: Monday}}, durationHours: 4, startTime: "00:00"}`,
			want: `invalid maintenance window: schedule.weekly.intervalweeks: unknown field; did you mean "intervalWeeks"? (field names are case-sensitive)`,
		},
		{
			name: "unknown field in a list item",
			doc:  `{schedule: {daily: {intervalDays: 1}}, durationHours: 4, startTime: "00:00", notAllowedDates: [{start: "2026-01-01", end: "2026-01-02", reason: holidays}]}`,
			want: "invalid maintenance window: notAllowedDates[0].reason: unknown field; known fields here: start, end",
		},
		{
			name: "quoted number",
			doc:  `{schedule: {daily: {intervalDays: "2"}}, durationHours: 4, startTime: "00:00"}`,
			want: `invalid maintenance window: schedule.daily.intervalDays: got the string "2", want an integer`,
		},
		{
			name: "fraction",
			doc:  `{schedule: {daily: {intervalDays: 1}}, durationHours: 4.5, startTime: "00:00"}`,
			want: `invalid maintenance window: durationHours: got the number 4.5, want an integer`,
		},
		{
			name: "schedule as a string",
			doc:  `{schedule: weekly, durationHours: 4, startTime: "00:00"}`,
			want: `invalid maintenance window: schedule: got the string "weekly", want a mapping`,
		},
		{
			name: "range, with the ARM path",
			doc:  `{properties: {maintenanceWindow: {schedule: {weekly: {intervalWeeks: 6, dayOfWeek: Monday}}, durationHours: 4, startTime: "00:00"}}}`,
			want: "invalid maintenance window: properties.maintenanceWindow.schedule.weekly.intervalWeeks: 6 is out of range 1..4",
		},
		{
			name: "ARM without a window",
			doc:  `{properties: {timeInWeek: [{day: Monday, hourSlots: [1, 2]}]}}`,
			want: "invalid maintenance window: properties.timeInWeek: legacy default-configuration field, not supported; describe the window in maintenanceWindow (schedule.weekly, startTime, durationHours, notAllowedDates) instead; properties.maintenanceWindow: required; this configuration has no maintenanceWindow (a legacy default configuration?)",
		},
		{
			name: "ARM with an unknown top-level key",
			doc:  `{location: westeurope, properties: {maintenanceWindow: {schedule: {daily: {intervalDays: 1}}, durationHours: 4, startTime: "00:00"}}}`,
			want: "invalid maintenance window: location: unknown field; known fields here: id, name, properties, systemData, type",
		},
		{
			name: "az shape with legacy notAllowedTime",
			doc:  `{name: default, notAllowedTime: [{start: "2020-11-26T03:00:00Z", end: "2020-11-30T12:00:00Z"}], maintenanceWindow: {schedule: {daily: {intervalDays: 1}}, durationHours: 4, startTime: "00:00"}}`,
			want: "invalid maintenance window: notAllowedTime: legacy default-configuration field, not supported; describe the window in maintenanceWindow (schedule.weekly, startTime, durationHours, notAllowedDates) instead",
		},
		{
			name: "az shape with a null window",
			doc:  `{name: default, maintenanceWindow: null}`,
			want: "invalid maintenance window: maintenanceWindow: required; this configuration has no maintenanceWindow (a legacy default configuration?)",
		},
		{
			name: "every problem at once",
			doc:  `{schedule: {weekly: {intervalWeeks: 0, dayOfWeek: monday}}, durationHours: 48, startTime: "7:00", utcOffset: "+0530", extra: 1}`,
			want: `invalid maintenance window: extra: unknown field; known fields here: schedule, durationHours, startTime, utcOffset, startDate, notAllowedDates; ` +
				`schedule.weekly.intervalWeeks: required; set 1..4; schedule.weekly.dayOfWeek: "monday" is not a day of the week; use "Monday" (names are case-sensitive); ` +
				`durationHours: 48 is out of range 4..24; startTime: "7:00" is not a time; use "HH:mm" from "00:00" to "23:59"; ` +
				`utcOffset: "+0530" is not a UTC offset; use "+HH:mm" or "-HH:mm" such as "+05:30" or "-08:00"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse([]byte(tt.doc))
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", s)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	valid := func() *Spec {
		return &Spec{Schedule: Schedule{Daily: &DailySchedule{IntervalDays: 1}}, DurationHours: 4, StartTime: "00:00"}
	}
	tests := []struct {
		name   string
		change func(*Spec)
		want   string // "" for valid
	}{
		{"valid", func(*Spec) {}, ""},
		{"no schedule", func(s *Spec) { s.Schedule = Schedule{} }, "schedule: required; set exactly one of daily, weekly, absoluteMonthly, relativeMonthly"},
		{"two schedules", func(s *Spec) { s.Schedule.Weekly = &WeeklySchedule{IntervalWeeks: 1, DayOfWeek: Monday} },
			"schedule: set exactly one of daily, weekly, absoluteMonthly, relativeMonthly, not daily and weekly"},
		{"daily range", func(s *Spec) { s.Schedule.Daily.IntervalDays = 8 }, "schedule.daily.intervalDays: 8 is out of range 1..7"},
		{"weekly range", func(s *Spec) {
			s.Schedule = Schedule{Weekly: &WeeklySchedule{IntervalWeeks: 6, DayOfWeek: Monday}}
		}, "schedule.weekly.intervalWeeks: 6 is out of range 1..4"},
		{"weekly day", func(s *Spec) {
			s.Schedule = Schedule{Weekly: &WeeklySchedule{IntervalWeeks: 1, DayOfWeek: "Mon"}}
		}, `schedule.weekly.dayOfWeek: "Mon" is not a day of the week; use one of Sunday, Monday, Tuesday, Wednesday, Thursday, Friday, Saturday`},
		{"absoluteMonthly ranges", func(s *Spec) {
			s.Schedule = Schedule{AbsoluteMonthly: &AbsoluteMonthlySchedule{IntervalMonths: 7, DayOfMonth: 32}}
		}, "schedule.absoluteMonthly.intervalMonths: 7 is out of range 1..6; schedule.absoluteMonthly.dayOfMonth: 32 is out of range 1..31"},
		{"relativeMonthly", func(s *Spec) {
			s.Schedule = Schedule{RelativeMonthly: &RelativeMonthlySchedule{IntervalMonths: -1, WeekIndex: "Fifth"}}
		}, "schedule.relativeMonthly.intervalMonths: -1 is out of range 1..6; schedule.relativeMonthly.dayOfWeek: required; use one of Sunday, Monday, Tuesday, Wednesday, Thursday, Friday, Saturday; " +
			`schedule.relativeMonthly.weekIndex: "Fifth" is not a week index; use one of First, Second, Third, Fourth, Last`},
		{"no duration", func(s *Spec) { s.DurationHours = 0 }, "durationHours: required; set the window length in hours, 4..24"},
		{"duration range", func(s *Spec) { s.DurationHours = 3 }, "durationHours: 3 is out of range 4..24"},
		{"no start time", func(s *Spec) { s.StartTime = "" }, `startTime: required; set the local time the window opens, "HH:mm" such as "02:00"`},
		{"start time 24:00", func(s *Spec) { s.StartTime = "24:00" }, `startTime: "24:00" is not a time; use "HH:mm" from "00:00" to "23:59"`},
		{"offset beyond 14h", func(s *Spec) { s.UTCOffset = "-15:00" }, `utcOffset: "-15:00" is out of range -14:00..+14:00`},
		{"offset minutes", func(s *Spec) { s.UTCOffset = "+05:60" }, `utcOffset: "+05:60" is not a UTC offset; use "+HH:mm" or "-HH:mm" such as "+05:30" or "-08:00"`},
		{"start date", func(s *Spec) { s.StartDate = "2026-02-30" }, `startDate: "2026-02-30" is not a date; use "YYYY-MM-DD" such as "2026-01-31"`},
		{"not allowed dates", func(s *Spec) {
			s.NotAllowedDates = []DateSpan{{Start: "2026-02-01", End: "2026-01-01"}, {Start: "2026-01-01"}, {Start: "01/02/2026", End: "2026-01-02"}}
		}, `notAllowedDates[0]: end 2026-01-01 is before start 2026-02-01; swap them; notAllowedDates[1].end: required; set a date, "YYYY-MM-DD"; ` +
			`notAllowedDates[2].start: "01/02/2026" is not a date; use "YYYY-MM-DD" such as "2026-01-31"`},
		{"a one-day span", func(s *Spec) { s.NotAllowedDates = []DateSpan{{Start: "2028-02-29", End: "2028-02-29"}} }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := valid()
			tt.change(s)
			err := s.Validate()
			got := ""
			if err != nil {
				got = strings.TrimPrefix(err.Error(), "invalid maintenance window: ")
			}
			if got != tt.want {
				t.Errorf("Validate:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		doc  string
		want []string
	}{
		{`{schedule: {absoluteMonthly: {intervalMonths: 1, dayOfMonth: 28}}, durationHours: 4, startTime: "00:00"}`, nil},
		{`{schedule: {absoluteMonthly: {intervalMonths: 1, dayOfMonth: 31}}, durationHours: 4, startTime: "00:00"}`,
			[]string{"schedule.absoluteMonthly.dayOfMonth: 31: no window opens in February, April, June, September and November (months without that day are skipped); use relativeMonthly with weekIndex Last for a window at every month's end"}},
		{`{schedule: {weekly: {intervalWeeks: 2, dayOfWeek: Friday}}, durationHours: 4, startTime: "00:00"}`,
			[]string{"startDate: unset, so the interval is counted from 1970-01-01; set startDate to the date the cadence should count from (AKS uses the day the configuration was created)"}},
		{`{schedule: {weekly: {intervalWeeks: 2, dayOfWeek: Friday}}, durationHours: 4, startTime: "00:00", startDate: "2026-01-01"}`, nil},
	}
	for _, tt := range tests {
		if got := mustParse(t, tt.doc).Warnings(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Warnings(%s) =\n%q\nwant\n%q", tt.doc, got, tt.want)
		}
	}
}

func TestDeepCopy(t *testing.T) {
	s := mustParse(t, `{schedule: {weekly: {intervalWeeks: 1, dayOfWeek: Monday}}, durationHours: 4, startTime: "00:00", notAllowedDates: [{start: "2026-01-01", end: "2026-01-02"}]}`)
	c := s.DeepCopy()
	if !reflect.DeepEqual(s, c) {
		t.Fatalf("DeepCopy = %+v, want %+v", c, s)
	}
	c.Schedule.Weekly.DayOfWeek = Friday
	c.NotAllowedDates[0].End = "2027-01-01"
	if s.Schedule.Weekly.DayOfWeek != Monday || s.NotAllowedDates[0].End != "2026-01-02" {
		t.Error("DeepCopy shares memory with the original")
	}
}
