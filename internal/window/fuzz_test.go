package window

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary documents and instants through Parse, Validate
// and the schedule, which must never panic and must keep their contracts.
// The seed corpus is testdata/fuzz/FuzzParse plus the example files in
// testdata. Run it with:
//
//	go test -fuzz=FuzzParse -fuzztime=60s ./internal/window/
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.*"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, int64(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, atSeconds int64) {
		// Any instant from 1990 to 2090, so that windows and the horizon
		// stay within years RFC 3339 can print.
		const span = 100 * 365 * 24 * 60 * 60
		at := time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(uint64(atSeconds)%span) * time.Second)

		s, err := Parse(data)
		if err != nil {
			if s != nil {
				t.Fatalf("Parse returned a window and an error: %v", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("Parse accepted a window Validate rejects: %v", err)
		}
		_ = s.Warnings()

		// What Parse accepts survives a round trip through its JSON.
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(b)
		if err != nil || !reflect.DeepEqual(s, again) {
			t.Fatalf("round trip of %s: %+v, %v", b, again, err)
		}

		dur := time.Duration(s.DurationHours) * time.Hour
		cur := s.Current(at)
		if cur != nil && (!cur.Contains(at) || cur.End.Sub(cur.Start) != dur) {
			t.Fatalf("Current(%s) = %s", at, cur)
		}
		if s.Open(at) != (cur != nil) || s.CanStart(at) != (cur != nil) {
			t.Fatalf("Open(%s) disagrees with Current %v", at, cur)
		}
		st, err := s.Status(at)
		if err != nil || st.Open != (cur != nil) {
			t.Fatalf("Status(%s) = %+v, %v", at, st, err)
		}
		if _, err := json.Marshal(st); err != nil {
			t.Fatalf("Status JSON: %v", err)
		}
		ivs, err := s.Upcoming(at, 3)
		var nw *NoWindowError
		if err != nil && !errors.As(err, &nw) {
			t.Fatalf("Upcoming(%s): %v", at, err)
		}
		prev := Interval{Start: at, End: at}
		if cur != nil {
			prev = *cur // the next window opens after the current one ends
		}
		for _, iv := range ivs {
			if !iv.Start.After(at) || !iv.Start.After(prev.Start) || iv.Start.Before(prev.End) || iv.End.Sub(iv.Start) != dur {
				t.Fatalf("Upcoming(%s): %s after %s", at, iv, prev)
			}
			if s.Current(iv.Start) == nil {
				t.Fatalf("Current(%s) = nil at the start of a window", iv.Start)
			}
			prev = iv
		}
	})
}
