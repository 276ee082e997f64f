// Package pipeline is fromscratch's engine: it turns the matrix of cells
// (recipe x platform x toolchain x linkage) into binaries, checks their
// linkage, resolves their shared-library closure, packs scratch images,
// smoke-runs them and makes the size rows. Each cell goes through a fixed,
// ordered list of small steps; one failing cell never stops the others.
//
// A Builder carries everything a run depends on: its Options, the runner
// that starts compilers, the action cache and the digest memo. Nothing is
// read from the environment or the context besides cancellation.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/fromscratch/fromscratch/internal/cache"
	"github.com/fromscratch/fromscratch/internal/debian"
	"github.com/fromscratch/fromscratch/internal/elfdeps"
	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/smoke"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// Options say where things are and how to run. They are read-only once a
// run starts; steps pass results forward in the Result.
type Options struct {
	Root string // the project: holds recipes/ (and maybe toolchains/)
	// ToolchainDir holds the toolchain files and locks; "" is
	// Root/toolchains.
	ToolchainDir string
	OutDir       string // out/
	CacheDir     string // outside the repository
	Jobs         int    // parallel cells; 0 = 1
	// Recipes, Platforms, Toolchains and Linkages limit the run; empty =
	// all (Platforms: every platform of recipe.Platforms). Toolchains
	// names toolchain files, or "prebuilt" for the cells of prebuilt
	// recipes.
	Recipes    []string
	Platforms  []recipe.Platform
	Toolchains []string
	Linkages   []recipe.Linkage
	// RequireAll turns an unavailable toolchain into a failure (CI).
	RequireAll bool
	// Smoke runs every image after building it.
	Smoke bool
	// ReuseBinaries packs images from the binaries already in out/bin
	// instead of compiling (image:all, image:run).
	ReuseBinaries bool
	// NoCache compiles every cell even when the action cache has it.
	NoCache bool
	// CacheLink restores from the action cache by hard link.
	CacheLink bool
	// BuildDate is the one date every artifact carries.
	BuildDate time.Time
	// Source (a repository URL) and Revision (a git commit) go into every
	// image's OCI annotations and labels; empty ones are left out.
	Source, Revision string
	// HostPath is the PATH toolchains are looked for in, after their own
	// provisioned directories.
	HostPath []string
	// EngineEnv is where the docker CLI's PATH, HOME and DOCKER_HOST come
	// from (KEY=VALUE entries).
	EngineEnv []string
	// AptSources are the machine's apt sources (the mirror Debian source
	// and runtime packages are fetched from first, in Go); nil reads
	// debian.SourceFiles.
	AptSources []byte
	// StallTimeout is how long a source download may receive nothing
	// before it fails; 0: download.DefaultStall.
	StallTimeout time.Duration
	// Progress hears about each phase and cell; nil is silent.
	Progress Progress
	// BuildRoot is the pinned root every build step runs in, sandboxed;
	// nil runs the steps on the host with its compilers (bench's
	// side-by-side measurement only).
	BuildRoot *BuildRoot
	// NoScanData leaves out what scanners read (scandata.go): the package
	// note of compiled programs, the dpkg status entries and the SBOM in
	// the image.
	NoScanData bool
	// FromscratchVersion is this tool's version, the creator of the SBOM
	// an image carries.
	FromscratchVersion string
}

// toolchainDir is where the toolchain files and locks are read.
func (o Options) toolchainDir() string {
	if o.ToolchainDir != "" {
		return o.ToolchainDir
	}
	return filepath.Join(o.Root, "toolchains")
}

// Builder runs the engine. Construct it with New.
type Builder struct {
	opts  Options
	run   toolchain.Runner
	store *cache.ReadThrough // nil: no action cache
	memo  *cache.Memo        // file digests, kept across runs in the cache dir

	libsMu sync.Mutex
	libs   map[string]*libStage      // library stages of this run, by key
	libDir string                    // where they are
	root   hermetic                  // the build root, assembled once per run
	elf    elfdeps.Memo              // ELF files read for closures, once per run
	layout layouts                   // out/'s OCI layouts read for reuse, once per run
	facts  rootFacts                 // its Debian facts, read once per run
	lic    licenses                  // the recipes' licences, read once per run
	rts    onceEach[*debian.Runtime] // the pinned runtimes, prepared once per run, by platform, arch and packages
}

// Option changes a Builder made by New.
type Option func(*Builder)

