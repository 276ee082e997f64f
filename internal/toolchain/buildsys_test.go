package toolchain_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/testutil"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// projectCell is one table row: a toolchain, platform and linkage.
type projectCell struct {
	name, toolchain string
	platform        recipe.Platform
	linkage         recipe.Linkage
	resolved        map[string]string
	pathDirs        []string
}

var projectCells = []projectCell{
	{"gcc_amd64_static", "gcc", recipe.AMD64, recipe.Static, map[string]string{"gcc": "/usr/bin/gcc", "g++": "/usr/bin/g++", "ar": "/usr/bin/ar"}, nil},
	{"gcc_arm64_dynamic", "gcc", recipe.ARM64, recipe.Dynamic, map[string]string{
		"aarch64-linux-gnu-gcc": "/usr/bin/aarch64-linux-gnu-gcc", "aarch64-linux-gnu-g++": "/usr/bin/aarch64-linux-gnu-g++",
		"aarch64-linux-gnu-ar": "/usr/bin/aarch64-linux-gnu-ar"}, nil},
	{"zig_riscv64_static", "zig", recipe.RISCV64, recipe.Static, map[string]string{"zig": "/opt/zig/zig"}, []string{"/opt/zig"}},
	{"musl-gcc_amd64_static", "musl-gcc", recipe.AMD64, recipe.Static, map[string]string{"musl-gcc": "/usr/bin/musl-gcc", "ar": "/usr/bin/ar"}, nil},
	{"musl-gcc_amd64_dynamic", "musl-gcc", recipe.AMD64, recipe.Dynamic, map[string]string{"musl-gcc": "/usr/bin/musl-gcc", "ar": "/usr/bin/ar"}, nil},
}

func projectRecipe(build recipe.BuildSystem) *recipe.Recipe {
	r := &recipe.Recipe{Name: "jq", Language: recipe.C, Build: build, Binary: "usr/bin/jq", Depends: []string{"onig"},
		CFlags: []string{"-Wno-error"}, LDFlags: []string{"-Wl,--as-needed"}, Defines: []string{"NDEBUG"},
		Env: map[string]string{"JQ_EXTRA": "1"}}
	switch build {
	case recipe.BuildAutotools:
		r.ConfigureArgs = []string{"--disable-docs", "--with-oniguruma={stage}/usr"}
		r.MakeArgs = []string{"V=1"}
	case recipe.BuildCMake:
		r.CMakeArgs = []string{"-DMINIMAL=ON", "-DCC_IS={cc}"}
	case recipe.BuildMake:
		r.MakeArgs = []string{"AR={ar} rcu", "MYCFLAGS={cflags}"}
		r.Built = "src/jq"
	}
	return r
}

func project(t *testing.T, c projectCell, build recipe.BuildSystem) (toolchain.Project, []string) {
	t.Helper()
	d := loadReal(t, c.toolchain)
	tg, ok := d.Target(c.platform)
	if !ok {
		t.Fatalf("%s does not serve %s", c.toolchain, c.platform)
	}
	p := toolchain.Project{
		Def: d, Target: tg, Linkage: c.linkage, Recipe: projectRecipe(build), Resolved: c.resolved,
		SourceDir: "/w/cell/src", WorkDir: "/w/cell/work", StageDir: "/w/cell/stage", DepStage: "/w/cell/deps",
		ConfigCache: "/c/configure/x.cache", Libtool: true, Jobs: 2,
	}
	base := toolchain.Env(toolchain.EnvConfig{PathDirs: append(c.pathDirs, toolchain.SystemPath...), SourceDateEpoch: 1704067200, CacheDir: "/c", TempDir: "/t"})
	return p, base
}

// TestProjectGolden renders, per cell, the commands, environment and
// files of each build system (testdata/TestProjectGolden_<cell>.golden).
func TestProjectGolden(t *testing.T) {
	for _, c := range projectCells {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			for _, bs := range []recipe.BuildSystem{recipe.BuildAutotools, recipe.BuildCMake, recipe.BuildMake} {
				p, base := project(t, c, bs)
				fmt.Fprintf(&b, "## %s\n### steps\n", bs)
				for _, s := range p.Steps() {
					fmt.Fprintf(&b, "(in %s)\n", s.Dir)
					for _, a := range s.Args {
						fmt.Fprintf(&b, "  %s\n", a)
					}
				}
				fmt.Fprintf(&b, "### env\n")
				for _, e := range p.Env(base) {
					fmt.Fprintf(&b, "  %s\n", e)
				}
				for _, f := range p.Files() {
					fmt.Fprintf(&b, "### file %s (%v)\n%s", f.Path, f.Mode, f.Data)
				}
			}
			testutil.Golden(t, []byte(b.String()))
		})
	}
}

