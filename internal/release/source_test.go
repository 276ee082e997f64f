package release

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// The pins of recipes/jq and recipes/onig, as the fixtures carry them (the
// test TestSBOMSourcePinsFromRecipes reads the real files).
const (
	jqOrig      = "3ba940b97571c866923f0409678033d33b5a98758dfc174fad8397ed908bc4d9"
	jqDebian    = "88498e8c917c09ddee251544b0525051551e6a0552c862625696a3e83469ae66"
	libonigOrig = "26372720bab6733c869a9eb69377f73971138dc5e3eff4a81f5ba8aea5435fb2"
)

func jqSource() Source {
	return Source{
		Recipe: "jq", Version: "0+src.111111111111",
		Debian: "jq", DebianVersion: "1.6-2.1+deb12u2", Distro: bookworm, DebianPatches: true,
		Files: []PinnedFile{{"jq_1.6-2.1+deb12u2.debian.tar.xz", jqDebian}, {"jq_1.6.orig.tar.gz", jqOrig}},
	}
}

func onigSource() Source {
	return Source{
		Recipe: "onig", Version: "0+src.222222222222",
		Debian: "libonig", DebianVersion: "6.9.8-1", Distro: bookworm,
		Files: []PinnedFile{{"libonig_6.9.8.orig.tar.gz", libonigOrig}},
	}
}

// urlSource is a tarball from a URL with one patch of the recipe's own.
func urlSource(name string) Source {
	return Source{
		Recipe: name, Version: "0+src.333333333333",
		URL:     "https://example.org/releases/" + name + "-1.0.tar.gz",
		Files:   []PinnedFile{{name + "-1.0.tar.gz", sum('7')}},
		Patches: []Patch{{Name: "patches/fix-build.patch", SHA1: sum1('8'), SHA256: sum('8')}},
	}
}

// jqCell is an image of the jq recipe (Debian jq with Debian's patches)
// built with the onig library recipe. The dynamic image holds, next to
// glibc's files, jq's own libjq and onig's libonig from the cell's lib/.
func jqCell(l recipe.Linkage) SBOMInput {
	var in SBOMInput
	if l == recipe.Static {
		in = cell("gcc-static", recipe.AMD64, recipe.Static, StaticLibc{Debian: "libc6-dev:amd64"})
	} else {
		onig := file("/lib/libonig.so.5", "/build/out/bin/jq/linux-amd64/gcc-dynamic/lib/libonig.so.5", '6')
		onig.Recipe = "onig"
		libjq := file("/lib/libjq.so.1", "/build/out/bin/jq/linux-amd64/gcc-dynamic/lib/libjq.so.1", '7')
		libjq.Recipe = "jq"
		in = cell("gcc-dynamic", recipe.AMD64, recipe.Dynamic, StaticLibc{},
			onig,
			file("/lib/x86_64-linux-gnu/libc.so.6", "/host/usr/lib/x86_64-linux-gnu/libc.so.6", '1'),
			file("/lib64/ld-linux-x86-64.so.2", "/host/lib64/ld-linux-x86-64.so.2", '2'),
			libjq,
			file("/lib/x86_64-linux-gnu/libm.so.6", "/host/lib/x86_64-linux-gnu/libm.so.6", '3'),
		)
	}
	in.Name = "jq-gcc-" + string(l) + "-linux-amd64"
	in.Namespace = "https://fromscratch.invalid/spdx/" + in.Name + "-" + sum('d')
	in.Recipe, in.ProgramVersion = "jq", "0+src.111111111111"
	in.Binary = file("/jq", "/build/out/bin/jq/linux-amd64/gcc-"+string(l)+"/jq", '0')
	src := jqSource()
	src.License = License{Expr: "CC-BY-3.0 AND MIT"} // what jq's debian/copyright says
	in.Source, in.License = &src, src.License
	onig := onigSource()
	onig.License = License{Expr: "BSD-2-Clause"}
	in.Depends = []Source{onig}
	in.DebLicense = func(pkg string) License {
		return License{Expr: NoAssertion, Problem: pkg + ": not in Debian's machine-readable copyright format"}
	}
	return in
}

// urlCell is a static image of a recipe built from a URL tarball with a
// patch.
func urlCell() SBOMInput {
	in := cell("zig-static", recipe.AMD64, recipe.Static, StaticLibc{Name: "musl", Version: "1.2.4"})
	src := urlSource("hello")
	in.Source = &src
	return in
}

