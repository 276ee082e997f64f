// Package merge is matrix:merge: the outputs of shard builds (each an
// out/ with its shard.json) combined into one out/ with the bytes a single
// build:all of the same commit writes.
package merge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/shard"
	"github.com/fromscratch/fromscratch/internal/toolchain"
	"github.com/fromscratch/fromscratch/internal/workspace"
)

// Options are what a merge needs from the front door.
type Options struct {
	// Engine are the configuration's engine options: the root, out/, the
	// platforms and toolchains the merge must account for.
	Engine pipeline.Options
	Run    toolchain.Runner
	// Partial accepts cells that no shard built (FROMSCRATCH_PARTIAL).
	Partial bool
	// Manifest is the front door's manifest of a build of some options,
	// without cells (the merge sets them, and the commit, version and build
	// date of the shards).
	Manifest func(context.Context, pipeline.Options) (*shard.Manifest, error)
	// StepSummary is where the merged matrix is appended, if anywhere
	// ($GITHUB_STEP_SUMMARY).
	StepSummary string
	Log         io.Writer
}

// Cell is the shard manifest's cell of a matrix row.
func Cell(r matrix.Row) shard.Cell {
	return shard.Cell{Recipe: r.Recipe, Platform: r.Platform, Toolchain: r.Toolchain, Linkage: r.Linkage, Status: string(r.Status), Digest: r.Digest}
}

// Shards combines the outputs of shard builds (each an out/ with its
// shard.json) into out/: the cells' folders, the docker archives, per
// recipe one OCI layout with its multi-arch indexes, the matrix in all
// four renderings and a manifest of the whole. The result has the bytes a
// single build:all of the same commit writes (the smoke runs' durations
// are each shard's). It refuses, naming shards and cells, what
// shard.Assign refuses; FROMSCRATCH_PARTIAL=1 accepts missing cells. Each
// argument may hold several directories, comma- or space-separated.
func Shards(ctx context.Context, o Options, args []string) error {
	opts := o.Engine
	dirs, err := shardDirs(args, opts.OutDir)
	if err != nil {
		return err
	}
	srcs, err := shard.ReadSources(dirs)
	if err != nil {
		return fmt.Errorf("merging: %w", err)
	}
	if len(srcs) == 0 {
		return errors.New("merging: no shard directories given")
	}
	inputs, err := shard.InputsDigest(opts.Root)
	if err != nil {
		return err
	}
	opts.Recipes = srcs[0].Manifest.Recipes
	inv, err := pipeline.New(opts, pipeline.WithRunner(o.Run)).Inventory(ctx)
	if err != nil {
		return err
	}
	if err := inv.CheckToolchains(opts.Toolchains); err != nil {
		return fmt.Errorf("FROMSCRATCH_TOOLCHAINS: %w", err)
	}
	var want []string
	for _, j := range inv.JobsFor(opts.Platforms, opts.Toolchains) {
		want = append(want, j.Cell.String())
	}
	owned, err := shard.Assign(srcs, shard.Want{Cells: want, Inputs: inputs, Partial: o.Partial})
	if err != nil {
		return err
	}
	unlock, err := outdir.Path(opts.OutDir).Lock(o.Log)
	if err != nil {
		return err
	}
	defer unlock()
	// Everything is written into a temporary folder of out/ first and
	// swapped in only when complete: a merge that fails halfway (a damaged
	// shard, a full disk) leaves the previous out/ as it was.
	tmp, err := os.MkdirTemp(opts.OutDir, ".merge"+outdir.TempMark)
	if err != nil {
		return fmt.Errorf("merging: %w", err)
	}
	defer os.RemoveAll(tmp)
	m, err := writeMerged(outdir.Path(tmp), owned)
	if err != nil {
		return fmt.Errorf("%w (%s is unchanged)", err, workspace.Rel(opts.Root, opts.OutDir))
	}
	var cells []shard.Cell
	for _, ow := range owned {
		cells = append(cells, ow.Cell)
	}
	man, err := o.Manifest(ctx, opts)
	if err != nil {
		return err
	}
	first := srcs[0].Manifest
	man.Commit, man.Version, man.SourceDateEpoch, man.Cells = first.Commit, first.Version, first.SourceDateEpoch, sortedCells(cells, m)
	if len(owned) < len(want) {
		man.Name = "partial"
	}
	if err := man.Write(tmp); err != nil {
		return fmt.Errorf("%w (%s is unchanged)", err, workspace.Rel(opts.Root, opts.OutDir))
	}
	if err := swapIn(tmp, opts.OutDir, outdir.Merged); err != nil {
		return err
	}
	report(o.Log, srcs, owned, opts.OutDir)
	return m.AppendMarkdown(o.StepSummary)
}

// shardDirs are the shard directories of args (each may hold several,
// comma- or space-separated), absolute; out/ itself is refused.
func shardDirs(args []string, out string) ([]string, error) {
	var dirs []string
	for _, a := range args {
		for _, d := range strings.FieldsFunc(a, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' }) {
			abs, err := filepath.Abs(d)
			if err != nil {
				return nil, err
			}
			if abs == out {
				return nil, fmt.Errorf("merging: %s is the output directory itself: merge into another FROMSCRATCH_OUT", d)
			}
			dirs = append(dirs, abs)
		}
	}
	return dirs, nil
}

