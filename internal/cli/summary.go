package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/smoke"
	"github.com/fromscratch/fromscratch/internal/workspace"
)

// summary prints counts per status, the failed cells with their reasons,
// and the unavailable toolchains with how to get them.
func summary(w io.Writer, cfg Config, rep *pipeline.Report) {
	counts := map[matrix.Status]int{}
	origins := map[pipeline.Origin]int{}
	smokes := map[smoke.Status]int{}
	var failed []string
	var recipeFailures failures
	unavailable := map[string]bool{}
	skips := map[string]int{} // why smoke runs were skipped -> how many
	packed, recorded := 0, 0
	for _, j := range rep.Jobs {
		status := j.Status
		if r := rep.Results[j.Cell.String()]; r != nil {
			status = matrix.StatusBuilt
			if r.Err == nil {
				origins[r.Origin]++
			}
			if r.Err == nil && !r.ImageReused {
				packed++
			}
			if r.Err != nil {
				status = matrix.StatusFailed
				failed = append(failed, fmt.Sprintf("  %s: %s", j.Cell, pipeline.ReasonLine(r.Err.Error())))
			} else if r.Smoke.Status != "" {
				smokes[r.Smoke.Status]++
				if r.Smoke.Status == smoke.StatusSkipped {
					skips[pipeline.ReasonLine(r.Smoke.Reason)]++
				}
				if r.SmokeRecorded {
					recorded++
				}
				if r.Smoke.Status == smoke.StatusFail {
					failed = append(failed, fmt.Sprintf("  %s: smoke run: %s", j.Cell, pipeline.ReasonLine(r.Smoke.Reason)))
				}
			}
		} else if j.Status == matrix.StatusFailed {
			recipeFailures.add(j)
		}
		if j.Status == matrix.StatusUnavailable {
			unavailable[fmt.Sprintf("  %s for %s: %s", j.Cell.Toolchain, j.Cell.Platform, j.Reason)] = true
		}
		counts[status]++
	}
	fmt.Fprintf(w, "cells: %d built, %d failed, %d not applicable, %d unavailable",
		counts[matrix.StatusBuilt], counts[matrix.StatusFailed], counts[matrix.StatusNotApplicable], counts[matrix.StatusUnavailable])
	if len(smokes) > 0 {
		// In the words of the progress line ("smoke: 2/2 cells"), which
		// counts only the cells run now.
		note := ""
		if recorded > 0 {
			note = fmt.Sprintf(" (%d run now, %d passed before with the same image)", smokes[smoke.StatusPass]-recorded, recorded)
		}
		fmt.Fprintf(w, "; smoke: %d cells passed%s, %d failed, %d skipped", smokes[smoke.StatusPass], note, smokes[smoke.StatusFail], smokes[smoke.StatusSkipped])
	}
	fmt.Fprintln(w)
	// The words of --json's origin: compiled, restored, kept, taken.
	fmt.Fprintf(w, "binaries: %d compiled, %d restored from the cache, %d kept from out/bin, %d taken as they are; images: %d packed, %d unchanged\n",
		origins[pipeline.OriginCompiled], origins[pipeline.OriginRestored], origins[pipeline.OriginKept], origins[pipeline.OriginTaken],
		packed, counts[matrix.StatusBuilt]-packed)
	if rep.LeftOut > 0 {
		fmt.Fprintf(w, "left out: %d cells with no binary in %s/bin (their rows are kept as they were)\n", rep.LeftOut, workspace.Rel(cfg.Root, cfg.OutDir))
	}
	if len(skips) > 0 {
		reasons := make([]string, 0, len(skips))
		for why, n := range skips {
			reasons = append(reasons, fmt.Sprintf("  %d: %s", n, why))
		}
		sort.Strings(reasons)
		fmt.Fprintf(w, "smoke runs skipped (--no-smoke does not try them):\n%s\n", strings.Join(reasons, "\n"))
	}
	if len(unavailable) > 0 {
		lines := make([]string, 0, len(unavailable))
		for l := range unavailable {
			lines = append(lines, l)
		}
		sort.Strings(lines)
		fmt.Fprintf(w, "unavailable toolchains (their cells were not built):\n%s\n", strings.Join(lines, "\n"))
	}
	failed = append(recipeFailures.lines(), failed...)
	if len(failed) > 0 {
		if len(failed) > 20 {
			failed = append(failed[:20], fmt.Sprintf("  ... and %d more (see %s)", len(failed)-20, workspace.Rel(cfg.Root, outdir.Path(cfg.OutDir).MatrixMarkdown())))
		}
		fmt.Fprintf(w, "failed:\n%s\n", strings.Join(failed, "\n"))
	}
	out := workspace.Rel(cfg.Root, cfg.OutDir)
	fmt.Fprintf(w, "outputs: %s/{bin,docker,oci}, matrix: %s/matrix.{md,json,csv,svg}\n", out, out)
}

// failures are the cells failed before they were built (a recipe that
// does not load, a dependency that is not there), grouped: a recipe's
// cells share one reason, which is shown once and whole (every field
// error of its recipe.toml), not once per cell.
type failures struct {
	order   []string
	reasons map[string]string // by recipe and reason
	cells   map[string][]recipe.Cell
}

func (f *failures) add(j pipeline.Job) {
	if f.cells == nil {
		f.reasons, f.cells = map[string]string{}, map[string][]recipe.Cell{}
	}
	k := j.Cell.Recipe + "\x00" + j.Reason
	if _, ok := f.cells[k]; !ok {
		f.order = append(f.order, k)
		f.reasons[k] = j.Reason
	}
	f.cells[k] = append(f.cells[k], j.Cell)
}

// lines are the summary's lines: "  CELL: reason" for one cell, else
// "  RECIPE (N cells): reason", a reason of several lines indented below.
func (f *failures) lines() []string {
	var out []string
	for _, k := range f.order {
		cells, reason := f.cells[k], strings.TrimSpace(f.reasons[k])
		head := cells[0].String()
		if len(cells) > 1 {
			head = fmt.Sprintf("%s (%d cells)", cells[0].Recipe, len(cells))
		}
		if !strings.Contains(reason, "\n") {
			out = append(out, fmt.Sprintf("  %s: %s", head, reason))
			continue
		}
		out = append(out, fmt.Sprintf("  %s:\n    %s", head, strings.ReplaceAll(reason, "\n", "\n    ")))
	}
	return out
}

// appendStepSummary appends the Markdown rendering of m to path (GitHub
// Actions' $GITHUB_STEP_SUMMARY); nothing when path is empty.
func appendStepSummary(path string, m *matrix.Matrix) error { return m.AppendMarkdown(path) }