func TestSBOMProject(t *testing.T) {
	got, err := SBOM(jqCell(recipe.Dynamic), hostPackages)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, got)
	if strings.Contains(string(got), "/build/") || strings.Contains(string(got), "/host/") {
		t.Error("output contains a host directory")
	}
	doc := decode(t, got)
	pkgs := packages(doc)
	rels := relationships(doc)
	for id, want := range map[string]string{"Program": "CC-BY-3.0 AND MIT", "Source-jq": "CC-BY-3.0 AND MIT",
		"Package-recipe-onig": "BSD-2-Clause", "Package-deb-libc6-amd64": NoAssertion, "Image": NoAssertion} {
		if p := pkgs[id]; p == nil || p.PackageLicenseDeclared != want || p.PackageLicenseConcluded != want {
			t.Errorf("%s: licence %+v, want %q", id, p, want)
		}
	}

	src := pkgs["Source-jq"]
	if src == nil || src.PackageName != "jq" || src.PackageVersion != "1.6-2.1+deb12u2" || src.PrimaryPackagePurpose != "SOURCE" ||
		src.PackageDownloadLocation != "https://deb.debian.org/debian/pool/main/j/jq/jq_1.6-2.1+deb12u2.dsc" ||
		refs(src)["purl"] != "pkg:deb/debian/jq@1.6-2.1%2Bdeb12u2?arch=source&distro=debian-12" {
		t.Fatalf("jq's source package = %+v %+v", src, refs(src))
	}
	onigSrc := pkgs["Source-onig"]
	if onigSrc == nil || onigSrc.PackageName != "libonig" || onigSrc.PackageVersion != "6.9.8-1" ||
		onigSrc.PackageDownloadLocation != "https://deb.debian.org/debian/pool/main/libo/libonig/libonig_6.9.8-1.dsc" ||
		refs(onigSrc)["purl"] != "pkg:deb/debian/libonig@6.9.8-1?arch=source&distro=debian-12" {
		t.Fatalf("onig's source package = %+v %+v", onigSrc, refs(onigSrc))
	}
	onig := pkgs["Package-recipe-onig"]
	if onig == nil || onig.PackageVersion != "0+src.222222222222" || onig.PrimaryPackagePurpose != "LIBRARY" {
		t.Fatalf("onig's package = %+v", onig)
	}
	if p := pkgs["Program"]; p.PackageVersion != "0+src.111111111111" || refs(p)["purl"] != "pkg:generic/jq@0%2Bsrc.111111111111" {
		t.Errorf("program = %s %+v: want the recipe's version and a generic purl (the source package has the deb purl)", p.PackageVersion, refs(p))
	}

	// Each pinned file is a package of its own with the pin as its SHA256,
	// which the source package CONTAINS.
	for srcID, pins := range map[string]map[string]string{
		"Source-jq":   {"jq_1.6.orig.tar.gz": jqOrig, "jq_1.6-2.1+deb12u2.debian.tar.xz": jqDebian},
		"Source-onig": {"libonig_6.9.8.orig.tar.gz": libonigOrig},
	} {
		pool := strings.TrimSuffix(pkgs[srcID].PackageDownloadLocation, filepath.Base(pkgs[srcID].PackageDownloadLocation))
		var contained []string
		for _, id := range rels[srcID+" CONTAINS"] {
			contained = append(contained, id)
			f := pkgs[id]
			if f == nil || f.PackageChecksums == nil {
				t.Errorf("%s CONTAINS %s, not a pinned file's package", srcID, id)
				continue
			}
			if want, ok := pins[f.PackageFileName]; !ok || len(f.PackageChecksums) != 1 ||
				string(f.PackageChecksums[0].Algorithm) != "SHA256" || f.PackageChecksums[0].Value != want {
				t.Errorf("%s: %s checksums %+v, want SHA256 %s", srcID, f.PackageFileName, f.PackageChecksums, want)
			}
			if f.PackageDownloadLocation != pool+f.PackageFileName || len(f.PackageExternalReferences) != 0 {
				t.Errorf("%s: download location %s, refs %+v; want %s and no purl (one purl per source package)",
					f.PackageFileName, f.PackageDownloadLocation, f.PackageExternalReferences, pool+f.PackageFileName)
			}
		}
		if len(contained) != len(pins) {
			t.Errorf("%s CONTAINS %v, want the %d pinned files", srcID, contained, len(pins))
		}
	}

	for rel, want := range map[string][]string{
		"Program GENERATED_FROM":               {"Source-jq"},
		"Package-recipe-onig GENERATED_FROM":   {"Source-onig"},
		"Program DYNAMIC_LINK":                 {"File-lib-libjq.so.1", "Package-deb-libc6-amd64", "Package-recipe-onig"},
		"File-lib-libonig.so.5 GENERATED_FROM": {"Package-recipe-onig"},
		"File-lib-libjq.so.1 GENERATED_FROM":   {"Program"},
		"Program STATIC_LINK":                  {},
		"Program DEPENDS_ON":                   {},
	} {
		if g := rels[rel]; strings.Join(g, " ") != strings.Join(want, " ") {
			t.Errorf("%s %v, want %v", rel, g, want)
		}
	}
	for _, id := range rels["Image CONTAINS"] {
		if strings.HasPrefix(id, "Source") {
			t.Errorf("the image CONTAINS %s: sources are not in the image", id)
		}
	}
	if !contains(rels["Image CONTAINS"], "Package-recipe-onig") {
		t.Error("the image does not CONTAIN onig, whose libonig.so.5 it holds")
	}
}

