package cli

import (
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/smoke"
)

// A recipe that does not load fails every cell of it with one reason:
// the summary shows it once, whole (each of its field errors), not once
// per cell; a lone failed cell keeps its line.
func TestSummaryShowsARecipeErrorOnce(t *testing.T) {
	broken := "recipes/demo/recipe.toml: cflgas: unknown key (did you mean cflags?)\nrecipes/demo/recipe.toml: language: missing (allowed: c, c++)"
	var jobs []pipeline.Job
	for _, p := range []recipe.Platform{recipe.AMD64, recipe.ARM64} {
		for _, l := range recipe.Linkages {
			jobs = append(jobs, pipeline.Job{Cell: recipe.Cell{Recipe: "demo", Platform: p, Toolchain: "gcc", Linkage: l},
				Status: matrix.StatusFailed, Reason: broken})
		}
	}
	jobs = append(jobs, pipeline.Job{Cell: recipe.Cell{Recipe: "app", Platform: recipe.AMD64, Toolchain: "gcc", Linkage: recipe.Static},
		Status: matrix.StatusFailed, Reason: "dependencies of app: app depends on wdget, which is not a recipe (did you mean widget?)"})
	var b strings.Builder
	summary(&b, Config{Root: "/r", OutDir: "/r/out"}, &pipeline.Report{Jobs: jobs})
	got := b.String()
	want := "failed:\n" +
		"  demo (4 cells):\n" +
		"    recipes/demo/recipe.toml: cflgas: unknown key (did you mean cflags?)\n" +
		"    recipes/demo/recipe.toml: language: missing (allowed: c, c++)\n" +
		"  app linux/amd64 gcc-static: dependencies of app: app depends on wdget, which is not a recipe (did you mean widget?)\n"
	if !strings.Contains(got, want) {
		t.Errorf("summary:\n%s\nwant it to hold:\n%s", got, want)
	}
	if !strings.Contains(got, "cells: 0 built, 5 failed") {
		t.Errorf("summary counts:\n%s", got)
	}
}

// Smoke runs that were skipped say why, once per reason with how many.
func TestSummarySaysWhySmokeRunsWereSkipped(t *testing.T) {
	rep := &pipeline.Report{Results: map[string]*pipeline.Result{}}
	for i, p := range []recipe.Platform{recipe.AMD64, recipe.ARM64} {
		for _, l := range recipe.Linkages {
			j := pipeline.Job{Cell: recipe.Cell{Recipe: "hello", Platform: p, Toolchain: "gcc", Linkage: l}}
			why := "no container engine: docker: permission denied"
			if i == 1 {
				why = "linux/arm64 cannot run here: no binfmt handler"
			}
			rep.Jobs = append(rep.Jobs, j)
			rep.Results[j.Cell.String()] = &pipeline.Result{Job: j, Smoke: smoke.Result{Status: smoke.StatusSkipped, Reason: why}}
		}
	}
	var b strings.Builder
	summary(&b, Config{Root: "/r", OutDir: "/r/out"}, rep)
	want := "smoke runs skipped (--no-smoke does not try them):\n" +
		"  2: linux/arm64 cannot run here: no binfmt handler\n" +
		"  2: no container engine: docker: permission denied\n"
	if got := b.String(); !strings.Contains(got, want) || !strings.Contains(got, "smoke runs: 0 passed, 0 failed, 4 skipped") {
		t.Errorf("summary:\n%s\nwant it to hold:\n%s", got, want)
	}
}