func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, e := range env {
		k, v, _ := strings.Cut(e, "=")
		m[k] = v
	}
	return m
}

// TestProjectInvariants checks, for every cell and build system, what the
// pitfalls of cross-building real programs call for.
func TestProjectInvariants(t *testing.T) {
	for _, c := range projectCells {
		for _, bs := range []recipe.BuildSystem{recipe.BuildAutotools, recipe.BuildCMake, recipe.BuildMake} {
			t.Run(c.name+"/"+string(bs), func(t *testing.T) {
				p, base := project(t, c, bs)
				env := p.Env(base)
				m := envMap(env)
				if !slices.IsSorted(env) {
					t.Error("env is not sorted")
				}
				// Only the explicit environment, the reserved cell variables
				// and the recipe's env: nothing else, nothing of the host.
				baseKeys := envMap(base)
				for k := range m {
					if _, ok := baseKeys[k]; !ok && !slices.Contains(recipe.ReservedEnv, k) && k != "JQ_EXTRA" {
						t.Errorf("env sets %s, which recipe.ReservedEnv does not reserve: a recipe could override it", k)
					}
				}
				if m["JQ_EXTRA"] != "1" || m["LC_ALL"] != "C" || m["TZ"] != "UTC" || m["SOURCE_DATE_EPOCH"] != "1704067200" {
					t.Errorf("env lacks the recipe's or the explicit variables: %q", env)
				}
				// zig cc without -O is a Debug build with UBSan traps (SIGILL).
				if !strings.HasPrefix(m["CFLAGS"], "-O2 ") {
					t.Errorf("CFLAGS %q does not start with -O2", m["CFLAGS"])
				}
				for _, d := range []string{"/w/cell/src", "/w/cell/work"} {
					if !strings.Contains(m["CFLAGS"], "-ffile-prefix-map="+d+"=.") {
						t.Errorf("CFLAGS %q does not map %s (polybar#2102)", m["CFLAGS"], d)
					}
				}
				// Some configure scripts take CC as one word (ziglang/zig#12413).
				for _, k := range []string{"CC", "CXX", "AR", "RANLIB", "LD"} {
					if v, ok := m[k]; ok && (v == "" || strings.ContainsAny(v, " \t")) {
						t.Errorf("%s = %q is not a single word", k, v)
					}
				}
				// The target's linker, never the host's ld, which refuses
				// another machine's objects (pv's $(LD) -r on arm64).
				wantLD := map[string]string{"gcc": "ld", "musl-gcc": "ld", "zig": "/w/cell/work/bin/ld"}[c.toolchain]
				if c.toolchain == "gcc" && c.platform != recipe.AMD64 {
					wantLD = "aarch64-linux-gnu-ld"
				}
				if m["LD"] != wantLD {
					t.Errorf("LD = %q, want %q", m["LD"], wantLD)
				}
				if c.toolchain == "zig" {
					for _, f := range p.Files() {
						if filepath.Base(f.Path) == "ld" && !strings.Contains(string(f.Data), "exec /opt/zig/zig ld.lld \"$@\"") {
							t.Errorf("zig's ld wrapper %q", f.Data)
						}
					}
				}
				if m["CC_FOR_BUILD"] != "gcc" {
					t.Errorf("CC_FOR_BUILD = %q, want the host's gcc (ziglang/zig#19790)", m["CC_FOR_BUILD"])
				}
				if m["PKG_CONFIG_SYSROOT_DIR"] != "/w/cell/deps" || !strings.HasPrefix(m["PKG_CONFIG_LIBDIR"], "/w/cell/deps/usr/lib/pkgconfig") {
					t.Errorf("pkg-config does not look at the dependency stage: %q %q", m["PKG_CONFIG_SYSROOT_DIR"], m["PKG_CONFIG_LIBDIR"])
				}
				static := c.linkage == recipe.Static
				if static != strings.Contains(" "+m["LDFLAGS"]+" ", " -static ") {
					t.Errorf("LDFLAGS %q for a %s cell", m["LDFLAGS"], c.linkage)
				}
				var pc string
				for _, f := range p.Files() {
					if filepath.Base(f.Path) == "pkg-config" {
						pc = string(f.Data)
					}
				}
				if static != strings.Contains(pc, "--static") {
					t.Errorf("pkg-config wrapper %q for a %s cell", pc, c.linkage)
				}
				steps := p.Steps()
				all := fmt.Sprint(steps)
				if c.toolchain == "zig" {
					var cc string
					for _, f := range p.Files() {
						if filepath.Base(f.Path) == "cc" {
							cc = string(f.Data)
						}
					}
					if !strings.Contains(cc, "exec /opt/zig/zig cc -target riscv64-linux-musl \"$@\"") || m["CC"] != "/w/cell/work/bin/cc" {
						t.Errorf("zig's wrapper %q, CC %q", cc, m["CC"])
					}
				}
				switch bs {
				case recipe.BuildAutotools:
					conf := steps[0].Args
					if conf[0] != "./configure" || !slices.Contains(conf, "--host="+toolchain.GNUTriple(c.platform, p.Def.Linkage(c.linkage).Libc)) ||
						!slices.Contains(conf, "--prefix=/usr") || !slices.Contains(conf, "--with-oniguruma=/w/cell/deps/usr") ||
						slices.Contains(conf, "--cache-file=/w/cell/work/config.cache") { // its own flags: no shared cache
						t.Errorf("configure = %q", conf)
					}
					if static != slices.Contains(conf, "--disable-shared") || static == slices.Contains(conf, "--enable-shared") {
						t.Errorf("configure %q for a %s cell", conf, c.linkage)
					}
					// libtool drops a bare -static when it links programs.
					if static != strings.Contains(all, "-all-static") {
						t.Errorf("-all-static in %q for a %s cell", all, c.linkage)
					}
					if last := steps[len(steps)-1].Args; !slices.Equal(last[:3], []string{"make", "install", "DESTDIR=/w/cell/stage"}) {
						t.Errorf("install = %q", last)
					}
				case recipe.BuildCMake:
					if m["DESTDIR"] != "/w/cell/stage" || !strings.Contains(all, "-DBUILD_SHARED_LIBS="+map[bool]string{true: "OFF", false: "ON"}[static]) ||
						!strings.Contains(all, "-DCC_IS="+m["CC"]) {
						t.Errorf("cmake: %q, DESTDIR %q", all, m["DESTDIR"])
					}
				case recipe.BuildMake:
					if len(steps) != 1 || !slices.Contains(steps[0].Args, "CC="+m["CC"]) || !slices.Contains(steps[0].Args, "AR="+m["AR"]+" rcu") ||
						!slices.Contains(steps[0].Args, "CFLAGS=-I/w/cell/deps/usr/include -DNDEBUG "+m["CFLAGS"]) {
						t.Errorf("make: %q", steps)
					}
				}
			})
		}
	}
}

