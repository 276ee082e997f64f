package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/shard"
	"github.com/fromscratch/fromscratch/internal/toolchain"
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
	var ps []recipe.Platform
	for _, f := range splitList(s) {
		p, err := recipe.ParsePlatform(f)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
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

// commit is the commit being built: $GITHUB_SHA, else git rev-parse
// HEAD, else empty (outside git).
func (c *CLI) commit(ctx context.Context, cfg Config) string {
	if cfg.Commit != "" {
		return cfg.Commit
	}
	out, err := c.run(ctx, toolchain.Command{Args: []string{"git", "rev-parse", "HEAD"}, Dir: cfg.Root},
		[]string{"PATH=" + strings.Join(cfg.HostPath, string(filepath.ListSeparator)), "HOME=" + cfg.Home, "LC_ALL=C"})
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
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
			cells = append(cells, cellOf(r))
		}
	}
	m, err := c.manifest(ctx, cfg, opts, cells)
	if err != nil {
		return fmt.Errorf("writing %s: %w", shard.ManifestFile, err)
	}
	return m.Write(cfg.OutDir)
}

func cellOf(r matrix.Row) shard.Cell {
	return shard.Cell{Recipe: r.Recipe, Platform: r.Platform, Toolchain: r.Toolchain, Linkage: r.Linkage, Status: string(r.Status), Digest: r.Digest}
}

// mergedOutputs are what matrix:merge replaces in out/.
var mergedOutputs = []string{"bin", "docker", "oci", "release", "matrix.json", "matrix.csv", "matrix.md", "matrix.svg", shard.ManifestFile}

// Merge combines the outputs of shard builds (each an out/ with its
// shard.json) into out/: the cells' folders, the docker archives, per
// recipe one OCI layout with its multi-arch indexes, the matrix in all
// four renderings and a manifest of the whole. The result has the bytes a
// single build:all of the same commit writes (the smoke runs' durations
// are each shard's). It refuses, naming shards and cells, what
// shard.Assign refuses; FROMSCRATCH_PARTIAL=1 accepts missing cells. Each
// argument may hold several directories, comma- or space-separated.
func (c *CLI) Merge(ctx context.Context, args []string) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	var dirs []string
	for _, a := range args {
		for _, d := range strings.FieldsFunc(a, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' }) {
			abs, err := filepath.Abs(d)
			if err != nil {
				return err
			}
			if abs == cfg.OutDir {
				return fmt.Errorf("merging: %s is the output directory itself: merge into another FROMSCRATCH_OUT", d)
			}
			dirs = append(dirs, abs)
		}
	}
	srcs, err := shard.ReadSources(dirs)
	if err != nil {
		return fmt.Errorf("merging: %w", err)
	}
	if len(srcs) == 0 {
		return errors.New("merging: no shard directories given")
	}
	inputs, err := shard.InputsDigest(cfg.Root)
	if err != nil {
		return err
	}
	opts := c.options(cfg)
	opts.Recipes = srcs[0].Manifest.Recipes
	inv, err := pipeline.New(opts, pipeline.WithRunner(c.run)).Inventory(ctx)
	if err != nil {
		return err
	}
	if err := inv.CheckToolchains(cfg.Toolchains); err != nil {
		return fmt.Errorf("FROMSCRATCH_TOOLCHAINS: %w", err)
	}
	var want []string
	for _, j := range inv.JobsFor(cfg.Platforms, cfg.Toolchains) {
		want = append(want, j.Cell.String())
	}
	owned, err := shard.Assign(srcs, shard.Want{Cells: want, Inputs: inputs, Partial: cfg.PartialMerge})
	if err != nil {
		return err
	}
	unlock, err := lockOut(cfg.OutDir, c.out)
	if err != nil {
		return err
	}
	defer unlock()
	// Everything is written into a temporary folder of out/ first and
	// swapped in only when complete: a merge that fails halfway (a damaged
	// shard, a full disk) leaves the previous out/ as it was.
	tmp, err := os.MkdirTemp(cfg.OutDir, ".merge"+pipeline.TempMark)
	if err != nil {
		return fmt.Errorf("merging: %w", err)
	}
	defer os.RemoveAll(tmp)
	m, err := writeMerged(tmp, owned)
	if err != nil {
		return fmt.Errorf("%w (%s is unchanged)", err, relTo(cfg.Root, cfg.OutDir))
	}
	var cells []shard.Cell
	for _, o := range owned {
		cells = append(cells, o.Cell)
	}
	sel := opts
	sel.Platforms, sel.Toolchains = cfg.Platforms, cfg.Toolchains
	man, err := c.manifest(ctx, cfg, sel, nil)
	if err != nil {
		return err
	}
	first := srcs[0].Manifest
	man.Commit, man.Version, man.SourceDateEpoch, man.Cells = first.Commit, first.Version, first.SourceDateEpoch, sortedCells(cells, m)
	if len(owned) < len(want) {
		man.Name = "partial"
	}
	if err := man.Write(tmp); err != nil {
		return fmt.Errorf("%w (%s is unchanged)", err, relTo(cfg.Root, cfg.OutDir))
	}
	if err := swapIn(tmp, cfg.OutDir, mergedOutputs); err != nil {
		return err
	}
	built := 0
	for _, o := range owned {
		if o.Cell.Status == string(matrix.StatusBuilt) {
			built++
		}
	}
	var names []string
	for _, s := range srcs {
		names = append(names, s.Manifest.Name)
	}
	sort.Strings(names)
	fmt.Fprintf(c.out, "merged %d shard(s) (%s): %d cells, %d built, into %s\n", len(srcs), strings.Join(names, ", "), len(owned), built, cfg.OutDir)
	return appendStepSummary(cfg.StepSummary, m)
}

