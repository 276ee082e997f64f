package recipe_test

import (
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

const (
	jqOrig   = "sha256:5de8c8e29aaa3fb9cc6b47bb27299f271354ebb72514e3accadc7d38b5bbaa72"
	jqDebian = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
)

// jqTOML is the recipe of the jq: a Debian source, autotools, a
// library dependency.
const jqTOML = `
description = "jq, the JSON processor"
language = "c"
build = "autotools"
depends = ["onig"]
configure_args = ["--disable-docs", "--disable-maintainer-mode", "--with-oniguruma={stage}/usr"]
make_args = ["V=1"]
env = { JQ_TEST = "1" }
binary = "usr/bin/jq"
runtime_files = ["usr/share/doc/jq/README"]
patches = ["fix.patch"]
cflags = ["-Os"]

[source]
debian = "jq"
version = "1.6-2.1+deb12u2"
files = { "jq_1.6.orig.tar.gz" = "` + jqOrig + `", "jq_1.6-2.1+deb12u2.debian.tar.xz" = "` + jqDebian + `" }
debian_patches = true

[smoke]
args = ["-n", "[1,2,3]|add"]
stdout = "6\n"
`

func TestLoadProject(t *testing.T) {
	dir := writeRecipe(t, "jq", map[string]string{"recipe.toml": jqTOML, "fix.patch": "--- a/x\n+++ b/x\n"})
	r, err := recipe.Load(dir)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !r.IsProject() || r.BuildSystem() != recipe.BuildAutotools || r.IsLibrary() {
		t.Errorf("IsProject %v, BuildSystem %q, IsLibrary %v", r.IsProject(), r.BuildSystem(), r.IsLibrary())
	}
	if r.Source.Kind() != recipe.SourceDebian || r.Source.OrigTarball() != "jq_1.6.orig.tar.gz" ||
		r.Source.DebianTarball() != "jq_1.6-2.1+deb12u2.debian.tar.xz" || !r.Source.DebianPatches {
		t.Errorf("source = %+v", r.Source)
	}
	if !reflect.DeepEqual(r.Depends, []string{"onig"}) || r.Binary != "usr/bin/jq" || r.Env["JQ_TEST"] != "1" {
		t.Errorf("recipe = %+v", r)
	}
	in, err := r.Inputs()
	if err != nil {
		t.Fatal(err)
	}
	// A pinned source is covered by its digests; the folder gives the
	// recipe and the patch.
	if want := []string{"fix.patch", "recipe.toml"}; !reflect.DeepEqual(in, want) {
		t.Errorf("Inputs = %q, want %q", in, want)
	}
}

func TestFilesIsTheDefault(t *testing.T) {
	dir := writeRecipe(t, "demo", map[string]string{"recipe.toml": "language = \"c\"\nsources = [\"main.c\"]\n", "main.c": ""})
	r, err := recipe.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.IsProject() || r.BuildSystem() != recipe.BuildFiles || r.Source.Kind() != recipe.SourceFolder || r.IsLibrary() {
		t.Errorf("a recipe without build is a files build of a program from its folder: %+v", r)
	}
}

// TestFolderProjectInputs: when the folder is the source tree, every file
// in it is an input.
func TestFolderProjectInputs(t *testing.T) {
	dir := writeRecipe(t, "tiny", map[string]string{
		"recipe.toml": "language = \"c\"\nbuild = \"make\"\nbinary = \"usr/bin/tiny\"\nbuilt = \"tiny\"\n",
		"Makefile":    "all:\n", "src/tiny.c": "", "doc/README": "",
	})
	r, err := recipe.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	in, err := r.Inputs()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Makefile", "doc/README", "recipe.toml", "src/tiny.c"}; !reflect.DeepEqual(in, want) {
		t.Errorf("Inputs = %q, want %q", in, want)
	}
}

