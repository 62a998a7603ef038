package loadgen

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Summary describes a set of samples.
type Summary struct {
	Requests int
	Failed   int
	// P50 and P99 are latency percentiles (nearest rank).
	P50, P99 time.Duration
	// RPS is requests over the window the samples were sent in.
	RPS float64
	// Clusters counts the requests each cluster answered successfully.
	Clusters map[string]int
	// Codes counts status codes; 0 for requests without a response.
	Codes map[int]int
}

// Window returns the samples sent in [from, to), as offsets from the
// start of the run.
func (r *Result) Window(from, to time.Duration) []Sample {
	var out []Sample
	for _, s := range r.Samples {
		if s.Start >= from && s.Start < to {
			out = append(out, s)
		}
	}
	return out
}

// Between returns the samples the server must have handled entirely
// within [from, to): sent at or after from, answered before to.
func (r *Result) Between(from, to time.Duration) []Sample {
	var out []Sample
	for _, s := range r.Samples {
		if s.Start >= from && s.Start+s.Latency < to {
			out = append(out, s)
		}
	}
	return out
}

// Offset converts a moment into an offset from the start of the run.
func (r *Result) Offset(t time.Time) time.Duration { return t.Sub(r.Start) }

// Summarize describes samples sent over a window of the given length.
func Summarize(samples []Sample, window time.Duration) Summary {
	s := Summary{Requests: len(samples), Clusters: map[string]int{}, Codes: map[int]int{}}
	lat := make([]time.Duration, 0, len(samples))
	for _, x := range samples {
		s.Codes[x.Code]++
		if x.Failed() {
			s.Failed++
		} else {
			s.Clusters[x.Cluster]++
		}
		lat = append(lat, x.Latency)
	}
	slices.Sort(lat)
	s.P50, s.P99 = percentile(lat, 50), percentile(lat, 99)
	if window > 0 {
		s.RPS = float64(len(samples)) / window.Seconds()
	}
	return s
}

func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[max(0, min(i, len(sorted))-1)]
}

// String is a one-line summary: "1200 req, 0 failed, p50 5.1ms, p99 14ms,
// 400 req/s, blue=1200".
func (s Summary) String() string {
	names := make([]string, 0, len(s.Clusters))
	for n := range s.Clusters {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%d", n, s.Clusters[n])
	}
	return fmt.Sprintf("%d req, %d failed, p50 %s, p99 %s, %.0f req/s, %s",
		s.Requests, s.Failed, round(s.P50), round(s.P99), s.RPS, strings.Join(parts, " "))
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond)
	default:
		return d.Round(10 * time.Microsecond)
	}
}

// LastOn returns the offset at which the last request answered by cluster
// was sent, and false when none was.
func (r *Result) LastOn(cluster string) (time.Duration, bool) {
	last, ok := time.Duration(0), false
	for _, s := range r.Samples {
		if s.Cluster == cluster && s.Start >= last {
			last, ok = s.Start, true
		}
	}
	return last, ok
}
