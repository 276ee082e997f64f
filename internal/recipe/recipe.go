package recipe

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// FileName is the name of a recipe's description inside its folder.
const FileName = "recipe.toml"

// Recipe is one C or C++ program, loaded from recipes/<name>/recipe.toml.
type Recipe struct {
	Name        string `toml:"-"` // the folder name
	Dir         string `toml:"-"` // absolute path of the folder
	Description string `toml:"description"`
	// License is the SPDX licence expression of what the recipe builds
	// (MIT, GPL-2.0-or-later, (MIT OR Apache-2.0) AND Zlib), checked by
	// ValidateLicense. A Debian source's own debian/copyright gives it
	// when this is empty; it wins over that file when set.
	License  string   `toml:"license"`
	Language Language `toml:"language"`
	// Sources are paths relative to Dir, compiled and linked in order.
	Sources     []string `toml:"sources"`
	IncludeDirs []string `toml:"include_dirs"`
	Defines     []string `toml:"defines"`
	CFlags      []string `toml:"cflags"`
	LDFlags     []string `toml:"ldflags"`
	// Libraries are linked with -l<name> after the sources.
	Libraries       []string        `toml:"libraries"`
	StaticLibraries []StaticLibrary `toml:"static_libraries"`
	// Prebuilt names an existing ELF file on the machine to pack instead of
	// compiling sources.
	Prebuilt string    `toml:"prebuilt"`
	Smoke    Smoke     `toml:"smoke"`
	Exclude  []Exclude `toml:"exclude"`

	// The fields of projects with their own build system (project.go).
	Build         BuildSystem `toml:"build"`          // "files" (default), "autotools", "cmake", "make"
	Kind          Kind        `toml:"kind"`           // "program" (default) or "library"
	Depends       []string    `toml:"depends"`        // library recipes, built first into the cell's dependency stage
	ConfigureArgs []string    `toml:"configure_args"` // autotools: after the cell's own configure options
	// ConfigureStyle is "autoconf" (the default: --host, --build,
	// --enable/--disable-shared, the shared config.cache) or "plain", for
	// a hand-written configure that rejects autoconf's options (zlib's):
	// only --prefix=/usr --libdir=/usr/lib and configure_args.
	ConfigureStyle string `toml:"configure_style"`
	// Autoreconf runs autoreconf -fi before configure: for trees that ship
	// configure.ac but no configure (git snapshots), or whose patches
	// change configure.ac or Makefile.am.
	Autoreconf   bool              `toml:"autoreconf"`
	CMakeArgs    []string          `toml:"cmake_args"`    // cmake: after the cell's own -D options
	MakeArgs     []string          `toml:"make_args"`     // autotools and make: after the cell's own variables
	Env          map[string]string `toml:"env"`           // extra variables; ReservedEnv may not be set
	Binary       string            `toml:"binary"`        // the installed program, relative to the stage: "usr/bin/jq"
	Built        string            `toml:"built"`         // make without an install target: the program in the source tree, copied to Binary
	RuntimeFiles []string          `toml:"runtime_files"` // installed files the image needs besides the closure
	// InstallFiles are files of the recipe folder copied into the stage
	// after the install, by stage path: a file no build installs but the
	// image needs (curl's CA bundle), listed in RuntimeFiles too; each
	// may name the Debian package it was taken from (InstallFile).
	InstallFiles map[string]InstallFile `toml:"install_files"`
	Patches      []string               `toml:"patches"` // patch files in the folder, applied in order with -p1
	Source       Source                 `toml:"source"`  // the pinned source tree; the folder when unset

	// Static and Dynamic are arguments for the cells of one linkage only,
	// after the common ones ([static] and [dynamic] tables); Args merges
	// them.
	Static  LinkageArgs `toml:"static"`
	Dynamic LinkageArgs `toml:"dynamic"`
}

