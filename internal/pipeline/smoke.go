package pipeline

import (
	"context"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/smoke"
)

// SmokeResult is the outcome of running a cell's image.
type SmokeResult = smoke.Result

// SmokeAll runs every built image in a container engine (docker when one
// answers, else runc) and compares it with the recipe's expectation. With
// no engine every image is recorded as skipped with the reason, never as a
// pass.
func SmokeAll(ctx context.Context, cfg Config, rep *Report) {
	var todo []*Result
	for _, j := range rep.Jobs {
		if r := rep.Results[j.Cell.String()]; r != nil && r.Err == nil && r.Archive != "" {
			todo = append(todo, r)
		}
	}
	// A pass recorded in the cell's stamp for the same image and the same
	// expectation is not run again.
	var run []*Result
	for _, r := range todo {
		if st := r.stamp; st != nil && st.Smoke != nil && st.Smoke.Key == smokeKey(r.Digest, r) {
			r.Smoke = st.Smoke.Result
			continue
		}
		run = append(run, r)
	}
	todo = run
	if len(todo) == 0 {
		return
	}
	engine, why := smoke.Detect(ctx)
	prog := newProgress(cfg, "smoke", len(todo))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(cfg.Jobs, 1))
	var mu sync.Mutex
	for _, r := range todo {
		g.Go(func() error {
			name := r.Job.Cell.String()
			prog.start(name)
			var res smoke.Result
			if engine == nil {
				res = smoke.Result{Status: "skipped", Reason: "no container engine: " + why}
			} else {
				res = smoke.Run(gctx, engine, SmokeSpec(r), Expect(r))
			}
			mu.Lock()
			r.Smoke = res
			mu.Unlock()
			if res.Status == smoke.StatusPass && r.stamp != nil && r.stamp.Digest == r.Digest {
				r.stamp.Smoke = &SmokeStamp{Key: smokeKey(r.Digest, r), Result: res}
				_ = writeStamp(Dir(cfg.OutDir, r.Job.Cell), r.stamp) // losing it only costs a run
			}
			var err error
			if res.Status == "fail" {
				err = errSmoke(res.Reason)
			}
			prog.done(name, err)
			return nil
		})
	}
	_ = g.Wait()
	prog.finish()
}

type errSmoke string

func (e errSmoke) Error() string { return "smoke run: " + string(e) }

// SmokeSpec describes how to run a cell's image.
func SmokeSpec(r *Result) smoke.Spec {
	rc := r.Job.Recipe
	img := r.Image
	return smoke.Spec{
		Name:       r.Job.Cell.String(),
		Archive:    r.Archive,
		Tag:        Tag(r.Job.Cell),
		Platform:   string(r.Job.Cell.Platform),
		Entrypoint: []string{"/" + rc.Name},
		Cmd:        rc.Smoke.Args,
		Unpack:     func(dir string) error { return image.Unpack(img, dir) },
		Timeout:    rc.Smoke.TimeoutOrDefault(),
	}
}

// Expect is the recipe's expectation of a run.
func Expect(r *Result) smoke.Expect {
	s := r.Job.Recipe.Smoke
	want := s.StdoutRegexp
	if s.Stdout != nil {
		want = *s.Stdout
	}
	return smoke.Expect{Match: s.Matches, Want: want, ExitCode: s.ExitCode}
}
