package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
	"github.com/fromscratch/fromscratch/internal/elfdeps"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/source"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// phaseTimes adds up the time of a run's commands by their phase.
type phaseTimes struct{ configure, make atomic.Int64 }

// add counts d for phase p; a command of no phase is orchestration, which
// is what is left of the wall time.
func (t *phaseTimes) add(p toolchain.Phase, d time.Duration) {
	switch p {
	case toolchain.PhaseConfigure:
		t.configure.Add(int64(d))
	case toolchain.PhaseMake:
		t.make.Add(int64(d))
	}
}

// phaseRunner wraps a runner and adds the time each command takes to its
// phase (toolchain.Command.Phase).
func phaseRunner(run toolchain.Runner, t *phaseTimes) toolchain.Runner {
	return func(ctx context.Context, c toolchain.Command, env []string) ([]byte, error) {
		start := time.Now()
		out, err := run(ctx, c, env)
		t.add(c.Phase, time.Since(start))
		return out, err
	}
}

// realWay is one way of building a program's cells, measured.
type realWay struct{ Configure, Make, Wall time.Duration }

// Other is the wall time outside configure and make: orchestration
// (fromscratch: toolchain detection, keys, source trees, dependency
// stages, the action cache, closures and images; the plain way: laying
// out the source tree and copying the binary).
func (w realWay) Other() time.Duration { return w.Wall - w.Configure - w.Make }

func (w realWay) plus(o realWay) realWay {
	return realWay{w.Configure + o.Configure, w.Make + o.Make, w.Wall + o.Wall}
}

// realRow is one real program measured three ways on the same cells,
// and a fourth when the build root is on: Host, fromscratch cold with the
// host's compilers and no sandbox (what the build root and bubblewrap
// cost).
type realRow struct {
	Program           string
	Cells             int
	Cold, Warm, Plain realWay
	Host              realWay // zero when not measured
}

// Real measures, in one run, the real programs (recipes with their
// own build system) on the same cells, one cell after another, three
// ways: fromscratch cold (an empty action cache, configure cache and
// out/), fromscratch warm (the action cache the cold run filled, out/
// empty) and the plain way (per cell, by hand: lay out the same pinned
// source, configure and make with the same compiler and flags, the
// libraries it depends on first). Each time is split into configure, make
// and the rest. Each program gets a fresh cache; the source store, zig,
// zig's caches and the pinned Debian runtime packages are FROMSCRATCH_CACHE's,
// shared. Defaults: every real program, gcc, linux/amd64 and linux/arm64.
func (s Suite) Real(ctx context.Context) error {
	opts, programs, base, err := realSetup(s.Options, "real", recipe.AMD64, recipe.ARM64)
	if err != nil {
		return err
	}
	defer os.RemoveAll(base)
	shared := opts.CacheDir
	if missing := missingSources(shared, opts.Root, programs); len(missing) > 0 {
		fmt.Fprintf(s.Out, "bench:real: not in the source store yet (the cold runs download them): %s\n", strings.Join(missing, ", "))
	}
	fmt.Fprintf(s.Out, "bench:real: %s on %s, one cell at a time, make -j%d\n",
		strings.Join(opts.Toolchains, ","), joinPlatforms(opts.Platforms), runtime.NumCPU())
	var rows []realRow
	var errs []error
	for _, name := range programs {
		row, err := s.benchProgram(ctx, opts, shared, filepath.Join(base, name), name)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			fmt.Fprintf(s.Out, "bench:real: %s not measured: %v\n", name, err)
			continue
		}
		rows = append(rows, row)
		fmt.Fprintf(s.Out, "bench:real: %s done (%d cells)\n", name, row.Cells)
	}
	if len(rows) > 0 {
		printReal(s.Out, rows)
	}
	return errors.Join(errs...)
}

// timedBuild builds o with run starting the commands: the time of
// configure, of make and the wall time.
func timedBuild(ctx context.Context, o pipeline.Options, run toolchain.Runner) (realWay, *pipeline.Report, error) {
	var t phaseTimes
	start := time.Now()
	rep, err := pipeline.New(o, pipeline.WithRunner(phaseRunner(run, &t))).Build(ctx)
	return realWay{time.Duration(t.configure.Load()), time.Duration(t.make.Load()), time.Since(start)}, rep, err
}

