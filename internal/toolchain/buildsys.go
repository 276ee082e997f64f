package toolchain

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// A project recipe (build = "autotools", "cmake" or "make") is built by its
// own build system, driven by the cell's toolchain. Project describes one
// such cell; its methods are pure: the commands, the environment and the
// files (wrapper scripts, CMake toolchain file) that BuildProject writes
// and runs.

// BuildPackages are the Debian packages the build systems and source
// trees need on the host: make, CMake and Ninja, pkg-config, GNU patch,
// autoconf, automake and libtool for recipes that regenerate their
// configure, bison and flex for trees that ship only their grammars (jq). Setup installs them with the toolchains' packages.
var BuildPackages = []string{"autoconf", "automake", "bison", "cmake", "flex", "libtool", "make", "ninja-build", "patch", "pkgconf"}

// Project is one cell's build of a project recipe, with paths resolved.
type Project struct {
	Def     *Definition
	Target  Target
	Linkage recipe.Linkage
	Recipe  *recipe.Recipe
	// Resolved replaces argv[0] of the cc/cxx/ar templates with absolute
	// paths (from Detect), as in Plan.
	Resolved map[string]string
	// SourceDir is the cell's own copy of the source tree (source.Store.Tree):
	// autotools and make build inside it.
	SourceDir string
	// WorkDir is the cell's scratch folder: wrapper scripts (bin/), the
	// CMake toolchain file and build folder, the config.cache in use.
	WorkDir string
	// StageDir is where the project installs (DESTDIR): the binary, the
	// runtime files, a library's headers and archives.
	StageDir string
	// DepStage holds the installs of the recipe's dependencies (prefix
	// /usr); "" when it has none.
	DepStage string
	// ConfigCache is the shared autoconf cache of the toolchain, platform
	// and linkage (ConfigCacheFile); "" for none.
	ConfigCache string
	// Libtool says that the project links with libtool (UsesLibtool), which
	// drops a bare -static: static cells then pass -all-static to make.
	Libtool bool
	Jobs    int // make -j; 0 means 1
}

// File is a file BuildProject writes before the first command.
type File struct {
	Path string
	Data []byte
	Mode os.FileMode
}

// GNUTriple is the GNU system type of a platform and C library, as
// configure's --host and config.sub want it (zig's "aarch64-linux-gnu.2.34"
// is not one).
func GNUTriple(p recipe.Platform, libc string) string {
	f, _ := p.Facts()
	return f.Triple(libc)
}

// BuildTriple is the GNU system type of this machine (configure's --build).
func BuildTriple() string {
	f, ok := recipe.FindPlatform(func(f recipe.PlatformFacts) bool { return f.OCIArch == runtime.GOARCH })
	if !ok {
		return runtime.GOARCH + "-linux-gnu"
	}
	return f.GlibcTriple
}

// Host is the cell's --host triple.
func (p Project) Host() string { return GNUTriple(p.Target.Platform, p.Def.Linkage(p.Linkage).Libc) }

func (p Project) binDir() string { return filepath.Join(p.WorkDir, "bin") }

func (p Project) jobs() int {
	if p.Jobs < 1 {
		return 1
	}
	return p.Jobs
}

func (p Project) argv(tmpl []string) []string {
	return Plan{Target: p.Target, Linkage: p.Linkage, Resolved: p.Resolved}.argv(tmpl)
}

// ranlibTemplate derives ranlib from the archiver: {prefix}ar gives
// {prefix}ranlib, zig ar gives zig ranlib.
func ranlibTemplate(ar []string) []string {
	if len(ar) == 0 {
		return nil
	}
	out := append([]string(nil), ar...)
	last := out[len(out)-1]
	if strings.HasSuffix(last, "ar") {
		out[len(out)-1] = strings.TrimSuffix(last, "ar") + "ranlib"
	}
	return out
}

// tool is one program the build systems are given as a single word: the
// command itself when it is one word, else a wrapper script in bin/ (zig
// cc -target T: some configure scripts take CC as one word, ziglang/zig#12413).
type tool struct {
	name string   // the wrapper's name
	argv []string // the command
}

func (p Project) tools() []tool {
	out := []tool{{"cc", p.argv(p.Def.CC)}}
	if len(p.Def.CXX) > 0 {
		out = append(out, tool{"c++", p.argv(p.Def.CXX)})
	}
	ranlib := ranlibTemplate(p.Def.AR)
	if len(ranlib) > 1 {
		// zig ranlib: resolve zig as the archiver's zig.
		ranlib = append(p.argv(p.Def.AR)[:1:1], ranlib[1:]...)
	} else {
		ranlib = Expand(ranlib, p.Target, p.Linkage)
	}
	return append(out, tool{"ar", p.argv(p.Def.AR)}, tool{"ranlib", ranlib})
}