// sortedCells puts the cells in the matrix's order, as a build writes them.
func sortedCells(cells []shard.Cell, m *matrix.Matrix) []shard.Cell {
	byKey := map[matrix.Key]shard.Cell{}
	for _, c := range cells {
		byKey[matrix.Key{Recipe: c.Recipe, Platform: c.Platform, Toolchain: c.Toolchain, Linkage: c.Linkage}] = c
	}
	out := []shard.Cell{}
	for _, r := range m.Rows {
		if c, ok := byKey[r.Key()]; ok {
			out = append(out, c)
		}
	}
	return out
}

// writeMerged writes the owned cells' folders, archives, layouts and
// matrix into out and returns the matrix.
func writeMerged(out string, owned []shard.Owned) (*matrix.Matrix, error) {
	rows := map[string]map[matrix.Key]matrix.Row{} // by shard directory
	m := &matrix.Matrix{SchemaVersion: matrix.SchemaVersion}
	type variant struct{ recipe, name string }
	images := map[variant][]image.Image{}
	for _, o := range owned {
		dir := o.Source.Dir
		if rows[dir] == nil {
			sm, err := matrix.Load(filepath.Join(dir, "matrix.json"))
			if err != nil {
				return nil, fmt.Errorf("merging shard %s: %w", o.Source, err)
			}
			rows[dir] = map[matrix.Key]matrix.Row{}
			for _, r := range sm.Rows {
				rows[dir][r.Key()] = r
			}
		}
		cell := recipe.Cell{Recipe: o.Cell.Recipe, Platform: recipe.Platform(o.Cell.Platform), Toolchain: o.Cell.Toolchain, Linkage: recipe.Linkage(o.Cell.Linkage)}
		row, ok := rows[dir][matrix.Key{Recipe: cell.Recipe, Platform: o.Cell.Platform, Toolchain: cell.Toolchain, Linkage: o.Cell.Linkage}]
		if !ok || cellOf(row) != o.Cell {
			return nil, fmt.Errorf("merging: cell %s: shard %s's matrix.json does not match its %s (%v)", o.Cell, o.Source, shard.ManifestFile, ok)
		}
		m.Rows = append(m.Rows, row)
		if err := copyCellDir(filepath.Join(dir, filepath.FromSlash(cell.BinDir())), filepath.Join(out, filepath.FromSlash(cell.BinDir()))); err != nil {
			return nil, fmt.Errorf("merging cell %s from shard %s: %w", cell, o.Source, err)
		}
		if row.Status != matrix.StatusBuilt {
			continue
		}
		img, err := image.Lookup(filepath.Join(dir, "oci", cell.Recipe), cell.Variant(), o.Cell.Platform)
		if err != nil {
			return nil, fmt.Errorf("merging cell %s from shard %s: %w", cell, o.Source, err)
		}
		if d, err := img.Digest(); err != nil || d.String() != o.Cell.Digest {
			return nil, fmt.Errorf("merging cell %s: shard %s's layout holds image %v, its matrix says %s (%v)", cell, o.Source, d, o.Cell.Digest, err)
		}
		v := variant{cell.Recipe, cell.Variant()}
		images[v] = append(images[v], img)
		arch := filepath.FromSlash(cell.ArchiveFile())
		if err := os.MkdirAll(filepath.Join(out, "docker"), 0o755); err != nil {
			return nil, err
		}
		if err := atomicfile.Copy(filepath.Join(dir, arch), filepath.Join(out, arch), 0o644); err != nil {
			return nil, fmt.Errorf("merging cell %s from shard %s: %w", cell, o.Source, err)
		}
	}
	byRecipe := map[string][]image.Index{}
	for v, imgs := range images {
		byRecipe[v.recipe] = append(byRecipe[v.recipe], image.Index{Name: v.name, Images: imgs})
	}
	for name, indexes := range byRecipe {
		if err := image.WriteLayout(filepath.Join(out, "oci", name), indexes); err != nil {
			return nil, fmt.Errorf("merging: writing OCI layout of %s: %w", name, err)
		}
	}
	m.Sort()
	if err := matrix.WriteAll(out, m); err != nil {
		return nil, fmt.Errorf("merging: writing the matrix: %w", err)
	}
	return m, nil
}

// copyCellDir copies the regular files under src to dst with their
// permission bits; a missing src copies nothing.
func copyCellDir(src, dst string) error {
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return atomicfile.Copy(p, target, info.Mode().Perm())
	})
}

// swapIn replaces the names of out with those of tmp (a name tmp lacks is
// removed from out): the previous entries are first moved aside into a
// temporary folder, then the new ones renamed into place. Renames within
// one directory do not fail for want of space; a run killed between two of
// them leaves temporary folders that the next run sweeps.
func swapIn(tmp, out string, names []string) error {
	old, err := os.MkdirTemp(out, ".merge-old"+pipeline.TempMark)
	if err != nil {
		return fmt.Errorf("merging: %w", err)
	}
	defer os.RemoveAll(old)
	var moved, placed []string
	restore := func(err error) error {
		for _, name := range placed {
			os.RemoveAll(filepath.Join(out, name))
		}
		for _, name := range moved {
			os.Rename(filepath.Join(old, name), filepath.Join(out, name))
		}
		return fmt.Errorf("%w (the previous outputs were put back)", err)
	}
	for _, name := range names {
		err := os.Rename(filepath.Join(out, name), filepath.Join(old, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return restore(fmt.Errorf("merging: moving the previous %s aside: %w", name, err))
		}
		moved = append(moved, name)
	}
	for _, name := range names {
		err := os.Rename(filepath.Join(tmp, name), filepath.Join(out, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return restore(fmt.Errorf("merging: putting %s in place: %w", name, err))
		}
		placed = append(placed, name)
	}
	return nil
}