// TestLoadProjectErrors: every mistake names recipes/<name>/recipe.toml,
// the field, the value and what is allowed.
func TestLoadProjectErrors(t *testing.T) {
	const auto = "language = \"c\"\nbuild = \"autotools\"\nbinary = \"usr/bin/demo\"\n"
	url := "\n[source]\nurl = \"https://example.org/demo-1.0.tar.gz\"\nsha256 = \"" + strings.Repeat("ab", 32) + "\"\n"
	tests := []struct {
		name string
		toml string
		want []string
	}{
		{"unknown build system", "language = \"c\"\nbuild = \"meson\"\n",
			[]string{`build: "meson" is not allowed`, "allowed: files, autotools, cmake, make"}},
		{"unknown kind", auto + "kind = \"plugin\"\n", []string{`kind: "plugin" is not allowed`, "allowed: program, library"}},
		{"unknown source key", auto + "[source]\ndebain = \"jq\"\n", []string{"source.debain: unknown key (did you mean source.debian?)"}},
		{"program without binary", "language = \"c\"\nbuild = \"cmake\"\n", []string{"binary: missing", `"usr/bin/demo"`}},
		{"absolute binary", "language = \"c\"\nbuild = \"cmake\"\nbinary = \"/usr/bin/demo\"\n", []string{`binary: "/usr/bin/demo" must be a path relative to the stage`}},
		{"binary escaping", "language = \"c\"\nbuild = \"cmake\"\nbinary = \"../demo\"\n", []string{`binary: "../demo" must be a clean path inside the stage`}},
		{"runtime file escaping", auto + "runtime_files = [\"usr/../../etc/passwd\"]\n", []string{`runtime_files[0]: "usr/../../etc/passwd"`}},
		{"install file escaping the stage", auto + "install_files = { \"../etc/x\" = \"recipe.toml\" }\n",
			[]string{`install_files."../etc/x": "../etc/x" must be a clean path inside the stage`}},
		{"install file not in the folder", auto + "install_files = { \"etc/ssl/ca.crt\" = \"ca.crt\" }\n",
			[]string{`install_files."etc/ssl/ca.crt": "ca.crt" does not exist in recipes/demo`, "allowed: a file inside recipes/demo"}},
		{"install file outside the folder", auto + "install_files = { \"etc/ssl/ca.crt\" = \"../x.crt\" }\n",
			[]string{`install_files."etc/ssl/ca.crt": "../x.crt" escapes the recipe folder`}},
		{"install file's package without version", auto + debFile("debian = \"ca-certificates\"\n"),
			[]string{`install_files."etc/ssl/ca.crt".version: "" is not a Debian version`, `"20250419~deb12u2"`}},
		{"install file's package name", auto + debFile("debian = \"CA certs\"\nversion = \"1\"\n"),
			[]string{`install_files."etc/ssl/ca.crt".debian: "CA certs" is not a Debian package name`}},
		{"install file's version without package", auto + debFile("version = \"1\"\n"),
			[]string{`install_files."etc/ssl/ca.crt": version and copyright describe the Debian package the file comes from: name it with debian = "<binary package>"`}},
		{"install file's copyright missing", auto + debFile("debian = \"ca-certificates\"\nversion = \"1\"\ncopyright = \"nope\"\n"),
			[]string{`install_files."etc/ssl/ca.crt".copyright: "nope" does not exist in recipes/demo`, "/usr/share/doc/ca-certificates/copyright"}},
		{"install file's unknown key", auto + debFile("debian = \"ca-certificates\"\nverison = \"1\"\n"),
			[]string{`install_files."etc/ssl/ca.crt": unknown key "verison" (did you mean version?) (allowed: file, debian, version, copyright)`}},
		{"install file's key of another type", auto + debFile("debian = \"ca-certificates\"\nversion = 1\n"),
			[]string{`install_files."etc/ssl/ca.crt": version: 1 is not a string`}},
		{"install file table without file", auto + "runtime_files = [\"etc/ssl/ca.crt\"]\n[install_files.\"etc/ssl/ca.crt\"]\ndebian = \"ca-certificates\"\nversion = \"1\"\n",
			[]string{`install_files."etc/ssl/ca.crt".file: missing: the file of recipes/demo to install as etc/ssl/ca.crt`}},
		{"install file of another type", auto + "install_files = { \"etc/ssl/ca.crt\" = 1 }\n",
			[]string{`install_files."etc/ssl/ca.crt": 1 is neither a file name nor a table`}},
		{"install file's package, not in the image", auto + "[install_files.\"etc/ssl/ca.crt\"]\nfile = \"main.c\"\ndebian = \"ca-certificates\"\nversion = \"1\"\n",
			[]string{`install_files."etc/ssl/ca.crt": names the Debian package it comes from, for the image's SBOM, but etc/ssl/ca.crt is not in runtime_files`}},
		{"install files on files", "language = \"c\"\nsources = [\"main.c\"]\ninstall_files = { \"etc/x\" = \"main.c\" }\n",
			[]string{"install_files: needs a build system"}},
		{"library with binary", auto + "kind = \"library\"\n", []string{"binary: a library recipe installs no program"}},
		{"library of files", "language = \"c\"\nsources = [\"main.c\"]\nkind = \"library\"\n", []string{"kind: needs a build system"}},
		{"depends on a files build", "language = \"c\"\nsources = [\"main.c\"]\ndepends = [\"zlib\"]\n", []string{"depends: needs a build system", `build = "autotools"`}},
		{"depends on itself", auto + "depends = [\"demo\"]\n", []string{"depends[0]: dependency cycle: demo depends on demo"}},
		{"depends twice", auto + "depends = [\"z\", \"z\"]\n", []string{`depends[1]: "z" is listed twice`}},
		{"depends bad name", auto + "depends = [\"Zlib\"]\n", []string{`depends[0]: "Zlib" is not a recipe name`}},
		{"configure args with cmake", "language = \"c\"\nbuild = \"cmake\"\nbinary = \"usr/bin/demo\"\nconfigure_args = [\"--x\"]\n",
			[]string{`configure_args: only for build = "autotools"`, `build = "cmake"`}},
		{"cmake args with make", "language = \"c\"\nbuild = \"make\"\nbinary = \"usr/bin/demo\"\ncmake_args = [\"-DX=1\"]\n",
			[]string{`cmake_args: only for build = "cmake"`}},
		{"make args with cmake", "language = \"c\"\nbuild = \"cmake\"\nbinary = \"usr/bin/demo\"\nmake_args = [\"V=1\"]\n",
			[]string{"make_args: not for build = \"cmake\""}},
		{"built with autotools", auto + "built = \"demo\"\n", []string{`built: only for build = "make"`}},
		{"make_args replacing LDFLAGS", auto + "make_args = [\"V=1\", \"LDFLAGS=-static -Wl,--fatal-warnings\"]\n",
			[]string{`make_args[1]: "LDFLAGS=-static -Wl,--fatal-warnings" replaces the cell's own LDFLAGS`, "put the flags in ldflags",
				`"LDFLAGS={ldflags} -static -Wl,--fatal-warnings"`}},
		{"static configure_args with cmake", "language = \"c\"\nbuild = \"cmake\"\nbinary = \"usr/bin/demo\"\n[static]\nconfigure_args = [\"--x\"]\n",
			[]string{`static.configure_args: only for build = "autotools"`, `build = "cmake"`}},
		{"dynamic make_args with cmake", "language = \"c\"\nbuild = \"cmake\"\nbinary = \"usr/bin/demo\"\n[dynamic]\nmake_args = [\"V=1\"]\n",
			[]string{`dynamic.make_args: not for build = "cmake"`, "dynamic.cmake_args"}},
		{"static make_args on files", "language = \"c\"\nsources = [\"main.c\"]\n[static]\nmake_args = [\"V=1\"]\n", []string{"static.make_args: needs a build system"}},
		{"dynamic make_args replacing LDFLAGS", auto + "[dynamic]\nmake_args = [\"LDFLAGS=-shared\"]\n",
			[]string{`dynamic.make_args[0]: "LDFLAGS=-shared" replaces the cell's own LDFLAGS`}},
		{"unknown linkage key", auto + "[static]\nmake_arg = [\"x\"]\n", []string{"static.make_arg", "unknown key", "did you mean static.make_args?"}},
		{"unknown linkage key far from any", auto + "[dynamic]\nwhatever = 1\n", []string{"dynamic.whatever", "unknown key",
			"allowed in [dynamic]: cflags, ldflags, configure_args, cmake_args, make_args, smoke_args"}},
		{"configure_args replacing CFLAGS", auto + "configure_args = [\"CFLAGS=-O0\"]\n",
			[]string{`configure_args[0]: "CFLAGS=-O0" replaces the cell's own CFLAGS`, "put the flags in cflags"}},
		{"sources with a build system", auto + "sources = [\"main.c\"]\n", []string{`sources: a recipe with build = "autotools" builds its source tree`}},
		{"libraries with a build system", auto + "libraries = [\"z\"]\n", []string{`libraries: only for build = "files"`, "add -l flags to ldflags"}},
		{"include dirs with a build system", auto + "include_dirs = [\"inc\"]\n", []string{`include_dirs: only for build = "files"`, "add -I flags to cflags"}},
		{"env overrides CC", auto + "env = { CC = \"clang\" }\n", []string{"env.CC: CC is set by fromscratch", "reserved: AR, CC", "use cflags and ldflags"}},
		{"env overrides PATH", auto + "env = { PATH = \"/opt/bin\" }\n", []string{"env.PATH: PATH is set by fromscratch"}},
		{"env bad name", auto + "env = { \"1X\" = \"y\" }\n", []string{`env.1X: "1X" is not a variable name`}},
		{"env on files build", "language = \"c\"\nsources = [\"main.c\"]\nenv = { X = \"1\" }\n", []string{"env: needs a build system"}},
		{"missing patch", auto + "patches = [\"nope.patch\"]\n", []string{`patches[0]: "nope.patch" does not exist in recipes/demo`}},
		{"patch escaping", auto + "patches = [\"../x.patch\"]\n", []string{`patches[0]: "../x.patch" escapes the recipe folder`}},
		{"debian and url", auto + "[source]\ndebian = \"jq\"\nurl = \"https://x.org/a.tgz\"\n", []string{"source: give either source.debian or source.url, not both"}},
		{"debian without version", auto + "[source]\ndebian = \"jq\"\nfiles = { \"jq_1.6.orig.tar.gz\" = \"" + jqOrig + "\" }\n",
			[]string{`source.version: "" is not a Debian version`, `"1.6-2.1+deb12u2"`}},
		{"debian without files", auto + "[source]\ndebian = \"jq\"\nversion = \"1.6-2\"\n", []string{"source.files: missing", "jq_<upstream>.orig.tar.gz"}},
		{"debian bad pin", auto + "[source]\ndebian = \"jq\"\nversion = \"1.6-2\"\nfiles = { \"jq_1.6.orig.tar.gz\" = \"md5:abc\" }\n",
			[]string{`source.files.jq_1.6.orig.tar.gz: "md5:abc" is not a pin`, `allowed: "sha256:" and 64 lower-case hex digits`}},
		{"debian bare hex pin", auto + "[source]\ndebian = \"jq\"\nversion = \"1.6-2\"\nfiles = { \"jq_1.6.orig.tar.gz\" = \"" + strings.Repeat("ab", 32) + "\" }\n",
			[]string{"source.files.jq_1.6.orig.tar.gz", "is not a pin"}},
		{"debian file with slash", auto + "[source]\ndebian = \"jq\"\nversion = \"1.6-2\"\nfiles = { \"../jq_1.6.orig.tar.gz\" = \"" + jqOrig + "\" }\n",
			[]string{`source.files: "../jq_1.6.orig.tar.gz" is not a file name`}},
		{"debian without orig", auto + "[source]\ndebian = \"jq\"\nversion = \"1.6-2\"\nfiles = { \"jq_1.6-2.dsc\" = \"" + jqOrig + "\" }\n",
			[]string{"source.files: no upstream tarball"}},
		{"debian patches without debian tarball", auto + "[source]\ndebian = \"jq\"\nversion = \"1.6-2\"\ndebian_patches = true\nfiles = { \"jq_1.6.orig.tar.gz\" = \"" + jqOrig + "\" }\n",
			[]string{"source.debian_patches: needs the packaging tarball", "jq_1.6-2.debian.tar.*"}},
		{"debian with strip", auto + "[source]\ndebian = \"jq\"\nversion = \"1.6-2\"\nstrip_components = 1\nfiles = { \"jq_1.6.orig.tar.gz\" = \"" + jqOrig + "\" }\n",
			[]string{"source.strip_components: is for source.url"}},
		{"url without sha", auto + "[source]\nurl = \"https://example.org/a.tar.gz\"\n", []string{"source.sha256: missing"}},
		{"url bad sha", auto + "[source]\nurl = \"https://example.org/a.tar.gz\"\nsha256 = \"abc\"\n", []string{`source.sha256: "abc" is not a sha256 digest`}},
		{"url not http", auto + "[source]\nurl = \"ftp://example.org/a.tar.gz\"\nsha256 = \"" + strings.Repeat("ab", 32) + "\"\n",
			[]string{`source.url: "ftp://example.org/a.tar.gz" is not an http or https URL`}},
		{"url negative strip", auto + url + "strip_components = -1\n", []string{"source.strip_components: -1 is negative"}},
		{"url with version", auto + url + "version = \"1\"\n", []string{"source: version, files, debian_patches and debian_patches_skip are for source.debian"}},
		{"url with a skip list", auto + url + "debian_patches_skip = [\"x.patch\"]\n", []string{"source: version, files, debian_patches and debian_patches_skip are for source.debian, not source.url"}},
		{"skip list without origin", auto + "[source]\ndebian_patches_skip = [\"x.patch\"]\n", []string{"source: has pins but no origin"}},
		{"skip list without debian_patches", auto + debSkip("false", `"90_gnutls.patch"`),
			[]string{"source.debian_patches_skip: leaves patches out of debian/patches/series, which is applied only with debian_patches = true"}},
		{"skip list twice", auto + debSkip("true", `"90_gnutls.patch", "99_nss.patch", "90_gnutls.patch"`),
			[]string{`source.debian_patches_skip[2]: "90_gnutls.patch" is listed twice`}},
		{"skip list empty name", auto + debSkip("true", `""`),
			[]string{`source.debian_patches_skip[0]: "" is not a patch name`, `allowed: a name as a line of debian/patches/series gives it, e.g. "90_gnutls.patch"`}},
		{"skip list outside debian/patches", auto + debSkip("true", `"../../configure"`),
			[]string{`source.debian_patches_skip[0]: "../../configure" is not a patch name`}},
		{"skip list with -p", auto + debSkip("true", `"x.patch -p0"`), []string{`source.debian_patches_skip[0]: "x.patch -p0" is not a patch name`}},
		{"skip list of a folder source", auto + "[source]\ndebian_patches_skip = [\"x.patch\"]\ndebian_patches = true\n", []string{"source: has pins but no origin"}},
		{"pins without origin", auto + "[source]\nsha256 = \"" + strings.Repeat("ab", 32) + "\"\n", []string{"source: has pins but no origin"}},
		{"source on files build", "language = \"c\"\nsources = [\"main.c\"]\n" + url, []string{"source: needs a build system"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeRecipe(t, "demo", map[string]string{"recipe.toml": tt.toml, "main.c": ""})
			_, err := recipe.Load(dir)
			if err == nil {
				t.Fatal("Load accepted the recipe")
			}
			msg := err.Error()
			for _, w := range append([]string{"demo/recipe.toml"}, tt.want...) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
			var fe *recipe.FieldError
			if !errors.As(err, &fe) {
				t.Errorf("error %v is not a *FieldError", err)
			}
		})
	}
}

