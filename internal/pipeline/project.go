package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
	"github.com/fromscratch/fromscratch/internal/cache"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/source"
	"github.com/fromscratch/fromscratch/internal/tarball"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// A project recipe (build = "autotools", "cmake" or "make") is built by its
// own build system. Per cell:
//
//  1. the source tree, pinned, is laid out afresh in a work folder (builds
//     write into it);
//  2. every library it depends on is built for the same cell (or restored
//     from the action cache, once per run and key) and its stage unpacked
//     into the dependency stage;
//  3. toolchain.BuildProject configures, builds and installs into a stage
//     (the recipe's build system: toolchain's autotools.go, cmake.go,
//     make.go);
//  4. a program's installed binary becomes out/bin/.../<recipe>, with the
//     dependencies' shared libraries in lib/ for the closure; a library's
//     stage is kept as a tarball in the action cache for its dependents.
//
// The key of a project cell covers its commands, environment and wrapper
// files (with placeholders for every machine path), the source pins, the
// recipe folder's inputs and the keys of its dependencies.

// projectBuild is the kind of a project recipe: the build above, for the
// job's own recipe.
type projectBuild struct{}

func (projectBuild) key(b *Builder, j Job) (cache.Key, error) { return b.projectKey(j, j.Recipe) }

func (projectBuild) build(ctx context.Context, b *Builder, j Job, out string) ([]byte, map[string]string, error) {
	return b.runProject(ctx, j, j.Recipe, out)
}

// describe names the build system, the source tree and the libraries.
func (projectBuild) sources(j Job) []*recipe.Recipe {
	return append([]*recipe.Recipe{j.Recipe}, j.Deps...)
}

func (projectBuild) describe(j Job, row *matrix.Row) {
	row.Build, row.Source = string(j.Recipe.BuildSystem()), sourceText(j.Recipe.Source)
	for _, d := range j.Deps {
		row.Depends = append(row.Depends, d.Name)
	}
}

// sourceText says in the matrix what a project recipe's source tree is:
// "Debian jq 1.6-2.1+deb12u2", the URL, or "" for the recipe folder.
func sourceText(s recipe.Source) string {
	switch s.Kind() {
	case recipe.SourceDebian:
		return "Debian " + s.Debian + " " + s.Version
	case recipe.SourceURL:
		return s.URL
	}
	return ""
}

// Placeholders of a project cell's folders in its key.
const (
	keyProjSrc   = "/fromscratch/project/src"
	keyProjWork  = "/fromscratch/project/work"
	keyProjStage = "/fromscratch/project/stage"
	keyProjDeps  = "/fromscratch/project/deps"
)

// stageFile is the name of a library's stage in its action-cache entry.
const stageFile = "stage.tar"

// project assembles the toolchain.Project of job j for recipe rc (j's own
// recipe or one of its libraries) in the given folders.
func (b *Builder) project(j Job, rc *recipe.Recipe, src, work, stage, deps string, resolved map[string]string) toolchain.Project {
	return toolchain.Project{
		Def: j.Def, Target: j.Tool.Target, Linkage: j.Cell.Linkage, Recipe: rc, Resolved: resolved,
		SourceDir: src, WorkDir: work, StageDir: stage, DepStage: deps,
		ConfigCache: toolchain.ConfigCacheFile(b.opts.CacheDir, j.Def, j.Cell.Platform, j.Cell.Linkage),
		Libtool:     toolchain.UsesLibtool(src),
		Jobs:        projectJobs(),
	}
}

// projectJobs is make's -j: the machine's CPUs (cells run in parallel too,
// but configure, the long part, is serial).
func projectJobs() int { return runtime.NumCPU() }

// libraryDeps are the libraries rc needs (in build order), looked up among
// j's dependencies.
func libraryDeps(j Job, rc *recipe.Recipe) ([]*recipe.Recipe, error) {
	if rc == j.Recipe {
		return j.Deps, nil
	}
	return recipe.Dependencies(rc, j.Deps)
}

