package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
	"github.com/fromscratch/fromscratch/internal/cache"
	"github.com/fromscratch/fromscratch/internal/debian"
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
//  3. toolchain.BuildProject configures, builds and installs into a stage;
//  4. a program's installed binary becomes out/bin/.../<recipe>, with the
//     dependencies' shared libraries in lib/ for the closure; a library's
//     stage is kept as a tarball in the action cache for its dependents.
//
// The key of a project cell covers its commands, environment and wrapper
// files (with placeholders for every machine path), the source pins, the
// recipe folder's inputs and the keys of its dependencies.

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
	in, err := b.keyInputs(j, p.Env, map[string]string{
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
	for _, f := range p.Files() {
		in.Files["@work/"+f.Path] = bytesDigest(f.Data)
	}
	s := rc.Source
	in.Extra["source"] = fmt.Sprintf("%s\x00%s\x00%s\x00%t\x00%s\x00%s\x00%d", s.Kind(), s.Debian, s.Version, s.DebianPatches, s.URL, s.SHA256, s.StripComponents)
	for _, n := range slices.Sorted(maps.Keys(s.Files)) {
		in.Files["@source/"+n] = s.Files[n]
	}
	inputs, err := rc.Inputs()
	if err != nil {
		return cache.Key{}, err
	}
	for _, f := range inputs {
		d, err := cache.FileDigest(filepath.Join(rc.Dir, f))
		if err != nil {
			return cache.Key{}, err
		}
		in.Files[f] = d
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

// buildProjectNow is compileNow for a project recipe: it builds the
// program (and, first, the libraries it depends on) and stores a success
// in the action cache.
func (b *Builder) buildProjectNow(ctx context.Context, r *Result) error {
	j := r.Job
	tmp, err := b.tempDir(r)
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	log, files, berr := b.runProject(ctx, j, j.Recipe, tmp)
	if err := os.WriteFile(filepath.Join(tmp, "build.log"), log, 0o644); err != nil {
		return fmt.Errorf("writing build.log: %w", err)
	}
	if berr == nil && b.store != nil {
		files["build.log"] = filepath.Join(tmp, "build.log")
		if err := b.store.Put(ctx, r.key, files, map[string]string{"cell": j.Cell.String()}); err != nil {
			return fmt.Errorf("storing in the cache: %w", err)
		}
	}
	return b.place(r, tmp, berr)
}

// runProject builds rc in j's cell and puts its outputs into out: for a
// program the binary (named after j's recipe), its dependencies' shared
// libraries under lib/ and its runtime files under files/; for a library
// its stage as stage.tar. It returns the log and the outputs by name.
func (b *Builder) runProject(ctx context.Context, j Job, rc *recipe.Recipe, out string) ([]byte, map[string]string, error) {
	var log bytes.Buffer
	tmpRoot := filepath.Join(b.opts.CacheDir, "tmp")
	if err := os.MkdirAll(tmpRoot, 0o755); err != nil {
		return nil, nil, fmt.Errorf("creating temp dir: %w", err)
	}
	work, err := os.MkdirTemp(tmpRoot, "project"+TempMark)
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
	env := p.Env(toolchain.Env(b.envConfig(j.Tool.PathDirs)))
	blog, berr := toolchain.BuildProject(ctx, run, p, env)
	log.Write(blog)
	if berr != nil {
		return scrub(log.Bytes()), nil, errors.New(string(scrub([]byte(berr.Error()))))
	}
	files := map[string]string{}
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
		// The shared libraries the project installed (jq's libjq) and
		// those of its dependencies, for the closure: the loader finds
		// them under /lib in the image. Without them the closure would
		// take a host library of the same name.
		// libraries.json records which recipe built each of them, for
		// the SBOM.
		origins := map[string]string{}
		for _, dir := range []string{stage, deps} {
			if dir == "" {
				continue
			}
			libDir := filepath.Join(dir, "usr", "lib")
			sos, err := sharedLibraries(libDir)
			if err != nil {
				return scrub(log.Bytes()), nil, err
			}
			for _, name := range sos {
				if _, dup := files["lib/"+name]; dup {
					continue
				}
				dst := filepath.Join(out, "lib", name)
				if err := atomicfile.Copy(filepath.Join(libDir, name), dst, 0o644); err != nil {
					return scrub(log.Bytes()), nil, err
				}
				files["lib/"+name] = dst
				origins[name] = rc.Name
				if dir == deps {
					origins[name] = built[name]
				}
			}
		}
		if len(origins) > 0 {
			data, err := json.MarshalIndent(origins, "", "  ") // keys sorted
			if err != nil {
				return scrub(log.Bytes()), nil, err
			}
			dst := filepath.Join(out, LibrariesFile)
			if err := atomicfile.Write(dst, append(data, '\n'), 0o644); err != nil {
				return scrub(log.Bytes()), nil, err
			}
			files[LibrariesFile] = dst
		}
	}
	return scrub(log.Bytes()), files, nil
}

// LibrariesFile is the file of a dynamic project cell's folder (next to
// the binary) that names, for each shared library of its lib/, the recipe
// that built it: {"libjq.so.1": "jq", "libonig.so.5": "onig"}.
const LibrariesFile = "libraries.json"

// LibraryRecipes reads the LibrariesFile of a cell's folder: the recipe
// that built each shared library of its lib/, by file name. A cell
// without one (static, build = "files", or without shared libraries of
// its own) gives an empty map.
func LibraryRecipes(cellDir string) (map[string]string, error) {
	data, err := os.ReadFile(filepath.Join(cellDir, LibrariesFile))
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("reading %s: %w", LibrariesFile, err)
	}
	return m, nil
}

func bytesDigest(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// sharedLibraries names the shared objects of dir (libz.so.1, its links
// included, followed), sorted.
func sharedLibraries(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if !strings.Contains(n, ".so.") { // libz.so.1, not the link-time libz.so
			continue
		}
		if st, err := os.Stat(filepath.Join(dir, n)); err == nil && st.Mode().IsRegular() {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

// libStage is one library's stage for one cell key, built or restored
// once per run.
type libStage struct {
	done chan struct{}
	tar  string
	err  error
}

// libraryStage returns the path of lib's stage tarball in j's cell: from
// this run's earlier work, the action cache, or a build now.
func (b *Builder) libraryStage(ctx context.Context, j Job, lib *recipe.Recipe) (string, error) {
	key, err := b.projectKey(j, lib)
	if err != nil {
		return "", err
	}
	b.libsMu.Lock()
	if b.libs == nil {
		b.libs = map[string]*libStage{}
	}
	ls, ok := b.libs[key.String()]
	if !ok {
		ls = &libStage{done: make(chan struct{})}
		b.libs[key.String()] = ls
	}
	b.libsMu.Unlock()
	if ok {
		select {
		case <-ls.done:
			return ls.tar, ls.err
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	ls.tar, ls.err = b.obtainLibrary(ctx, j, lib, key)
	close(ls.done)
	return ls.tar, ls.err
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

// libraryDir is this run's folder of library stages (under the cache's
// tmp/, removed by Build when it ends).
func (b *Builder) libraryDir() (string, error) {
	b.libsMu.Lock()
	defer b.libsMu.Unlock()
	if b.libDir != "" {
		return b.libDir, nil
	}
	root := filepath.Join(b.opts.CacheDir, "tmp")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	d, err := os.MkdirTemp(root, "libraries"+TempMark)
	if err != nil {
		return "", err
	}
	b.libDir = d
	return d, nil
}

// removeLibraryDir removes this run's library stages.
func (b *Builder) removeLibraryDir() {
	b.libsMu.Lock()
	defer b.libsMu.Unlock()
	if b.libDir != "" {
		os.RemoveAll(b.libDir)
		b.libDir, b.libs = "", nil
	}
}

// sources is the pinned-source store of the cache directory, fetching
// Debian source packages with a private apt over the machine's mirror.
func (b *Builder) sources() *source.Store {
	return &source.Store{Cache: b.opts.CacheDir, Client: http.DefaultClient, Debian: b.fetchDebian}
}

// fetchDebian downloads a Debian source package with the private source
// apt (updated once per run), one download at a time.
func (b *Builder) fetchDebian(ctx context.Context, pkg, version, dir string) error {
	b.aptMu.Lock()
	defer b.aptMu.Unlock()
	if b.apt == nil {
		srcs := b.opts.AptSources
		if srcs == nil {
			srcs = MachineAptSources()
		}
		m, err := debian.ParseSources(srcs, Suite)
		if err != nil {
			return err
		}
		a := debian.NewApt(b.opts.CacheDir, debian.SourceArch, Suite, m)
		if err := a.Update(ctx, DebianRun(b.run)); err != nil {
			return err
		}
		b.apt = a
	}
	return b.apt.DownloadSource(ctx, DebianRun(b.run), pkg, version, dir)
}

// AptSourceFiles are the machine's apt sources: the mirror and suites the
// private apt states use (the system's apt configuration is never changed).
var AptSourceFiles = []string{"/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"}

// MachineAptSources is the contents of AptSourceFiles, concatenated.
func MachineAptSources() []byte {
	var src []byte
	for _, f := range AptSourceFiles {
		if data, err := os.ReadFile(f); err == nil {
			src = append(append(src, data...), '\n')
		}
	}
	return src
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

// DebianSource downloads the Debian source package pkg at version (the
// suite's newest when version is "") with the private source apt, puts
// every file into the source store after checking it against the .dsc,
// and returns the .dsc. When some file cannot be downloaded (a mirror
// missing it) the .dsc is still returned when it came, with the error.
func (b *Builder) DebianSource(ctx context.Context, pkg, version string) (*debian.Dsc, error) {
	base := filepath.Join(b.opts.CacheDir, "sources")
	if err := os.MkdirAll(base, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(base, ".debian"+TempMark)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	fetchErr := b.fetchDebian(ctx, pkg, version, tmp)
	dscs, _ := filepath.Glob(filepath.Join(tmp, "*.dsc"))
	if len(dscs) != 1 {
		if fetchErr != nil {
			return nil, fetchErr
		}
		return nil, fmt.Errorf("apt-get source %s gave %d .dsc files, want 1", pkg, len(dscs))
	}
	data, err := os.ReadFile(dscs[0])
	if err != nil {
		return nil, err
	}
	dsc, err := debian.ParseDsc(data, filepath.Base(dscs[0]))
	if err != nil {
		return nil, err
	}
	if fetchErr != nil {
		return dsc, fetchErr
	}
	pins := map[string]string{}
	for _, f := range dsc.Files {
		pins[f.Name] = "sha256:" + f.SHA256
	}
	// The store takes each file from the download folder as it takes a
	// recipe folder's copies, keeping it only when it matches the .dsc:
	// the first build needs no network. No fetcher: it is all here.
	st := b.sources()
	st.Debian = nil
	if _, err := st.FetchDebian(ctx, tmp, dsc.Source, dsc.Version, pins); err != nil {
		return dsc, err
	}
	return dsc, nil
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