// LinkageArgs are the arguments a recipe gives the cells of one linkage,
// after its common ones: a shared library built only in dynamic cells
// (make_args), a configure option only for static ones, a smoke argument
// that only one linkage's program takes.
type LinkageArgs struct {
	CFlags        []string `toml:"cflags"`
	LDFlags       []string `toml:"ldflags"`
	ConfigureArgs []string `toml:"configure_args"`
	CMakeArgs     []string `toml:"cmake_args"`
	MakeArgs      []string `toml:"make_args"`
	SmokeArgs     []string `toml:"smoke_args"` // after smoke.args
}

// Args are the arguments of l's cells: the common cflags, ldflags,
// configure_args, cmake_args, make_args and smoke.args, each followed by
// the linkage's own.
func (r *Recipe) Args(l Linkage) LinkageArgs {
	own := r.Dynamic
	if l == Static {
		own = r.Static
	}
	return LinkageArgs{
		CFlags:        slices.Concat(r.CFlags, own.CFlags),
		LDFlags:       slices.Concat(r.LDFlags, own.LDFlags),
		ConfigureArgs: slices.Concat(r.ConfigureArgs, own.ConfigureArgs),
		CMakeArgs:     slices.Concat(r.CMakeArgs, own.CMakeArgs),
		MakeArgs:      slices.Concat(r.MakeArgs, own.MakeArgs),
		SmokeArgs:     slices.Concat(r.Smoke.Args, own.SmokeArgs),
	}
}

// StaticLibrary is an archive lib<Name>.a built from Sources before the
// program is linked, and linked into it.
type StaticLibrary struct {
	Name    string   `toml:"name"`
	Sources []string `toml:"sources"`
}

// Smoke is the expected behaviour of the program when its image runs.
type Smoke struct {
	Args []string `toml:"args"`
	// Stdin is the text fed to the program's stdin; StdinFile (relative to
	// the recipe folder) the bytes of a file instead. With neither, stdin
	// is empty (at end of file at once).
	Stdin     string  `toml:"stdin"`
	StdinFile string  `toml:"stdin_file"`
	Stdout    *string `toml:"stdout"`
	// StdoutFile (relative to the recipe folder) holds the exact stdout
	// expected, for output that does not fit in recipe.toml.
	StdoutFile   string `toml:"stdout_file"`
	StdoutRegexp string `toml:"stdout_regexp"`
	ExitCode     int    `toml:"exit_code"`
	Timeout      string `toml:"timeout"`
}

// HasStdin reports whether the run is fed a stdin (stdin or stdin_file).
func (s Smoke) HasStdin() bool { return s.Stdin != "" || s.StdinFile != "" }

// ReadStdin is what the run is fed on stdin, read from the recipe folder
// dir for stdin_file; nil when the recipe gives none.
func (s Smoke) ReadStdin(dir string) ([]byte, error) {
	switch {
	case s.StdinFile != "":
		return s.readFile(dir, s.StdinFile)
	case s.Stdin != "":
		return []byte(s.Stdin), nil
	}
	return nil, nil
}

// ReadStdout is the exact stdout expected: stdout, or the bytes of
// stdout_file in the recipe folder dir; nil when neither is set.
func (s Smoke) ReadStdout(dir string) (*string, error) {
	if s.StdoutFile != "" {
		data, err := s.readFile(dir, s.StdoutFile)
		if err != nil {
			return nil, err
		}
		out := string(data)
		return &out, nil
	}
	return s.Stdout, nil
}

func (s Smoke) readFile(dir, rel string) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(dir, filepath.Clean(rel)))
	if err != nil {
		return nil, fmt.Errorf("reading the smoke run's %s: %w", rel, errors.Unwrap(err))
	}
	return data, nil
}

// Exclude removes cells from the matrix; empty fields match everything.
type Exclude struct {
	Platform  string `toml:"platform"`
	Toolchain string `toml:"toolchain"`
	Linkage   string `toml:"linkage"`
	Reason    string `toml:"reason"`
}

