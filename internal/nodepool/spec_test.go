package nodepool

import (
	"strings"
	"testing"

	"upshift.dev/upshift/internal/provider"
)

func TestCountOf(t *testing.T) {
	tests := []struct {
		in   string
		size int
		want int
	}{
		{"1", 10, 1},
		{"33%", 3, 1},  // 0.99 rounds up
		{"33%", 10, 4}, // 3.3 rounds up
		{"10%", 50, 5},
		{"10%", 1, 1},
		{"0", 5, 0},
		{"100%", 7, 7},
	}
	for _, tt := range tests {
		c, err := ParseCount("maxSurge", tt.in, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Of(tt.size); got != tt.want {
			t.Errorf("%s of %d = %d, want %d", tt.in, tt.size, got, tt.want)
		}
	}
	for _, bad := range []string{"-1", "x", "101%", "1.5", "%"} {
		if _, err := ParseCount("maxSurge", bad, ""); err == nil || !strings.Contains(err.Error(), "maxSurge") {
			t.Errorf("ParseCount(%q) = %v, want an error naming maxSurge", bad, err)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := Spec{Cluster: "dev", Pool: "apps", Strategy: StrategySurge,
		Target: provider.NodeTarget{KubernetesVersion: "1.37.2", NodeImageVersion: "img"}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid spec: %v", err)
	}
	tests := []struct {
		name string
		edit func(*Spec)
		want string
	}{
		{"no surge, no unavailable", func(s *Spec) { s.Settings.MaxSurge, s.Settings.MaxUnavailable = "0", "0" }, "both 0"},
		{"drain timeout", func(s *Spec) { s.Settings.DrainTimeoutInMinutes = 2000 }, "1..1440"},
		{"soak", func(s *Spec) { s.Settings.NodeSoakDurationInMinutes = 31 }, "0..30"},
		{"behavior", func(s *Spec) { s.Settings.UndrainableNodeBehavior = "Delete" }, "Schedule or Cordon"},
		{"strategy", func(s *Spec) { s.Strategy = "rolling" }, "surge or blue-green"},
		{"batch", func(s *Spec) { s.BlueGreen.DrainBatchSize = "lots" }, "drainBatchSize"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ok
			tt.edit(&s)
			if err := s.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// FuzzParseCount: counts and percentages parse or fail with the field's
// name; a parsed count resolves to a non-negative number no larger than
// the pool for percentages.
func FuzzParseCount(f *testing.F) {
	for _, s := range []string{"1", "33%", "0", "100%", "-1", "x%", "%", " 10 % ", "999999999999"} {
		f.Add(s, 50)
	}
	f.Fuzz(func(t *testing.T, s string, size int) {
		c, err := ParseCount("maxSurge", s, "10%")
		if err != nil {
			if !strings.Contains(err.Error(), "maxSurge") {
				t.Fatalf("error %q does not name the field", err)
			}
			return
		}
		if size < 0 || size > 100000 {
			return
		}
		n := c.Of(size)
		if n < 0 || (c.Percent && n > size) {
			t.Fatalf("%q of %d = %d", s, size, n)
		}
	})
}