func TestSBOMProjectStatic(t *testing.T) {
	got, err := SBOM(jqCell(recipe.Static), hostPackages)
	if err != nil {
		t.Fatal(err)
	}
	rels := relationships(decode(t, got))
	if g := rels["Program STATIC_LINK"]; strings.Join(g, " ") != "Package-deb-libc6-dev-amd64 Package-recipe-onig" {
		t.Errorf("Program STATIC_LINK %v, want libc6-dev and onig", g)
	}
	if g := rels["Program DYNAMIC_LINK"]; len(g) != 0 {
		t.Errorf("a static program DYNAMIC_LINKs %v", g)
	}
	if !contains(rels["Image CONTAINS"], "Package-recipe-onig") {
		t.Error("the image does not CONTAIN onig, linked into its program")
	}
}

// A dynamic image without a dependency's shared library (one it linked
// statically, or needed only to build) does not claim to link it.
func TestSBOMProjectDependencyNotShipped(t *testing.T) {
	in := jqCell(recipe.Dynamic)
	var libs []FileRef
	for _, f := range in.Libraries {
		if f.Recipe != "onig" {
			libs = append(libs, f)
		}
	}
	in.Libraries = libs
	got, err := SBOM(in, hostPackages)
	if err != nil {
		t.Fatal(err)
	}
	rels := relationships(decode(t, got))
	if g := rels["Program DEPENDS_ON"]; strings.Join(g, " ") != "Package-recipe-onig" {
		t.Errorf("Program DEPENDS_ON %v, want onig", g)
	}
	if contains(rels["Program DYNAMIC_LINK"], "Package-recipe-onig") || contains(rels["Image CONTAINS"], "Package-recipe-onig") {
		t.Error("onig is linked or contained although the image holds none of it")
	}
}

func TestSBOMProjectURLAndPatches(t *testing.T) {
	got, err := SBOM(urlCell(), hostPackages)
	if err != nil {
		t.Fatal(err)
	}
	doc := decode(t, got)
	src := packages(doc)["Source-hello"]
	if src == nil || src.PackageDownloadLocation != "https://example.org/releases/hello-1.0.tar.gz" || src.PackageFileName != "hello-1.0.tar.gz" ||
		len(src.PackageChecksums) != 1 || src.PackageChecksums[0].Value != sum('7') ||
		refs(src)["purl"] != "pkg:generic/hello?checksum=sha256:"+sum('7')+"&download_url=https:%2F%2Fexample.org%2Freleases%2Fhello-1.0.tar.gz" {
		t.Fatalf("URL source = %+v %+v", src, refs(src))
	}
	patch := fileNamed(doc, "./recipes/hello/patches/fix-build.patch")
	if patch == nil || len(patch.Checksums) != 2 {
		t.Fatalf("patch file = %+v", patch)
	}
	rels := relationships(doc)
	if g := rels[string(patch.FileSPDXIdentifier)+" PATCH_APPLIED"]; strings.Join(g, " ") != "Source-hello" {
		t.Errorf("patch PATCH_APPLIED %v, want the source package", g)
	}
	if contains(rels["Image CONTAINS"], string(patch.FileSPDXIdentifier)) {
		t.Error("the image CONTAINS the patch")
	}

	// The recipe folder as the source tree: no source package; the patch
	// applies to the program.
	in := urlCell()
	in.Source.URL, in.Source.Files = "", nil
	got, err = SBOM(in, hostPackages)
	if err != nil {
		t.Fatal(err)
	}
	doc = decode(t, got)
	if packages(doc)["Source-hello"] != nil {
		t.Error("a folder source has a source package")
	}
	if g := relationships(doc)[string(patch.FileSPDXIdentifier)+" PATCH_APPLIED"]; strings.Join(g, " ") != "Program" {
		t.Errorf("patch PATCH_APPLIED %v, want the program", g)
	}
}

