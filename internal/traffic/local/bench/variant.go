package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"upshift.dev/upshift/internal/traffic"
	"upshift.dev/upshift/internal/traffic/local/loadgen"
)

// step is one SetWeights call: green's share, at a fraction of the run.
type step struct {
	at    float64
	green int
}

// plans are the variants: the seed's all-at-once switch and its 20/50/100
// canary steps.
func plans() map[string][]step {
	return map[string][]step{
		"all-at-once": {{at: 0.5, green: 100}},
		"stepped":     {{at: 1.0 / 3, green: 20}, {at: 0.5, green: 50}, {at: 2.0 / 3, green: 100}},
	}
}

// settle is how long after the last SetWeights call the "during" phase
// lasts, so requests in flight at the switch count there.
const settle = 2 * time.Second

// decision is one SetWeights call, as offsets from the start of the load.
type decision struct {
	Green            int
	Called, Returned time.Duration
}

// Phase is the load of one part of the run.
type Phase struct {
	Name     string
	From, To time.Duration
	loadgen.Summary
}

// Report is one variant's figures.
type Report struct {
	Variant   string
	Rate      int
	Duration  time.Duration
	Decisions []decision
	Phases    []Phase
	Total     loadgen.Summary
	Late      int
	// SwitchTime is from the decision (the start of the SetWeights call
	// that sends 100% to green) to the moment from which every new
	// request was answered by green.
	SwitchTime time.Duration
	// LastBlue is when the last request blue answered was sent, relative
	// to that decision (negative: before it).
	LastBlue time.Duration
	// MetricToRollback is the time from a failing metric to traffic back
	// on blue (see measureRollback); nil when it could not be measured,
	// and RollbackNote says why. RollbackNote otherwise gives the setup.
	MetricToRollback *time.Duration
	RollbackNote     string
}

func runVariant(ctx context.Context, e *env, variant string, o options) (Report, error) {
	r := Report{Variant: variant, Rate: o.rate, Duration: o.duration}
	if _, err := e.router.SetWeights(ctx, traffic.Split("green", "blue", 100)); err != nil {
		return r, err
	}
	type loaded struct {
		res *loadgen.Result
		err error
	}
	done := make(chan loaded, 1)
	launched := time.Now()
	go func() {
		res, err := loadgen.Run(ctx, loadgen.Config{URL: e.gateway + appPath, Rate: o.rate, Duration: o.duration})
		done <- loaded{res, err}
	}()
	type call struct {
		green            int
		called, returned time.Time
	}
	var calls []call
	for _, s := range plans()[variant] {
		wait := time.Until(launched.Add(time.Duration(s.at * float64(o.duration))))
		select {
		case <-ctx.Done():
			<-done
			return r, ctx.Err()
		case <-time.After(wait):
		}
		c := call{green: s.green, called: time.Now()}
		if _, err := e.router.SetWeights(ctx, traffic.Split("blue", "green", s.green)); err != nil {
			<-done
			return r, err
		}
		c.returned = time.Now()
		calls = append(calls, c)
	}
	l := <-done
	if l.err != nil {
		return r, l.err
	}
	res := l.res
	for _, c := range calls {
		r.Decisions = append(r.Decisions, decision{Green: c.green, Called: res.Offset(c.called), Returned: res.Offset(c.returned)})
	}
	first, last := r.Decisions[0], r.Decisions[len(r.Decisions)-1]
	end := res.Elapsed
	bounds := []Phase{
		{Name: "before", From: 0, To: first.Called},
		{Name: "during", From: first.Called, To: last.Returned + settle},
		{Name: "after", From: last.Returned + settle, To: end},
	}
	for _, p := range bounds {
		p.Summary = loadgen.Summarize(res.Window(p.From, p.To), p.To-p.From)
		r.Phases = append(r.Phases, p)
	}
	r.Total = loadgen.Summarize(res.Samples, end)
	r.Late = res.Late
	if lb, ok := res.LastOn("blue"); ok {
		r.LastBlue = lb - last.Called
		r.SwitchTime = max(0, r.LastBlue)
	}
	return r, nil
}

func (r Report) write(w io.Writer) {
	fmt.Fprintf(w, "\nvariant %s: GET %s through the gateway at %d req/s for %s; weights:", r.Variant, appPath, r.Rate, r.Duration)
	for _, d := range r.Decisions {
		fmt.Fprintf(w, " green=%d%% at %s", d.Green, d.Called.Round(10*time.Millisecond))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "PHASE\tFROM\tTO\tREQUESTS\tFAILED\tP50\tP99\tREQ/S\tBLUE\tGREEN\t")
	row := func(name string, from, to time.Duration, s loadgen.Summary) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\t%.0f\t%d\t%d\t\n", name, from.Round(10*time.Millisecond), to.Round(10*time.Millisecond),
			s.Requests, s.Failed, ms(s.P50), ms(s.P99), s.RPS, s.Clusters["blue"], s.Clusters["green"])
	}
	for _, p := range r.Phases {
		row(p.Name, p.From, p.To, p.Summary)
	}
	row("total", 0, r.Phases[len(r.Phases)-1].To, r.Total)
	tw.Flush()
	last := r.Decisions[len(r.Decisions)-1]
	fmt.Fprintf(w, "  decision -> 100%% of new requests on green: %s (last request answered by blue sent %s %s the decision; the SetWeights call took %s)\n",
		r.SwitchTime.Round(time.Microsecond), abs(r.LastBlue).Round(time.Microsecond), beforeAfter(r.LastBlue), (last.Returned - last.Called).Round(time.Microsecond))
	if r.Late > 0 {
		fmt.Fprintf(w, "  %d requests were sent more than 10ms late (the load generator was short of CPU)\n", r.Late)
	}
	if r.MetricToRollback != nil {
		fmt.Fprintf(w, "  failing metric -> rollback: %s %s\n", r.MetricToRollback.Round(time.Millisecond), r.RollbackNote)
	} else {
		fmt.Fprintf(w, "  failing metric -> rollback: %s\n", r.RollbackNote)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }

func abs(d time.Duration) time.Duration { return max(d, -d) }

func beforeAfter(d time.Duration) string {
	if d < 0 {
		return "before"
	}
	return "after"
}
