package pipeline

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// progress shows a run's advance: a live status line on a terminal, and
// in CI a line per failure plus a line every 10 %.
type progress struct {
	cfg      Config
	phase    string
	total    int
	mu       sync.Mutex
	finished int
	failed   int
	running  map[string]time.Time
	lastPct  int
	began    time.Time
}

func newProgress(cfg Config, phase string, total int) *progress {
	return &progress{cfg: cfg, phase: phase, total: total, running: map[string]time.Time{}, began: time.Now()}
}

func (p *progress) start(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running[name] = time.Now()
	p.draw()
}

func (p *progress) done(name string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	took := time.Since(p.running[name]).Round(100 * time.Millisecond)
	delete(p.running, name)
	p.finished++
	if err != nil {
		p.failed++
		p.line(fmt.Sprintf("FAIL %s (%s): %s", name, took, firstLine(err.Error())))
	} else if p.cfg.Verbose {
		p.line(fmt.Sprintf("ok   %s (%s)", name, took))
	}
	p.draw()
}

func (p *progress) line(s string) {
	if p.cfg.Log == nil {
		return
	}
	if p.cfg.Interactive {
		fmt.Fprintf(p.cfg.Log, "\r\033[K%s\n", s)
		return
	}
	fmt.Fprintln(p.cfg.Log, s)
}

func (p *progress) draw() {
	if p.cfg.Log == nil || p.total == 0 {
		return
	}
	if p.cfg.Interactive {
		var names []string
		for n := range p.running {
			names = append(names, n)
		}
		cur := strings.Join(names, ", ")
		if len(cur) > 70 {
			cur = cur[:67] + "..."
		}
		fmt.Fprintf(p.cfg.Log, "\r\033[K%s [%d/%d] %d failed  %s", p.phase, p.finished, p.total, p.failed, cur)
		return
	}
	pct := p.finished * 100 / p.total
	if pct/10 > p.lastPct/10 || p.finished == p.total {
		p.lastPct = pct
		fmt.Fprintf(p.cfg.Log, "%s: %d/%d cells (%d failed, %s)\n", p.phase, p.finished, p.total, p.failed, time.Since(p.began).Round(time.Second))
	}
}

func (p *progress) finish() {
	if p.cfg.Log != nil && p.cfg.Interactive && p.total > 0 {
		fmt.Fprintf(p.cfg.Log, "\r\033[K%s: %d/%d cells, %d failed, %s\n", p.phase, p.finished, p.total, p.failed, time.Since(p.began).Round(time.Second))
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}