// debFile is an install_files table for etc/ssl/ca.crt (main.c, listed
// in runtime_files) with the keys keys.
func debFile(keys string) string {
	return "runtime_files = [\"etc/ssl/ca.crt\"]\n[install_files.\"etc/ssl/ca.crt\"]\nfile = \"main.c\"\n" + keys
}

// TestInstallFileOfADebianPackage: an install_files entry is a file name
// or a table naming the Debian package the file comes from; its file and
// copyright file are inputs of the build (the compile key has their
// bytes) also when the source is pinned elsewhere.
func TestInstallFileOfADebianPackage(t *testing.T) {
	const toml = "language = \"c\"\nbuild = \"autotools\"\nbinary = \"usr/bin/demo\"\n" +
		"runtime_files = [\"etc/ssl/certs/ca-certificates.crt\", \"etc/motd\"]\n" +
		"install_files = { \"etc/motd\" = \"motd\" }\n" +
		"[install_files.\"etc/ssl/certs/ca-certificates.crt\"]\nfile = \"ca.crt\"\ndebian = \"ca-certificates\"\n" +
		"version = \"20250419~deb12u2\"\ncopyright = \"ca.copyright\"\n" +
		"[source]\nurl = \"https://example.org/demo-1.0.tar.gz\"\nsha256 = \"" + "abababababababababababababababababababababababababababababababab" + "\"\n"
	r, err := recipe.Load(writeRecipe(t, "demo", map[string]string{"recipe.toml": toml, "ca.crt": "", "ca.copyright": "", "motd": ""}))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]recipe.InstallFile{
		"etc/motd":                          {File: "motd"},
		"etc/ssl/certs/ca-certificates.crt": {File: "ca.crt", Debian: "ca-certificates", Version: "20250419~deb12u2", Copyright: "ca.copyright"},
	}
	if !reflect.DeepEqual(r.InstallFiles, want) {
		t.Errorf("InstallFiles = %+v, want %+v", r.InstallFiles, want)
	}
	in, err := r.Inputs()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"ca.copyright", "ca.crt", "motd", "recipe.toml"}; !reflect.DeepEqual(in, want) {
		t.Errorf("Inputs = %q, want %q", in, want)
	}
}