// loadRepoRecipe loads recipes/<name> of the repository from a copy of its
// recipe.toml: under bazel test the file is a symlink out of its folder,
// which recipe.Load refuses. (jq and onig have no other files.)
func loadRepoRecipe(t *testing.T, name string) *recipe.Recipe {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "recipes", name, recipe.FileName))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{name + "/" + recipe.FileName: string(data)})
	rc, err := recipe.Load(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

// The checksums in the SBOM are the pins of the real recipe.toml files.
func TestSBOMSourcePinsFromRecipes(t *testing.T) {
	load := func(name string) Source {
		s, err := NewSource(loadRepoRecipe(t, name), "0+src.000000000000", bookworm)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	in := jqCell(recipe.Static)
	jq := load("jq")
	in.Source, in.Depends = &jq, []Source{load("onig")}
	got, err := SBOM(in, hostPackages)
	if err != nil {
		t.Fatal(err)
	}
	pkgs := packages(decode(t, got))
	for _, name := range []string{"jq", "onig"} {
		rc := loadRepoRecipe(t, name)
		if src := pkgs["Source-"+name]; src == nil || src.PackageName != rc.Source.Debian || src.PackageVersion != rc.Source.Version {
			t.Errorf("%s: source package %+v, want %s %s", name, src, rc.Source.Debian, rc.Source.Version)
		}
		if len(rc.Source.Files) == 0 {
			t.Fatalf("%s pins no files", name)
		}
		for file, pin := range rc.Source.Files {
			var found *spdx.Package
			for _, p := range pkgs {
				if p.PackageFileName == file {
					found = p
				}
			}
			if found == nil || len(found.PackageChecksums) != 1 || "sha256:"+found.PackageChecksums[0].Value != pin.String() {
				t.Errorf("%s: %s in the SBOM: %+v, want the pin %s", name, file, found, pin)
			}
		}
	}
}

func TestNewSource(t *testing.T) {
	dir := t.TempDir()
	patch := "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"
	writeTree(t, dir, map[string]string{
		"tool/recipe.toml": `description = "a tool"
language = "c"
build = "make"
binary = "usr/bin/tool"
patches = ["patches/one.patch"]

[source]
url = "https://example.org/tool-1.0.tar.gz"
sha256 = "sha256:` + sum('7') + `"
strip_components = 1

[smoke]
stdout = ""
`,
		"tool/patches/one.patch": patch,
	})
	rc, err := recipe.Load(filepath.Join(dir, "tool"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSource(rc, "0+src.444444444444", bookworm)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte(patch))
	if s.URL != "https://example.org/tool-1.0.tar.gz" || len(s.Files) != 1 || s.Files[0] != (PinnedFile{"tool-1.0.tar.gz", sum('7')}) ||
		len(s.Patches) != 1 || s.Patches[0].Name != "patches/one.patch" || s.Patches[0].SHA256 != hex.EncodeToString(h[:]) {
		t.Errorf("NewSource = %+v", s)
	}
	if strings.Contains(strings.Join([]string{s.Recipe, s.URL, s.Patches[0].Name}, " "), dir) {
		t.Error("the source keeps a host path")
	}
}

// relationships lists, per "RefA TYPE", the sorted RefBs.
func relationships(doc *spdx.Document) map[string][]string {
	m := map[string][]string{}
	for _, r := range doc.Relationships {
		k := string(r.RefA.ElementRefID) + " " + r.Relationship
		m[k] = append(m[k], string(r.RefB.ElementRefID))
	}
	return m
}

func contains(ids []string, id string) bool {
	for _, i := range ids {
		if i == id {
			return true
		}
	}
	return false
}
