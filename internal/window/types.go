package window

// Spec is an AKS maintenanceWindow: when upgrade work may start. Field names
// and ranges are AKS's (Microsoft.ContainerService maintenanceConfigurations,
// properties.maintenanceWindow) so that a window copied from an AKS cluster
// means the same thing here.
//
// A nil *Spec is the Always window: no restriction. Every method accepts a
// nil receiver, so callers treat "no window configured" like any other.
//
// The markers make the API server enforce what it can (ranges, enums,
// formats); Validate checks everything, including what markers cannot say
// (end before start, an offset beyond ±14:00).
type Spec struct {
	// Schedule says on which days a window opens.
	// +required
	Schedule Schedule `json:"schedule"`

	// DurationHours is how long each window stays open to start work. Work
	// that started inside a window runs to completion.
	// +required
	// +kubebuilder:validation:Minimum=4
	// +kubebuilder:validation:Maximum=24
	DurationHours int32 `json:"durationHours"`

	// StartTime is when each window opens, "HH:mm" in UTCOffset.
	// +required
	// +kubebuilder:validation:Pattern=`^([01][0-9]|2[0-3]):[0-5][0-9]$`
	StartTime string `json:"startTime"`

	// UTCOffset is the fixed offset, "+HH:mm" or "-HH:mm", that StartTime,
	// StartDate, NotAllowedDates and the schedule's days are read in. It
	// does not follow daylight saving time (neither does AKS). Empty means
	// "+00:00".
	// +optional
	// +kubebuilder:validation:Pattern=`^([+-](0[0-9]|1[0-3]):[0-5][0-9]|[+-]14:00)$`
	UTCOffset string `json:"utcOffset,omitempty"`

	// StartDate, "YYYY-MM-DD" in UTCOffset, is the first day a window may
	// open, and the day the schedule's interval is counted from. Empty
	// means active now, with intervals counted from 1970-01-01 (see the
	// package documentation).
	// +optional
	// +kubebuilder:validation:Format=date
	StartDate string `json:"startDate,omitempty"`

	// NotAllowedDates are whole days, in UTCOffset, on which no window
	// opens: a window that overlaps one of them is dropped entirely.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	NotAllowedDates []DateSpan `json:"notAllowedDates,omitempty"`
}

// Schedule is exactly one of Daily, Weekly, AbsoluteMonthly and
// RelativeMonthly.
// +kubebuilder:validation:MinProperties=1
// +kubebuilder:validation:MaxProperties=1
type Schedule struct {
	// Daily: every IntervalDays days.
	// +optional
	Daily *DailySchedule `json:"daily,omitempty"`
	// Weekly: on DayOfWeek every IntervalWeeks weeks.
	// +optional
	Weekly *WeeklySchedule `json:"weekly,omitempty"`
	// AbsoluteMonthly: on day DayOfMonth every IntervalMonths months.
	// +optional
	AbsoluteMonthly *AbsoluteMonthlySchedule `json:"absoluteMonthly,omitempty"`
	// RelativeMonthly: on the WeekIndex DayOfWeek (the last Friday) every
	// IntervalMonths months.
	// +optional
	RelativeMonthly *RelativeMonthlySchedule `json:"relativeMonthly,omitempty"`
}

// DailySchedule is "every day" or "every 3 days".
type DailySchedule struct {
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=7
	IntervalDays int32 `json:"intervalDays"`
}

// WeeklySchedule is "every Monday" or "every 2 weeks on Friday".
type WeeklySchedule struct {
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=4
	IntervalWeeks int32 `json:"intervalWeeks"`
	// +required
	DayOfWeek Weekday `json:"dayOfWeek"`
}

// AbsoluteMonthlySchedule is "every month on the 15th". Months without
// DayOfMonth (the 31st in April) have no window; see the package
// documentation.
type AbsoluteMonthlySchedule struct {
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=6
	IntervalMonths int32 `json:"intervalMonths"`
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=31
	DayOfMonth int32 `json:"dayOfMonth"`
}

// RelativeMonthlySchedule is "every month on the first Monday" or "every 3
// months on the last Friday".
type RelativeMonthlySchedule struct {
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=6
	IntervalMonths int32 `json:"intervalMonths"`
	// +required
	DayOfWeek Weekday `json:"dayOfWeek"`
	// +required
	WeekIndex WeekIndex `json:"weekIndex"`
}

// DateSpan is a range of whole days, both ends included, "YYYY-MM-DD" in
// the window's UTCOffset.
type DateSpan struct {
	// +required
	// +kubebuilder:validation:Format=date
	Start string `json:"start"`
	// +required
	// +kubebuilder:validation:Format=date
	End string `json:"end"`
}

// Weekday is a day of the week as AKS spells it.
// +kubebuilder:validation:Enum=Sunday;Monday;Tuesday;Wednesday;Thursday;Friday;Saturday
type Weekday string

// Days of the week.
const (
	Sunday    Weekday = "Sunday"
	Monday    Weekday = "Monday"
	Tuesday   Weekday = "Tuesday"
	Wednesday Weekday = "Wednesday"
	Thursday  Weekday = "Thursday"
	Friday    Weekday = "Friday"
	Saturday  Weekday = "Saturday"
)

// WeekIndex says which occurrence of a weekday in a month.
// +kubebuilder:validation:Enum=First;Second;Third;Fourth;Last
type WeekIndex string

// Week indexes. Last is the last occurrence, within the month's last 7 days.
const (
	First  WeekIndex = "First"
	Second WeekIndex = "Second"
	Third  WeekIndex = "Third"
	Fourth WeekIndex = "Fourth"
	Last   WeekIndex = "Last"
)
