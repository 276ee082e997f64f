package cli

import (
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/recipe"
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
