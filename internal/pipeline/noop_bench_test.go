package pipeline

import (
	"context"
	"fmt"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// BenchmarkNoOpBuild times a build whose every cell is up to date, in the
// build root, with no process started: what a no-op build:all costs
// beyond the program's start. The first build (not timed) fills out/,
// from the action cache of FROMSCRATCH_CACHE when it has the cells.
//
//	go test -run '^$' -bench NoOpBuild ./internal/pipeline
func BenchmarkNoOpBuild(b *testing.B) {
	for _, m := range []struct {
		name       string
		recipes    []string
		platforms  []recipe.Platform
		toolchains []string
	}{
		{"hello-gcc-amd64", []string{"hello"}, []recipe.Platform{recipe.AMD64}, []string{"gcc"}},
		{"small-recipes-gcc-musl-4-platforms", smallRecipes, nil, []string{"gcc", "musl-gcc"}},
	} {
		b.Run(m.name, func(b *testing.B) {
			opts := hermeticOptions(b, repoRoot(b))
			opts.NoCache = false
			opts.Recipes, opts.Platforms, opts.Toolchains = m.recipes, m.platforms, m.toolchains
			if _, err := New(opts).Build(b.Context()); err != nil {
				b.Fatal(err)
			}
			cells := 0
			for b.Loop() {
				rep, err := New(opts, WithRunner(refuseRun(b))).Build(b.Context())
				if err != nil {
					b.Fatal(err)
				}
				cells = len(rep.Results)
				for _, r := range rep.Results {
					if r.Origin != OriginKept || !r.ImageReused {
						b.Fatalf("%s was not up to date: binary %s, image reused %v", r.Job.Cell, r.Origin, r.ImageReused)
					}
				}
			}
			b.ReportMetric(float64(cells), "cells")
		})
	}
}

// refuseRun is a runner that fails the benchmark: a no-op build starts no
// process.
func refuseRun(b *testing.B) toolchain.Runner {
	return func(_ context.Context, c toolchain.Command, _ []string) ([]byte, error) {
		b.Errorf("a no-op build started %s", c)
		return nil, fmt.Errorf("a no-op build started %s", c)
	}
}