// Excluded reports whether the cell is excluded by the recipe, and why.
func (r *Recipe) Excluded(p Platform, toolchain string, l Linkage) (string, bool) {
	for _, e := range r.Exclude {
		if e.Platform != "" && Platform(e.Platform) != p {
			continue
		}
		if e.Toolchain != "" && e.Toolchain != toolchain {
			continue
		}
		if e.Linkage != "" && Linkage(e.Linkage) != l {
			continue
		}
		return e.Reason, true
	}
	return "", false
}

// Matches reports whether out is what the recipe expects on stdout.
func (s Smoke) Matches(out string) bool {
	if s.StdoutRegexp != "" {
		return regexp.MustCompile(s.StdoutRegexp).MatchString(out)
	}
	return s.Stdout == nil || *s.Stdout == out
}

// TimeoutOrDefault is the smoke run's time limit (30 s when unset).
func (s Smoke) TimeoutOrDefault() time.Duration {
	d, err := time.ParseDuration(s.Timeout)
	if err != nil || d <= 0 {
		return 30 * time.Second
	}
	return d
}

// FieldError is a mistake in a recipe file: which file, which field, what
// is wrong and what is allowed.
type FieldError struct {
	File, Field, Problem string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.File, e.Field, e.Problem)
}

// nameRE is the rule for static library names, which become file names
// lib<name>.a only; recipe names follow ValidName.
var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// Load reads and validates the recipe in dir (recipes/<name>).
func Load(dir string) (*Recipe, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("resolving recipe dir %s: %w", dir, err)
	}
	file := filepath.Join(abs, FileName)
	shown := shownFile(abs)
	if st, err := os.Stat(file); err == nil && !st.Mode().IsRegular() {
		// Decoding would open it, and a named pipe blocks.
		kind := specialKind(st.Mode().Type())
		if st.IsDir() {
			kind = "a folder"
		}
		return nil, fmt.Errorf("reading recipe %s: it is %s, not a regular file", shown, kind)
	}
	var r Recipe
	md, err := toml.DecodeFile(file, &r)
	if err != nil {
		if fe := pinError(shown, err); fe != nil {
			return nil, fe
		}
		return nil, fmt.Errorf("reading recipe %s: %w", shown, err)
	}
	r.Name = filepath.Base(abs)
	r.Dir = abs
	// Every mistake at once: the unknown keys and what validation finds.
	if err := errors.Join(unknownKeys(shown, md.Undecoded()), r.validate(shown)); err != nil {
		return nil, err
	}
	return &r, nil
}

// pinError is the *FieldError of a pin that did not parse while file was
// decoded (err from SHA256 or Pin's UnmarshalText, which toml reports
// as a ParseError naming the key), or nil for any other error.
func pinError(file string, err error) *FieldError {
	var pe toml.ParseError
	if !errors.As(err, &pe) || !strings.HasSuffix(pe.Message, pinRule) {
		return nil
	}
	field := strings.ReplaceAll(pe.LastKey, `"`, "") // source.files."a.tar.gz"
	if field != "source.sha256" && !strings.HasPrefix(field, "source.files.") {
		return nil
	}
	return &FieldError{file, field, pe.Message}
}

// shownFile names the recipe file in dir as recipes/<name>/recipe.toml:
// where it is, without the machine's path.
func shownFile(dir string) string {
	return filepath.Join(filepath.Base(filepath.Dir(dir)), filepath.Base(dir), FileName)
}

// File names the recipe's file as errors show it:
// recipes/<name>/recipe.toml, without the machine's path.
func (r *Recipe) File() string {
	if r.Dir == "" {
		return filepath.Join("recipes", r.Name, FileName)
	}
	return shownFile(r.Dir)
}

// CheckToolchains reports every [[exclude]] whose toolchain is not one of
// known (the toolchain names of the project), as a *FieldError for the
// field exclude[i].toolchain; an empty toolchain matches every toolchain
// and is fine. Load cannot check this itself: the toolchains are defined
// outside this package.
func (r *Recipe) CheckToolchains(known []string) error {
	allowed := append([]string(nil), known...)
	sort.Strings(allowed)
	file := r.File()
	var errs []error
	for i, e := range r.Exclude {
		if e.Toolchain == "" || slices.Contains(allowed, e.Toolchain) {
			continue
		}
		errs = append(errs, &FieldError{file, fmt.Sprintf("exclude[%d].toolchain", i),
			fmt.Sprintf("unknown toolchain %q (allowed: %s)", e.Toolchain, strings.Join(allowed, ", "))})
	}
	return errors.Join(errs...)
}

