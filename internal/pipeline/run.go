package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"github.com/fromscratch/fromscratch/internal/cache"
	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/smoke"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// Report is the outcome of a run: every cell, built or not.
type Report struct {
	Jobs    []Job
	Results map[string]*Result // by Cell.String(), applicable cells only
	Matrix  *matrix.Matrix
}

// Failed lists the cells that failed, including unavailable toolchains
// when they are required.
func (rep *Report) Failed(cfg Config) []string {
	var out []string
	for _, j := range rep.Jobs {
		if r := rep.Results[j.Cell.String()]; r != nil && (r.Err != nil || r.Smoke.Status == smoke.StatusFail) {
			out = append(out, j.Cell.String())
		} else if j.Status == StatusUnavailable && cfg.RequireAll {
			out = append(out, j.Cell.String())
		}
	}
	return out
}

// BuildAll builds every applicable cell in parallel, writes the docker
// archives, one OCI layout per recipe and the matrix, smoke-runs the images
// when an engine is usable, prints a summary and returns an error naming
// the failed cells.
func BuildAll(ctx context.Context, cfg Config, run toolchain.Runner) (*Report, error) {
	inv, err := LoadInventory(ctx, cfg, run)
	if err != nil {
		return nil, err
	}
	rep := &Report{Jobs: inv.Jobs(), Results: map[string]*Result{}}
	if len(cfg.Platforms) > 0 {
		var keep []Job
		for _, j := range rep.Jobs {
			if slices.Contains(cfg.Platforms, j.Cell.Platform) {
				keep = append(keep, j)
			}
		}
		rep.Jobs = keep
	}
	var todo []Job
	for _, j := range rep.Jobs {
		if j.Status == "" {
			todo = append(todo, j)
		}
	}
	prog := newProgress(cfg, "build", len(todo))
	var mu sync.Mutex
	sv := &services{run: run, memo: loadDigestMemo(cfg.CacheDir)}
	if !cfg.NoCache {
		sv.store = &cache.Store{Dir: filepath.Join(cfg.CacheDir, "actions")}
	}
	ctx = context.WithValue(ctx, servicesKey{}, sv)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(cfg.Jobs, 1))
	for _, j := range todo {
		g.Go(func() error {
			prog.start(j.Cell.String())
			r := RunCell(gctx, cfg, run, j)
			mu.Lock()
			rep.Results[j.Cell.String()] = r
			mu.Unlock()
			prog.done(j.Cell.String(), r.Err)
			return nil // one failing cell never stops the others
		})
	}
	_ = g.Wait()
	prog.finish()
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("building: %w", err)
	}
	var errs []error
	if err := sv.memo.save(); err != nil {
		errs = append(errs, fmt.Errorf("saving file digests: %w", err))
	}
	if err := writeLayouts(cfg, rep); err != nil {
		errs = append(errs, err)
	}
	if cfg.Smoke {
		SmokeAll(ctx, cfg, rep)
	}
	rep.Matrix = Rows(rep)
	if len(cfg.Recipes) > 0 || len(cfg.Platforms) > 0 {
		keepOtherRows(filepath.Join(cfg.OutDir, "matrix.json"), rep.Matrix)
	}
	if err := matrix.WriteAll(cfg.OutDir, rep.Matrix); err != nil {
		errs = append(errs, fmt.Errorf("writing the matrix: %w", err))
	}
	if err := rep.Matrix.GitHubSummary(); err != nil {
		errs = append(errs, err)
	}
	Summary(cfg, rep)
	if failed := rep.Failed(cfg); len(failed) > 0 {
		errs = append(errs, fmt.Errorf("%d cell(s) failed: see the summary above and out/matrix.md", len(failed)))
	}
	return rep, errors.Join(errs...)
}

// writeLayouts writes out/oci/<recipe>/: per toolchain-linkage one
// multi-arch index over the platforms that built.
func writeLayouts(cfg Config, rep *Report) error {
	byRecipe := map[string]map[string][]v1.Image{}
	changed := map[string]bool{}
	var recipes []string
	for _, j := range rep.Jobs {
		r := rep.Results[j.Cell.String()]
		if r == nil || r.Err != nil || r.Image == nil {
			changed[j.Cell.Recipe] = changed[j.Cell.Recipe] || (r != nil && r.Err != nil)
			continue
		}
		changed[j.Cell.Recipe] = changed[j.Cell.Recipe] || !r.Reused
		if byRecipe[j.Cell.Recipe] == nil {
			byRecipe[j.Cell.Recipe] = map[string][]v1.Image{}
			recipes = append(recipes, j.Cell.Recipe)
		}
		byRecipe[j.Cell.Recipe][j.Cell.Variant()] = append(byRecipe[j.Cell.Recipe][j.Cell.Variant()], r.Image)
	}
	sort.Strings(recipes)
	var errs []error
	for _, name := range recipes {
		if !changed[name] {
			continue // every image is already in out/oci/<recipe>, unchanged
		}
		var indexes []image.Index
		for variant, imgs := range byRecipe[name] {
			indexes = append(indexes, image.Index{Name: variant, Images: imgs})
		}
		sort.Slice(indexes, func(a, b int) bool { return indexes[a].Name < indexes[b].Name })
		dir := filepath.Join(cfg.OutDir, "oci", name)
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := image.WriteLayout(dir, indexes); err != nil {
			errs = append(errs, fmt.Errorf("writing OCI layout of %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// keepOtherRows adds to m the rows of an existing matrix that m does not
// cover: build:recipe NAME updates its recipe's rows and keeps the others.
func keepOtherRows(path string, m *matrix.Matrix) {
	old, err := matrix.Load(path)
	if err != nil {
		return // no matrix yet, or one of another schema: start afresh
	}
	have := map[matrix.Key]bool{}
	for _, r := range m.Rows {
		have[r.Key()] = true
	}
	for _, r := range old.Rows {
		if !have[r.Key()] {
			m.Rows = append(m.Rows, r)
		}
	}
	m.Sort()
}