// debSkip is a [source] of a Debian package with its packaging tarball,
// debian_patches set to patches and the skip list skip (TOML strings).
func debSkip(patches, skip string) string {
	return "[source]\ndebian = \"jq\"\nversion = \"1.6-2\"\ndebian_patches = " + patches + "\ndebian_patches_skip = [" + skip + "]\n" +
		"files = { \"jq_1.6.orig.tar.gz\" = \"" + jqOrig + "\", \"jq_1.6-2.debian.tar.xz\" = \"" + jqDebian + "\" }\n"
}

// TestDebianPatchesSkip: a skip list is read in order, and a recipe
// without one has none.
func TestDebianPatchesSkip(t *testing.T) {
	const auto = "language = \"c\"\nbuild = \"autotools\"\nbinary = \"usr/bin/demo\"\n"
	r, err := recipe.Load(writeRecipe(t, "demo", map[string]string{"recipe.toml": auto + debSkip("true", `"99_nss.patch", "sub/90_gnutls.patch"`)}))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"99_nss.patch", "sub/90_gnutls.patch"}; !reflect.DeepEqual(r.Source.DebianPatchesSkip, want) {
		t.Errorf("DebianPatchesSkip = %q, want %q", r.Source.DebianPatchesSkip, want)
	}
	r, err = recipe.Load(writeRecipe(t, "jq", map[string]string{"recipe.toml": jqTOML, "fix.patch": "--- a/x\n+++ b/x\n"}))
	if err != nil || r.Source.DebianPatchesSkip != nil {
		t.Errorf("jq: skip list %q, error %v", r.Source.DebianPatchesSkip, err)
	}
}