// projectKey is the action-cache key of building rc in j's cell.
func (b *Builder) projectKey(j Job, rc *recipe.Recipe) (cache.Key, error) {
	deps, err := libraryDeps(j, rc)
	if err != nil {
		return cache.Key{}, err
	}
	kc := *rc
	kc.Dir = keySrc
	depStage := ""
	if len(deps) > 0 {
		depStage = keyProjDeps
	}
	p := b.project(j, &kc, keyProjSrc, keyProjWork, keyProjStage, depStage, nil)
	p.ConfigCache = keyCache + "/configure.cache"
	p.Libtool = false // a function of the pinned source
	p.Jobs = 1        // the job count changes no output
	schema := "project/3"
	if !rc.IsLibrary() && j.Cell.Linkage == recipe.Dynamic {
		// A dynamic program's outputs gained libraries.json; a library's
		// and a static program's did not, so their entries stay valid.
		schema = "project/4"
	}
	in, err := b.keyInputs(j, p, map[string]string{
		"schema":  schema,
		"kind":    string(rc.Kind),
		"binary":  rc.Binary,
		"runtime": strings.Join(rc.RuntimeFiles, "\x00"),
	})
	if err != nil {
		return cache.Key{}, err
	}
	for _, s := range p.Steps() {
		in.Argv = append(in.Argv, append([]string{"@" + s.Dir}, s.Args...))
	}
	s := rc.Source
	in.Extra["source"] = fmt.Sprintf("%s\x00%s\x00%s\x00%t\x00%s\x00%s\x00%d", s.Kind(), s.Debian, s.Version, s.DebianPatches, s.URL, s.SHA256.String(), s.StripComponents)
	for _, n := range slices.Sorted(maps.Keys(s.Files)) {
		in.Files["@source/"+n] = s.Files[n].String()
	}
	if err := recipeInputs(in, rc); err != nil {
		return cache.Key{}, err
	}
	for _, d := range deps {
		dk, err := b.projectKey(j, d)
		if err != nil {
			return cache.Key{}, err
		}
		in.Extra["depends/"+d.Name] = dk.String()
	}
	return in.Key(), nil
}

// runProject builds rc in j's cell and puts its outputs into out: for a
// program the binary (named after j's recipe), its dependencies' shared
// libraries under lib/ and its runtime files under files/; for a library
// its stage as stage.tar. It returns the log and the outputs by name.
func (b *Builder) runProject(ctx context.Context, j Job, rc *recipe.Recipe, out string) ([]byte, map[string]string, error) {
	var log bytes.Buffer
	tmpRoot, err := b.buildTempRoot()
	if err != nil {
		return nil, nil, err
	}
	work, err := os.MkdirTemp(tmpRoot, "fromscratch-project"+TempMark)
	if err != nil {
		return nil, nil, fmt.Errorf("creating work dir: %w", err)
	}
	defer os.RemoveAll(work)
	scrub := func(data []byte) []byte {
		data = bytes.ReplaceAll(data, []byte(work), []byte("$WORK"))
		data = bytes.ReplaceAll(data, []byte(out), []byte("$OUT"))
		data = bytes.ReplaceAll(data, []byte(b.opts.Root), []byte("$ROOT"))
		return bytes.ReplaceAll(data, []byte(b.opts.CacheDir), []byte("$CACHE"))
	}
	src, stage, deps := filepath.Join(work, "src"), filepath.Join(work, "stage"), ""

	libs, err := libraryDeps(j, rc)
	if err != nil {
		return nil, nil, err
	}
	built := map[string]string{} // shared library in deps/usr/lib -> the library recipe that installed it
	if len(libs) > 0 {
		deps = filepath.Join(work, "deps")
		for _, lib := range libs {
			tarPath, err := b.libraryStage(ctx, j, lib)
			if err != nil {
				return nil, nil, fmt.Errorf("dependency %s: %w", lib.Name, err)
			}
			sos, err := unpackStage(tarPath, deps)
			if err != nil {
				return nil, nil, fmt.Errorf("dependency %s: %w", lib.Name, err)
			}
			for _, so := range sos {
				built[so] = lib.Name // a later library's file replaces an earlier one's
			}
			fmt.Fprintf(&log, "# dependency %s: its stage unpacked into $WORK/deps\n", lib.Name)
		}
	}
	// Every step (patch, configure, make, install) runs in the build
	// root: the job's work dir is its only writable place; the recipe
	// folder and the dependencies' stages are read-only.
	readOnly := []string{rc.Dir}
	if deps != "" {
		readOnly = append(readOnly, deps)
	}
	run, err := b.stepRunner(ctx, j, []string{work}, readOnly)
	if err != nil {
		return nil, nil, err
	}
	if err := b.sources().Tree(ctx, b.patchRun(run), rc, src); err != nil {
		return nil, nil, err
	}
	p := b.project(j, rc, src, filepath.Join(work, "work"), stage, deps, j.Tool.Resolved)
	blog, berr := b.runBuild(ctx, run, j, p)
	log.Write(blog)
	files := map[string]string{}
	if err := keepConfigLog(src, out, scrub, files); err != nil && berr == nil {
		berr = err
	}
	if berr != nil {
		return scrub(log.Bytes()), nil, errors.New(string(scrub([]byte(berr.Error()))))
	}
	if rc.IsLibrary() {
		tarPath := filepath.Join(out, stageFile)
		if err := tarball.Write(stage, tarPath, b.opts.BuildDate); err != nil {
			return scrub(log.Bytes()), nil, err
		}
		files[stageFile] = tarPath
		return scrub(log.Bytes()), files, nil
	}
	bin := filepath.Join(out, j.Recipe.Name)
	if err := atomicfile.Copy(filepath.Join(stage, filepath.FromSlash(rc.Binary)), bin, 0o755); err != nil {
		return scrub(log.Bytes()), nil, err
	}
	files[j.Recipe.Name] = bin
	for _, f := range rc.RuntimeFiles {
		dst := filepath.Join(out, "files", filepath.FromSlash(f))
		src := filepath.Join(stage, filepath.FromSlash(f))
		if err := atomicfile.Copy(src, dst, runtimeFileMode(src)); err != nil {
			return scrub(log.Bytes()), nil, err
		}
		files["files/"+f] = dst
	}
	if j.Cell.Linkage == recipe.Dynamic {
		if err := collectLibraries(out, rc.Name, stage, deps, built, files); err != nil {
			return scrub(log.Bytes()), nil, err
		}
	}
	return scrub(log.Bytes()), files, nil
}