// report says what was merged: the shards, the cells and how many were built.
func report(w io.Writer, srcs []shard.Source, owned []shard.Owned, out string) {
	built := 0
	for _, ow := range owned {
		if ow.Cell.Status == string(matrix.StatusBuilt) {
			built++
		}
	}
	var names []string
	for _, s := range srcs {
		names = append(names, s.Manifest.Name)
	}
	sort.Strings(names)
	fmt.Fprintf(w, "merged %d shard(s) (%s): %d cells, %d built, into %s\n", len(srcs), strings.Join(names, ", "), len(owned), built, out)
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
func writeMerged(out outdir.Path, owned []shard.Owned) (*matrix.Matrix, error) {
	rows := map[string]map[matrix.Key]matrix.Row{} // by shard directory
	m := &matrix.Matrix{SchemaVersion: matrix.SchemaVersion}
	type variant struct{ recipe, name string }
	images := map[variant][]image.Image{}
	for _, o := range owned {
		dir := o.Source.Dir
		if rows[dir] == nil {
			sm, err := matrix.Load(outdir.Path(dir).Matrix())
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
		if !ok || Cell(row) != o.Cell {
			return nil, fmt.Errorf("merging: cell %s: shard %s's matrix.json does not match its %s (%v)", o.Cell, o.Source, shard.ManifestFile, ok)
		}
		m.Rows = append(m.Rows, row)
		if err := atomicfile.CopyTree(outdir.Path(dir).Bin(cell), out.Bin(cell)); err != nil {
			return nil, fmt.Errorf("merging cell %s from shard %s: %w", cell, o.Source, err)
		}
		if row.Status != matrix.StatusBuilt {
			continue
		}
		img, err := image.Lookup(outdir.Path(dir).OCI(cell.Recipe), cell.Variant(), o.Cell.Platform)
		if err != nil {
			return nil, fmt.Errorf("merging cell %s from shard %s: %w", cell, o.Source, err)
		}
		if d, err := img.Digest(); err != nil || d.String() != o.Cell.Digest {
			return nil, fmt.Errorf("merging cell %s: shard %s's layout holds image %v, its matrix says %s (%v)", cell, o.Source, d, o.Cell.Digest, err)
		}
		v := variant{cell.Recipe, cell.Variant()}
		images[v] = append(images[v], img)
		if err := os.MkdirAll(out.Docker(), 0o755); err != nil {
			return nil, err
		}
		if err := atomicfile.Copy(outdir.Path(dir).Archive(cell), out.Archive(cell), 0o644); err != nil {
			return nil, fmt.Errorf("merging cell %s from shard %s: %w", cell, o.Source, err)
		}
		if err := atomicfile.CopyTree(outdir.Path(dir).Image(cell), out.Image(cell)); err != nil {
			return nil, fmt.Errorf("merging cell %s from shard %s: %w", cell, o.Source, err)
		}
	}
	byRecipe := map[string][]image.Index{}
	for v, imgs := range images {
		byRecipe[v.recipe] = append(byRecipe[v.recipe], image.Index{Name: v.name, Images: imgs})
	}
	for name, indexes := range byRecipe {
		if err := image.WriteLayout(out.OCI(name), indexes); err != nil {
			return nil, fmt.Errorf("merging: writing OCI layout of %s: %w", name, err)
		}
	}
	m.Sort()
	if err := matrix.WriteAll(string(out), m); err != nil {
		return nil, fmt.Errorf("merging: writing the matrix: %w", err)
	}
	return m, nil
}

// swapIn replaces the names of out with those of tmp (a name tmp lacks is
// removed from out): the previous entries are first moved aside into a
// temporary folder, then the new ones renamed into place. Renames within
// one directory do not fail for want of space; a run killed between two of
// them leaves temporary folders that the next run sweeps.
func swapIn(tmp, out string, names []string) error {
	old, err := os.MkdirTemp(out, ".merge-old"+outdir.TempMark)
	if err != nil {
		return fmt.Errorf("merging: %w", err)
	}
	defer os.RemoveAll(old)
	restore := func(moved, placed []string, err error) error {
		for _, name := range placed {
			os.RemoveAll(filepath.Join(out, name))
		}
		for _, name := range moved {
			os.Rename(filepath.Join(old, name), filepath.Join(out, name))
		}
		return fmt.Errorf("%w (the previous outputs were put back)", err)
	}
	moved, name, err := renameAll(out, old, names)
	if err != nil {
		return restore(moved, nil, fmt.Errorf("merging: moving the previous %s aside: %w", name, err))
	}
	placed, name, err := renameAll(tmp, out, names)
	if err != nil {
		return restore(moved, placed, fmt.Errorf("merging: putting %s in place: %w", name, err))
	}
	return nil
}

// renameAll moves each of names that from holds into to, and returns the
// names it moved; on a failure, also the name that failed.
func renameAll(from, to string, names []string) (done []string, failed string, err error) {
	for _, name := range names {
		err := os.Rename(filepath.Join(from, name), filepath.Join(to, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return done, name, err
		}
		done = append(done, name)
	}
	return done, "", nil
}