// make_args and configure_args may set a flag variable when they keep the
// cell's flags through its placeholder.
func TestFlagArgsKeepingTheCells(t *testing.T) {
	toml := "language = \"c\"\nbuild = \"autotools\"\nbinary = \"usr/bin/demo\"\n" +
		"make_args = [\"LDFLAGS={ldflags} -lm\", \"CFLAGS={cflags} -g0\", \"LIBS=-lm\"]\nconfigure_args = [\"CPPFLAGS={cppflags} -DX\"]\n"
	if _, err := recipe.Load(writeRecipe(t, "demo", map[string]string{"recipe.toml": toml})); err != nil {
		t.Fatal(err)
	}
}

func TestParseSHA256(t *testing.T) {
	hex := strings.Repeat("0a", 32)
	for in, ok := range map[string]bool{
		hex: true, "sha256:" + hex: true, "sha512:" + hex: false, strings.ToUpper(hex): false, hex[2:]: false, "": false,
	} {
		got, err := recipe.ParseSHA256(in)
		if (err == nil) != ok || (ok && (got.Hex() != hex || got.String() != "sha256:"+hex)) {
			t.Errorf("ParseSHA256(%q) = %q, %v", in, got, err)
		}
	}
	for in, ok := range map[string]bool{"sha256:" + hex: true, hex: false, "sha256:" + hex[2:]: false, "": false} {
		got, err := recipe.ParsePin(in)
		if (err == nil) != ok || (ok && got.String() != in) {
			t.Errorf("ParsePin(%q) = %q, %v", in, got, err)
		}
	}
	if z := (recipe.SHA256{}); !z.IsZero() || z.String() != "" {
		t.Errorf("zero SHA256 = %q, want no digest", z)
	}
}

