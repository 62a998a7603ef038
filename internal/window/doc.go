// Package window decides when upgrade work may start: AKS maintenance
// windows (the maintenanceWindow of an AKS maintenanceConfiguration) as Go
// types that a CRD can embed, with their validation and their semantics.
//
// A window gates only the START of work, as in AKS: work that started
// inside a window runs to completion even past the window's end ("If an
// operation begins before the window closes, it can continue running until
// completion", learn.microsoft.com/azure/aks/planned-maintenance, FAQ). So
// callers ask CanStart(now) before starting, and requeue until Next(now)
// when it says no. A nil *Spec is the Always window.
//
// All instants in and out are compared and returned in UTC. The schedule
// itself lives in the window's utcOffset, a fixed offset without daylight
// saving time: a weekly Monday 23:00 window at -05:00 opens on Tuesday
// 04:00 UTC, and its Monday is the Monday in -05:00.
//
// # Decisions, and where they come from
//
// Interval counting. Intervals are counted in whole calendar periods from
// the period that holds startDate: the day of startDate (daily), the
// Sunday-to-Saturday week that holds it (weekly), the month that holds it
// (monthly). Windows fall in periods 0, n, 2n, ... and any before startDate
// are dropped. For weekly this reproduces what AKS does and what its docs do
// not say (Azure/AKS#5720): every 2 weeks on Sunday from Tuesday 2026-04-14
// opens first on 2026-04-26, not 2026-04-19, because the Sunday of
// startDate's own week (04-12) is before startDate and the next week in the
// cadence is two weeks on.
//
// No startDate. AKS fills startDate with the creation date, which a file on
// disk does not have. Counting from "now" would move the cadence on every
// run and every controller restart, so intervals are counted from
// 1970-01-01 (its week is the one starting Sunday 1969-12-28, its month
// January 1970) and the window is active at once. The result is the same on
// every machine and every run; with an interval of 1 the anchor does not
// matter. Set startDate to match an AKS cluster's cadence exactly.
//
// absoluteMonthly on a day some months lack. The AKS docs, the ARM spec
// (dayOfMonth 1..31, "The date of the month"), the Azure SDK and az CLI say
// nothing about dayOfMonth 31 in April or 29 in a common-year February. We
// skip such months, as RFC 5545 BYMONTHDAY does and as Google OS Config
// documents for its monthly patch schedules ("Months without the target day
// will be skipped"). The alternative, clamping to the month's last day,
// would open windows on days the user never wrote; a gate should not guess
// towards "open". So dayOfMonth 31 monthly opens in 7 months a year, 30 in
// 11, and 29 opens in February only in leap years. The month still counts
// towards intervalMonths: every 2 months on the 31st from January opens in
// January, March, May, July and not in September or November. Warnings
// reports these schedules so that a person sees it.
//
// relativeMonthly. First..Fourth are the 1st..4th occurrence of dayOfWeek in
// the month (days 1-7, 8-14, 15-21, 22-28); Last is the last occurrence, so
// always within the month's last 7 days. Every month has all five, so no
// month is skipped.
//
// notAllowedDates. A span covers whole days in utcOffset, end included:
// AKS's own example, utcOffset +02:00 with 2022-12-23..2023-01-03, blocks
// 2022-12-22 22:00 to 2023-01-03 22:00 UTC (ARM API doc of notAllowedDates).
// A window that overlaps a span by any amount is dropped entirely, including
// a window that opens the evening before and runs into it: the AKS docs say
// maintenance is not allowed in the span "even if it overlaps with a
// maintenance window", and since started work runs to completion, keeping
// the part of a window before the span would let work run into it.
//
// startDate. A window whose day (in utcOffset) is before startDate does not
// open ("If the current date is before this date, the maintenance window is
// inactive", ARM API doc of startDate).
//
// Windows across midnight and month ends. A window belongs to the day it
// opens on; one opening at 22:00 for 8 hours ends at 06:00 the next day, and
// one on the last day of a month ends in the next month. Windows never
// overlap one another (durationHours is at most 24 and occurrences are at
// least a day apart); two windows can touch, and Interval is half-open, so
// exactly one holds the instant where they meet.
//
// Search horizon. Next looks at most Horizon ahead; beyond it (everything
// blocked by notAllowedDates, a startDate years away) it returns an error
// wrapping ErrNoWindow that says why. Without blocked days every valid
// schedule opens at least once a year.
//
// Parse accepts a bare maintenanceWindow, an ARM maintenanceConfiguration
// (properties.maintenanceWindow, as `az aks maintenanceconfiguration add
// --config-file` takes it) and the shape `az aks maintenanceconfiguration
// show` prints (maintenanceWindow at the top). It is strict: unknown fields,
// fields in the wrong case and duplicate keys are errors naming the field.
//
// +kubebuilder:object:generate=true
package window
