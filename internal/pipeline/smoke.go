package pipeline

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/smoke"
)

// smokeAll runs every built image in a container engine (docker when one
// answers, else runc) and compares it with the recipe's expectation. A
// pass recorded in the cell's stamp for the same image and expectation is
// not run again. With no engine every image is recorded as skipped with the
// reason, never as a pass.
func (b *Builder) smokeAll(ctx context.Context, rep *Report) {
	var todo []Job
	for _, j := range rep.Jobs {
		r := rep.Results[j.Cell.String()]
		if r == nil || r.Err != nil || r.Archive == "" {
			continue
		}
		if res, ok := r.stamp.smokePassed(smokeKey(r.Digest, r.Job.Recipe)); ok {
			r.Smoke, r.SmokeRecorded = res, true
			continue
		}
		todo = append(todo, j)
	}
	if len(todo) == 0 {
		return
	}
	engine, why := smoke.Detect(ctx, b.opts.EngineEnv)
	if engine != nil {
		// The images the runs loaded go; losing a removal only leaves an
		// image behind, never a wrong result.
		defer engine.Cleanup(context.WithoutCancel(ctx))
	}
	b.forEach(ctx, "smoke", todo, func(ctx context.Context, j Job) *Result {
		r := rep.Results[j.Cell.String()]
		spec, want, err := b.smokeSpec(r)
		switch {
		case engine == nil:
			r.Smoke = smoke.Result{Status: smoke.StatusSkipped, Reason: "no container engine: " + why}
		case err != nil:
			r.Smoke = smoke.Result{Status: smoke.StatusFail, Reason: fmt.Sprintf("%s: %v", j.Cell, err)}
		default:
			r.Smoke = smoke.Run(ctx, engine, spec, want)
		}
		if r.Smoke.Status == smoke.StatusPass && r.stamp != nil && r.stamp.Digest == r.Digest {
			r.stamp.Smoke = &smokeStamp{Key: smokeKey(r.Digest, r.Job.Recipe), Result: r.Smoke}
			_ = r.stamp.record(b.cellDir(j.Cell)) // losing it only costs a run
		}
		return r
	}, func(r *Result) error {
		if r.Smoke.Status == smoke.StatusFail {
			return errSmoke(r.Smoke.Reason)
		}
		return nil
	})
}

type errSmoke string

func (e errSmoke) Error() string { return "smoke run: " + string(e) }

// smokeSpec describes how to run a cell's image, and what the run must
// do: stdin and the exact stdout may come from files of the recipe folder.
func (b *Builder) smokeSpec(r *Result) (smoke.Spec, smoke.Expect, error) {
	rc := r.Job.Recipe
	img := r.Image
	stdin, err := rc.Smoke.ReadStdin(rc.Dir)
	if err != nil {
		return smoke.Spec{}, smoke.Expect{}, err
	}
	want, err := expect(rc)
	if err != nil {
		return smoke.Spec{}, smoke.Expect{}, err
	}
	return smoke.Spec{
		Name:       r.Job.Cell.String(),
		Archive:    r.Archive,
		Tag:        r.Job.Cell.Tag(),
		Platform:   string(r.Job.Cell.Platform),
		Entrypoint: []string{"/" + rc.Name},
		Cmd:        rc.Args(r.Job.Cell.Linkage).SmokeArgs,
		Unpack:     func(dir string) error { return image.Unpack(img, dir) },
		Stdin:      stdin,
		Timeout:    rc.Smoke.TimeoutOrDefault(),
		StdoutFile: filepath.Join(b.cellDir(r.Job.Cell), "smoke.stdout"),
		StderrFile: filepath.Join(b.cellDir(r.Job.Cell), "smoke.stderr"),
	}, want, nil
}

// expect is the recipe's expectation of a run.
func expect(rc *recipe.Recipe) (smoke.Expect, error) {
	s := rc.Smoke
	stdout, err := s.ReadStdout(rc.Dir)
	if err != nil {
		return smoke.Expect{}, err
	}
	switch {
	case s.StdoutFile != "": // compared as it streams: nothing more held in memory
		return smoke.Expect{Stdout: stdout, Want: fmt.Sprintf("the %d bytes of recipes/%s/%s", len(*stdout), rc.Name, s.StdoutFile), ExitCode: s.ExitCode}, nil
	case stdout != nil:
		return smoke.Expect{Stdout: stdout, Want: *stdout, ExitCode: s.ExitCode}, nil
	}
	return smoke.Expect{Match: s.Matches, Want: s.StdoutRegexp, ExitCode: s.ExitCode}, nil
}