// TestPinsDecoded: a recipe's pins are parsed as it loads; their text
// form is the one written.
func TestPinsDecoded(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	dir := writeRecipe(t, "demo", map[string]string{"recipe.toml": "language = \"c\"\nbuild = \"make\"\nbinary = \"usr/bin/demo\"\n" +
		"[source]\nurl = \"https://example.org/demo-1.0.tar.gz\"\nsha256 = \"" + hex + "\"\n"})
	r, err := recipe.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Source.SHA256.Hex() != hex || r.Source.SHA256.String() != "sha256:"+hex {
		t.Errorf("source.sha256 = %q, want sha256:%s", r.Source.SHA256, hex)
	}
	jq, err := recipe.Load(filepath.Join("..", "..", "recipes", "jq"))
	if err != nil {
		t.Fatal(err)
	}
	if got := jq.Source.Files["jq_1.6.orig.tar.gz"].String(); got != "sha256:3ba940b97571c866923f0409678033d33b5a98758dfc174fad8397ed908bc4d9" {
		t.Errorf("jq's orig tarball is pinned to %q", got)
	}
}

func lib(name string, deps ...string) *recipe.Recipe {
	return &recipe.Recipe{Name: name, Kind: recipe.KindLibrary, Build: recipe.BuildAutotools, Depends: deps}
}