// recipeKeys are the keys of recipe.toml, by table ("" is the top level).
var recipeKeys = map[string][]string{
	"": {"description", "language", "sources", "include_dirs", "defines", "cflags", "ldflags", "libraries",
		"static_libraries", "prebuilt", "smoke", "exclude", "build", "kind", "depends", "configure_args", "cmake_args", "make_args",
		"configure_style", "autoreconf", "env", "binary", "built", "runtime_files", "install_files", "patches", "source", "static", "dynamic"},
	"static_libraries": {"name", "sources"},
	"smoke":            {"args", "stdin", "stdin_file", "stdout", "stdout_file", "stdout_regexp", "exit_code", "timeout"},
	"exclude":          {"platform", "toolchain", "linkage", "reason"},
	"source":           {"debian", "version", "files", "debian_patches", "debian_patches_skip", "url", "sha256", "strip_components"},
	"static":           linkageKeys,
	"dynamic":          linkageKeys,
}

// linkageKeys are the keys of [static] and [dynamic].
var linkageKeys = []string{"cflags", "ldflags", "configure_args", "cmake_args", "make_args", "smoke_args"}

// unknownKeys is a *FieldError for each key of the file that no field
// takes (a key inside an unknown table is its table's error), with the
// closest key of its table (or a table's key of that name: "stdout" for
// smoke.stdout), or the keys of its table when none is close.
func unknownKeys(file string, undecoded []toml.Key) error {
	seen := map[string]bool{}
	var errs []error
	for _, k := range undecoded {
		parent := k[:len(k)-1].String()
		if seen[parent] {
			continue
		}
		seen[k.String()] = true
		if _, ok := recipeKeys[parent]; !ok {
			parent = "" // an unknown table: its own name is the mistake
		}
		errs = append(errs, &FieldError{file, k.String(), "unknown key " + keyHint(parent, k[len(k)-1])})
	}
	return errors.Join(errs...)
}

// keyHint suggests the key meant by name in table, or lists the table's keys.
func keyHint(table, name string) string {
	in := func(t, k string) string { return strings.TrimPrefix(t+"."+k, ".") }
	if c := Closest(name, recipeKeys[table]); c != "" {
		return fmt.Sprintf("(did you mean %s?)", in(table, c))
	}
	for _, t := range slices.Sorted(maps.Keys(recipeKeys)) {
		if slices.Contains(recipeKeys[t], name) {
			return fmt.Sprintf("(did you mean %s?)", in(t, name))
		}
	}
	where := ""
	if table != "" {
		where = " in [" + table + "]"
	}
	return fmt.Sprintf("(allowed%s: %s)", where, strings.Join(recipeKeys[table], ", "))
}