// word is the single word naming t.
func (p Project) word(t tool) string {
	if len(t.argv) == 1 {
		return t.argv[0]
	}
	return filepath.Join(p.binDir(), t.name)
}

func (p Project) toolWord(name string) string {
	for _, t := range p.tools() {
		if t.name == name {
			return p.word(t)
		}
	}
	return ""
}

// Files are the wrapper scripts (bin/cc, bin/c++, bin/ar, bin/ranlib for
// multi-word commands, and bin/pkg-config, with --static in static cells)
// and, for CMake, the toolchain file. The scripts hold the resolved
// compiler's path: they live in WorkDir, never in an artifact, and a cache
// key should name them through WorkDir's placeholder.
func (p Project) Files() []File {
	var out []File
	for _, t := range p.tools() {
		if len(t.argv) > 1 {
			out = append(out, File{filepath.Join(p.binDir(), t.name), script(t.argv), 0o755})
		}
	}
	pc := []string{"pkg-config"}
	if p.Linkage == recipe.Static {
		// Static links need the dependencies' private libraries too.
		pc = append(pc, "--static")
	}
	out = append(out, File{filepath.Join(p.binDir(), "pkg-config"), script(pc), 0o755})
	if p.Recipe.BuildSystem() == recipe.BuildCMake {
		out = append(out, File{p.toolchainFilePath(), p.ToolchainFile(), 0o644})
	}
	return out
}

