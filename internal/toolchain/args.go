package toolchain

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// Command is one process to start: argv and working directory. The
// environment is given separately and is the same for every step of a cell.
// Phase says what the command does in a project build, for a runner that
// times the phases apart (bench:real). Vars names the variables of that
// environment the command takes its tools and flags from (configure's CC
// and CFLAGS, cmake --install's DESTDIR): a person building by hand
// writes them in front of it (bench:real's plain way). Neither is part of
// any cache key.
type Command struct {
	Args  []string
	Dir   string
	Phase Phase
	Vars  []string
}

// Phase is the part of a project build a command belongs to. Commands of
// no phase (the compiler of a recipe of files, patch, apt, docker) are the
// orchestration around the build.
type Phase string

const (
	// PhaseConfigure: autoreconf, ./configure, cmake's configure step.
	PhaseConfigure Phase = "configure"
	// PhaseMake: the build and its install (make, make install, cmake
	// --build, cmake --install, ninja).
	PhaseMake Phase = "make"
)

func (c Command) String() string { return strings.Join(c.Args, " ") }

// Expand fills {prefix} and {triple} in an argv template.
func Expand(tmpl []string, t Target, l recipe.Linkage) []string {
	triple := t.StaticTriple
	if l == recipe.Dynamic {
		triple = t.DynamicTriple
	}
	out := make([]string, len(tmpl))
	for i, a := range tmpl {
		a = strings.ReplaceAll(a, "{prefix}", t.Prefix)
		out[i] = strings.ReplaceAll(a, "{triple}", triple)
	}
	return out
}

// Applicable says whether the toolchain can build the recipe for p with
// linkage l, and if not, why. It is pure: availability on this machine is
// a separate question (Detect).
func Applicable(d *Definition, r *recipe.Recipe, p recipe.Platform, l recipe.Linkage) (string, bool) {
	t, ok := d.Target(p)
	if !ok {
		var served []string
		for _, t := range d.Targets {
			served = append(served, string(t.Platform))
		}
		return fmt.Sprintf("%s does not target %s (it serves %s)", d.Name, p, strings.Join(served, ", ")), false
	}
	if na := d.Linkage(l).NotApplicable; na != "" {
		return na, false
	}
	if na := t.NotApplicable[string(l)]; na != "" {
		return na, false
	}
	if na := t.NotApplicable["c++"]; na != "" && r.Language == recipe.CXX {
		return na, false
	}
	if r.Language == recipe.CXX && len(d.CXX) == 0 {
		return d.NoCXXReason, false
	}
	if reason, ok := r.Excluded(p, d.Name, l); ok {
		return "excluded by recipe: " + reason, false
	}
	return "", true
}

// Plan is everything one cell's compilation needs, with paths resolved.
type Plan struct {
	Def     *Definition
	Target  Target
	Linkage recipe.Linkage
	Recipe  *recipe.Recipe
	// Compiler replaces argv[0] of the cc/cxx/ar templates with resolved
	// absolute paths (from Detect); empty keeps the template's names.
	Resolved map[string]string
	WorkDir  string // scratch directory for objects and archives
	// InRoot says the steps run in the build root: the system headers the
	// compiler reads are the root's, not the host's (see checkDeps).
	InRoot bool
	// Batched runs the steps as one command (OneShell): in the build
	// root, one sandbox per cell instead of one per step. The log and a
	// failing step's error are the same.
	Batched bool
	Output  string // path of the linked binary
}

func (p Plan) argv(tmpl []string) []string {
	a := Expand(tmpl, p.Target, p.Linkage)
	if len(a) > 0 {
		if abs, ok := p.Resolved[a[0]]; ok {
			a[0] = abs
		}
	}
	return a
}

func (p Plan) compiler() []string {
	if p.Recipe.Language == recipe.CXX {
		return p.compilerArgv(p.Def.CXX)
	}
	return p.compilerArgv(p.Def.CC)
}

// compilerArgv is the C or C++ compiler command tmpl of the target, with
// its CompilerFlags.
func (p Plan) compilerArgv(tmpl []string) []string {
	return append(p.argv(tmpl), p.Target.CompilerFlags...)
}

// commonFlags are the flags of every compile and link step: toolchain,
// linkage, deterministic path mapping, recipe flags, include dirs, defines.
func (p Plan) commonFlags() []string {
	var f []string
	f = append(f, p.Def.Flags...)
	f = append(f, p.Def.Linkage(p.Linkage).Flags...)
	// The build paths never reach the binary: __FILE__, debug info and
	// assertion messages see "." instead of the machine's directories.
	f = append(f, "-ffile-prefix-map="+p.Recipe.Dir+"=.", "-ffile-prefix-map="+p.WorkDir+"=.")
	f = append(f, p.Recipe.Args(p.Linkage).CFlags...)
	for _, inc := range p.Recipe.IncludeDirs {
		f = append(f, "-I"+filepath.Clean(inc))
	}
	for _, d := range p.Recipe.Defines {
		f = append(f, "-D"+d)
	}
	return f
}