func TestProjectWithoutDependencies(t *testing.T) {
	p, base := project(t, projectCells[0], recipe.BuildAutotools)
	p.DepStage = ""
	m := envMap(p.Env(base))
	if m["PKG_CONFIG_SYSROOT_DIR"] != "/w/cell/work/deps" || m["CPPFLAGS"] != "-DNDEBUG" || strings.Contains(m["LDFLAGS"], "-L") {
		t.Errorf("without dependencies pkg-config looks at an empty stage and no -I/-L is added: %q", m)
	}
	p.Libtool = false
	if strings.Contains(fmt.Sprint(p.Steps()), "-all-static") {
		t.Error("-all-static without libtool: gcc would reject it")
	}
	p.ConfigCache = ""
	if strings.Contains(fmt.Sprint(p.Steps()), "--cache-file") {
		t.Error("--cache-file without a cache")
	}
}

func TestGNUTriple(t *testing.T) {
	for _, tt := range []struct {
		p          recipe.Platform
		libc, want string
	}{
		{recipe.AMD64, "glibc", "x86_64-linux-gnu"}, {recipe.AMD64, "musl", "x86_64-linux-musl"},
		{recipe.ARM64, "glibc", "aarch64-linux-gnu"}, {recipe.ARMv7, "glibc", "arm-linux-gnueabihf"},
		{recipe.ARMv7, "musl", "arm-linux-musleabihf"}, {recipe.RISCV64, "musl", "riscv64-linux-musl"},
	} {
		if got := toolchain.GNUTriple(tt.p, tt.libc); got != tt.want {
			t.Errorf("GNUTriple(%s, %s) = %s, want %s", tt.p, tt.libc, got, tt.want)
		}
	}
	// The gcc targets' prefixes are their triples.
	gcc := loadReal(t, "gcc")
	for _, tg := range gcc.Targets {
		if tg.Prefix != "" && toolchain.GNUTriple(tg.Platform, "glibc")+"-" != tg.Prefix {
			t.Errorf("%s: triple %s, prefix %s", tg.Platform, toolchain.GNUTriple(tg.Platform, "glibc"), tg.Prefix)
		}
	}
}