func script(argv []string) []byte {
	var b strings.Builder
	b.WriteString("#!/bin/sh\nexec")
	for _, a := range argv {
		b.WriteString(" " + shellQuote(a))
	}
	b.WriteString(" \"$@\"\n")
	return []byte(b.String())
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./+=:,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func (p Project) toolchainFilePath() string { return filepath.Join(p.WorkDir, "toolchain.cmake") }

func (p Project) cmakeBuildDir() string { return filepath.Join(p.WorkDir, "build") }

// depStage is the dependency stage, an empty folder of WorkDir when the
// recipe has no dependencies (so that pkg-config never looks at the host).
func (p Project) depStage() string {
	if p.DepStage != "" {
		return p.DepStage
	}
	return filepath.Join(p.WorkDir, "deps")
}

// CFlags are the cell's C flags: an optimisation level first (zig cc
// without -O builds Debug code with UBSan traps that die with SIGILL),
// the build paths mapped away (source, work dir and dependency stage:
// config.h and debug info see "."), then the recipe's cflags.
func (p Project) CFlags() []string {
	f := []string{"-O2"}
	for _, d := range []string{p.SourceDir, p.WorkDir, p.DepStage} {
		if d != "" {
			f = append(f, "-ffile-prefix-map="+d+"=.")
		}
	}
	return append(f, p.Recipe.CFlags...)
}

// CPPFlags find the dependencies' headers, and hold the recipe's defines.
func (p Project) CPPFlags() []string {
	var f []string
	if p.DepStage != "" {
		f = append(f, "-I"+filepath.Join(p.DepStage, "usr", "include"))
	}
	for _, d := range p.Recipe.Defines {
		f = append(f, "-D"+d)
	}
	return f
}

// LDFlags are the toolchain's and the linkage's flags (-s, the build id,
// -static), the dependencies' library folder and the recipe's ldflags.
func (p Project) LDFlags() []string {
	f := append([]string(nil), p.Def.Flags...)
	f = append(f, p.Def.Linkage(p.Linkage).Flags...)
	if p.DepStage != "" {
		f = append(f, "-L"+filepath.Join(p.DepStage, "usr", "lib"))
	}
	return append(f, p.Recipe.LDFlags...)
}

// Env is the environment of every command of the cell: base (Env's
// explicit environment: PATH, LC_ALL, TZ, SOURCE_DATE_EPOCH, ...) plus the
// compilers, flags and pkg-config of the cell and the recipe's env, sorted.
// CC_FOR_BUILD is the host's gcc, not the cross compiler (ziglang/zig#19790).
func (p Project) Env(base []string) []string {
	dep := p.depStage()
	vars := map[string]string{
		"AR":                     p.toolWord("ar"),
		"CC":                     p.toolWord("cc"),
		"CC_FOR_BUILD":           "gcc",
		"CFLAGS":                 strings.Join(p.CFlags(), " "),
		"CPPFLAGS":               strings.Join(p.CPPFlags(), " "),
		"CXXFLAGS":               strings.Join(p.CFlags(), " "),
		"LDFLAGS":                strings.Join(p.LDFlags(), " "),
		"PKG_CONFIG":             filepath.Join(p.binDir(), "pkg-config"),
		"PKG_CONFIG_LIBDIR":      filepath.Join(dep, "usr", "lib", "pkgconfig") + ":" + filepath.Join(dep, "usr", "share", "pkgconfig"),
		"PKG_CONFIG_PATH":        "",
		"PKG_CONFIG_SYSROOT_DIR": dep,
		"RANLIB":                 p.toolWord("ranlib"),
	}
	if cxx := p.toolWord("c++"); cxx != "" {
		vars["CXX"] = cxx
	}
	if p.Recipe.BuildSystem() == recipe.BuildCMake {
		vars["DESTDIR"] = p.StageDir // read by cmake --install only
	}
	for k, v := range p.Recipe.Env {
		if _, ok := vars[k]; !ok {
			vars[k] = v
		}
	}
	var env []string
	for _, e := range base {
		k, _, _ := strings.Cut(e, "=")
		if _, override := vars[k]; override {
			continue
		}
		env = append(env, e)
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	return env
}

// ExpandArgs fills the placeholders a recipe's arguments may use: {stage}
// (the dependency stage), {host}, {build}, {jobs}, {cc}, {cxx}, {ar},
// {ranlib}, {cflags}, {cppflags}, {ldflags}, and {libs}: "static" in
// static cells, "shared" in dynamic ones (zlib's --static / --shared).
func (p Project) ExpandArgs(args []string) []string {
	libs := "shared"
	if p.Linkage == recipe.Static {
		libs = "static"
	}
	r := strings.NewReplacer(
		"{stage}", p.depStage(), "{host}", p.Host(), "{build}", BuildTriple(), "{jobs}", strconv.Itoa(p.jobs()),
		"{cc}", p.toolWord("cc"), "{cxx}", p.toolWord("c++"), "{ar}", p.toolWord("ar"), "{ranlib}", p.toolWord("ranlib"),
		"{cflags}", strings.Join(p.CFlags(), " "), "{cppflags}", strings.Join(p.CPPFlags(), " "),
		"{ldflags}", strings.Join(p.LDFlags(), " "), "{libs}", libs,
	)
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = r.Replace(a)
	}
	return out
}

// Steps lists the cell's commands in order.
//
// autotools, in the source tree: configure --host --build --prefix=/usr
// --libdir=/usr/lib, static or shared libraries by linkage, the
// config.cache in WorkDir when ConfigCache is set, the recipe's
// configure_args; make -jN; make install DESTDIR=<stage>. A static cell of
// a libtool project passes LDFLAGS with -all-static to make, because
// libtool drops a bare -static when it links programs (as static-curl does).
//
// cmake: cmake -G Ninja with the generated toolchain file, Release,
// prefix /usr, BUILD_SHARED_LIBS by linkage and the recipe's cmake_args;
// cmake --build; cmake --install (DESTDIR from Env).
//
// make, in the source tree: make -jN with CC, AR, RANLIB, CFLAGS and
// LDFLAGS as variables and the recipe's make_args (last, so they win);
// then make install DESTDIR=<stage> prefix=/usr PREFIX=/usr, unless the
// recipe names the built file to copy instead (BuildProject copies it).
//
// Each step carries its Phase: autoreconf, configure and cmake's configure
// step are PhaseConfigure, the builds and installs PhaseMake.
func (p Project) Steps() []Command {
	jobs := "-j" + strconv.Itoa(p.jobs())
	static := p.Linkage == recipe.Static
	switch p.Recipe.BuildSystem() {
	case recipe.BuildAutotools:
		conf := []string{"./configure", "--host=" + p.Host(), "--build=" + BuildTriple(), "--prefix=/usr", "--libdir=/usr/lib"}
		if p.Recipe.PlainConfigure() {
			// A hand-written configure (zlib's) takes the cell from CC,
			// AR, RANLIB and the flags in the environment.
			conf = []string{"./configure", "--prefix=/usr", "--libdir=/usr/lib"}
		} else if static {
			conf = append(conf, "--disable-shared", "--enable-static")
		} else {
			conf = append(conf, "--enable-shared", "--disable-static")
		}
		if p.ConfigCache != "" && !p.Recipe.PlainConfigure() {
			conf = append(conf, "--cache-file="+filepath.Join(p.WorkDir, "config.cache"))
		}
		conf = append(conf, p.ExpandArgs(p.Recipe.ConfigureArgs)...)
		var vars []string
		if static && p.Libtool {
			vars = append(vars, "LDFLAGS="+strings.Join(append(p.LDFlags(), "-all-static"), " "))
		}
		vars = append(vars, p.ExpandArgs(p.Recipe.MakeArgs)...)
		var steps []Command
		if p.Recipe.Autoreconf {
			steps = append(steps, Command{Args: []string{"autoreconf", "-fi"}, Dir: p.SourceDir, Phase: PhaseConfigure})
		}
		return append(steps, []Command{
			{Args: conf, Dir: p.SourceDir, Phase: PhaseConfigure},
			{Args: append([]string{"make", jobs}, vars...), Dir: p.SourceDir, Phase: PhaseMake},
			{Args: append([]string{"make", "install", "DESTDIR=" + p.StageDir}, vars...), Dir: p.SourceDir, Phase: PhaseMake},
		}...)
	case recipe.BuildCMake:
		shared := "ON"
		if static {
			shared = "OFF"
		}
		conf := []string{"cmake", "-G", "Ninja", "-S", p.SourceDir, "-B", p.cmakeBuildDir(),
			"-DCMAKE_TOOLCHAIN_FILE=" + p.toolchainFilePath(), "-DCMAKE_BUILD_TYPE=Release",
			"-DCMAKE_INSTALL_PREFIX=/usr", "-DCMAKE_INSTALL_LIBDIR=lib", "-DBUILD_SHARED_LIBS=" + shared}
		conf = append(conf, p.ExpandArgs(p.Recipe.CMakeArgs)...)
		return []Command{
			{Args: conf, Dir: p.WorkDir, Phase: PhaseConfigure},
			{Args: []string{"cmake", "--build", p.cmakeBuildDir(), "--parallel", strconv.Itoa(p.jobs())}, Dir: p.WorkDir, Phase: PhaseMake},
			{Args: []string{"cmake", "--install", p.cmakeBuildDir()}, Dir: p.WorkDir, Phase: PhaseMake},
		}
	case recipe.BuildMake:
		vars := []string{"CC=" + p.toolWord("cc"), "AR=" + p.toolWord("ar"), "RANLIB=" + p.toolWord("ranlib"),
			"CFLAGS=" + strings.Join(append(p.CPPFlags(), p.CFlags()...), " "), "LDFLAGS=" + strings.Join(p.LDFlags(), " ")}
		if cxx := p.toolWord("c++"); cxx != "" {
			vars = append(vars[:1], append([]string{"CXX=" + cxx}, vars[1:]...)...)
		}
		vars = append(vars, p.ExpandArgs(p.Recipe.MakeArgs)...)
		steps := []Command{{Args: append([]string{"make", jobs}, vars...), Dir: p.SourceDir, Phase: PhaseMake}}
		if p.Recipe.Built == "" {
			install := []string{"make", "install", "DESTDIR=" + p.StageDir, "prefix=/usr", "PREFIX=/usr"}
			steps = append(steps, Command{Args: append(install, vars...), Dir: p.SourceDir, Phase: PhaseMake})
		}
		return steps
	}
	return nil
}

// ToolchainFile is the CMake toolchain file of the cell: system name and
// processor, the compilers (single words, wrappers for zig), archiver,
// where to look for the target's libraries and headers (the dependency
// stage, then the target's sysroot) and never for programs, and .a only
// in static cells.
//
// CMAKE_SYSROOT is not set: Debian's cross gccs find their sysroot
// (/usr/<triple>) without --sysroot, which would make them look under
// /usr/<triple>/usr, and zig brings its own libc; the sysroot is a find
// root instead.
func (p Project) ToolchainFile() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Generated by fromscratch: %s, %s, %s.\n", p.Def.Name, p.Target.Platform, p.Linkage)
	fmt.Fprintf(&b, "set(CMAKE_SYSTEM_NAME Linux)\n")
	target, _ := p.Target.Platform.Facts()
	fmt.Fprintf(&b, "set(CMAKE_SYSTEM_PROCESSOR %s)\n", target.CMakeProcessor)
	fmt.Fprintf(&b, "set(CMAKE_C_COMPILER %s)\n", cmakeQuote(p.toolWord("cc")))
	if cxx := p.toolWord("c++"); cxx != "" {
		fmt.Fprintf(&b, "set(CMAKE_CXX_COMPILER %s)\n", cmakeQuote(cxx))
	}
	fmt.Fprintf(&b, "set(CMAKE_AR %s CACHE FILEPATH \"archiver\")\n", cmakeQuote(p.toolWord("ar")))
	fmt.Fprintf(&b, "set(CMAKE_RANLIB %s CACHE FILEPATH \"ranlib\")\n", cmakeQuote(p.toolWord("ranlib")))
	roots := []string{p.depStage()}
	if p.Target.Sysroot != "" {
		roots = append(roots, p.Target.Sysroot)
	} else {
		roots = append(roots, "/")
	}
	fmt.Fprintf(&b, "set(CMAKE_FIND_ROOT_PATH %s)\n", cmakeQuote(strings.Join(roots, ";")))
	fmt.Fprintf(&b, "set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)\n")
	fmt.Fprintf(&b, "set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)\n")
	fmt.Fprintf(&b, "set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)\n")
	fmt.Fprintf(&b, "set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)\n")
	if p.Linkage == recipe.Static {
		fmt.Fprintf(&b, "set(CMAKE_FIND_LIBRARY_SUFFIXES .a)\n")
	}
	return b.Bytes()
}

func cmakeQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`).Replace(s) + `"`
}

// ConfigCacheFile is where the shared autoconf cache of a toolchain,
// platform and linkage is kept under the cache directory.
func ConfigCacheFile(cache string, d *Definition, p recipe.Platform, l recipe.Linkage) string {
	return filepath.Join(cache, "configure", d.Name+"_"+p.Dir()+"_"+string(l)+".cache")
}

// FilterConfigCache keeps the entries of an autoconf cache that hold for
// every project of one toolchain, platform and linkage: it drops the
// precious variables (ac_cv_env_*: they hold the cell's paths and flags,
// and configure refuses a cache whose CFLAGS differ from its own) and every
// negative header, library or search result (ac_cv_header_*, ac_cv_lib_*,
// ac_cv_search_*), which a dependency stage can turn positive. The result
// is sorted.
func FilterConfigCache(data []byte) []byte {
	var keep []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		// Entries are "name=${name=value}" or "name=value" (autoconf 2.5x+).
		name, value, ok := strings.Cut(line, "=")
		if !ok || !strings.HasPrefix(name, "ac_cv_") || strings.HasPrefix(name, "ac_cv_env_") {
			continue
		}
		if strings.HasPrefix(value, "${"+name+"=") {
			value = strings.TrimSuffix(strings.TrimPrefix(value, "${"+name+"="), "}")
		}
		value = strings.Trim(value, `'"`)
		if value == "no" && (strings.HasPrefix(name, "ac_cv_header_") || strings.HasPrefix(name, "ac_cv_lib_") || strings.HasPrefix(name, "ac_cv_search_")) {
			continue
		}
		// Programs found and any path: a cell's tools (zig's wrapper
		// scripts) live in its own temporary work folder, gone when the
		// next cell reads the cache ("C compiler cannot create
		// executables" with a cached $CC of another cell).
		if foundProgram(name) || strings.Contains(value, "/") {
			continue
		}
		keep = append(keep, line)
	}
	sort.Strings(keep)
	if len(keep) == 0 {
		return nil
	}
	return []byte(strings.Join(keep, "\n") + "\n")
}