// source is one source file of the recipe, where the dependency file of
// its compile goes and, for a static library's source, its object.
type source struct{ src, dep, obj string }

// programObjDir holds the program's dependency files inside the work dir;
// library objects are in <lib name>/, and a library name cannot start with "_".
const programObjDir = "_program"

// sources lists the recipe's sources in build order: each static library's,
// then the program's.
func (p Plan) sources() []source {
	var out []source
	base := func(dir string, i int, src string) string {
		return filepath.Join(p.WorkDir, dir, strconv.Itoa(i)+"-"+strings.TrimSuffix(filepath.Base(src), filepath.Ext(src)))
	}
	for _, lib := range p.Recipe.StaticLibraries {
		for i, src := range lib.Sources {
			b := base(lib.Name, i, src)
			out = append(out, source{filepath.Clean(src), b + ".d", b + ".o"})
		}
	}
	for i, src := range p.Recipe.Sources {
		out = append(out, source{src: filepath.Clean(src), dep: base(programObjDir, i, src) + ".d"})
	}
	return out
}

// Steps lists the commands that build the cell, in order: each static
// library's objects and archive, a dependency scan of each program source,
// then the program. The commands run in the recipe folder so sources are
// named relative to it.
//
// Every source's dependency file says what compiling it reads; Build checks
// those files against the cache key (CheckDeps). A library object's compile
// writes it itself (-MD -MF, after the recipe's flags so that they cannot
// redirect it). The program is compiled and linked in one command as
// before, because zig cc 0.11 links bigger binaries from separately
// compiled objects (hello: 5,304 bytes becomes 5,656) and writes the -MD
// file of its first source only; so each program source gets a scan with
// the same flags instead (-M -MF, no compile, writing nothing to -o
// /dev/null). -MD and -M rather than -MMD and -MM: those leave out headers
// found through -isystem, which a recipe's cflags could point outside its
// folder; SystemDirs tells system headers apart. Neither changes the
// binary (measured with gcc, cross gcc, musl-gcc and zig cc).
func (p Plan) Steps() []Command {
	var steps []Command
	srcs := p.sources()
	var archives []string
	for _, lib := range p.Recipe.StaticLibraries {
		var objs []string
		for range lib.Sources {
			s := srcs[0]
			srcs = srcs[1:]
			args := append(p.compiler(), p.commonFlags()...)
			args = append(args, "-MD", "-MF", s.dep, "-c", s.src, "-o", s.obj)
			steps = append(steps, Command{Args: args, Dir: p.Recipe.Dir})
			objs = append(objs, s.obj)
		}
		archive := filepath.Join(p.WorkDir, "lib"+lib.Name+".a")
		// D: deterministic archive (zero timestamps, uids and modes).
		args := append(p.argv(p.Def.AR), "rcsD", archive)
		steps = append(steps, Command{Args: append(args, objs...), Dir: p.Recipe.Dir})
		archives = append(archives, archive)
	}
	for _, s := range srcs {
		args := append(p.compiler(), p.commonFlags()...)
		args = append(args, s.src, "-M", "-MF", s.dep, "-o", os.DevNull)
		steps = append(steps, Command{Args: args, Dir: p.Recipe.Dir})
	}
	args := append(p.compiler(), p.commonFlags()...)
	for _, s := range srcs {
		args = append(args, s.src)
	}
	args = append(args, archives...)
	args = append(args, p.Recipe.Args(p.Linkage).LDFlags...)
	for _, l := range p.Recipe.Libraries {
		args = append(args, "-l"+l)
	}
	args = append(args, "-o", p.Output)
	return append(steps, Command{Args: args, Dir: p.Recipe.Dir})
}

// EnvConfig is what the compiler environment is made of. Nothing of the
// host environment (CC, CFLAGS, LANG, TZ, ...) enters it.
type EnvConfig struct {
	PathDirs        []string // PATH, in order
	SourceDateEpoch int64
	CacheDir        string // for zig's caches and HOME
	TempDir         string
}

// Env builds the explicit, sorted environment of a compiler process.
func Env(c EnvConfig) []string {
	env := []string{
		"HOME=" + c.CacheDir,
		"LANG=C",
		"LC_ALL=C",
		"PATH=" + strings.Join(c.PathDirs, ":"),
		"SOURCE_DATE_EPOCH=" + strconv.FormatInt(c.SourceDateEpoch, 10),
		"TMPDIR=" + c.TempDir,
		"TZ=UTC",
		"ZIG_GLOBAL_CACHE_DIR=" + ZigCache(c.CacheDir),
		"ZIG_LOCAL_CACHE_DIR=" + ZigCache(c.CacheDir),
	}
	return env
}

// ZigCache is zig's cache under cacheDir (the libcs it builds once per
// target), where Env points it.
func ZigCache(cacheDir string) string { return filepath.Join(cacheDir, "zig-cache") }

// SystemPath is the PATH every compiler gets after its own directory.
var SystemPath = []string{"/usr/local/bin", "/usr/bin", "/bin"}
