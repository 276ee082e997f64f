package recipe

import (
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// A recipe either compiles loose sources itself (build = "files", the
// default) or drives a project's own build system over a source tree that
// is pinned: the recipe folder, a Debian source package or a URL.

// BuildSystem is how a recipe's program is built.
type BuildSystem string

const (
	BuildFiles     BuildSystem = "files"     // the recipe's sources, compiled by fromscratch (the default)
	BuildAutotools BuildSystem = "autotools" // ./configure, make, make install
	BuildCMake     BuildSystem = "cmake"     // a generated toolchain file, cmake, Ninja
	BuildMake      BuildSystem = "make"      // make with CC, AR, RANLIB and the flags as variables
)

// Configure styles of build = "autotools".
const (
	ConfigureAutoconf = "autoconf" // an autoconf configure (the default)
	ConfigurePlain    = "plain"    // a hand-written configure: --prefix, --libdir and configure_args only
)

// PlainConfigure reports whether the recipe's configure is hand-written
// (configure_style = "plain").
func (r *Recipe) PlainConfigure() bool { return r.ConfigureStyle == ConfigurePlain }

// BuildSystems lists the allowed build systems.
var BuildSystems = []BuildSystem{BuildFiles, BuildAutotools, BuildCMake, BuildMake}

// Kind says whether a recipe makes a program (an image) or a library that
// other recipes depend on.
type Kind string

const (
	KindProgram Kind = "program" // the default
	KindLibrary Kind = "library"
)

// Source pins where a project's source tree comes from. The zero value is
// the recipe folder itself.
type Source struct {
	// Debian names a Debian source package, fetched with apt's client.
	Debian  string `toml:"debian"`
	Version string `toml:"version"` // the Debian version, e.g. "1.6-2.1+deb12u2"
	// Files are the package's files the build uses, each with its pin
	// (written "sha256:<hex>"): the .orig.tar.* (and the .debian.tar.*
	// when DebianPatches is set).
	Files map[string]Pin `toml:"files"`
	// DebianPatches applies debian/patches/series of the .debian.tar.*.
	DebianPatches bool `toml:"debian_patches"`
	// DebianPatchesSkip names patches of that series to leave out, as
	// the series names them ("90_gnutls.patch"): the ones Debian's own
	// rules pop again before building (curl's GnuTLS and NSS flavours).
	// Each must be in the series (checked when the tree is laid out).
	// The compile key has it through Recipe.BuildDigest; omitempty keeps
	// the digests of the recipes without one.
	DebianPatchesSkip []string `toml:"debian_patches_skip" json:",omitempty"`

	// URL is a tarball (.tar.gz, .tar.xz, .tar.bz2) pinned by SHA256.
	URL             string `toml:"url"`
	SHA256          SHA256 `toml:"sha256"`
	StripComponents int    `toml:"strip_components"`
}

// SourceKind is where a source tree comes from.
type SourceKind string

const (
	SourceFolder SourceKind = "folder"
	SourceDebian SourceKind = "debian"
	SourceURL    SourceKind = "url"
)

// Kind says where the tree comes from.
func (s Source) Kind() SourceKind {
	switch {
	case s.Debian != "":
		return SourceDebian
	case s.URL != "":
		return SourceURL
	}
	return SourceFolder
}

// OrigTarball is the name of the upstream tarball among a Debian source's
// files (name_version.orig.tar.*), "" when there is none.
func (s Source) OrigTarball() string { return s.fileWith(".orig.tar.") }

// DebianTarball is the name of the packaging tarball (.debian.tar.*), ""
// when there is none.
func (s Source) DebianTarball() string { return s.fileWith(".debian.tar.") }

func (s Source) fileWith(infix string) string {
	var names []string
	for n := range s.Files {
		if strings.Contains(n, infix) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// ReservedEnv are the variables a recipe's env may not set: the explicit
// environment every build gets (toolchain.Env) and what the build systems
// set from the cell (compilers, flags, pkg-config, DESTDIR). A recipe that
// needs more flags says so with cflags and ldflags, which are added to the
// cell's own; letting env replace CC or CFLAGS would drop the cross
// compiler, the optimisation level or the reproducibility flags.
var ReservedEnv = []string{
	"AR", "CC", "CC_FOR_BUILD", "CFLAGS", "CPPFLAGS", "CXX", "CXXFLAGS", "DESTDIR",
	"HOME", "LANG", "LC_ALL", "LD", "LDFLAGS", "LD_LIBRARY_PATH", "LD_PRELOAD", "MAKEFLAGS",
	"PATH", "PKG_CONFIG", "PKG_CONFIG_LIBDIR", "PKG_CONFIG_PATH", "PKG_CONFIG_SYSROOT_DIR",
	"RANLIB", "SOURCE_DATE_EPOCH", "TMPDIR", "TZ", "ZIG_GLOBAL_CACHE_DIR", "ZIG_LOCAL_CACHE_DIR",
}

var envKeyRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// IsProject reports whether the recipe drives a build system (anything but
// build = "files").
func (r *Recipe) IsProject() bool { return r.Build != "" && r.Build != BuildFiles }

// BuildSystem is the recipe's build system, "files" when unset.
func (r *Recipe) BuildSystem() BuildSystem {
	if r.Build == "" {
		return BuildFiles
	}
	return r.Build
}

// IsLibrary reports whether the recipe is a library other recipes depend on.
func (r *Recipe) IsLibrary() bool { return r.Kind == KindLibrary }

// validateProject checks the fields of project builds; bad reports one
// mistake.
func (r *Recipe) validateProject(bad func(field, format string, a ...any)) {
	allowedBuilds := make([]string, len(BuildSystems))
	for i, b := range BuildSystems {
		allowedBuilds[i] = string(b)
	}
	if r.Build != "" && !slices.Contains(BuildSystems, r.Build) {
		bad("build", "%q is not allowed (allowed: %s)", r.Build, strings.Join(allowedBuilds, ", "))
		return
	}
	switch r.Kind {
	case "", KindProgram, KindLibrary:
	default:
		bad("kind", "%q is not allowed (allowed: program, library)", r.Kind)
	}
	project := r.IsProject()
	onlyProject := func(field string, set bool) {
		if set && !project {
			bad(field, "needs a build system: set build = \"autotools\", \"cmake\" or \"make\" (build = \"files\" compiles the listed sources)")
		}
	}
	onlyProject("kind", r.Kind == KindLibrary)
	onlyProject("depends", len(r.Depends) > 0)
	onlyProject("env", len(r.Env) > 0)
	onlyProject("binary", r.Binary != "")
	onlyProject("runtime_files", len(r.RuntimeFiles) > 0)
	onlyProject("install_files", len(r.InstallFiles) > 0)
	onlyProject("patches", len(r.Patches) > 0)
	onlyProject("source", r.Source.Kind() != SourceFolder)
	for _, la := range []struct {
		name string
		args LinkageArgs
	}{{"static", r.Static}, {"dynamic", r.Dynamic}} {
		r.validateLinkageArgs(la.name, la.args, onlyProject, bad)
	}
	if !project {
		onlyProject("configure_args", len(r.ConfigureArgs) > 0)
		onlyProject("configure_style", r.ConfigureStyle != "")
		onlyProject("autoreconf", r.Autoreconf)
		onlyProject("cmake_args", len(r.CMakeArgs) > 0)
		onlyProject("make_args", len(r.MakeArgs) > 0)
		onlyProject("built", r.Built != "")
		return
	}
	if len(r.ConfigureArgs) > 0 && r.Build != BuildAutotools {
		bad("configure_args", "only for build = \"autotools\" (this recipe has build = %q)", r.Build)
	}
	if r.Autoreconf && r.Build != BuildAutotools {
		bad("autoreconf", "only for build = \"autotools\" (this recipe has build = %q)", r.Build)
	}
	switch r.ConfigureStyle {
	case "", ConfigureAutoconf, ConfigurePlain:
		if r.ConfigureStyle != "" && r.Build != BuildAutotools {
			bad("configure_style", "only for build = \"autotools\" (this recipe has build = %q)", r.Build)
		}
	default:
		bad("configure_style", "%q is not allowed (allowed: autoconf, plain)", r.ConfigureStyle)
	}
	if len(r.CMakeArgs) > 0 && r.Build != BuildCMake {
		bad("cmake_args", "only for build = \"cmake\" (this recipe has build = %q)", r.Build)
	}
	if len(r.MakeArgs) > 0 && r.Build == BuildCMake {
		bad("make_args", "not for build = \"cmake\", which runs Ninja (allowed with autotools and make; use cmake_args)")
	}
	r.validateFlagArgs(bad)
	if r.Built != "" && r.Build != BuildMake {
		bad("built", "only for build = \"make\" (a Makefile without an install target)")
	}
	if len(r.Sources) > 0 || len(r.StaticLibraries) > 0 || r.Prebuilt != "" {
		bad("sources", "a recipe with build = %q builds its source tree with its own build system (allowed: no sources, static_libraries or prebuilt)", r.Build)
	}
	// Those two shape the compile command of build = "files"; a build
	// system has its own, and taking them silently would be a lie.
	if len(r.Libraries) > 0 {
		bad("libraries", "only for build = \"files\": with build = %q add -l flags to ldflags (or to the build system's own variables through make_args or configure_args)", r.Build)
	}
	if len(r.IncludeDirs) > 0 {
		bad("include_dirs", "only for build = \"files\": with build = %q add -I flags to cflags", r.Build)
	}
	if r.IsLibrary() {
		if r.Binary != "" {
			bad("binary", "a library recipe installs no program (allowed: binary only with kind = \"program\")")
		}
		if r.Built != "" {
			bad("built", "a library recipe installs with make install (allowed: built only with kind = \"program\")")
		}
	} else if r.Binary == "" {
		bad("binary", "missing: the installed program relative to the stage, e.g. \"usr/bin/%s\"", r.Name)
	}
	if r.Binary != "" {
		if why := stagePathProblem(r.Binary); why != "" {
			bad("binary", "%q %s", r.Binary, why)
		}
	}
	if r.Built != "" {
		if why := stagePathProblem(r.Built); why != "" {
			bad("built", "%q %s", r.Built, strings.Replace(why, "the stage", "the source tree", 1))
		}
	}
	for i, f := range r.RuntimeFiles {
		if why := stagePathProblem(f); why != "" {
			bad(fmt.Sprintf("runtime_files[%d]", i), "%q %s", f, why)
		}
	}
	r.validateInstallFiles(bad)
	seen := map[string]bool{}
	for i, d := range r.Depends {
		f := fmt.Sprintf("depends[%d]", i)
		switch {
		case nameProblem(d) != "":
			bad(f, "%q is not a recipe name: %s", d, nameProblem(d))
		case d == r.Name:
			bad(f, "dependency cycle: %s depends on %s", r.Name, r.Name)
		case seen[d]:
			bad(f, "%q is listed twice", d)
		}
		seen[d] = true
	}
	keys := make([]string, 0, len(r.Env))
	for k := range r.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case !envKeyRE.MatchString(k):
			bad("env."+k, "%q is not a variable name (allowed: letters, digits and '_', not starting with a digit)", k)
		case slices.Contains(ReservedEnv, k):
			bad("env."+k, "%s is set by fromscratch for every build (reserved: %s); use cflags and ldflags for flags",
				k, strings.Join(ReservedEnv, ", "))
		}
	}
	for i, p := range r.Patches {
		if err := r.checkPath(p, false); err != nil {
			bad(fmt.Sprintf("patches[%d]", i), "%v", err)
		}
	}
	r.validateSource(bad)
}

// validateLinkageArgs checks the [static] or [dynamic] table (name) as
// the common fields of the same names are checked: build-system arguments
// only with the build system that takes them.
func (r *Recipe) validateLinkageArgs(name string, a LinkageArgs, onlyProject func(string, bool), bad func(field, format string, a ...any)) {
	for _, f := range []struct {
		field string
		set   bool
		build BuildSystem // the only build system it is for; "" for autotools and make
	}{{"configure_args", len(a.ConfigureArgs) > 0, BuildAutotools}, {"cmake_args", len(a.CMakeArgs) > 0, BuildCMake}, {"make_args", len(a.MakeArgs) > 0, ""}} {
		field := name + "." + f.field
		switch {
		case !f.set:
		case !r.IsProject():
			onlyProject(field, true)
		case f.build != "" && r.Build != f.build:
			bad(field, "only for build = %q (this recipe has build = %q)", f.build, r.Build)
		case f.build == "" && r.Build == BuildCMake:
			bad(field, "not for build = \"cmake\", which runs Ninja (allowed with autotools and make; use %s.cmake_args)", name)
		}
	}
}

// cellFlagVars are the flag variables the cell sets: the placeholder
// that stands for the cell's value, and the recipe field that adds to it.
var cellFlagVars = map[string]struct{ placeholder, field string }{
	"CFLAGS":   {"{cflags}", "cflags"},
	"CXXFLAGS": {"{cflags}", "cflags"},
	"CPPFLAGS": {"{cppflags}", "defines"},
	"LDFLAGS":  {"{ldflags}", "ldflags"},
}

// validateFlagArgs refuses make_args and configure_args that set a flag
// variable of the cell without its placeholder: LDFLAGS=-static would
// replace the cell's own flags (-s, the build id, -static, the
// dependencies' -L) instead of adding to them.
func (r *Recipe) validateFlagArgs(bad func(field, format string, a ...any)) {
	for _, l := range []struct {
		field string
		args  []string
	}{
		{"make_args", r.MakeArgs}, {"configure_args", r.ConfigureArgs},
		{"static.make_args", r.Static.MakeArgs}, {"static.configure_args", r.Static.ConfigureArgs},
		{"dynamic.make_args", r.Dynamic.MakeArgs}, {"dynamic.configure_args", r.Dynamic.ConfigureArgs},
	} {
		for i, a := range l.args {
			name, value, ok := strings.Cut(a, "=")
			v, flag := cellFlagVars[name]
			if !ok || !flag || strings.Contains(value, v.placeholder) {
				continue
			}
			bad(fmt.Sprintf("%s[%d]", l.field, i), "%q replaces the cell's own %s (-O2, -s, -static, the dependencies' paths): "+
				"put the flags in %s, which adds them to the cell's, or keep the cell's with \"%s=%s %s\"",
				a, name, v.field, name, v.placeholder, value)
		}
	}
}

// stagePathProblem says what is wrong with a path relative to the stage
// (the installed tree), "" when nothing is.
func stagePathProblem(p string) string {
	switch {
	case p == "" || path.IsAbs(p):
		return "must be a path relative to the stage, e.g. \"usr/bin/prog\""
	case path.Clean(p) != p || p == "." || p == ".." || strings.HasPrefix(p, "../"):
		return "must be a clean path inside the stage (no \"..\", \".\" or double slashes)"
	}
	return ""
}

func (r *Recipe) validateSource(bad func(field, format string, a ...any)) {
	s := r.Source
	switch {
	case s.Debian != "" && s.URL != "":
		bad("source", "give either source.debian or source.url, not both")
		return
	case s.Debian != "":
		if nameProblem(s.Debian) != "" && !debNameRE.MatchString(s.Debian) {
			bad("source.debian", "%q is not a Debian source package name", s.Debian)
		}
		if !debVersionRE.MatchString(s.Version) {
			bad("source.version", "%q is not a Debian version (allowed: the exact version, e.g. \"1.6-2.1+deb12u2\")", s.Version)
		}
		if len(s.Files) == 0 {
			bad("source.files", "missing: name each file of the package the build uses with its digest, e.g. { \"%s_<upstream>.orig.tar.gz\" = \"sha256:...\" }", s.Debian)
		}
		names := make([]string, 0, len(s.Files))
		for n := range s.Files {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if n == "" || strings.ContainsAny(n, "/\\") || n == "." || n == ".." {
				bad("source.files", "%q is not a file name (allowed: plain names such as %s_1.0.orig.tar.gz)", n, s.Debian)
			}
		}
		if len(s.Files) > 0 && s.OrigTarball() == "" {
			bad("source.files", "no upstream tarball: name the %s_<upstream version>.orig.tar.* file", s.Debian)
		}
		if s.DebianPatches && s.DebianTarball() == "" {
			bad("source.debian_patches", "needs the packaging tarball: add the %s_%s.debian.tar.* file to source.files", s.Debian, s.Version)
		}
		validatePatchSkip(s, bad)
		if !s.SHA256.IsZero() {
			bad("source.sha256", "is for source.url; a Debian source pins each file in source.files")
		}
		if s.StripComponents != 0 {
			bad("source.strip_components", "is for source.url; the upstream tarball of a Debian source has its top folder stripped as dpkg-source does")
		}
	case s.URL != "":
		u, err := url.Parse(s.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("source.url", "%q is not an http or https URL", s.URL)
		}
		if s.SHA256.IsZero() {
			bad("source.sha256", "missing: a URL source is pinned by its sha256")
		}
		if s.StripComponents < 0 {
			bad("source.strip_components", "%d is negative (allowed: 0 or more leading folders)", s.StripComponents)
		}
		if s.Version != "" || len(s.Files) > 0 || s.DebianPatches || len(s.DebianPatchesSkip) > 0 {
			bad("source", "version, files, debian_patches and debian_patches_skip are for source.debian, not source.url")
		}
	default:
		if s.Version != "" || len(s.Files) > 0 || s.DebianPatches || len(s.DebianPatchesSkip) > 0 || !s.SHA256.IsZero() || s.StripComponents != 0 {
			bad("source", "has pins but no origin: set source.debian or source.url (without both the recipe folder is the source tree)")
		}
	}
}

// validatePatchSkip checks source.debian_patches_skip of a Debian source:
// only with debian_patches = true, each a distinct name as a series line
// gives it (a path inside debian/patches). Whether each is in the series
// is known only once the packaging tarball is unpacked: the source tree's
// layout checks it (source.SkipPatches).
func validatePatchSkip(s Source, bad func(field, format string, a ...any)) {
	if len(s.DebianPatchesSkip) > 0 && !s.DebianPatches {
		bad("source.debian_patches_skip", "leaves patches out of debian/patches/series, which is applied only with debian_patches = true: set it, or remove the list")
	}
	seen := map[string]bool{}
	for i, name := range s.DebianPatchesSkip {
		f := fmt.Sprintf("source.debian_patches_skip[%d]", i)
		switch {
		case name == "" || path.IsAbs(name) || path.Clean(name) != name || name == "." || strings.HasPrefix(name, "../") || name == ".." || strings.ContainsAny(name, "\\ \t#"):
			bad(f, "%q is not a patch name (allowed: a name as a line of debian/patches/series gives it, e.g. \"90_gnutls.patch\")", name)
		case seen[name]:
			bad(f, "%q is listed twice", name)
		}
		seen[name] = true
	}
}

var (
	debNameRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9.+-]+$`)
	debVersionRE = regexp.MustCompile(`^([0-9]+:)?[0-9][A-Za-z0-9.+~-]*$`)
)

// projectInputs adds what a project build reads from the recipe folder:
// the patches, install_files' files (and their copyright files, which
// the image's SBOM reads) and, when the folder is the source tree, every
// file in it.
func (r *Recipe) projectInputs(root string, set map[string]bool) error {
	for _, p := range slices.Concat(r.Patches, r.InstallFileSources()) {
		set[filepath.Clean(p)] = true
	}
	if r.Source.Kind() != SourceFolder {
		return nil
	}
	return filepath.WalkDir(r.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ok, err := r.isInputFile(root, p, d); err != nil {
			return err
		} else if ok {
			rel, _ := filepath.Rel(r.Dir, p)
			set[rel] = true
		}
		return nil
	})
}

// ValidDebianName reports whether name can be a Debian source package.
func ValidDebianName(name string) bool { return debNameRE.MatchString(name) }

// ValidDebianVersion reports whether version can be a Debian version.
func ValidDebianVersion(version string) bool { return debVersionRE.MatchString(version) }