func prog(name string, deps ...string) *recipe.Recipe {
	return &recipe.Recipe{Name: name, Build: recipe.BuildAutotools, Depends: deps}
}

func names(rs []*recipe.Recipe) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.Name)
	}
	return strings.Join(s, " ")
}

func TestOrder(t *testing.T) {
	tests := []struct {
		name    string
		recipes []*recipe.Recipe
		want    string // names in order, or the error's text
		wantErr bool
	}{
		{"no dependencies: by name", []*recipe.Recipe{prog("jq"), prog("hello"), prog("lua")}, "hello jq lua", false},
		{"library first", []*recipe.Recipe{prog("jq", "onig"), lib("onig")}, "onig jq", false},
		{"chain", []*recipe.Recipe{prog("app", "b"), lib("b", "a"), lib("a"), prog("hello")}, "a b app hello", false},
		{"shared dependency once", []*recipe.Recipe{prog("pigz", "zlib"), prog("curl", "zlib", "ssl"), lib("ssl", "zlib"), lib("zlib")},
			"zlib ssl curl pigz", false},
		{"cycle", []*recipe.Recipe{lib("jq", "onig"), lib("onig", "jq")}, "dependency cycle: jq depends on onig depends on jq", true},
		{"longer cycle after a good part", []*recipe.Recipe{prog("app", "x"), lib("x", "y"), lib("y", "z"), lib("z", "x")},
			"dependency cycle: x depends on y depends on z depends on x", true},
		{"unknown dependency", []*recipe.Recipe{prog("jq", "onig"), prog("hello")},
			"jq depends on onig, which is not a recipe (recipes: hello, jq)", true},
		{"dependency on a program", []*recipe.Recipe{prog("jq", "hello"), prog("hello")},
			"jq depends on hello, which is not a library", true},
		{"twice", []*recipe.Recipe{prog("jq"), prog("jq")}, "jq is given twice", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := recipe.Order(tt.recipes)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("Order error = %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if names(got) != tt.want {
				t.Errorf("Order = %q, want %q", names(got), tt.want)
			}
		})
	}
}

