package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

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
		ConfigCache:  toolchain.ConfigCacheFile(b.opts.CacheDir, j.Def, j.Cell.Platform, j.Cell.Linkage),
		CompileCache: toolchain.CompileCacheFile(b.opts.CacheDir, j.Def, j.Tool.Target),
		Libtool:      toolchain.UsesLibtool(src),
		Jobs:         projectJobs(),
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
	if len(rc.InstallFiles) > 0 { // only when set: the other recipes' keys stay
		in.Extra["install"] = installFilesKey(rc.InstallFiles)
	}
	s := rc.Source
	in.Extra["source"] = fmt.Sprintf("%s\x00%s\x00%s\x00%t\x00%s\x00%s\x00%d", s.Kind(), s.Debian, s.Version, s.DebianPatches, s.URL, s.SHA256.String(), s.StripComponents)
	for _, n := range slices.Sorted(maps.Keys(s.Files)) {
		in.Files["@source/"+n] = s.Files[n].String()
	}
	if err := recipeInputs(in, rc, b.memo.Digest); err != nil {
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
// its stage as stage.tar. It returns the log and the outputs by name. The
// log of a failure is never empty: it holds what failed (a fetch, an
// extraction, a patch's output, a failing library's whole log), since the
// error names it.
func (b *Builder) runProject(ctx context.Context, j Job, rc *recipe.Recipe, out string) ([]byte, map[string]string, error) {
	var log bytes.Buffer
	tmpRoot, err := b.buildTempRoot()
	if err != nil {
		return failedLog(err)
	}
	work, err := os.MkdirTemp(tmpRoot, "fromscratch-project"+TempMark)
	if err != nil {
		return failedLog(fmt.Errorf("creating work dir: %w", err))
	}
	defer os.RemoveAll(work)
	scrub := func(data []byte) []byte {
		data = bytes.ReplaceAll(data, []byte(work), []byte("$WORK"))
		data = bytes.ReplaceAll(data, []byte(out), []byte("$OUT"))
		data = bytes.ReplaceAll(data, []byte(b.opts.Root), []byte("$ROOT"))
		return bytes.ReplaceAll(data, []byte(b.opts.CacheDir), []byte("$CACHE"))
	}
	files, err := b.projectSteps(ctx, j, rc, work, out, &log, scrub)
	if err == nil {
		return scrub(log.Bytes()), files, nil
	}
	var logged *loggedError
	if !errors.As(err, &logged) {
		fmt.Fprintf(&log, "error: %v\n", err)
	}
	return scrub(log.Bytes()), nil, errors.New(string(scrub([]byte(err.Error()))))
}

// loggedError is an error whose output the log holds already (a build
// step's): runProject does not write it again.
type loggedError struct{ err error }

func (e *loggedError) Error() string { return e.err.Error() }
func (e *loggedError) Unwrap() error { return e.err }

// failedLog is the result of a build that failed before it had a log: the
// error is the log.
func failedLog(err error) ([]byte, map[string]string, error) {
	return []byte("error: " + err.Error() + "\n"), nil, err
}

// projectSteps are runProject's steps in the work folder: the libraries'
// stages, the source tree, the build, then the outputs. Each writes what
// it did to log; scrub takes the machine's folders out of a kept file.
func (b *Builder) projectSteps(ctx context.Context, j Job, rc *recipe.Recipe, work, out string, log *bytes.Buffer, scrub func([]byte) []byte) (map[string]string, error) {
	src, stage := filepath.Join(work, "src"), filepath.Join(work, "stage")
	deps, built, err := b.dependencyStage(ctx, j, rc, work, log)
	if err != nil {
		return nil, err
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
		return nil, err
	}
	fmt.Fprintf(log, "# the source of %s: %s\n", rc.Name, sourceLine(rc.Source))
	if err := b.sources().Tree(ctx, b.patchRun(run, log), rc, src); err != nil {
		return nil, err
	}
	p := b.project(j, rc, src, filepath.Join(work, "work"), stage, deps, j.Tool.Resolved)
	blog, berr := b.runBuild(ctx, run, j, p)
	log.Write(blog)
	files := map[string]string{}
	if err := keepConfigLog(src, out, scrub, files); err != nil && berr == nil {
		berr = err
	}
	if berr != nil {
		return nil, &loggedError{berr}
	}
	return projectOutputs(j, rc, stage, deps, out, built, files, b.opts.BuildDate)
}

// sourceLine says in a log where a project's source tree comes from.
func sourceLine(s recipe.Source) string {
	if t := sourceText(s); t != "" {
		if s.DebianPatches {
			t += ", with debian/patches/series"
		}
		if len(s.DebianPatchesSkip) > 0 {
			t += " less " + strings.Join(s.DebianPatchesSkip, ", ") + " (source.debian_patches_skip)"
		}
		return t
	}
	return "the recipe folder"
}

// dependencyStage unpacks the stages of rc's libraries (built or restored
// once per run) into work/deps and returns that folder ("" without
// libraries) and the shared libraries each installed. A library that
// fails puts its whole log into log: the dependent's build.log is the one
// the error names, and the library's own folder does not outlive the run.
func (b *Builder) dependencyStage(ctx context.Context, j Job, rc *recipe.Recipe, work string, log *bytes.Buffer) (string, map[string]string, error) {
	libs, err := libraryDeps(j, rc)
	if err != nil || len(libs) == 0 {
		return "", nil, err
	}
	deps := filepath.Join(work, "deps")
	built := map[string]string{} // shared library in deps/usr/lib -> the library recipe that installed it
	for _, lib := range libs {
		tarPath, err := b.libraryStage(ctx, j, lib)
		var failed *libraryError
		if errors.As(err, &failed) {
			fmt.Fprintf(log, "# dependency %s failed; its build log:\n%s", lib.Name, failed.log)
			return "", nil, &loggedError{fmt.Errorf("dependency %s: %w", lib.Name, err)}
		}
		if err != nil {
			return "", nil, fmt.Errorf("dependency %s: %w", lib.Name, err)
		}
		sos, err := unpackStage(tarPath, deps)
		if err != nil {
			return "", nil, fmt.Errorf("dependency %s: %w", lib.Name, err)
		}
		for _, so := range sos {
			built[so] = lib.Name // a later library's file replaces an earlier one's
		}
		fmt.Fprintf(log, "# dependency %s: its stage unpacked into $WORK/deps\n", lib.Name)
	}
	return deps, built, nil
}

// projectOutputs puts a built project's outputs into out (see runProject)
// and returns them by name.
// files holds what the build kept already (config.log).
func projectOutputs(j Job, rc *recipe.Recipe, stage, deps, out string, built, files map[string]string, date time.Time) (map[string]string, error) {
	if rc.IsLibrary() {
		tarPath := filepath.Join(out, stageFile)
		if err := tarball.Write(stage, tarPath, date); err != nil {
			return nil, err
		}
		files[stageFile] = tarPath
		return files, nil
	}
	bin := filepath.Join(out, j.Recipe.Name)
	if err := atomicfile.Copy(filepath.Join(stage, filepath.FromSlash(rc.Binary)), bin, 0o755); err != nil {
		return nil, err
	}
	files[j.Recipe.Name] = bin
	for _, f := range rc.RuntimeFiles {
		dst := filepath.Join(out, "files", filepath.FromSlash(f))
		src := filepath.Join(stage, filepath.FromSlash(f))
		if err := atomicfile.Copy(src, dst, runtimeFileMode(src)); err != nil {
			return nil, err
		}
		files["files/"+f] = dst
	}
	if j.Cell.Linkage == recipe.Dynamic {
		if err := collectLibraries(out, rc.Name, stage, deps, built, files); err != nil {
			return nil, err
		}
	}
	return files, nil
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
		// As a cell's compile: one build of a library at a time across
		// runs. Taken after the program's claim, as the recipes depend.
		release, err := b.store.Store.Claim(ctx, key)
		if err != nil {
			return "", err
		}
		defer release()
		if _, hit, err := b.store.Get(ctx, key, out); err == nil && hit {
			return filepath.Join(out, stageFile), nil
		}
		os.RemoveAll(out)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	log, files, berr := b.runProject(ctx, j, lib, out)
	if berr != nil {
		return "", &libraryError{log: log, err: berr}
	}
	logPath := filepath.Join(out, "build.log")
	if err := os.WriteFile(logPath, log, 0o644); err != nil {
		return "", err
	}
	if b.store != nil {
		files["build.log"] = logPath
		if err := b.store.Put(ctx, key, files, map[string]string{"library": lib.Name, "cell": j.Cell.String()}); err != nil {
			return "", fmt.Errorf("storing in the cache: %w", err)
		}
	}
	return files[stageFile], nil
}

// libraryError is a library's failed build with its whole log, which
// each dependent's build.log takes in (the library's folder is this run's
// only, under the cache's tmp/).
type libraryError struct {
	log []byte
	err error
}

func (e *libraryError) Error() string { return e.err.Error() }
func (e *libraryError) Unwrap() error { return e.err }

// sources is the pinned-source store of the cache directory, fetching
// the files of Debian source packages by pool path, in Go (the machine's
// mirror, then Debian's archive: no apt on the host).
func (b *Builder) sources() *source.Store { return b.opts.Sources() }

// Sources is the pinned-source store of o's cache directory, fetching
// what it lacks (see Builder.sources).
func (o Options) Sources() *source.Store {
	return &source.Store{Cache: o.CacheDir, Client: http.DefaultClient, Stall: o.StallTimeout, Debian: o.Fetcher().FetchSource}
}

// patchRun adapts a job's step runner to source.Run (GNU patch), writing
// each command and its output to log.
func (b *Builder) patchRun(run toolchain.Runner, log io.Writer) source.Run {
	return func(ctx context.Context, dir string, argv []string) ([]byte, error) {
		c := toolchain.Command{Args: argv, Dir: dir}
		out, err := run(ctx, c, toolchain.Env(b.envConfig(toolchain.SystemPath)))
		fmt.Fprintf(log, "$ %s\n%s", c, out)
		return out, err
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

// installFilesKey is a recipe's install_files in the cell key: stage path
// and folder file, sorted (the file's bytes are in the key with the
// folder's).
func installFilesKey(m map[string]recipe.InstallFile) string {
	var b strings.Builder
	for _, dst := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, "%s\x00%s\x00", dst, m[dst].File)
	}
	return b.String()
}