func TestFilterConfigCache(t *testing.T) {
	in := `# This file is a shell script that caches the results of configure
ac_cv_env_CFLAGS_set=set
ac_cv_env_CFLAGS_value='-O2 -ffile-prefix-map=/tmp/x=.'
ac_cv_func_malloc_0_nonnull=${ac_cv_func_malloc_0_nonnull=yes}
ac_cv_header_oniguruma_h=${ac_cv_header_oniguruma_h=no}
ac_cv_header_stdlib_h=${ac_cv_header_stdlib_h=yes}
ac_cv_lib_onig_onig_version=no
ac_cv_search_clock_gettime='none required'
ac_cv_search_dlopen=${ac_cv_search_dlopen=no}
ac_cv_sizeof_long=${ac_cv_sizeof_long=8}
test "${ac_cv_path_SED+set}" = set || ac_cv_path_SED=/usr/bin/sed
ac_cv_prog_CC=${ac_cv_prog_CC=/cache/tmp/project.tmp-1/work/bin/cc}
ac_cv_prog_AWK=${ac_cv_prog_AWK=mawk}
ac_cv_path_install=${ac_cv_path_install='/usr/bin/install -c'}
ac_cv_prog_cc_c11=${ac_cv_prog_cc_c11=-std=gnu11}
`
	want := `ac_cv_func_malloc_0_nonnull=${ac_cv_func_malloc_0_nonnull=yes}
ac_cv_header_stdlib_h=${ac_cv_header_stdlib_h=yes}
ac_cv_prog_cc_c11=${ac_cv_prog_cc_c11=-std=gnu11}
ac_cv_search_clock_gettime='none required'
ac_cv_sizeof_long=${ac_cv_sizeof_long=8}
`
	if got := string(toolchain.FilterConfigCache([]byte(in))); got != want {
		t.Errorf("FilterConfigCache =\n%s\nwant\n%s", got, want)
	}
	if got := toolchain.FilterConfigCache(nil); got != nil {
		t.Errorf("empty cache gives %q", got)
	}
}

func TestUsesLibtool(t *testing.T) {
	dir := t.TempDir()
	if toolchain.UsesLibtool(dir) {
		t.Error("an empty tree uses libtool")
	}
	os.MkdirAll(filepath.Join(dir, "build-aux"), 0o755)
	os.WriteFile(filepath.Join(dir, "build-aux", "ltmain.sh"), nil, 0o644)
	if !toolchain.UsesLibtool(dir) {
		t.Error("build-aux/ltmain.sh not found")
	}
}

// fakeRun plays a build system: it writes what each command would, per
// the function given.
// installJQ is what a fake `make install` of the fake projects does: it
// puts an empty usr/bin/jq in the stage.
func installJQ(p toolchain.Project) {
	os.MkdirAll(filepath.Join(p.StageDir, "usr", "bin"), 0o755)
	os.WriteFile(filepath.Join(p.StageDir, "usr", "bin", "jq"), nil, 0o755)
}

func fakeRun(f func(c toolchain.Command) ([]byte, error)) toolchain.Runner {
	return func(ctx context.Context, c toolchain.Command, env []string) ([]byte, error) { return f(c) }
}