func TestDependencies(t *testing.T) {
	all := []*recipe.Recipe{prog("curl", "ssl"), lib("ssl", "zlib"), lib("zlib"), lib("onig"), prog("jq", "onig"), prog("hello")}
	for _, tt := range []struct{ name, want string }{{"curl", "zlib ssl"}, {"jq", "onig"}, {"hello", ""}, {"ssl", "zlib"}} {
		var r *recipe.Recipe
		for _, c := range all {
			if c.Name == tt.name {
				r = c
			}
		}
		got, err := recipe.Dependencies(r, all)
		if err != nil {
			t.Fatal(err)
		}
		if names(got) != tt.want {
			t.Errorf("Dependencies(%s) = %q, want %q", tt.name, names(got), tt.want)
		}
	}
	if _, err := recipe.Dependencies(prog("x", "nope"), all); err == nil || !strings.Contains(err.Error(), "x depends on nope") {
		t.Errorf("unknown dependency: %v", err)
	}
}

// The [static] and [dynamic] tables add their arguments after the common
// ones, for the cells of their linkage only.
func TestLinkageArgs(t *testing.T) {
	toml := "language = \"c\"\nbuild = \"make\"\nbinary = \"usr/bin/lz4\"\nmake_args = [\"lz4\"]\nldflags = [\"-lm\"]\n" +
		"[smoke]\nargs = [\"-V\"]\n[static]\nsmoke_args = [\"--static\"]\ncflags = [\"-DSTATIC\"]\n[dynamic]\nmake_args = [\"liblz4.so\"]\n"
	r, err := recipe.Load(writeRecipe(t, "lz4", map[string]string{"recipe.toml": toml}))
	if err != nil {
		t.Fatal(err)
	}
	s, d := r.Args(recipe.Static), r.Args(recipe.Dynamic)
	for _, c := range []struct {
		name      string
		got, want []string
	}{
		{"static make_args", s.MakeArgs, []string{"lz4"}}, {"dynamic make_args", d.MakeArgs, []string{"lz4", "liblz4.so"}},
		{"static smoke args", s.SmokeArgs, []string{"-V", "--static"}}, {"dynamic smoke args", d.SmokeArgs, []string{"-V"}},
		{"static cflags", s.CFlags, []string{"-DSTATIC"}}, {"dynamic cflags", d.CFlags, nil},
		{"static ldflags", s.LDFlags, []string{"-lm"}},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if len(r.MakeArgs) != 1 || len(r.Smoke.Args) != 1 {
		t.Errorf("Args changed the recipe: make_args %q, smoke.args %q", r.MakeArgs, r.Smoke.Args)
	}
}