// realSetup is what bench:real and bench:configure share: the real
// programs opts names (all of them when none), the platforms (platforms
// when opts names none) and toolchains (default gcc), one cell at a time
// without smoke runs or progress, and a temporary folder for the run's
// caches and outputs (bench:<name>), which the caller removes.
func realSetup(opts pipeline.Options, name string, platforms ...recipe.Platform) (pipeline.Options, []string, string, error) {
	programs, err := realPrograms(opts.Root, opts.Recipes)
	if err != nil {
		return opts, nil, "", err
	}
	if len(opts.Platforms) == 0 {
		opts.Platforms = platforms
	}
	if len(opts.Toolchains) == 0 {
		opts.Toolchains = []string{"gcc"}
	}
	opts.Smoke, opts.Jobs, opts.Progress = false, 1, nil
	base, err := os.MkdirTemp("", "fromscratch-bench-"+name+"-")
	return opts, programs, base, err
}

// benchProgram measures one program: cold, warm, then the plain way.
func (s Suite) benchProgram(ctx context.Context, opts pipeline.Options, shared, dir, name string) (realRow, error) {
	opts.CacheDir, opts.OutDir = filepath.Join(dir, "cache"), filepath.Join(dir, "out")
	if err := linkShared(shared, opts.CacheDir); err != nil {
		return realRow{}, err
	}
	opts.Recipes = []string{name}
	measure := func() (realWay, *pipeline.Report, error) {
		w, rep, err := timedBuild(ctx, opts, s.Run)
		return w, rep, cellErrors(rep, err)
	}
	row := realRow{Program: name}
	var rep *pipeline.Report
	var err error
	if row.Cold, rep, err = measure(); err != nil {
		return row, fmt.Errorf("fromscratch cold: %w", err)
	}
	if opts.BuildRoot != nil {
		if row.Host, err = s.hostCold(ctx, opts, shared, dir); err != nil {
			return row, fmt.Errorf("%s: %w", unsandboxed, err)
		}
	}
	if err := os.RemoveAll(opts.OutDir); err != nil {
		return row, err
	}
	if row.Warm, _, err = measure(); err != nil {
		return row, fmt.Errorf("fromscratch warm: %w", err)
	}
	store := &source.Store{Cache: opts.CacheDir}
	var t phaseTimes
	run := phaseRunner(s.Run, &t)
	start := time.Now()
	for _, j := range rep.Jobs {
		if r := rep.Results[j.Cell.String()]; r == nil || r.Err != nil {
			continue
		}
		if err := plainCell(ctx, run, store, j, filepath.Join(dir, "plain", j.Cell.Platform.Arch()+"-"+j.Cell.Variant())); err != nil {
			return row, fmt.Errorf("the plain way, %s: %w", j.Cell, err)
		}
		row.Cells++
	}
	row.Plain = realWay{time.Duration(t.configure.Load()), time.Duration(t.make.Load()), time.Since(start)}
	if row.Cells == 0 {
		return row, errors.New("no cell was built")
	}
	return row, nil
}

// hostCold is the cold build of opts's cells with the host's compilers
// and no sandbox, in a cache and out/ of its own under dir.
func (s Suite) hostCold(ctx context.Context, opts pipeline.Options, shared, dir string) (realWay, error) {
	opts.BuildRoot = nil
	opts.CacheDir, opts.OutDir = filepath.Join(dir, "host", "cache"), filepath.Join(dir, "host", "out")
	if err := linkShared(shared, opts.CacheDir); err != nil {
		return realWay{}, err
	}
	w, rep, err := timedBuild(ctx, opts, s.Run)
	if err = cellErrors(rep, err); err != nil {
		err = fmt.Errorf("%w (this way needs the build tools on the host: the recipe's build system, make, the compilers)", err)
	}
	return w, err
}

// cellErrors is a run's error with each failed cell's reason: the run's
// own error names its summary and out/, which a benchmark neither prints
// nor keeps.
func cellErrors(rep *pipeline.Report, err error) error {
	if err == nil || rep == nil {
		return err
	}
	var errs []error
	for _, j := range rep.Jobs {
		if r := rep.Results[j.Cell.String()]; r != nil && r.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", j.Cell, r.Err))
		}
	}
	if len(errs) == 0 {
		return err
	}
	return errors.Join(errs...)
}

// linkShared makes dir a fresh cache that links shared's source store
// (content-addressed, pinned: a cold build does not download again what
// it already has), provisioned zig, zig's own caches, the pinned Debian
// packages and the assembled build root. The action cache, the configure
// cache and the digest memo are dir's own.
func linkShared(shared, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range []string{"sources", "zig", "zig-cache", "debian", "buildroot"} {
		if err := os.MkdirAll(filepath.Join(shared, name), 0o755); err != nil {
			return err
		}
		if err := os.Symlink(filepath.Join(shared, name), filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("linking the shared cache's %s: %w", name, err)
		}
	}
	return nil
}