func fakeProject(t *testing.T, build recipe.BuildSystem) toolchain.Project {
	p, _ := project(t, projectCells[0], build)
	root := t.TempDir()
	p.SourceDir, p.WorkDir, p.StageDir, p.DepStage = filepath.Join(root, "src"), filepath.Join(root, "work"), filepath.Join(root, "stage"), ""
	p.ConfigCache = filepath.Join(root, "cache", "gcc.cache")
	os.MkdirAll(p.SourceDir, 0o755)
	return p
}

func TestBuildProjectChecksTheBinary(t *testing.T) {
	p := fakeProject(t, recipe.BuildAutotools)
	run := fakeRun(func(c toolchain.Command) ([]byte, error) {
		if c.Args[1] == "install" {
			os.MkdirAll(filepath.Join(p.StageDir, "usr", "bin"), 0o755)
			os.WriteFile(filepath.Join(p.StageDir, "usr", "bin", "jq-1.6"), nil, 0o755)
		}
		return nil, nil
	})
	_, err := toolchain.BuildProject(t.Context(), run, p, nil)
	if err == nil || !strings.Contains(err.Error(), "usr/bin/jq was not installed (the stage holds usr/bin/jq-1.6)") ||
		!strings.Contains(err.Error(), "recipes/jq/recipe.toml") {
		t.Errorf("error = %v", err)
	}
}

func TestBuildProjectConfigureFails(t *testing.T) {
	p := fakeProject(t, recipe.BuildAutotools)
	run := fakeRun(func(c toolchain.Command) ([]byte, error) {
		os.WriteFile(filepath.Join(p.SourceDir, "config.log"), []byte("lots\nconfigure:4242: error: onig not found\n"), 0o644)
		return []byte("checking for onig... no\nconfigure: error: see config.log\n"), errors.New("exit status 1")
	})
	log, err := toolchain.BuildProject(t.Context(), run, p, nil)
	if err == nil || !strings.Contains(err.Error(), "configure: exit status 1") || !strings.Contains(err.Error(), "configure:4242: error: onig not found") {
		t.Errorf("error = %v", err)
	}
	if !strings.Contains(string(log), "$ ./configure --host=x86_64-linux-gnu") {
		t.Errorf("log = %s", log)
	}
}

// fakeSharingProject is fakeProject with a recipe that keeps the cell's
// flags, as a recipe must to share the configure cache.
func fakeSharingProject(t *testing.T) toolchain.Project {
	p := fakeProject(t, recipe.BuildAutotools)
	p.Recipe.CFlags, p.Recipe.LDFlags, p.Recipe.Defines = nil, nil, nil
	return p
}

func TestBuildProjectConfigCache(t *testing.T) {
	p := fakeSharingProject(t)
	os.MkdirAll(filepath.Dir(p.ConfigCache), 0o755)
	os.WriteFile(p.ConfigCache, []byte("ac_cv_env_CFLAGS_value=old\nac_cv_sizeof_int=4\n"), 0o644)
	var seen string
	run := fakeRun(func(c toolchain.Command) ([]byte, error) {
		if c.Args[0] == "./configure" {
			b, _ := os.ReadFile(filepath.Join(p.WorkDir, "config.cache"))
			seen = string(b)
			os.WriteFile(filepath.Join(p.WorkDir, "config.cache"), []byte(seen+"ac_cv_env_CFLAGS_value=new\nac_cv_sizeof_long=8\n"), 0o644)
		}
		if c.Args[1] == "install" {
			installJQ(p)
		}
		return nil, nil
	})
	if _, err := toolchain.BuildProject(t.Context(), run, p, nil); err != nil {
		t.Fatal(err)
	}
	if seen != "ac_cv_sizeof_int=4\n" {
		t.Errorf("configure started from %q", seen)
	}
	if b, _ := os.ReadFile(p.ConfigCache); string(b) != "ac_cv_sizeof_int=4\nac_cv_sizeof_long=8\n" {
		t.Errorf("shared cache = %q", b)
	}
}

