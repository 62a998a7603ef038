package window_test

import (
	"fmt"
	"time"

	"upshift.dev/upshift/internal/window"
)

// A controller gates the start of a member upgrade on the member's window,
// and requeues until the next one opens when it is closed.
func Example() {
	w, err := window.Parse([]byte(`
schedule:
  weekly: {intervalWeeks: 1, dayOfWeek: Saturday}
durationHours: 6
startTime: "22:00"
utcOffset: "+02:00"
`))
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 5, 2, 12, 0, 0, 0, time.UTC) // a Saturday
	if !w.CanStart(now) {
		next, _ := w.Next(now)
		fmt.Printf("closed; requeue after %s (opens %s)\n", next.Start.Sub(now), next)
	}
	later := now.Add(9 * time.Hour)
	fmt.Println("at", later.Format(time.RFC3339), "can start:", w.CanStart(later))
	// Output:
	// closed; requeue after 8h0m0s (opens 2026-05-02T20:00:00Z/2026-05-03T02:00:00Z)
	// at 2026-05-02T21:00:00Z can start: true
}

// A nil window is the Always window: no restriction.
func Example_always() {
	var w *window.Spec
	fmt.Println(w.CanStart(time.Now()))
	// Output: true
}