// WithRunner makes the Builder start compilers through run (tests pass a
// fake, bench a timed runner). The default is toolchain.Exec.
func WithRunner(run toolchain.Runner) Option { return func(b *Builder) { b.run = run } }

// WithRemoteCache puts remote (nil: none) behind the action cache: a
// local miss is looked up there and every compiled entry is written there
// too. warn hears once that the remote cannot be used, and about each
// corrupt entry, which is rebuilt; the build never fails for it.
func WithRemoteCache(remote cache.Remote, warn func(error)) Option {
	return func(b *Builder) {
		if b.store != nil {
			b.store.Remote, b.store.Warn = remote, warn
		}
	}
}

// New returns a Builder for opts. The action cache and the digest memo
// live in opts.CacheDir.
func New(opts Options, options ...Option) *Builder {
	b := &Builder{opts: opts, run: toolchain.Exec, memo: cache.LoadMemo(filepath.Join(opts.CacheDir, "digests.json"))}
	if !opts.NoCache {
		b.store = &cache.ReadThrough{Store: cache.Store{Dir: filepath.Join(opts.CacheDir, "actions"), Link: opts.CacheLink}}
	}
	if b.opts.Jobs < 1 {
		b.opts.Jobs = 1
	}
	if b.opts.Progress == nil {
		b.opts.Progress = silent{}
	}
	for _, o := range options {
		o(b)
	}
	return b
}

// Report is the outcome of a run: every cell, built or not.
type Report struct {
	Jobs    []Job
	Results map[string]*Result // by Cell.String(), cells that ran only
	Matrix  *matrix.Matrix
	// LeftOut counts the cells image:all and image:run left out: no
	// binary in out/bin.
	LeftOut int
	// others are the rows out/matrix.json had for the cells a run of
	// part of the matrix does not cover: kept, with their images.
	others []matrix.Row
	// digest hashes files for Rows: the Builder's memo.
	digest digester
}

// knownSmokes gives a run without smoke runs the passes its stamps
// recorded for exactly these images, so that repacking the same images
// does not forget that they ran.
func (b *Builder) knownSmokes(rep *Report) {
	for _, r := range rep.Results {
		if r.Err != nil || r.Archive == "" {
			continue
		}
		if res, ok := r.stamp.smokePassed(smokeKey(r.Digest, r.Job.Recipe)); ok {
			r.Smoke, r.SmokeRecorded = res, true
		}
	}
}

// Failed lists the cells that failed, including unavailable toolchains
// when they are required.
func (rep *Report) Failed(requireAll bool) []string {
	var out []string
	for _, j := range rep.Jobs {
		r := rep.Results[j.Cell.String()]
		switch {
		case j.Status == matrix.StatusFailed:
			out = append(out, j.Cell.String())
		case r != nil && (r.Err != nil || r.Smoke.Status == smoke.StatusFail):
			out = append(out, j.Cell.String())
		case j.Status == matrix.StatusUnavailable && requireAll:
			out = append(out, j.Cell.String())
		}
	}
	return out
}