// plainCell builds j's cell the plain way into dir: each library j
// depends on installed into dir/deps, then the program into dir/stage. It
// checks that the binary was built for the cell's machine and linkage.
func plainCell(ctx context.Context, run toolchain.Runner, store *source.Store, j pipeline.Job, dir string) error {
	deps := ""
	if len(j.Deps) > 0 {
		deps = filepath.Join(dir, "deps")
	}
	for _, lib := range j.Deps {
		if _, err := plainBuild(ctx, run, store, j, lib, filepath.Join(dir, lib.Name), deps, deps); err != nil {
			return fmt.Errorf("%s: %w", lib.Name, err)
		}
	}
	bin, err := plainBuild(ctx, run, store, j, j.Recipe, filepath.Join(dir, j.Recipe.Name), filepath.Join(dir, "stage"), deps)
	if err != nil {
		return err
	}
	info, err := elfdeps.InspectFile(bin)
	if err != nil {
		return err
	}
	machine, _, err := elfdeps.MachineFor(string(j.Cell.Platform))
	if err != nil {
		return err
	}
	if info.Machine != machine || info.Static() != (j.Cell.Linkage == recipe.Static) {
		return fmt.Errorf("%s is a %v binary, static %t: want %v, %s", bin, info.Machine, info.Static(), machine, j.Cell.Linkage)
	}
	return nil
}

// plainBuild lays out rc's pinned source in dir/src, writes the compiler
// wrappers and CMake toolchain file a person would (for gcc: only the
// toolchain file), runs plainSteps and returns the installed binary.
func plainBuild(ctx context.Context, run toolchain.Runner, store *source.Store, j pipeline.Job, rc *recipe.Recipe, dir, stage, deps string) (string, error) {
	p := toolchain.Project{
		Def: j.Def, Target: j.Tool.Target, Linkage: j.Cell.Linkage, Recipe: rc, Resolved: j.Tool.Resolved,
		SourceDir: filepath.Join(dir, "src"), WorkDir: filepath.Join(dir, "work"), StageDir: stage, DepStage: deps,
		Jobs: runtime.NumCPU(),
	}
	env := plainEnv(p, j.Tool.PathDirs, dir)
	patch := func(ctx context.Context, d string, argv []string) ([]byte, error) {
		return run(ctx, toolchain.Command{Args: argv, Dir: d}, env)
	}
	if err := store.Tree(ctx, patch, rc, p.SourceDir); err != nil {
		return "", err
	}
	p.Libtool = toolchain.UsesLibtool(p.SourceDir)
	for _, d := range []string{p.WorkDir, p.StageDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", err
		}
	}
	for _, f := range p.Files() {
		if err := atomicfile.Write(f.Path, f.Data, f.Mode); err != nil {
			return "", err
		}
	}
	for _, s := range plainSteps(p) {
		if out, err := run(ctx, s, env); err != nil {
			return "", fmt.Errorf("%s: %w: %s", s, err, toolchain.Tail(out, 1500))
		}
	}
	if rc.IsLibrary() {
		return "", nil
	}
	bin := filepath.Join(stage, filepath.FromSlash(rc.Binary))
	if rc.Built != "" {
		if err := atomicfile.Copy(filepath.Join(p.SourceDir, filepath.FromSlash(rc.Built)), bin, 0o755); err != nil {
			return "", err
		}
	}
	return bin, nil
}

// plainEnv is what the plain way's shell has: PATH with the compiler's
// folder, HOME, the C locale, pkg-config pointed at the dependencies
// (never at the host's .pc files) and the recipe's env. The compilers
// and flags are on the command lines (plainSteps).
func plainEnv(p toolchain.Project, pathDirs []string, home string) []string {
	env := []string{"HOME=" + home, "LC_ALL=C", "PATH=" + strings.Join(pathDirs, ":"), "PKG_CONFIG_PATH="}
	if p.DepStage != "" {
		env = append(env, "PKG_CONFIG_LIBDIR="+filepath.Join(p.DepStage, "usr", "lib", "pkgconfig"), "PKG_CONFIG_SYSROOT_DIR="+p.DepStage)
	}
	for k, v := range p.Recipe.Env {
		env = append(env, k+"="+v)
	}
	slices.Sort(env)
	return env
}

