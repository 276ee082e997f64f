package release

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// caCertificates is curl's CA bundle as its recipe declares it: from
// ca-certificates 20250419~deb12u2, whose licence is read from the
// copyright file the recipe vendors (the .deb's own; a file that cannot
// be read gives NOASSERTION, which TestSBOMRuntimeFiles refuses).
func caCertificates() *DebianFile {
	data, err := os.ReadFile(filepath.Join("..", "..", "recipes", "curl", "ca-certificates.copyright"))
	if err != nil {
		data = []byte(err.Error())
	}
	return &DebianFile{Package: "ca-certificates", Version: "20250419~deb12u2", Arch: "all", Recipe: "hello",
		License: CopyrightLicense("ca-certificates: recipes/curl/ca-certificates.copyright", data)}
}

// withRuntimeFiles is a static hello image built in the build root that
// also carries a CA bundle from a Debian package and a file of no
// declared origin.
func withRuntimeFiles() SBOMInput {
	in := hermetic(cell("gcc-static", recipe.AMD64, recipe.Static, StaticLibc{Debian: "libc6-dev:amd64"}))
	in.RuntimeFiles = []RuntimeFile{
		{FileRef: file("/usr/share/hello/greeting.txt", "/build/out/files/usr/share/hello/greeting.txt", '8')},
		{FileRef: file("/etc/ssl/certs/ca-certificates.crt", "/build/out/files/etc/ssl/certs/ca-certificates.crt", '7'), Debian: caCertificates()},
	}
	return in
}

// A runtime file that its recipe says comes from a Debian package is in
// the SBOM with that package: name, version, a deb purl with arch=all,
// the licence of Debian's copyright file, the file's checksums, CONTAINED
// by the image and the distribution, the file GENERATED_FROM it; a file
// of no declared origin is listed alone; both count in the image's
// verification code.
func TestSBOMRuntimeFiles(t *testing.T) {
	in := withRuntimeFiles()
	got, err := SBOM(in, lockedPackages)
	if err != nil {
		t.Fatal(err)
	}
	doc := decode(t, got)
	pkgs := packages(doc)
	ca := pkgs["Package-deb-ca-certificates-all"]
	if ca == nil {
		t.Fatalf("no package Package-deb-ca-certificates-all; packages: %v", pkgs)
	}
	if ca.PackageName != "ca-certificates" || ca.PackageVersion != "20250419~deb12u2" || ca.PrimaryPackagePurpose != "OTHER" {
		t.Errorf("ca-certificates = %s %s %s", ca.PackageName, ca.PackageVersion, ca.PrimaryPackagePurpose)
	}
	if p := refs(ca)["purl"]; p != "pkg:deb/debian/ca-certificates@20250419~deb12u2?arch=all&distro=debian-12" {
		t.Errorf("purl = %s", p)
	}
	if ca.PackageLicenseDeclared != "GPL-2.0-or-later AND MPL-2.0" || ca.PackageLicenseConcluded != ca.PackageLicenseDeclared {
		t.Errorf("licence declared %q, concluded %q; want Debian's copyright's GPL-2.0-or-later AND MPL-2.0", ca.PackageLicenseDeclared, ca.PackageLicenseConcluded)
	}
	bundle := fileNamed(doc, "./etc/ssl/certs/ca-certificates.crt")
	if bundle == nil {
		t.Fatal("no file ./etc/ssl/certs/ca-certificates.crt")
	}
	sums := map[string]string{}
	for _, c := range bundle.Checksums {
		sums[string(c.Algorithm)] = c.Value
	}
	if sums["SHA256"] != sum('7') || sums["SHA1"] != sum1('7') || !strings.Contains(bundle.FileComment, "ca-certificates 20250419~deb12u2") {
		t.Errorf("bundle = %+v", bundle)
	}
	other := fileNamed(doc, "./usr/share/hello/greeting.txt")
	if other == nil || strings.Contains(other.FileComment, "Debian") {
		t.Errorf("file of no declared origin = %+v", other)
	}
	rels := map[string]bool{}
	for _, r := range doc.Relationships {
		rels[string(r.RefA.ElementRefID)+" "+r.Relationship+" "+string(r.RefB.ElementRefID)] = true
	}
	for _, want := range []string{
		"Image CONTAINS Package-deb-ca-certificates-all",
		"OperatingSystem CONTAINS Package-deb-ca-certificates-all",
		"File-etc-ssl-certs-ca-certificates.crt GENERATED_FROM Package-deb-ca-certificates-all",
		"Image CONTAINS File-etc-ssl-certs-ca-certificates.crt",
		"Image CONTAINS File-usr-share-hello-greeting.txt",
	} {
		if !rels[want] {
			t.Errorf("no relationship %s", want)
		}
	}
	for r := range rels {
		if strings.HasPrefix(r, "File-usr-share-hello-greeting.txt ") {
			t.Errorf("the file of no declared origin has %s", r)
		}
	}
	if code := pkgs["Image"].PackageVerificationCode.Value; code != verificationCode([]string{sum1('0'), sum1('7'), sum1('8')}) {
		t.Errorf("the image's verification code %s does not cover the binary and both runtime files", code)
	}

	t.Run("licence unknown", func(t *testing.T) {
		in := withRuntimeFiles()
		in.RuntimeFiles[1].Debian.License = CopyrightLicense("ca-certificates: x", []byte("not DEP-5\n"))
		got, err := SBOM(in, lockedPackages)
		if err != nil {
			t.Fatal(err)
		}
		ca := packages(decode(t, got))["Package-deb-ca-certificates-all"]
		if ca.PackageLicenseDeclared != NoAssertion || !strings.Contains(ca.PackageLicenseComments, "not in Debian's machine-readable copyright format") {
			t.Errorf("licence %q, comment %q", ca.PackageLicenseDeclared, ca.PackageLicenseComments)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		for name, mutate := range map[string]func(*SBOMInput){
			"path of the binary":   func(in *SBOMInput) { in.RuntimeFiles[0].ImagePath = in.Binary.ImagePath },
			"relative path":        func(in *SBOMInput) { in.RuntimeFiles[0].ImagePath = "etc/x" },
			"no sha256":            func(in *SBOMInput) { in.RuntimeFiles[1].SHA256 = "" },
			"qualified package":    func(in *SBOMInput) { in.RuntimeFiles[1].Debian.Package = "ca-certificates:all" },
			"no version":           func(in *SBOMInput) { in.RuntimeFiles[1].Debian.Version = "" },
			"no arch":              func(in *SBOMInput) { in.RuntimeFiles[1].Debian.Arch = "" },
			"no declaring recipe":  func(in *SBOMInput) { in.RuntimeFiles[1].Debian.Recipe = "" },
			"a recipe's own file":  func(in *SBOMInput) { in.RuntimeFiles[0].Recipe = "onig" },
			"package name spacing": func(in *SBOMInput) { in.RuntimeFiles[1].Debian.Package = "ca certificates" },
		} {
			in := withRuntimeFiles()
			mutate(&in)
			if _, err := SBOM(in, lockedPackages); err == nil || !strings.Contains(err.Error(), "RuntimeFiles[") {
				t.Errorf("%s: error %v, want one naming RuntimeFiles[i]", name, err)
			}
		}
	})
}