func TestBuildProjectLibraryAndBuilt(t *testing.T) {
	p := fakeProject(t, recipe.BuildAutotools)
	p.Recipe.Kind, p.Recipe.Binary = recipe.KindLibrary, ""
	run := fakeRun(func(c toolchain.Command) ([]byte, error) {
		if c.Args[1] == "install" {
			lib := filepath.Join(p.StageDir, "usr", "lib")
			os.MkdirAll(lib, 0o755)
			os.WriteFile(filepath.Join(lib, "libonig.a"), nil, 0o644)
			os.WriteFile(filepath.Join(lib, "libonig.la"), []byte("libdir='/usr/lib'\n"), 0o644)
		}
		return nil, nil
	})
	if _, err := toolchain.BuildProject(t.Context(), run, p, nil); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ReadTree(t, p.StageDir); len(got) != 1 || got["usr/lib/libonig.a"] == nil {
		t.Errorf("library stage = %q (no .la files)", got)
	}

	m := fakeProject(t, recipe.BuildMake)
	run = fakeRun(func(c toolchain.Command) ([]byte, error) {
		os.MkdirAll(filepath.Join(m.SourceDir, "src"), 0o755)
		return nil, os.WriteFile(filepath.Join(m.SourceDir, "src", "jq"), []byte("ELF"), 0o644)
	})
	if _, err := toolchain.BuildProject(t.Context(), run, m, nil); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(m.StageDir, "usr", "bin", "jq")); err != nil || st.Mode() != 0o755 {
		t.Errorf("built file not installed as binary: %v", err)
	}
}

// TestBuildProjectInstallFiles: a recipe's install_files are copied from
// its folder into the stage after the install (0644, folders made), so
// that runtime_files can name them; a missing one fails, named.
func TestBuildProjectInstallFiles(t *testing.T) {
	p := fakeProject(t, recipe.BuildAutotools)
	p.Recipe.Dir = t.TempDir()
	bundle := []byte("-----BEGIN CERTIFICATE-----\n")
	if err := os.WriteFile(filepath.Join(p.Recipe.Dir, "ca.crt"), bundle, 0o600); err != nil {
		t.Fatal(err)
	}
	p.Recipe.InstallFiles = map[string]recipe.InstallFile{"etc/ssl/certs/ca-certificates.crt": {File: "ca.crt"}}
	p.Recipe.RuntimeFiles = []string{"etc/ssl/certs/ca-certificates.crt"}
	run := fakeRun(func(c toolchain.Command) ([]byte, error) {
		if c.Args[1] == "install" {
			installJQ(p)
		}
		return nil, nil
	})
	if _, err := toolchain.BuildProject(t.Context(), run, p, nil); err != nil {
		t.Fatal(err)
	}
	got := filepath.Join(p.StageDir, "etc", "ssl", "certs", "ca-certificates.crt")
	if b, err := os.ReadFile(got); err != nil || !bytes.Equal(b, bundle) {
		t.Errorf("stage's etc/ssl/certs/ca-certificates.crt = %q, %v; want the folder's ca.crt", b, err)
	}
	if st, err := os.Stat(got); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("mode of the installed file: %v, %v; want 0644", st.Mode(), err)
	}

	q := fakeProject(t, recipe.BuildAutotools)
	q.Recipe.Dir = t.TempDir()
	q.Recipe.InstallFiles = map[string]recipe.InstallFile{"etc/x": {File: "missing.crt"}}
	run = fakeRun(func(c toolchain.Command) ([]byte, error) {
		if c.Args[1] == "install" {
			os.MkdirAll(filepath.Join(q.StageDir, "usr", "bin"), 0o755)
			os.WriteFile(filepath.Join(q.StageDir, "usr", "bin", "jq"), nil, 0o755)
		}
		return nil, nil
	})
	if _, err := toolchain.BuildProject(t.Context(), run, q, nil); err == nil || !strings.Contains(err.Error(), "installing recipes/jq/missing.crt as etc/x") {
		t.Errorf("error = %v, want the missing folder file named", err)
	}
}

// A library that installs nothing its dependents can use is named, with
// what its stage holds, instead of a dependent's "cannot find -lwidget".
func TestBuildProjectLibraryInstalledNothing(t *testing.T) {
	p := fakeProject(t, recipe.BuildMake)
	p.Recipe.Name, p.Recipe.Kind, p.Recipe.Binary, p.Recipe.Built = "widget", recipe.KindLibrary, "", ""
	run := fakeRun(func(c toolchain.Command) ([]byte, error) {
		if c.Args[1] == "install" {
			doc := filepath.Join(p.StageDir, "usr", "share", "doc")
			os.MkdirAll(doc, 0o755)
			os.MkdirAll(filepath.Join(p.StageDir, "usr", "lib"), 0o755)
			os.WriteFile(filepath.Join(doc, "README"), nil, 0o644)
		}
		return nil, nil
	})
	_, err := toolchain.BuildProject(t.Context(), run, p, nil)
	if err == nil || !strings.Contains(err.Error(), "library widget installed no files under lib/ or include/ (the stage holds usr/share/doc/README)") {
		t.Errorf("error = %v", err)
	}
}

