package run

import (
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/term"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
)

// watcher shows the successive states of a run. On a terminal it redraws
// the tree in place; elsewhere (a CI log, a pipe) it prints a line for
// each change of the run or of one of its rows, so a log reads as the
// run's history; with -o json|yaml it prints the object when it changed.
type watcher struct {
	opts *StatusOptions
	// seen is whether the run was read at least once.
	seen bool

	// Terminal: what was drawn, and how many lines to go back up.
	drawn string
	lines int

	// Log lines: the last state and detail printed per row key, and the
	// run's own line.
	rows    map[string]string
	head    string
	version string
}

func newWatcher(opts *StatusOptions) *watcher {
	return &watcher{opts: opts, rows: map[string]string{}}
}

func (w *watcher) update(run *v1alpha1.UpdateRun) error {
	w.seen = true
	switch {
	case w.opts.Output != cmdutil.OutputTable:
		if run.ResourceVersion == w.version {
			return nil
		}
		w.version = run.ResourceVersion
		return cmdutil.PrintStructured(w.opts.IO.Out, w.opts.Output, run)
	case w.opts.IO.IsStdoutTTY():
		return w.redraw(run)
	}
	w.log(run)
	return nil
}

// redraw replaces the previous drawing. Lines are cut to the terminal's
// width: a wrapped line would make the cursor go back up too few lines.
func (w *watcher) redraw(run *v1alpha1.UpdateRun) error {
	var b strings.Builder
	if err := (view{now: w.opts.Now(), tty: true}).render(&b, run); err != nil {
		return err
	}
	out := fitWidth(b.String(), width(w.opts.IO.Out))
	if out == w.drawn {
		return nil
	}
	if w.lines > 0 {
		fmt.Fprintf(w.opts.IO.Out, "\033[%dA\033[J", w.lines)
	}
	fmt.Fprint(w.opts.IO.Out, out)
	w.drawn, w.lines = out, strings.Count(out, "\n")
	return nil
}

// log prints what changed since the last poll, one line each, in tree
// order, with absolute times so the lines mean the same in a log read
// later.
func (w *watcher) log(run *v1alpha1.UpdateRun) {
	now := w.opts.Now()
	at := now.UTC().Format(time.RFC3339)
	head := stateOf(run)
	if run.Status.Progress != "" {
		head += " (" + run.Status.Progress + ")"
	}
	switch {
	case run.Status.Error != "":
		head += ": " + run.Status.Error
	case run.Status.Message != "":
		head += ": " + run.Status.Message
	}
	if head != w.head {
		w.head = head
		fmt.Fprintf(w.opts.IO.Out, "%s run %s %s\n", at, run.Name, head)
	}
	for _, r := range (view{now: now, tty: false}).rows(run) {
		line := dash(r.state)
		if r.detail != "" {
			line += ": " + r.detail
		}
		last, seen := w.rows[r.key]
		if last == line || (!seen && r.state == v1alpha1.StateNotStarted && r.detail == "") {
			continue // unchanged, or not started yet: no news
		}
		w.rows[r.key] = line
		fmt.Fprintf(w.opts.IO.Out, "%s %s %s\n", at, r.key, line)
	}
}

// width is the terminal's width, 0 when out is not a terminal or its size
// is unknown.
func width(out io.Writer) int {
	f, ok := out.(interface{ Fd() uintptr })
	if !ok {
		return 0
	}
	w, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return w
}

// fitWidth cuts every line to n-1 runes (0: no limit), marking the cut.
func fitWidth(s string, n int) string {
	if n <= 1 {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if r := []rune(l); len(r) > n-1 {
			lines[i] = string(r[:n-2]) + "…"
		}
	}
	return strings.Join(lines, "\n")
}
