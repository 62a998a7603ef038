package cmdutil

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Progress writes a one-line status to stderr. On a terminal the line is
// rewritten in place; elsewhere (CI logs, pipes) a line is printed at most
// every Interval, and always when the text's key changes, so logs stay short
// but nothing important is lost.
type Progress struct {
	IO *IOStreams
	// Interval between repeated lines when stderr is not a terminal.
	// 10s when zero.
	Interval time.Duration

	mu       sync.Mutex
	live     bool
	lastKey  string
	lastTime time.Time
}

// Update shows text. key groups updates: a new key always prints.
func (p *Progress) Update(key, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.IO.IsStderrTTY() {
		fmt.Fprintf(p.IO.ErrOut, "\r\033[K%s", truncate(text, 160))
		p.live = true
		return
	}
	interval := p.Interval
	if interval == 0 {
		interval = 10 * time.Second
	}
	if key == p.lastKey && time.Since(p.lastTime) < interval {
		return
	}
	p.lastKey, p.lastTime = key, time.Now()
	fmt.Fprintln(p.IO.ErrOut, text)
}

// Println ends any live line and prints a permanent one.
func (p *Progress) Println(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live {
		fmt.Fprint(p.IO.ErrOut, "\r\033[K")
		p.live = false
	}
	fmt.Fprintf(p.IO.ErrOut, format+"\n", args...)
}

// Done clears the live line.
func (p *Progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live {
		fmt.Fprint(p.IO.ErrOut, "\r\033[K")
		p.live = false
	}
}

func truncate(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