// TestProjectPhases: each step of a project build says whether it
// configures or makes (bench:real times the phases apart by it).
func TestProjectPhases(t *testing.T) {
	const c, m = toolchain.PhaseConfigure, toolchain.PhaseMake
	for _, tt := range []struct {
		name       string
		build      recipe.BuildSystem
		autoreconf bool
		built      string
		want       []toolchain.Phase
	}{
		{"autotools", recipe.BuildAutotools, false, "", []toolchain.Phase{c, m, m}},
		{"autotools with autoreconf", recipe.BuildAutotools, true, "", []toolchain.Phase{c, c, m, m}},
		{"cmake", recipe.BuildCMake, false, "", []toolchain.Phase{c, m, m}},
		{"make with a built file", recipe.BuildMake, false, "src/jq", []toolchain.Phase{m}},
		{"make with an install", recipe.BuildMake, false, "", []toolchain.Phase{m, m}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := project(t, projectCells[0], tt.build)
			p.Recipe.Autoreconf, p.Recipe.Built = tt.autoreconf, tt.built
			var got []toolchain.Phase
			for _, s := range p.Steps() {
				got = append(got, s.Phase)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("phases %v, want %v (steps %q)", got, tt.want, p.Steps())
			}
		})
	}
}

// Every build system a recipe may name is registered: it has steps, and
// BuildProject refuses build = "files" by name.
func TestEveryBuildSystemRegistered(t *testing.T) {
	for _, bs := range recipe.BuildSystems {
		p, _ := project(t, projectCells[0], bs)
		if got := len(p.Steps()); (got == 0) != (bs == recipe.BuildFiles) {
			t.Errorf("build = %q has %d steps", bs, got)
		}
	}
	p, _ := project(t, projectCells[0], recipe.BuildFiles)
	if _, err := toolchain.BuildProject(t.Context(), toolchain.Exec, p, nil); err == nil || !strings.Contains(err.Error(), `build = "files" is no build system (have autotools, cmake, make)`) {
		t.Errorf("BuildProject of a files recipe: %v", err)
	}
}

// A step's Vars are variables the cell's environment sets: what a
// person building by hand writes in front of the command.
func TestStepVarsAreSet(t *testing.T) {
	for _, c := range projectCells {
		for _, bs := range []recipe.BuildSystem{recipe.BuildAutotools, recipe.BuildCMake, recipe.BuildMake} {
			p, base := project(t, c, bs)
			set := map[string]bool{}
			for _, e := range p.Env(base) {
				k, _, _ := strings.Cut(e, "=")
				set[k] = true
			}
			var vars []string
			for _, s := range p.Steps() {
				for _, v := range s.Vars {
					vars = append(vars, v)
					if !set[v] && v != "CXX" { // CXX only with a C++ compiler
						t.Errorf("%s %s: %s reads %s, which the environment does not set", c.name, bs, s, v)
					}
				}
			}
			if (len(vars) == 0) != (bs == recipe.BuildMake) { // make takes them as arguments
				t.Errorf("%s %s: steps read %v from the environment", c.name, bs, vars)
			}
		}
	}
}

// fakeAutotools plays configure (writing found to the cell's config.cache
// and config.log), make (failing with makeErr) and make install.
func fakeAutotools(p toolchain.Project, found string, makeErr error) toolchain.Runner {
	return fakeRun(func(c toolchain.Command) ([]byte, error) {
		switch {
		case c.Args[0] == "./configure":
			cache := filepath.Join(p.WorkDir, "config.cache")
			old, _ := os.ReadFile(cache)
			os.WriteFile(cache, append(old, found...), 0o644)
			os.WriteFile(filepath.Join(p.SourceDir, "config.log"), []byte("checking for strdup... no\n"), 0o644)
		case c.Args[1] == "install":
			installJQ(p)
		default:
			return []byte("undefined reference to `__wrap_strdup'\n"), makeErr
		}
		return nil, nil
	})
}