func (r *Recipe) validate(file string) error {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, &FieldError{file, field, fmt.Sprintf(format, a...)})
	}
	if why := nameProblem(r.Name); why != "" {
		bad("name", "folder name %q is not allowed: %s (allowed: %s)", r.Name, why, NameRule)
	}
	switch r.Language {
	case C, CXX:
	case "":
		bad("language", "missing (allowed: c, c++)")
	default:
		bad("language", "%q is not allowed (allowed: c, c++)", r.Language)
	}
	if r.License != "" {
		if err := ValidateLicense(r.License); err != nil {
			bad("license", "%v", err)
		}
	}
	r.validateProject(bad)
	switch {
	case r.IsProject():
		// validateProject checked what a project has instead of sources.
	case r.Prebuilt != "" && len(r.Sources) > 0:
		bad("prebuilt", "a recipe has either sources or prebuilt, not both")
	case r.Prebuilt != "":
		if !filepath.IsAbs(r.Prebuilt) {
			bad("prebuilt", "%q must be an absolute path to an ELF file on this machine", r.Prebuilt)
		} else if st, err := os.Stat(r.Prebuilt); err != nil || !st.Mode().IsRegular() {
			bad("prebuilt", "%q is not a regular file on this machine", r.Prebuilt)
		}
	case len(r.Sources) == 0:
		bad("sources", "missing: name at least one source file (or prebuilt)")
	}
	for i, s := range r.Sources {
		if err := r.checkPath(s, false); err != nil {
			bad(fmt.Sprintf("sources[%d]", i), "%v", err)
		}
	}
	for i, s := range r.IncludeDirs {
		if err := r.checkPath(s, true); err != nil {
			bad(fmt.Sprintf("include_dirs[%d]", i), "%v", err)
		}
	}
	for i, l := range r.StaticLibraries {
		f := fmt.Sprintf("static_libraries[%d]", i)
		if !nameRE.MatchString(l.Name) {
			bad(f+".name", "%q is not allowed (lower-case letters, digits, '.', '_', '-')", l.Name)
		}
		if len(l.Sources) == 0 {
			bad(f+".sources", "missing: name at least one source file")
		}
		for j, s := range l.Sources {
			if err := r.checkPath(s, false); err != nil {
				bad(fmt.Sprintf("%s.sources[%d]", f, j), "%v", err)
			}
		}
	}
	for i, l := range r.Libraries {
		if strings.HasPrefix(l, "-") || strings.ContainsAny(l, " /") {
			bad(fmt.Sprintf("libraries[%d]", i), "%q: give the bare library name, as in \"m\" for -lm", l)
		}
	}
	expectations := 0
	for _, set := range []bool{r.Smoke.Stdout != nil, r.Smoke.StdoutFile != "", r.Smoke.StdoutRegexp != ""} {
		if set {
			expectations++
		}
	}
	if expectations > 1 {
		bad("smoke", "set one of smoke.stdout, smoke.stdout_file and smoke.stdout_regexp, not several")
	}
	if r.Smoke.Stdin != "" && r.Smoke.StdinFile != "" {
		bad("smoke.stdin_file", "set either smoke.stdin (the text) or smoke.stdin_file (a file in the recipe folder), not both")
	}
	for _, f := range []struct{ field, path string }{{"smoke.stdin_file", r.Smoke.StdinFile}, {"smoke.stdout_file", r.Smoke.StdoutFile}} {
		if f.path == "" {
			continue
		}
		if err := r.checkPath(f.path, false); err != nil {
			bad(f.field, "%v (allowed: a file inside recipes/%s)", err, r.Name)
		}
	}
	if r.Smoke.StdoutRegexp != "" {
		if _, err := regexp.Compile(r.Smoke.StdoutRegexp); err != nil {
			bad("smoke.stdout_regexp", "not a valid Go regexp: %v", err)
		}
	}
	if r.Smoke.Timeout != "" {
		if d, err := time.ParseDuration(r.Smoke.Timeout); err != nil || d <= 0 {
			bad("smoke.timeout", "%q is not a positive duration such as \"30s\"", r.Smoke.Timeout)
		}
	}
	if r.Smoke.ExitCode < 0 || r.Smoke.ExitCode > 255 {
		bad("smoke.exit_code", "%d is out of range (allowed: 0-255)", r.Smoke.ExitCode)
	}
	for i, e := range r.Exclude {
		f := fmt.Sprintf("exclude[%d]", i)
		if e.Platform != "" {
			// Excluded compares platforms literally: only the OCI form
			// ("linux/arm/v7") can ever match a cell.
			if p, err := ParsePlatform(e.Platform); err != nil || string(p) != e.Platform {
				bad(f+".platform", "unknown platform %q (allowed: %s)", e.Platform, PlatformList())
			}
		}
		if e.Linkage != "" {
			if _, err := ParseLinkage(e.Linkage); err != nil {
				bad(f+".linkage", "%v", err)
			}
		}
		if strings.TrimSpace(e.Reason) == "" {
			bad(f+".reason", "missing: every exclusion says why")
		}
	}
	errs = append(errs, r.checkSymlinks(file)...)
	errs = append(errs, r.checkSpecialFiles(file)...)
	return errors.Join(errs...)
}

