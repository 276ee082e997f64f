package toolchain

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The cache key of a cell covers the recipe's own files (recipe.Inputs), not
// what the compiler happens to read elsewhere. So the build writes a Make
// dependency file for every source (see Steps), and after it CheckDeps holds what
// the compiler read against what the key covers: a file outside the recipe
// folder, or inside it but not an input, fails the build, so that no binary
// built from it is ever cached or served.

// DepFile is the dependency file a step writes for one source.
type DepFile struct {
	Source string // the compiled source, relative to the recipe folder
	Path   string // the file -MF names, under the plan's work dir
}

// ParseDepFile returns the prerequisites of the rules in a Make dependency
// file as gcc and clang write them ("obj.o: src.c a.h \" with continuation
// lines, "\ " for a space, "$$" for a dollar), in order and without
// duplicates. Targets are dropped. A file without a rule is an error: a
// compiler that honours -MD always writes one.
func ParseDepFile(data []byte) ([]string, error) {
	var (
		deps      []string
		seen      = map[string]bool{}
		tok       strings.Builder
		inTok     bool // tok holds a word, possibly empty ("" is not a name)
		inTargets = true
		rules     int
		line      = 1
		ruleWords int // words of the current rule, targets included
	)
	flush := func() {
		if !inTok {
			return
		}
		w := tok.String()
		tok.Reset()
		inTok = false
		ruleWords++
		if inTargets || seen[w] {
			return
		}
		seen[w] = true
		deps = append(deps, w)
	}
	endRule := func() error {
		flush()
		if inTargets && ruleWords > 0 {
			return fmt.Errorf("line %d: no ':' after the targets", line)
		}
		if !inTargets {
			rules++
		}
		inTargets, ruleWords = true, 0
		return nil
	}
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case c == '\\':
			// A run of n backslashes before a blank stands for n/2
			// backslashes, and for an escaped blank when n is odd.
			n := 1
			for i+n < len(data) && data[i+n] == '\\' {
				n++
			}
			next, cr := byte(0), 0
			if i+n < len(data) {
				next = data[i+n]
			}
			if next == '\r' && i+n+1 < len(data) && data[i+n+1] == '\n' {
				next, cr = '\n', 1 // the \r goes with the continuation
			}
			switch next {
			case ' ', '\t', '#':
				tok.WriteString(strings.Repeat(`\`, n/2))
				inTok = true
				if n%2 == 1 {
					tok.WriteByte(next)
					i += n
				} else {
					i += n - 1 // the blank ends the word on the next turn
				}
			case '\n':
				// Backslash-newline continues the rule: a word boundary.
				if n > 1 {
					tok.WriteString(strings.Repeat(`\`, n-1))
					inTok = true
				}
				flush()
				i += n + cr
				line++
			default:
				tok.WriteString(strings.Repeat(`\`, n))
				inTok = true
				i += n - 1
			}
		case c == '$' && i+1 < len(data) && data[i+1] == '$':
			tok.WriteByte('$')
			inTok = true
			i++
		case c == ':' && inTargets && (i+1 == len(data) || strings.IndexByte(" \t\r\n", data[i+1]) >= 0):
			flush()
			inTargets = false
		case c == '#' && !inTok:
			for i < len(data) && data[i] != '\n' {
				i++
			}
			i-- // the newline ends the rule on the next turn
		case c == ' ' || c == '\t' || c == '\r':
			flush()
		case c == '\n':
			if err := endRule(); err != nil {
				return nil, err
			}
			line++
		default:
			tok.WriteByte(c)
			inTok = true
		}
	}
	if err := endRule(); err != nil {
		return nil, err
	}
	if rules == 0 {
		return nil, errors.New("no rule in the dependency file")
	}
	return deps, nil
}

// Deps is what compiling one source read, as the compiler named it: paths
// relative to the recipe folder (where the compile ran) or absolute.
type Deps struct {
	Source string
	Files  []string
}

// DepError is a file a compilation read that the cache key does not
// cover: outside the recipe folder, or inside it but not one of the
// recipe's inputs. Build returns it so that the cell fails and nothing is
// cached.
type DepError struct {
	Recipe   string // the recipe's name (its folder)
	Source   string // the compiled source, relative to the recipe folder
	Path     string // the file as the compiler named it (as written in the #include, or via -I)
	Resolved string // where it is, symlinks followed
	Outside  bool   // outside the recipe folder; else inside but not an input
}

func (e *DepError) Error() string {
	dir := "recipes/" + e.Recipe
	if e.Outside {
		return fmt.Sprintf("compiling %s read %s (resolves to %s), which is outside %s: "+
			"the cache key covers only the recipe's own files, so the cell would not be rebuilt when it changes; "+
			"copy it into %s/ (next to the sources or under an include_dirs folder) and include it from there",
			e.Source, e.Path, e.Resolved, dir, dir)
	}
	return fmt.Sprintf("compiling %s read %s (resolves to %s), which is not among the inputs of %s: "+
		"the cache key covers recipe.toml, the sources, *.h, *.hpp, *.hh and *.inc anywhere in the folder and every file under include_dirs; "+
		"give it one of those extensions or list its folder in include_dirs",
		e.Source, e.Path, e.Resolved, dir)
}

// CheckDeps checks every file the compiler read (deps) against what the
// cache key covers. A file is fine when, after following symlinks, it lies
// inside recipeDir (also resolved) and is one of inputs (paths relative to
// recipeDir, as recipe.Inputs lists them), or when it lies in one of
// systemDirs (the compiler's and the system's own headers, as the path is
// written or as it resolves). Every other file gives a *DepError; all of
// them are returned together.
func CheckDeps(deps []Deps, recipeDir string, inputs, systemDirs []string) error {
	return checkDeps(deps, recipeDir, inputs, systemDirs, false)
}

// checkDeps is CheckDeps; inRoot says the compiler ran in the build root,
// whose system files are not the host's: an absolute name in systemDirs
// is then the root's (read-only in the sandbox and covered by the lock's
// digest) and is not looked up on the host.
func checkDeps(deps []Deps, recipeDir string, inputs, systemDirs []string, inRoot bool) error {
	root, err := filepath.EvalSymlinks(recipeDir)
	if err != nil {
		return fmt.Errorf("checking what the compiler read: %w", err)
	}
	name := filepath.Base(recipeDir)
	covered := map[string]bool{}
	for _, in := range inputs {
		if real, err := filepath.EvalSymlinks(filepath.Join(recipeDir, in)); err == nil {
			covered[real] = true
		}
	}
	var sys []string
	for _, d := range systemDirs {
		sys = append(sys, filepath.Clean(d))
		if real, err := filepath.EvalSymlinks(d); err == nil {
			sys = append(sys, real)
		}
	}
	var errs []error
	seen := map[string]bool{}
	for _, d := range deps {
		for _, f := range d.Files {
			// The compiler ran in the recipe folder and resolved a relative
			// name from there, ".." after a symlink included: join without
			// cleaning and let EvalSymlinks walk it as the kernel does.
			if inRoot && filepath.IsAbs(f) && withinAny(cleaned(systemDirs), filepath.Clean(f)) {
				continue
			}
			p := f
			if !filepath.IsAbs(p) {
				p = root + string(filepath.Separator) + p
			}
			real, err := filepath.EvalSymlinks(p)
			if err != nil {
				errs = append(errs, fmt.Errorf("compiling %s read %s, which cannot be found any more (%w): build again", d.Source, f, err))
				continue
			}
			if seen[real] {
				continue
			}
			seen[real] = true
			switch {
			case within(root, real):
				if !covered[real] {
					errs = append(errs, &DepError{Recipe: name, Source: d.Source, Path: f, Resolved: real})
				}
			case filepath.IsAbs(f) && withinAny(sys, filepath.Clean(f)), withinAny(sys, real):
			default:
				errs = append(errs, &DepError{Recipe: name, Source: d.Source, Path: f, Resolved: real, Outside: true})
			}
		}
	}
	return errors.Join(errs...)
}

// within reports whether p is dir or lies under it; both are clean and absolute.
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func withinAny(dirs []string, p string) bool {
	for _, d := range dirs {
		if within(d, p) {
			return true
		}
	}
	return false
}

// DepFiles lists the dependency file of every source, in the order Steps
// writes them: the static libraries' sources, then the program's.
func (p Plan) DepFiles() []DepFile {
	var out []DepFile
	for _, s := range p.sources() {
		out = append(out, DepFile{Source: s.src, Path: s.dep})
	}
	return out
}

// SystemDirs are the directories whose files a compile may read without
// their being in the cache key: the system's headers and the compiler's own
// (/usr/include, /usr/local/include, /usr/lib with gcc's and musl's include
// dirs, the target's sysroot) and the installation of the compiler, found
// in pathDirs unless Resolved names it: the folder of the binary, or its
// parent when that folder is a bin/ (zig keeps its lib/ next to the binary).
// A compiler installed in /usr adds nothing: "/usr" as a whole would count
// a checkout under /usr/src as system headers.
func (p Plan) SystemDirs(pathDirs []string) []string {
	dirs := []string{"/usr/include", "/usr/local/include", "/usr/lib"}
	if p.Target.Sysroot != "" {
		dirs = append(dirs, p.Target.Sysroot)
	}
	cc := p.compiler()
	if len(cc) == 0 {
		return dirs
	}
	bin, err := LookPath(cc[0], pathDirs)
	if err != nil {
		return dirs
	}
	cands := []string{bin}
	if real, err := filepath.EvalSymlinks(bin); err == nil && real != bin {
		cands = append(cands, real)
	}
	for _, b := range cands {
		d := filepath.Dir(b)
		if filepath.Base(d) == "bin" {
			d = filepath.Dir(d)
		}
		if d != "/" && d != "/usr" && !withinAny(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// checkDeps reads the dependency files of a finished build and checks them.
func (p Plan) checkDeps(env []string) error {
	var deps []Deps
	for _, df := range p.DepFiles() {
		data, err := os.ReadFile(df.Path)
		if err != nil {
			return fmt.Errorf("reading what compiling %s read (the compiler wrote no -MF file): %w", df.Source, err)
		}
		files, err := ParseDepFile(data)
		if err != nil {
			return fmt.Errorf("parsing %s: %w", df.Path, err)
		}
		deps = append(deps, Deps{Source: df.Source, Files: files})
	}
	inputs, err := p.Recipe.Inputs()
	if err != nil {
		return err
	}
	return checkDeps(deps, p.Recipe.Dir, inputs, p.SystemDirs(envPath(env)), p.InRoot)
}

// envPath is the PATH of an environment, split.
func envPath(env []string) []string {
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			return filepath.SplitList(v)
		}
	}
	return nil
}

func cleaned(dirs []string) []string {
	out := make([]string, len(dirs))
	for i, d := range dirs {
		out[i] = filepath.Clean(d)
	}
	return out
}
