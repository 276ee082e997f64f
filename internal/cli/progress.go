package cli

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/fromscratch/fromscratch/internal/pipeline"
)

// progress shows a run's advance. On a terminal: one live line, clipped
// to the terminal's width, with a timer and the running cells in order.
// Elsewhere (CI, a pipe): a line per failure and a line every 10 %.
type progress struct {
	w           io.Writer
	interactive bool
	verbose     bool
	width       func() int

	mu       sync.Mutex
	phase    string
	total    int
	finished int
	failed   int
	running  map[string]time.Time
	lastPct  int
	began    time.Time
}

func newProgress(w io.Writer, interactive, verbose bool) *progress {
	p := &progress{w: w, interactive: interactive, verbose: verbose, width: func() int { return 80 }}
	if f, ok := w.(*os.File); ok && interactive {
		p.width = func() int {
			if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 20 {
				return cols
			}
			return 80
		}
	}
	return p
}

func (p *progress) Phase(name string, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.phase, p.total, p.finished, p.failed, p.lastPct = name, total, 0, 0, 0
	p.running, p.began = map[string]time.Time{}, time.Now()
}

func (p *progress) Start(cell string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running[cell] = time.Now()
	p.draw()
}

func (p *progress) Done(cell string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	took := time.Since(p.running[cell]).Round(100 * time.Millisecond)
	delete(p.running, cell)
	p.finished++
	if err != nil {
		p.failed++
		p.line(fmt.Sprintf("FAIL %s (%s): %s", cell, took, pipeline.ReasonLine(err.Error())))
	} else if p.verbose {
		p.line(fmt.Sprintf("ok   %s (%s)", cell, took))
	}
	p.draw()
}

func (p *progress) EndPhase() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.interactive && p.total > 0 {
		fmt.Fprintf(p.w, "\r\033[K%s: %d/%d cells, %d failed, %s\n", p.phase, p.finished, p.total, p.failed, time.Since(p.began).Round(time.Second))
	}
}

// Warn prints a warning on a line of its own: on a terminal it clears the
// live line first and draws it again below.
func (p *progress) Warn(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.line(s)
	if p.interactive {
		p.draw()
	}
}

// warner is where a run's warnings go: through the progress, above its
// live line, or else a line of out.
func warner(out io.Writer, pr pipeline.Progress) func(string) {
	if p, ok := pr.(*progress); ok {
		return p.Warn
	}
	return func(s string) { fmt.Fprintln(out, s) }
}

func (p *progress) line(s string) {
	if p.interactive {
		fmt.Fprintf(p.w, "\r\033[K%s\n", clip(s, p.width()))
		return
	}
	fmt.Fprintln(p.w, s)
}

func (p *progress) draw() {
	if p.total == 0 {
		return
	}
	if p.interactive {
		fmt.Fprint(p.w, "\r\033[K"+statusLine(p.phase, p.finished, p.total, p.failed, time.Since(p.began), p.running, p.width()))
		return
	}
	pct := p.finished * 100 / p.total
	if pct/10 > p.lastPct/10 || p.finished == p.total {
		p.lastPct = pct
		fmt.Fprintf(p.w, "%s: %d/%d cells (%d failed, %s)\n", p.phase, p.finished, p.total, p.failed, time.Since(p.began).Round(time.Second))
	}
}

// statusLine is the live line, at most width-1 columns (a full-width line
// would wrap on some terminals and leave a stale line at each redraw):
// "build [12/97] 0 failed 1m05s  hello linux/amd64 gcc-static, ...".
func statusLine(phase string, finished, total, failed int, elapsed time.Duration, running map[string]time.Time, width int) string {
	names := make([]string, 0, len(running))
	for n := range running {
		names = append(names, n)
	}
	slices.Sort(names)
	head := fmt.Sprintf("%s [%d/%d] %d failed %s", phase, finished, total, failed, elapsed.Round(time.Second))
	return clip(head+"  "+strings.Join(names, ", "), width-1)
}

// clip cuts s to n runes, marking the cut with "…".
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n < 1 {
		return ""
	}
	return string(r[:n-1]) + "…"
}
