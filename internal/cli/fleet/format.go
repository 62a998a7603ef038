package fleet

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
)

// When formats an instant for a table the way gh does: relative on a
// terminal, where a person reads it ("3m12s ago", "in 2h"), and UTC RFC 3339
// elsewhere, where a script or a log keeps it. Nil is "-".
func When(t *metav1.Time, now time.Time, tty bool) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return WhenTime(t.Time, now, tty)
}

// WhenTime is When for a time.Time.
func WhenTime(t, now time.Time, tty bool) string {
	if !tty {
		return t.UTC().Format(time.RFC3339)
	}
	if d := t.Sub(now); d > time.Second {
		return "in " + duration.HumanDuration(d)
	}
	return duration.HumanDuration(now.Sub(t)) + " ago"
}