// configLog is autoconf's log. It is kept next to build.log in the
// cell's folder (and the action cache), whether configure succeeded or
// not, so that a configure's answers can be checked once the work folder
// is gone. Like build.log it is a log, not an output: no image, release or
// reproducibility check reads it, and the machine's folders in it are
// scrubbed as in build.log.
const configLog = "config.log"

// keepConfigLog copies the source tree's config.log, scrubbed, into out
// and names it in files; a tree without one (no configure ran) is fine.
func keepConfigLog(src, out string, scrub func([]byte) []byte, files map[string]string) error {
	data, err := os.ReadFile(filepath.Join(src, configLog))
	if err != nil {
		return nil
	}
	dst := filepath.Join(out, configLog)
	if err := atomicfile.Write(dst, scrub(data), 0o644); err != nil {
		return fmt.Errorf("keeping config.log: %w", err)
	}
	files[configLog] = dst
	return nil
}

// libraryStage returns the path of lib's stage tarball in j's cell: from
// this run's earlier work (libraryOnce), the action cache, or a build now.
func (b *Builder) libraryStage(ctx context.Context, j Job, lib *recipe.Recipe) (string, error) {
	key, err := b.projectKey(j, lib)
	if err != nil {
		return "", err
	}
	return b.libraryOnce(ctx, key.String(), func() (string, error) { return b.obtainLibrary(ctx, j, lib, key) })
}

func (b *Builder) obtainLibrary(ctx context.Context, j Job, lib *recipe.Recipe, key cache.Key) (string, error) {
	dir, err := b.libraryDir()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, key.String())
	if b.store != nil {
		if _, hit, err := b.store.Get(ctx, key, out); err == nil && hit {
			return filepath.Join(out, stageFile), nil
		}
		os.RemoveAll(out)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	log, files, berr := b.runProject(ctx, j, lib, out)
	logPath := filepath.Join(out, "build.log")
	if err := os.WriteFile(logPath, log, 0o644); err != nil {
		return "", err
	}
	if berr != nil {
		return "", fmt.Errorf("%w\n(the whole log of %s: %s)", berr, lib.Name, logPath)
	}
	if b.store != nil {
		files["build.log"] = logPath
		if err := b.store.Put(ctx, key, files, map[string]string{"library": lib.Name, "cell": j.Cell.String()}); err != nil {
			return "", fmt.Errorf("storing in the cache: %w", err)
		}
	}
	return files[stageFile], nil
}

// sources is the pinned-source store of the cache directory, fetching
// Debian source packages with the run's private source apt over the
// machine's mirror.
func (b *Builder) sources() *source.Store {
	return &source.Store{Cache: b.opts.CacheDir, Client: http.DefaultClient, Debian: b.debian.Download}
}

// patchRun adapts a job's step runner to source.Run (GNU patch).
func (b *Builder) patchRun(run toolchain.Runner) source.Run {
	return func(ctx context.Context, dir string, argv []string) ([]byte, error) {
		return run(ctx, toolchain.Command{Args: argv, Dir: dir}, toolchain.Env(b.envConfig(toolchain.SystemPath)))
	}
}

// unpackStage adds a stage tarball (tarball.Write's) to dest and returns
// the shared libraries it put into usr/lib (as sharedLibraries names them).
func unpackStage(tarPath, dest string) ([]string, error) {
	f, err := os.Open(tarPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := tarball.Unpack(f, filepath.Base(tarPath), dest, 0)
	if err != nil {
		return nil, err
	}
	var sos []string
	for _, n := range names {
		if dir, base := path.Split(n); dir == "usr/lib/" && strings.Contains(base, ".so.") {
			sos = append(sos, base) // a file or a link, as sharedLibraries takes both
		}
	}
	return sos, nil
}

// runtimeFileMode is the mode a runtime file gets in the cell's folder and
// in the image: 0755 when the installed file is executable by anyone (the
// umask cannot change that answer), else 0644.
func runtimeFileMode(path string) os.FileMode {
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o111 != 0 {
		return 0o755
	}
	return 0o644
}
