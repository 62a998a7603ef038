package nodepool

import (
	"fmt"
	"strings"
	"time"

	"upshift.dev/upshift/internal/cli/cmdutil"
	engine "upshift.dev/upshift/internal/nodepool"
)

// liveView shows an upgrade as it runs. On a terminal it redraws a table of
// the pool's nodes in place; elsewhere (CI logs) it prints a line whenever
// the phase, the message's gist or a node's state changes.
type liveView struct {
	io    *cmdutil.IOStreams
	now   func() time.Time
	lines int
	last  string
	nodes map[string]string
}

func newLiveView(io *cmdutil.IOStreams, now func() time.Time) *liveView {
	return &liveView{io: io, now: now, nodes: map[string]string{}}
}

func (v *liveView) update(st engine.Status) {
	if v.io.IsStderrTTY() {
		v.redraw(st)
		return
	}
	head := fmt.Sprintf("%s: %s", st.Phase, st.Message)
	if key := string(st.Phase) + gist(st.Message); key != v.last {
		v.last = key
		fmt.Fprintf(v.io.ErrOut, "%s %s\n", v.now().UTC().Format("15:04:05"), head)
	}
	for _, n := range st.Nodes {
		state := n.Display(st.Target)
		if n.Blocked != "" {
			state += " (" + n.Blocked + ")"
		}
		if v.nodes[n.Name] != state {
			v.nodes[n.Name] = state
			fmt.Fprintf(v.io.ErrOut, "%s   %s %s %s: %s\n", v.now().UTC().Format("15:04:05"), n.Name, n.Version, shortImage(n.Image), state)
		}
	}
}

// gist drops numbers, so "3 of 10 drained" and "4 of 10 drained" are one
// line in a log but each new phase or batch is another.
func gist(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return -1
		}
		return r
	}, s)
}

func (v *liveView) redraw(st engine.Status) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s\n", st.Phase, st.Message)
	fmt.Fprintf(&b, "%-34s %-8s %-16s %-12s %s\n", "NODE", "VERSION", "IMAGE", "STATE", "BLOCKED BY")
	for _, n := range st.Nodes {
		fmt.Fprintf(&b, "%-34s %-8s %-16s %-12s %s\n", n.Name, n.Version, shortImage(n.Image), n.Display(st.Target), n.Blocked)
	}
	if v.lines > 0 {
		fmt.Fprintf(v.io.ErrOut, "\033[%dA\033[J", v.lines)
	}
	out := b.String()
	fmt.Fprint(v.io.ErrOut, out)
	v.lines = strings.Count(out, "\n")
}

func (v *liveView) done() {}

// shortImage keeps the date part of an AKS image name.
func shortImage(image string) string {
	if i := strings.LastIndex(image, "-"); i >= 0 {
		return image[i+1:]
	}
	return image
}