// foundProgram says whether a config.cache entry records where a program
// was found (ac_cv_prog_CC, ac_cv_prog_ac_ct_AR, ac_cv_path_SED) rather
// than what a compiler does (ac_cv_prog_cc_c11, ac_cv_prog_cc_g).
func foundProgram(name string) bool {
	if strings.HasPrefix(name, "ac_cv_path_") || strings.HasPrefix(name, "ac_cv_prog_ac_ct_") {
		return true
	}
	rest, ok := strings.CutPrefix(name, "ac_cv_prog_")
	return ok && rest != "" && rest[0] >= 'A' && rest[0] <= 'Z'
}

// UsesLibtool reports whether the source tree links with libtool: an
// ltmain.sh at its top or one folder down (build-aux/, config/), or a
// configure.ac that asks for libtool (a tree autoreconf will complete).
func UsesLibtool(srcDir string) bool {
	if _, err := os.Stat(filepath.Join(srcDir, "ltmain.sh")); err == nil {
		return true
	}
	if m, _ := filepath.Glob(filepath.Join(srcDir, "*", "ltmain.sh")); len(m) > 0 {
		return true
	}
	for _, f := range []string{"configure.ac", "configure.in"} {
		if data, err := os.ReadFile(filepath.Join(srcDir, f)); err == nil {
			return bytes.Contains(data, []byte("LT_INIT")) || bytes.Contains(data, []byte("AC_PROG_LIBTOOL"))
		}
	}
	return false
}