// Build builds every selected cell in parallel, writes the docker
// archives, one OCI layout per recipe and the matrix, smoke-runs the images
// when asked, and returns an error naming how many cells failed.
func (b *Builder) Build(ctx context.Context) (*Report, error) {
	b.layout.forget()
	b.rts.forget()
	if err := writableCache(b.opts.CacheDir); err != nil {
		return nil, err
	}
	inv, err := b.Inventory(ctx)
	if err != nil {
		return nil, err
	}
	if err := inv.CheckToolchains(b.opts.Toolchains); err != nil {
		return nil, err
	}
	defer b.removeLibraryDir()
	rep := &Report{Results: map[string]*Result{}, digest: b.memo.Digest}
	var todo []Job
	for _, j := range inv.JobsFor(b.opts.Platforms, b.opts.Toolchains) {
		if len(b.opts.Linkages) > 0 && !slices.Contains(b.opts.Linkages, j.Cell.Linkage) {
			continue
		}
		if b.opts.ReuseBinaries && j.Recipe.Prebuilt == "" {
			// image:all and image:run pack what out/bin holds; a cell
			// with no binary there (not built, not applicable, failed)
			// is not part of the run, and its row stays as it was.
			if _, err := os.Stat(filepath.Join(b.cellDir(j.Cell), j.Recipe.Name)); err != nil {
				rep.LeftOut++
				continue
			}
		}
		rep.Jobs = append(rep.Jobs, j)
		if j.Status == "" {
			todo = append(todo, j)
		}
	}
	var dropped []matrix.Row
	rep.others, dropped = b.otherRows(rep, inv.Known)
	b.forEach(ctx, "build", todo, func(ctx context.Context, j Job) *Result {
		r := b.runCell(ctx, j)
		rep.put(r)
		return r
	}, func(r *Result) error { return r.Err })
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("building: %w", err)
	}
	var errs []error
	if err := b.memo.Save(); err != nil {
		errs = append(errs, fmt.Errorf("saving file digests: %w", err))
	}
	if err := b.writeLayouts(rep); err != nil {
		errs = append(errs, err)
	}
	if b.opts.Smoke {
		b.smokeAll(ctx, rep)
	} else {
		b.knownSmokes(rep)
	}
	rep.Matrix = Rows(rep)
	if len(rep.others) > 0 {
		rep.Matrix.Rows = append(rep.Matrix.Rows, rep.others...)
		rep.Matrix.Sort()
	}
	if err := matrix.WriteAll(b.opts.OutDir, rep.Matrix); err != nil {
		errs = append(errs, fmt.Errorf("writing the matrix: %w", err))
	}
	if err := b.removeStale(rep, dropped); err != nil {
		errs = append(errs, err)
	}
	if failed := rep.Failed(b.opts.RequireAll); len(failed) > 0 {
		errs = append(errs, fmt.Errorf("%d cell(s) failed: see the summary above and %s", len(failed), b.rel(outdir.Path(b.opts.OutDir).MatrixMarkdown())))
	}
	return rep, errors.Join(errs...)
}

var repMu sync.Mutex

func (rep *Report) put(r *Result) {
	repMu.Lock()
	defer repMu.Unlock()
	rep.Results[r.Job.Cell.String()] = r
}

// writeLayouts writes out/oci/<recipe>/: per toolchain-linkage one
// multi-arch index over the platforms that built. A recipe whose images
// were all reused keeps its layout.
func (b *Builder) writeLayouts(rep *Report) error {
	byRecipe := map[string]map[string][]image.Image{}
	changed := map[string]bool{}
	var recipes []string
	for _, j := range rep.Jobs {
		r := rep.Results[j.Cell.String()]
		if r == nil || r.Err != nil || r.Image == nil {
			changed[j.Cell.Recipe] = changed[j.Cell.Recipe] || (r != nil && r.Err != nil)
			continue
		}
		changed[j.Cell.Recipe] = changed[j.Cell.Recipe] || !r.ImageReused
		if byRecipe[j.Cell.Recipe] == nil {
			byRecipe[j.Cell.Recipe] = map[string][]image.Image{}
			recipes = append(recipes, j.Cell.Recipe)
		}
		byRecipe[j.Cell.Recipe][j.Cell.Variant()] = append(byRecipe[j.Cell.Recipe][j.Cell.Variant()], r.Image)
	}
	sort.Strings(recipes)
	var errs []error
	for _, name := range recipes {
		if !changed[name] {
			continue
		}
		b.keepOtherImages(rep, name, byRecipe[name])
		var indexes []image.Index
		for variant, imgs := range byRecipe[name] {
			indexes = append(indexes, image.Index{Name: variant, Images: imgs})
		}
		sort.Slice(indexes, func(a, b int) bool { return indexes[a].Name < indexes[b].Name })
		dir := outdir.Path(b.opts.OutDir).OCI(name)
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := image.WriteLayout(dir, indexes); err != nil {
			errs = append(errs, fmt.Errorf("writing OCI layout of %s: %w", name, err))
			continue
		}
		b.recordLayout(rep, name)
	}
	return errors.Join(errs...)
}

