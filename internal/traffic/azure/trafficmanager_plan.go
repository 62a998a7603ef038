package azure

import (
	"sort"

	"upshift.dev/upshift/internal/traffic"
)

// weightPerPercent maps a share to a Traffic Manager weight: 1%..100% is
// 10..1000, inside Traffic Manager's 1..1000.
const weightPerPercent = 10

// desired is the endpoint setting for a share of pct percent: weight
// pct*10, or Disabled for 0 (weight 0 is not allowed), keeping the old
// weight so the endpoint stays valid.
func desired(pct int, cur endpointSetting) endpointSetting {
	if pct == 0 {
		w := cur.Weight
		if w < 1 || w > 1000 {
			w = 1
		}
		return endpointSetting{Weight: w, EndpointStatus: "Disabled"}
	}
	return endpointSetting{Weight: int64(pct * weightPerPercent), EndpointStatus: "Enabled"}
}

// step is one endpoint change.
type step struct {
	backend string
	from    endpointSetting
	want    endpointSetting
}

// applied is a change made, with what it replaced, for rollback.
type applied struct {
	backend string
	prev    endpointSetting
}

// plan orders the changes w needs: endpoints that gain traffic first
// (enabled, or a higher weight), then those that lose it, then those
// disabled; by backend name within each group. Endpoints already as
// wanted are left out.
func plan(backends []string, current map[string]endpointSetting, w traffic.Weights) []step {
	var steps []step
	for _, b := range backends {
		cur := current[b]
		want := desired(w[b], cur)
		if cur == want || (cur.EndpointStatus == "Disabled" && want.EndpointStatus == "Disabled") {
			continue
		}
		steps = append(steps, step{backend: b, from: cur, want: want})
	}
	rank := func(s step) int {
		switch {
		case s.want.EndpointStatus == "Disabled":
			return 2
		case s.from.EndpointStatus == "Disabled" || s.want.Weight > s.from.Weight:
			return 0
		default:
			return 1
		}
	}
	sort.SliceStable(steps, func(i, j int) bool { return rank(steps[i]) < rank(steps[j]) })
	return steps
}

// shares turns the backends' settings into whole percents of the weight of
// every Enabled endpoint (backends and others), by largest remainder so an
// all-backend profile sums to exactly 100.
func shares(backends []string, current map[string]endpointSetting, others []tmEndpoint) traffic.Weights {
	total := int64(0)
	for _, b := range backends {
		if current[b].EndpointStatus != "Disabled" {
			total += current[b].Weight
		}
	}
	for _, o := range others {
		total += o.Properties.Weight
	}
	out := traffic.Weights{}
	if total == 0 {
		for _, b := range backends {
			out[b] = 0
		}
		return out
	}
	type rem struct {
		backend string
		frac    int64
	}
	var rems []rem
	sum, mine := 0, int64(0)
	for _, b := range backends {
		w := int64(0)
		if current[b].EndpointStatus != "Disabled" {
			w = current[b].Weight
		}
		mine += w
		out[b] = int(w * 100 / total)
		sum += out[b]
		rems = append(rems, rem{b, w * 100 % total})
	}
	// Hand out the rounding loss (only the backends' own part of it).
	target := int(mine * 100 / total)
	if mine == total {
		target = 100
	}
	sort.SliceStable(rems, func(i, j int) bool { return rems[i].frac > rems[j].frac })
	for i := 0; sum < target && i < len(rems); i++ {
		if rems[i].frac > 0 {
			out[rems[i].backend]++
			sum++
		}
	}
	return out
}
