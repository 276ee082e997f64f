package release

import (
	"strings"
	"testing"

	spdxjson "github.com/spdx/tools-golang/json"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// TestSBOMPinnedArm64Runtime: an arm64 dynamic image whose libraries come
// from the pinned libc6:arm64 names that package, version and
// architecture, with the deb purl and distro qualifier; the dpkg resolver
// still answers for everything else.
func TestSBOMPinnedArm64Runtime(t *testing.T) {
	const unpacked = "/cache/debian/unpacked/sha256/01f4/"
	pinned := map[string]Origin{
		unpacked + "lib/aarch64-linux-gnu/libc.so.6":             {"libc6", "2.36-9+deb12u14", "arm64", ""},
		unpacked + "lib/aarch64-linux-gnu/ld-linux-aarch64.so.1": {"libc6", "2.36-9+deb12u14", "arm64", ""},
	}
	res := NewPinnedResolver(func(p string) (Origin, bool) { o, ok := pinned[p]; return o, ok }, hostPackages)
	in := cell("gcc-dynamic", recipe.ARM64, recipe.Dynamic, StaticLibc{},
		file("/lib/libc.so.6", unpacked+"lib/aarch64-linux-gnu/libc.so.6", '1'),
		file("/lib/ld-linux-aarch64.so.1", unpacked+"lib/aarch64-linux-gnu/ld-linux-aarch64.so.1", '2'),
		file("/lib/libm.so.6", "/host/lib/x86_64-linux-gnu/libm.so.6", '3'), // not pinned: dpkg's answer
	)
	doc, err := SBOM(in, res)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := spdxjson.Read(strings.NewReader(string(doc)))
	if err != nil {
		t.Fatal(err)
	}
	purls := map[string]string{}
	for _, p := range parsed.Packages {
		for _, r := range p.PackageExternalReferences {
			if r.RefType == "purl" {
				purls[p.PackageName] = r.Locator
			}
		}
	}
	if want := "pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=arm64&distro=debian-12"; purls["libc6"] != want {
		t.Errorf("libc6 purl %q, want %q (all: %v)", purls["libc6"], want, purls)
	}
	if _, ok := purls["libc6-arm64-cross"]; ok {
		t.Error("the SBOM names the cross package")
	}
	if !strings.Contains(string(doc), `"versionInfo": "2.36-9+deb12u14"`) {
		t.Error("no libc6 version in the SBOM")
	}
	if o, ok := res.Package("libc6-dev-arm64-cross"); !ok || o.Version != "2.36-8cross1" {
		t.Errorf("Package goes to dpkg: %+v %v", o, ok)
	}
	if _, ok := NewPinnedResolver(func(string) (Origin, bool) { return Origin{}, false }, nil).Origin("/x"); ok {
		t.Error("a nil next resolver found an origin")
	}
}