// checkPath accepts a path relative to the recipe folder that stays inside it,
// also after following symlinks, and exists.
func (r *Recipe) checkPath(p string, wantDir bool) error {
	if p == "" || filepath.IsAbs(p) {
		return fmt.Errorf("%q must be a path relative to the recipe folder", p)
	}
	clean := filepath.Clean(p)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return fmt.Errorf("%q escapes the recipe folder (paths must stay inside recipes/%s)", p, r.Name)
	}
	full := filepath.Join(r.Dir, clean)
	real, err := filepath.EvalSymlinks(full)
	if err != nil {
		return fmt.Errorf("%q does not exist in recipes/%s", p, r.Name)
	}
	root, err := filepath.EvalSymlinks(r.Dir)
	if err != nil {
		return fmt.Errorf("resolving recipes/%s: %w", r.Name, err)
	}
	if rel, err := filepath.Rel(root, real); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return fmt.Errorf("%q is a symlink that escapes the recipe folder (paths must stay inside recipes/%s)", p, r.Name)
	}
	st, err := os.Stat(real)
	if err != nil {
		return fmt.Errorf("%q: %w", p, err)
	}
	if wantDir && !st.IsDir() {
		return fmt.Errorf("%q is not a directory", p)
	}
	if !wantDir && !st.Mode().IsRegular() {
		return fmt.Errorf("%q is not a regular file", p)
	}
	return nil
}

// LoadAll loads every recipe under root (recipes/), sorted by name. All
// recipes are read; the errors of every bad one are returned together.
func LoadAll(root string) ([]*Recipe, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("listing recipes: %w", err)
	}
	var out []*Recipe
	var errs []error
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, e.Name(), FileName)); err != nil {
			continue
		}
		r, err := Load(filepath.Join(root, e.Name()))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, errors.Join(errs...)
}

// Inputs lists every file of the recipe that a build reads, relative to
// Dir and sorted: recipe.toml, sources, library sources and every file
// under the include dirs.
func (r *Recipe) Inputs() ([]string, error) {
	set := map[string]bool{FileName: true}
	for _, s := range r.Sources {
		set[filepath.Clean(s)] = true
	}
	for _, l := range r.StaticLibraries {
		for _, s := range l.Sources {
			set[filepath.Clean(s)] = true
		}
	}
	// Headers anywhere in the folder, and every file under the include
	// dirs (whatever its extension), are inputs too.
	// Symlinks count as the files they point to, inside the folder only.
	real, err := filepath.EvalSymlinks(r.Dir)
	if err != nil {
		return nil, fmt.Errorf("listing inputs of recipe %s: %w", r.Name, err)
	}
	walk := func(root string, all bool) error {
		return filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if ok, err := r.isInputFile(real, path, d); err != nil {
				return err
			} else if ok {
				rel, _ := filepath.Rel(r.Dir, path)
				switch filepath.Ext(rel) {
				case ".h", ".hpp", ".hh", ".inc":
					set[rel] = true
				default:
					if all {
						set[rel] = true
					}
				}
			}
			return nil
		})
	}
	if err := walk(r.Dir, false); err != nil {
		return nil, fmt.Errorf("listing inputs of recipe %s: %w", r.Name, err)
	}
	if r.IsProject() {
		if err := r.projectInputs(real, set); err != nil {
			return nil, fmt.Errorf("listing inputs of recipe %s: %w", r.Name, err)
		}
	}
	for _, inc := range r.IncludeDirs {
		if err := walk(filepath.Join(r.Dir, filepath.Clean(inc)), true); err != nil {
			return nil, fmt.Errorf("listing inputs of recipe %s: %w", r.Name, err)
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, nil
}
