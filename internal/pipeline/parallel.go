package pipeline

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// Progress is told what a run is doing. Calls may come from several
// goroutines at once.
type Progress interface {
	Phase(name string, total int)
	Start(cell string)
	Done(cell string, err error)
	EndPhase()
}

type silent struct{}

func (silent) Phase(string, int)  {}
func (silent) Start(string)       {}
func (silent) Done(string, error) {}
func (silent) EndPhase()          {}

// forEach runs fn on every job, b.opts.Jobs at a time, telling Progress.
func (b *Builder) forEach(ctx context.Context, phase string, jobs []Job, fn func(context.Context, Job) *Result, failure func(*Result) error) {
	if len(jobs) == 0 {
		return
	}
	p := b.opts.Progress
	p.Phase(phase, len(jobs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(b.opts.Jobs)
	for _, j := range jobs {
		g.Go(func() error {
			p.Start(j.Cell.String())
			r := fn(gctx, j)
			p.Done(j.Cell.String(), failure(r))
			return nil // one failing cell never stops the others
		})
	}
	_ = g.Wait()
	p.EndPhase()
}
