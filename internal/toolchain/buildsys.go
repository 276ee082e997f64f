package toolchain

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// A project recipe (build = "autotools", "cmake" or "make") is built by its
// own build system, driven by the cell's toolchain. Project describes one
// such cell; its methods are pure: the commands, the environment and the
// files (wrapper scripts, CMake toolchain file) that BuildProject writes
// and runs. What is common to every build system (the tools as single
// words, the flags, the environment, the recipe's placeholders) is here;
// each build system is a file of its own (autotools.go, cmake.go,
// make.go) registered in buildSystems.

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
	// CompileCache is the shared autoconf cache of the compile results of
	// both linkages of the toolchain and platform (CompileCacheFile), in
	// the folder of ConfigCache; "" when the linkages compile differently:
	// ConfigCache then holds all.
	CompileCache string
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

// tool is one program the build systems are given as a single word: the
// command itself when it is one word, else a wrapper script in bin/ (zig
// cc -target T: some configure scripts take CC as one word, ziglang/zig#12413).
type tool struct {
	name string   // the wrapper's name
	argv []string // the command
}

func (p Project) tools() []tool {
	plan := Plan{Target: p.Target, Linkage: p.Linkage, Resolved: p.Resolved}
	out := []tool{{"cc", plan.compilerArgv(p.Def.CC)}}
	if len(p.Def.CXX) > 0 {
		out = append(out, tool{"c++", plan.compilerArgv(p.Def.CXX)})
	}
	ar := tool{"ar", p.argv(p.Def.AR)}
	ranlib, ok := p.besideAR("ranlib", "ranlib", "ranlib")
	if !ok {
		ranlib = tool{"ranlib", ar.argv} // an archiver of another name: as before, its own ranlib
	}
	out = append(out, ar, ranlib)
	if ld, ok := p.besideAR("ld", "ld", "ld.lld"); ok {
		out = append(out, ld)
	}
	return out
}

// besideArchiver is the tool named after the archiver: binutils'
// {prefix}<binutil> beside {prefix}ar, zig's <zigSub> beside zig ar; nil
// when the archiver is neither. ranlib is one ({prefix}ranlib, zig
// ranlib), ld another ({prefix}ld, zig's ld.lld: a Makefile's $(LD) -r
// must not be the host's ld, which refuses another machine's objects).
func besideArchiver(ar []string, binutil, zigSub string) []string {
	if len(ar) == 0 {
		return nil
	}
	out := slices.Clone(ar)
	last := out[len(out)-1]
	switch {
	case len(out) > 1 && last == "ar":
		out[len(out)-1] = zigSub
	case strings.HasSuffix(last, "ar"):
		out[len(out)-1] = strings.TrimSuffix(last, "ar") + binutil
	default:
		return nil
	}
	return out
}

// besideAR is besideArchiver's tool for the cell, zig resolved as the
// archiver's zig.
func (p Project) besideAR(name, binutil, zigSub string) (tool, bool) {
	t := besideArchiver(p.Def.AR, binutil, zigSub)
	switch {
	case len(t) > 1:
		return tool{name, append(p.argv(p.Def.AR)[:1:1], t[1:]...)}, true
	case len(t) == 1:
		return tool{name, Expand(t, p.Target, p.Linkage)}, true
	}
	return tool{}, false
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
// and the build system's own files (CMake's toolchain file). The scripts hold the resolved
// compiler's path: they live in WorkDir, never in an artifact, and a cache
// key should name them through WorkDir's placeholder.
func (p Project) Files() []File {
	var out []File
	for _, t := range p.tools() {
		if len(t.argv) > 1 {
			data := script(t.argv)
			if t.name == "cc" || t.name == "c++" {
				data = compilerScript(t.argv)
			}
			out = append(out, File{filepath.Join(p.binDir(), t.name), data, 0o755})
		}
	}
	pc := []string{"pkg-config"}
	if p.Linkage == recipe.Static {
		// Static links need the dependencies' private libraries too.
		pc = append(pc, "--static")
	}
	out = append(out, File{filepath.Join(p.binDir(), "pkg-config"), script(pc), 0o755})
	if bs, ok := p.system(); ok {
		out = append(out, bs.files(p)...)
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
	return append(f, p.Recipe.Args(p.Linkage).CFlags...)
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
	return append(f, p.Recipe.Args(p.Linkage).LDFlags...)
}

// Env is the environment of every command of the cell: base (Env's
// explicit environment: PATH, LC_ALL, TZ, SOURCE_DATE_EPOCH, ...) plus the
// compilers, flags and pkg-config of the cell, the build system's own
// variables (CMake's DESTDIR) and the recipe's env, sorted.
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
		"LD":                     p.toolWord("ld"),
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
	if bs, ok := p.system(); ok {
		maps.Copy(vars, bs.vars(p))
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
// {ranlib}, {ld}, {cflags}, {cppflags}, {ldflags}, and {libs}: "static" in
// static cells, "shared" in dynamic ones (zlib's --static / --shared).
func (p Project) ExpandArgs(args []string) []string {
	libs := "shared"
	if p.Linkage == recipe.Static {
		libs = "static"
	}
	r := strings.NewReplacer(
		"{stage}", p.depStage(), "{host}", p.Host(), "{build}", BuildTriple(), "{jobs}", strconv.Itoa(p.jobs()),
		"{cc}", p.toolWord("cc"), "{cxx}", p.toolWord("c++"), "{ar}", p.toolWord("ar"), "{ranlib}", p.toolWord("ranlib"), "{ld}", p.toolWord("ld"),
		"{cflags}", strings.Join(p.CFlags(), " "), "{cppflags}", strings.Join(p.CPPFlags(), " "),
		"{ldflags}", strings.Join(p.LDFlags(), " "), "{libs}", libs,
	)
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = r.Replace(a)
	}
	return out
}

// A buildSystem is one way a project builds. Each lives in a file of its
// own and is registered in buildSystems under its recipe.BuildSystem: a
// new build system is a new file and a line there (and its name in
// recipe.BuildSystems).
type buildSystem interface {
	// steps are the cell's commands, in order.
	steps(p Project) []Command
	// files are what it needs written besides the wrappers (CMake's
	// toolchain file).
	files(p Project) []File
	// vars are its variables in the cell's environment (CMake's DESTDIR).
	vars(p Project) map[string]string
	// runStep runs one of its steps; a failure's error carries the step
	// and the end of its output (stepError), and what else explains it.
	runStep(ctx context.Context, run Runner, p Project, c Command, env []string) ([]byte, error)
}

// buildSystems are the build systems by the name a recipe's build gives.
var buildSystems = map[recipe.BuildSystem]buildSystem{
	recipe.BuildAutotools: autotools{},
	recipe.BuildCMake:     cmake{},
	recipe.BuildMake:      makefile{},
}

// system is the build system of p's recipe; false for build = "files".
func (p Project) system() (buildSystem, bool) {
	bs, ok := buildSystems[p.Recipe.BuildSystem()]
	return bs, ok
}

// Steps lists the cell's commands in order, as the recipe's build system
// gives them (see autotools, cmake and makefile). Each step carries its
// Phase (autoreconf, configure and cmake's configure step are
// PhaseConfigure, the builds and installs PhaseMake) and the Vars of the
// environment it takes its tools and flags from.
func (p Project) Steps() []Command {
	if bs, ok := p.system(); ok {
		return bs.steps(p)
	}
	return nil
}