// plainSteps are the commands a person types to build one cell by hand
// with the same compiler and flags as fromscratch, and no shared cache:
// the build system's own steps (toolchain.Project.Steps, without
// --cache-file), each with the variables it takes its tools and flags
// from written in front, since the plain way's shell has none of them:
//
//	autotools: [autoreconf -fi]; env CC= CFLAGS= CPPFLAGS= LDFLAGS= AR= RANLIB= ./configure
//	  --host --build --prefix=/usr, static or shared, the recipe's arguments; make -jN;
//	  make install DESTDIR= (LDFLAGS with -all-static for a static libtool link)
//	cmake: env CFLAGS= LDFLAGS= cmake -G Ninja with a toolchain file; cmake --build;
//	  env DESTDIR= cmake --install
//	make: make -jN CC= AR= RANLIB= CFLAGS= LDFLAGS= and the recipe's
//	  arguments; make install DESTDIR= unless the recipe names the built file
//
// Configure and cmake's configure step are PhaseConfigure; the builds and
// installs PhaseMake.
func plainSteps(p toolchain.Project) []toolchain.Command {
	p.ConfigCache = ""
	vars := map[string]string{}
	for _, e := range p.Env(nil) {
		k, v, _ := strings.Cut(e, "=")
		vars[k] = v
	}
	steps := p.Steps()
	for i, s := range steps {
		var set []string
		for _, n := range s.Vars {
			if v, ok := vars[n]; ok {
				set = append(set, n+"="+v)
			}
		}
		if len(set) > 0 {
			steps[i].Args = slices.Concat([]string{"env"}, set, s.Args)
		}
	}
	return steps
}

// realPrograms are the programs (of names, or all) that run their own
// build system; libraries are built as their dependencies.
func realPrograms(root string, names []string) ([]string, error) {
	out, err := benchRecipes(root, names, programsBuilt(true))
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("bench:real: no real program (a recipe with its own build system, not a library) to measure among %v", names)
	}
	return out, err
}

// missingSources names the pinned source files of programs (and their
// libraries) that the source store of cache does not hold yet.
func missingSources(cache, root string, programs []string) []string {
	all, err := recipe.LoadAll(filepath.Join(root, "recipes"))
	if err != nil {
		return nil
	}
	store := &source.Store{Cache: cache}
	var missing []string
	for _, r := range all {
		if !slices.Contains(programs, r.Name) {
			continue
		}
		deps, _ := recipe.Dependencies(r, all)
		for _, rc := range append(deps, r) {
			pins := map[string]recipe.SHA256{}
			for n, p := range rc.Source.Files {
				pins[n] = p.SHA256
			}
			if !rc.Source.SHA256.IsZero() {
				pins = map[string]recipe.SHA256{rc.Source.URL: rc.Source.SHA256}
			}
			for _, n := range slices.Sorted(maps.Keys(pins)) {
				if _, err := os.Stat(store.Path(pins[n].Hex())); err != nil {
					missing = append(missing, n)
				}
			}
		}
	}
	return missing
}

func joinPlatforms(ps []recipe.Platform) string {
	var s []string
	for _, p := range ps {
		s = append(s, string(p))
	}
	return strings.Join(s, ",")
}

// printReal prints, per program and way, configure, make, the rest and
// the wall time in seconds, and the wall time over the plain way's; then
// the same summed over the programs.
func printReal(w io.Writer, rows []realRow) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "PROGRAM\tCELLS\tWAY\tCONFIGURE\tMAKE\tOTHER\tWALL\tWALL / PLAIN\t")
	var total realRow
	total.Program = "total"
	line := func(r realRow) {
		type named struct {
			name string
			w    realWay
		}
		ways := []named{{"cold", r.Cold}, {"warm", r.Warm}, {"plain", r.Plain}}
		if r.Host.Wall > 0 {
			ways = append(ways, named{"cold-host", r.Host})
		}
		for i, way := range ways {
			prog, cells := "", ""
			if i == 0 {
				prog, cells = r.Program, fmt.Sprint(r.Cells)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t\n", prog, cells, way.name,
				secs(way.w.Configure), secs(way.w.Make), secs(way.w.Other()), secs(way.w.Wall), float64(way.w.Wall)/float64(r.Plain.Wall))
		}
	}
	for _, r := range rows {
		line(r)
		total.Cells += r.Cells
		total.Cold, total.Warm, total.Plain = total.Cold.plus(r.Cold), total.Warm.plus(r.Warm), total.Plain.plus(r.Plain)
		total.Host = total.Host.plus(r.Host)
	}
	line(total)
	tw.Flush()
	fmt.Fprintf(w, "ratios: fromscratch cold / plain = %.2f, warm / plain = %.3f; configure cold / plain = %.2f, make cold / plain = %.2f\n",
		float64(total.Cold.Wall)/float64(total.Plain.Wall), float64(total.Warm.Wall)/float64(total.Plain.Wall),
		ratio(total.Cold.Configure, total.Plain.Configure), ratio(total.Cold.Make, total.Plain.Make))
	if total.Host.Wall > 0 {
		fmt.Fprintf(w, "sandbox: fromscratch cold in the build root / cold-host (%s) = %.3f; configure %.3f, make %.3f\n", unsandboxed,
			ratio(total.Cold.Wall, total.Host.Wall), ratio(total.Cold.Configure, total.Host.Configure), ratio(total.Cold.Make, total.Host.Make))
	}
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// secs is d in seconds with one decimal: "12.3s".
func secs(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }
