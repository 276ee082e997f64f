package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/merge"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/shard"
	"github.com/fromscratch/fromscratch/internal/toolchain"
	"github.com/fromscratch/fromscratch/internal/workspace"
)

// prebuiltToolchain is the toolchain name of prebuilt recipes' cells.
const prebuiltToolchain = "prebuilt"

// Plan prints the shard matrix of ci:plan as one line of JSON, ready for
// `strategy.matrix: ${{ fromJSON(...) }}`: one shard per platform, or per
// platform and toolchain (FROMSCRATCH_SHARDS=toolchain), within
// FROMSCRATCH_PLATFORMS and FROMSCRATCH_TOOLCHAINS.
func (c *CLI) Plan(_ context.Context) error {
	cfg, defs, err := c.configAndToolchains()
	if err != nil {
		return err
	}
	m, err := plan(cfg, defs)
	if err != nil {
		return err
	}
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.out, "%s\n", data)
	return err
}

// plan is Plan without printing.
func plan(cfg Config, defs []*toolchain.Definition) (shard.Matrix, error) {
	var tcs []shard.Toolchain
	for _, d := range defs {
		t := shard.Toolchain{Name: d.Name}
		for _, tg := range d.Targets {
			t.Platforms = append(t.Platforms, tg.Platform)
		}
		tcs = append(tcs, t)
	}
	if hasPrebuilt(filepath.Join(cfg.Root, "recipes"), cfg.Recipes) {
		tcs = append(tcs, shard.Toolchain{Name: prebuiltToolchain}) // rides along with a shard per platform
	}
	if len(cfg.Toolchains) > 0 {
		var only []shard.Toolchain
		for _, t := range tcs {
			if contains(cfg.Toolchains, t.Name) {
				only = append(only, t)
			}
		}
		if len(only) != len(cfg.Toolchains) {
			return shard.Matrix{}, fmt.Errorf("FROMSCRATCH_TOOLCHAINS=%q: unknown toolchain (have %v)", strings.Join(cfg.Toolchains, ","), tcs)
		}
		tcs = only
	}
	m, err := shard.Plan(cfg.Shards, cfg.Platforms, tcs)
	if err != nil {
		return m, fmt.Errorf("FROMSCRATCH_SHARDS: %w", err)
	}
	if len(cfg.Toolchains) > 0 { // the selection holds in every shard
		for i, s := range m.Include {
			if s.Toolchains == "" {
				ps, _ := parsePlatforms(s.Platforms)
				m.Include[i].Toolchains = strings.Join(cfg.Toolchains, ",")
				m.Include[i].Name = shard.Name(ps, cfg.Toolchains)
			}
		}
	}
	return m, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func parsePlatforms(s string) ([]recipe.Platform, error) {
	return recipe.ParsePlatforms(splitList(s))
}

// hasPrebuilt says whether a recipe (of names, or any) packs a prebuilt
// file.
func hasPrebuilt(dir string, names []string) bool {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if !e.IsDir() || (len(names) > 0 && !contains(names, e.Name())) {
			continue
		}
		if r, err := recipe.Load(filepath.Join(dir, e.Name())); err == nil && r.Prebuilt != "" {
			return true
		}
	}
	return false
}

// commit is the commit being built: $GITHUB_SHA, else the checkout's
// HEAD (read from .git, no git process), else empty (outside git).
func (c *CLI) commit(_ context.Context, cfg Config) string {
	if cfg.Commit != "" {
		return cfg.Commit
	}
	return workspace.Revision(cfg.Root)
}

// manifest describes what a build:all with opts accounts for, from the
// report's cells and their rows.
func (c *CLI) manifest(ctx context.Context, cfg Config, opts pipeline.Options, cells []shard.Cell) (*shard.Manifest, error) {
	inputs, err := shard.InputsDigest(cfg.Root)
	if err != nil {
		return nil, err
	}
	m := &shard.Manifest{
		SchemaVersion: shard.SchemaVersion,
		Name:          shard.Name(opts.Platforms, opts.Toolchains),
		Commit:        c.commit(ctx, cfg), Inputs: inputs, Version: Version,
		SourceDateEpoch: cfg.BuildDate.Unix(),
		Platforms:       []string{}, Toolchains: append([]string{}, opts.Toolchains...), Recipes: append([]string{}, opts.Recipes...),
		Cells: cells,
	}
	for _, p := range opts.Platforms {
		m.Platforms = append(m.Platforms, string(p))
	}
	return m, nil
}

// writeManifest writes out/shard.json after a build:all: the cells of
// this run, with the status and digest of their rows.
func (c *CLI) writeManifest(ctx context.Context, cfg Config, opts pipeline.Options, rep *pipeline.Report) error {
	if rep.Matrix == nil {
		return nil
	}
	mine := map[matrix.Key]bool{}
	for _, j := range rep.Jobs {
		mine[matrix.Key{Recipe: j.Cell.Recipe, Platform: string(j.Cell.Platform), Toolchain: j.Cell.Toolchain, Linkage: string(j.Cell.Linkage)}] = true
	}
	cells := []shard.Cell{}
	for _, r := range rep.Matrix.Rows {
		if mine[r.Key()] {
			cells = append(cells, merge.Cell(r))
		}
	}
	m, err := c.manifest(ctx, cfg, opts, cells)
	if err != nil {
		return fmt.Errorf("writing %s: %w", shard.ManifestFile, err)
	}
	return m.Write(cfg.OutDir)
}