// otherRows are the rows of out/matrix.json for the cells this run does
// not cover, when it covers part of the matrix (some recipes, platforms or
// toolchains; image:all without every binary): build:recipe NAME updates
// its recipe's rows and keeps the others. A row of another version of its
// recipe than the one in known (the recipes of the project), or of a
// recipe that is gone, is dropped, never shown as current: those are
// returned second, for removeStale. None when there is no matrix yet, or
// one of another schema. A run of the whole matrix keeps none and drops
// the rows of recipes that are gone.
func (b *Builder) otherRows(rep *Report, known []*recipe.Recipe) (kept, dropped []matrix.Row) {
	old, err := matrix.Load(outdir.Path(b.opts.OutDir).Matrix())
	if err != nil {
		return nil, nil
	}
	partial := len(b.opts.Recipes) > 0 || len(b.opts.Platforms) > 0 || len(b.opts.Toolchains) > 0 || len(b.opts.Linkages) > 0 || rep.LeftOut > 0
	inRun := map[matrix.Key]bool{}
	for _, j := range rep.Jobs {
		inRun[matrix.Key{Recipe: j.Cell.Recipe, Platform: string(j.Cell.Platform), Toolchain: j.Cell.Toolchain, Linkage: string(j.Cell.Linkage)}] = true
	}
	byName := map[string]*recipe.Recipe{}
	for _, rc := range known {
		byName[rc.Name] = rc
	}
	versions := newRecipeVersions(b.memo.Digest)
	for _, r := range old.Rows {
		rc := byName[r.Recipe]
		switch {
		case inRun[r.Key()]:
		case rc == nil || r.RecipeVersion != versions.of(rc):
			dropped = append(dropped, r)
		case partial:
			kept = append(kept, r)
		default:
			dropped = append(dropped, r) // a whole run covers every cell that can be: this one no longer is
		}
	}
	return kept, dropped
}

// safeName is a recipe's or toolchain's name as a dropped row may give
// it: one path element of out/, never "..".
var safeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)

// removeStale removes from out/ what would outlive its row: the docker
// archive (and single-image layout, images/<stem>) of a cell that failed in this run (its folder holds this run's
// build.log already), the archive and folder of a cell this run found not
// applicable, and those of a dropped row (an older version of its recipe,
// or a recipe that is gone, with the recipe's OCI layout then). A later
// image:all packs what out/bin holds, and a user loads what out/docker
// holds: neither may be older than the matrix says.
func (b *Builder) removeStale(rep *Report, dropped []matrix.Row) error {
	out := outdir.Path(b.opts.OutDir)
	var errs []error
	remove := func(p string) {
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, fmt.Errorf("removing the stale %s: %w", b.rel(p), err))
		}
	}
	for _, j := range rep.Jobs {
		switch r := rep.Results[j.Cell.String()]; {
		case j.Status != "":
			remove(out.Archive(j.Cell))
			remove(out.Image(j.Cell))
			remove(out.Bin(j.Cell))
		case r != nil && r.Err != nil:
			remove(out.Archive(j.Cell))
			remove(out.Image(j.Cell))
		}
	}
	gone := map[string]bool{}
	for _, r := range dropped {
		p, err := recipe.ParsePlatform(r.Platform)
		if err != nil || !safeName.MatchString(r.Recipe) || !safeName.MatchString(r.Toolchain) ||
			(r.Linkage != string(recipe.Static) && r.Linkage != string(recipe.Dynamic)) {
			continue // a damaged matrix.json names no path of out/ to remove
		}
		c := recipe.Cell{Recipe: r.Recipe, Platform: p, Toolchain: r.Toolchain, Linkage: recipe.Linkage(r.Linkage)}
		remove(out.Archive(c))
		remove(out.Image(c))
		remove(out.Bin(c))
		gone[r.Recipe] = true
	}
	for _, j := range rep.Jobs {
		delete(gone, j.Cell.Recipe)
	}
	for _, r := range rep.others {
		delete(gone, r.Recipe)
	}
	for name := range gone {
		remove(out.OCI(name))
		remove(filepath.Dir(filepath.Dir(out.Bin(recipe.Cell{Recipe: name, Platform: recipe.AMD64})))) // bin/<recipe>
	}
	return errors.Join(errs...)
}

// keepOtherImages adds to imgs (by variant) the images out/ already has
// of recipe's kept rows (rep.others), those with the rows' digests, so
// that the rewritten layout and the matrix agree.
func (b *Builder) keepOtherImages(rep *Report, recipe string, imgs map[string][]image.Image) {
	dir := outdir.Path(b.opts.OutDir).OCI(recipe)
	for _, row := range rep.others {
		if row.Recipe != recipe || row.Status != matrix.StatusBuilt || row.Digest == "" {
			continue
		}
		variant := row.Toolchain + "-" + row.Linkage
		img, err := image.Lookup(dir, variant, row.Platform)
		if err != nil {
			continue
		}
		if d, err := img.Digest(); err == nil && d.String() == row.Digest {
			imgs[variant] = append(imgs[variant], img)
		}
	}
}
