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
	if got := b.String(); !strings.Contains(got, want) || !strings.Contains(got, "smoke: 0 cells passed, 0 failed, 4 skipped") {
		t.Errorf("summary:\n%s\nwant it to hold:\n%s", got, want)
	}
}

// The summary uses the words of --json and of the progress line: a
// binary out/bin already held is "kept" (origin "kept"), and the smoke
// count says how many cells ran now (the progress line's "smoke: 1/1
// cells") and how many passed before with the same image.
func TestSummaryWordsAgree(t *testing.T) {
	var jobs []pipeline.Job
	results := map[string]*pipeline.Result{}
	for i, p := range []recipe.Platform{recipe.AMD64, recipe.ARM64, recipe.RISCV64} {
		j := pipeline.Job{Cell: recipe.Cell{Recipe: "hello", Platform: p, Toolchain: "gcc", Linkage: recipe.Static}}
		jobs = append(jobs, j)
		results[j.Cell.String()] = &pipeline.Result{Origin: pipeline.OriginKept, ImageReused: true,
			Smoke: smoke.Result{Status: smoke.StatusPass}, SmokeRecorded: i > 0}
	}
	rep := &pipeline.Report{Jobs: jobs, Results: results, Matrix: &matrix.Matrix{}}
	var b strings.Builder
	summary(&b, Config{Root: "/r", OutDir: "/r/out"}, rep)
	for _, want := range []string{
		"; smoke: 3 cells passed (1 run now, 2 passed before with the same image), 0 failed, 0 skipped\n",
		"binaries: 0 compiled, 0 restored from the cache, 3 kept from out/bin, 0 taken as they are; images: 0 packed, 3 unchanged\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary:\n%s\nwant %q", b.String(), want)
		}
	}
	if res := buildJSON(Config{Root: "/r", OutDir: "/r/out"}, "build", rep, nil); res.Cells[0].Origin != "kept" {
		t.Errorf("--json's origin of a kept binary: %q", res.Cells[0].Origin)
	}
}
