package toolchain

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// Command is one process to start: argv and working directory. The
// environment is given separately and is the same for every step of a cell.
type Command struct {
	Args []string
	Dir  string
}

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
	Output   string // path of the linked binary
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
		return p.argv(p.Def.CXX)
	}
	return p.argv(p.Def.CC)
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
	f = append(f, p.Recipe.CFlags...)
	for _, inc := range p.Recipe.IncludeDirs {
		f = append(f, "-I"+filepath.Clean(inc))
	}
	for _, d := range p.Recipe.Defines {
		f = append(f, "-D"+d)
	}
	return f
}

// Steps lists the commands that build the cell, in order: each static
// library's objects and archive, then the program. The commands run in the
// recipe folder so sources are named relative to it.
func (p Plan) Steps() []Command {
	var steps []Command
	var archives []string
	for _, lib := range p.Recipe.StaticLibraries {
		var objs []string
		for i, src := range lib.Sources {
			obj := filepath.Join(p.WorkDir, lib.Name, strconv.Itoa(i)+"-"+strings.TrimSuffix(filepath.Base(src), filepath.Ext(src))+".o")
			args := append(p.compiler(), p.commonFlags()...)
			args = append(args, "-c", filepath.Clean(src), "-o", obj)
			steps = append(steps, Command{Args: args, Dir: p.Recipe.Dir})
			objs = append(objs, obj)
		}
		archive := filepath.Join(p.WorkDir, "lib"+lib.Name+".a")
		// D: deterministic archive (zero timestamps, uids and modes).
		args := append(p.argv(p.Def.AR), "rcsD", archive)
		steps = append(steps, Command{Args: append(args, objs...), Dir: p.Recipe.Dir})
		archives = append(archives, archive)
	}
	args := append(p.compiler(), p.commonFlags()...)
	for _, src := range p.Recipe.Sources {
		args = append(args, filepath.Clean(src))
	}
	args = append(args, archives...)
	args = append(args, p.Recipe.LDFlags...)
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
		"ZIG_GLOBAL_CACHE_DIR=" + filepath.Join(c.CacheDir, "zig-cache"),
		"ZIG_LOCAL_CACHE_DIR=" + filepath.Join(c.CacheDir, "zig-cache"),
	}
	return env
}

// SystemPath is the PATH every compiler gets after its own directory.
var SystemPath = []string{"/usr/local/bin", "/usr/bin", "/bin"}