// A configure whose cell then fails to build (its link tests failed for
// a reason that also fails its link) leaves the shared cache as it was;
// one that builds adds its entries to the others'.
func TestConfigCacheTakesOnlyBuiltCells(t *testing.T) {
	p := fakeSharingProject(t)
	os.MkdirAll(filepath.Dir(p.ConfigCache), 0o755)
	const before = "ac_cv_sizeof_int=4\n"
	os.WriteFile(p.ConfigCache, []byte(before), 0o644)
	run := fakeAutotools(p, "ac_cv_func_strdup=no\n", errors.New("exit status 2"))
	if _, err := toolchain.BuildProject(t.Context(), run, p, nil); err == nil {
		t.Fatal("the build succeeded, want make's failure")
	}
	if b, _ := os.ReadFile(p.ConfigCache); string(b) != before {
		t.Errorf("a cell that failed changed the shared cache to %q", b)
	}
	p2 := fakeSharingProject(t)
	p2.ConfigCache = p.ConfigCache
	if _, err := toolchain.BuildProject(t.Context(), fakeAutotools(p2, "ac_cv_func_strdup=yes\n", nil), p2, nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p.ConfigCache); string(b) != "ac_cv_func_strdup=yes\nac_cv_sizeof_int=4\n" {
		t.Errorf("shared cache after a cell built = %q", b)
	}
}

// A recipe's own flags make its configure's answers its own: it neither
// reads nor writes the shared cache.
func TestConfigCacheNotSharedWithOwnFlags(t *testing.T) {
	for name, change := range map[string]func(r *recipe.Recipe){
		"ldflags":              func(r *recipe.Recipe) { r.LDFlags = []string{"-Wl,--wrap=strdup"} },
		"cflags":               func(r *recipe.Recipe) { r.CFlags = []string{"-std=c11"} },
		"defines":              func(r *recipe.Recipe) { r.Defines = []string{"_GNU_SOURCE"} },
		"env LIBS":             func(r *recipe.Recipe) { r.Env = map[string]string{"LIBS": "-lm"} },
		"configure_args LIBS=": func(r *recipe.Recipe) { r.ConfigureArgs = append(r.ConfigureArgs, "LIBS=-lm") },
	} {
		t.Run(name, func(t *testing.T) {
			p := fakeSharingProject(t)
			change(p.Recipe)
			if conf := p.Steps()[0].Args; slices.ContainsFunc(conf, func(a string) bool { return strings.HasPrefix(a, "--cache-file=") }) {
				t.Errorf("configure takes the shared cache: %q", conf)
			}
			if _, err := toolchain.BuildProject(t.Context(), fakeAutotools(p, "ac_cv_func_strdup=no\n", nil), p, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(p.ConfigCache); err == nil {
				t.Error("the recipe wrote the shared cache")
			}
		})
	}
	p := fakeSharingProject(t)
	p.Recipe.Env = map[string]string{"JQ_EXTRA": "1"}
	p.Recipe.ConfigureArgs = []string{"--with-oniguruma={stage}/usr"}
	if conf := p.Steps()[0].Args; !slices.Contains(conf, "--cache-file="+filepath.Join(p.WorkDir, "config.cache")) {
		t.Errorf("a recipe with the cell's flags does not share the cache: %q", conf)
	}
}

// A recipe's [static] and [dynamic] arguments reach only their linkage's
// commands, after the common ones.
func TestLinkageArgsInSteps(t *testing.T) {
	for _, l := range recipe.Linkages {
		p := fakeSharingProject(t)
		p.Linkage = l
		p.Recipe.Build, p.Recipe.MakeArgs = recipe.BuildMake, []string{"lz4"}
		p.Recipe.Dynamic = recipe.LinkageArgs{MakeArgs: []string{"liblz4.so"}, LDFlags: []string{"-Wl,-z,now"}}
		p.Recipe.Static = recipe.LinkageArgs{CFlags: []string{"-DSTATIC_ONLY"}}
		all := strings.Join(p.Steps()[0].Args, " ")
		dynamic := l == recipe.Dynamic
		if strings.Contains(all, "lz4 liblz4.so") != dynamic || strings.Contains(all, "-Wl,-z,now") != dynamic || strings.Contains(all, "-DSTATIC_ONLY") == dynamic {
			t.Errorf("%s make: %s", l, all)
		}
	}
}
