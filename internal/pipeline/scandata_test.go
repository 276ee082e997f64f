package pipeline

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	spdxjson "github.com/spdx/tools-golang/json"

	"github.com/fromscratch/fromscratch/internal/elfdeps"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/release"
)

// What scanners read, without a scanner: hello built in the build root
// carries the package note, a dpkg status entry per Debian package (the
// loader's and libc's package in the dynamic image, the static libc's
// package in the static one), os-release and its own SPDX document; with
// NoScanData it carries none of them, and the program is the one without
// a note.
func TestScanDataInImages(t *testing.T) {
	root := hostTempDir(t)
	hermeticOptions(t, root) // skips in short mode
	copyTree(t, filepath.Join(repoRoot(t), "toolchains"), filepath.Join(root, "toolchains"))
	copyTree(t, filepath.Join(repoRoot(t), "recipes", "hello"), filepath.Join(root, "recipes", "hello"))
	build := func(noScan bool) *Report {
		opts := hermeticOptions(t, root)
		opts.NoCache = false
		opts.Recipes, opts.Toolchains, opts.Platforms = []string{"hello"}, []string{"gcc"}, []recipe.Platform{"linux/amd64"}
		opts.NoScanData, opts.FromscratchVersion = noScan, "test"
		rep, err := New(opts).Build(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	rep := build(false)
	for _, l := range []recipe.Linkage{recipe.Static, recipe.Dynamic} {
		r := rep.Results[recipe.Cell{Recipe: "hello", Platform: "linux/amd64", Toolchain: "gcc", Linkage: l}.String()]
		if r == nil || r.Err != nil {
			t.Fatalf("hello gcc-%s: %+v", l, r)
		}
		f, err := os.Open(r.Binary)
		if err != nil {
			t.Fatal(err)
		}
		payload, err := elfdeps.ReadPackageNote(f)
		f.Close()
		var note elfdeps.PackageNote
		if err != nil || json.Unmarshal(payload, &note) != nil || note.Name != "hello" || !strings.HasPrefix(note.Version, "0+src.") || note.Architecture != "amd64" {
			t.Errorf("gcc-%s: package note %s (%v)", l, payload, err)
		}
		pkg := map[recipe.Linkage]string{recipe.Static: "libc6-dev", recipe.Dynamic: "libc6"}[l]
		entry, _, err := fileInImage(r.Image, "var/lib/dpkg/status.d/"+pkg)
		if err != nil || !strings.Contains(entry, "Package: "+pkg+"\nStatus: install ok installed\nSource: glibc\nArchitecture: amd64\nVersion: 2.36-") {
			t.Errorf("gcc-%s: status.d/%s %q (%v)", l, pkg, entry, err)
		}
		if osr, _, err := fileInImage(r.Image, "etc/os-release"); err != nil || !strings.Contains(osr, "ID=debian\n") || !strings.Contains(osr, `VERSION_ID="12"`) {
			t.Errorf("gcc-%s: os-release %q (%v)", l, osr, err)
		}
		name := r.Job.Cell.SBOMName()
		doc, _, err := fileInImage(r.Image, strings.TrimPrefix(release.ImageSBOMPath(name), "/"))
		if err != nil {
			t.Fatalf("gcc-%s: %v", l, err)
		}
		d, err := spdxjson.Read(bytes.NewReader([]byte(doc)))
		if err != nil {
			t.Fatalf("gcc-%s: the SBOM in the image: %v", l, err)
		}
		found := false
		for _, p := range d.Packages {
			found = found || (p.PackageName == pkg && strings.HasPrefix(p.PackageVersion, "2.36-"))
			if p.PrimaryPackagePurpose == "OTHER" {
				t.Errorf("gcc-%s: the build root (%s) is in the SBOM inside the image", l, p.PackageName)
			}
		}
		if !found || d.DocumentName != name {
			t.Errorf("gcc-%s: the SBOM inside the image is %s and names no %s 2.36", l, d.DocumentName, pkg)
		}
		if n := scanBytes(r); n < int64(len(doc)+len(entry)) {
			t.Errorf("gcc-%s: scan_data %d < the SBOM and the status entry alone", l, n)
		}
	}
	off := build(true)
	for _, r := range off.Results {
		f, err := os.Open(r.Binary)
		if err != nil {
			t.Fatal(err)
		}
		payload, err := elfdeps.ReadPackageNote(f)
		f.Close()
		if payload != nil || err != nil {
			t.Errorf("%s with NoScanData: note %s (%v)", r.Job.Cell, payload, err)
		}
		for _, p := range []string{"var/lib/dpkg/status.d/libc6", "var/lib/dpkg/status.d/libc6-dev", "etc/os-release"} {
			if _, _, err := fileInImage(r.Image, p); err == nil {
				t.Errorf("%s with NoScanData carries %s", r.Job.Cell, p)
			}
		}
		if n := scanBytes(r); n != 0 {
			t.Errorf("%s with NoScanData: scan_data %d", r.Job.Cell, n)
		}
	}
}
