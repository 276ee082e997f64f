package pipeline

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	spdxjson "github.com/spdx/tools-golang/json"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/release"
	"github.com/fromscratch/fromscratch/internal/testutil"
)

// A runtime file that install_files declare a Debian package's (as curl's
// CA bundle), without building curl: okprog, the make project of the cache
// key tests, with a small bundle declared as ca-certificates
// 20250419~deb12u2's and curl's vendored copyright file, built in the
// build root (gcc, static, amd64). The SBOM inside the image lists the
// package with its name, version, deb purl and the copyright file's
// licence, and the file with its sha256, GENERATED_FROM the package,
// which the image CONTAINS; the SPDX project's validator accepts it; a
// dpkg status entry names the package for scanners. The
// same file declared without a copyright file gives NOASSERTION and says
// why.
func TestRuntimeFileOfADebianPackage(t *testing.T) {
	root := hostTempDir(t)
	o := hermeticOptions(t, root) // skips in short mode
	validator := testutil.SPDXValidator(t)
	copyTree(t, filepath.Join(repoRoot(t), "toolchains"), filepath.Join(root, "toolchains"))
	copyright, err := os.ReadFile(filepath.Join(repoRoot(t), "recipes", "curl", "ca-certificates.copyright"))
	if err != nil {
		t.Fatal(err)
	}
	const bundle = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	sum := sha256.Sum256([]byte(bundle))
	for name, copyrightKey := range map[string]string{"okca": "copyright = \"ca-certificates.copyright\"\n", "okcanocopy": ""} {
		files := map[string]string{"ca.crt": bundle, "ca-certificates.copyright": string(copyright)}
		for n, s := range okprog {
			files[n] = s
		}
		files[recipe.FileName] = strings.Replace(okprog[recipe.FileName], "[smoke]", "runtime_files = [\"etc/ssl/certs/ca.crt\"]\n"+
			"[install_files.\"etc/ssl/certs/ca.crt\"]\nfile = \"ca.crt\"\ndebian = \"ca-certificates\"\nversion = \"20250419~deb12u2\"\n"+copyrightKey+
			"[smoke]", 1)
		writeProject(t, root, name, files)
	}
	o.NoCache = false
	o.Recipes, o.Toolchains, o.Platforms, o.Linkages = []string{"okca", "okcanocopy"}, []string{"gcc"}, []recipe.Platform{recipe.AMD64}, []recipe.Linkage{recipe.Static}
	o.FromscratchVersion = "test"
	rep, err := New(o).Build(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"okca", "okcanocopy"} {
		t.Run(name, func(t *testing.T) {
			r := rep.Results[recipe.Cell{Recipe: name, Platform: recipe.AMD64, Toolchain: "gcc", Linkage: recipe.Static}.String()]
			if r == nil || r.Err != nil {
				t.Fatalf("%s: %+v", name, r)
			}
			if data, _, err := fileInImage(r.Image, "etc/ssl/certs/ca.crt"); err != nil || data != bundle {
				t.Errorf("/etc/ssl/certs/ca.crt in the image: %q (%v)", data, err)
			}
			// What syft reads: a dpkg status entry, and no md5sums (the
			// bundle is not one of the package's files as dpkg lists them).
			entry, _, err := fileInImage(r.Image, "var/lib/dpkg/status.d/ca-certificates")
			if err != nil || entry != "Package: ca-certificates\nStatus: install ok installed\nArchitecture: all\nVersion: 20250419~deb12u2\n" {
				t.Errorf("status.d/ca-certificates %q (%v)", entry, err)
			}
			if _, _, err := fileInImage(r.Image, "var/lib/dpkg/status.d/ca-certificates.md5sums"); err == nil {
				t.Error("status.d/ca-certificates.md5sums is in the image")
			}
			doc, _, err := fileInImage(r.Image, strings.TrimPrefix(release.ImageSBOMPath(r.Job.Cell.SBOMName()), "/"))
			if err != nil {
				t.Fatal(err)
			}
			d, err := spdxjson.Read(bytes.NewReader([]byte(doc)))
			if err != nil {
				t.Fatal(err)
			}
			var ca *spdx.Package
			for _, p := range d.Packages {
				if p.PackageName == "ca-certificates" {
					ca = p
				}
			}
			if ca == nil {
				t.Fatalf("no ca-certificates package in the SBOM inside the image:\n%s", doc)
			}
			var purl string
			for _, ref := range ca.PackageExternalReferences {
				if ref.RefType == "purl" {
					purl = ref.Locator
				}
			}
			wantLicense := map[string]string{"okca": "GPL-2.0-or-later AND MPL-2.0", "okcanocopy": "NOASSERTION"}[name]
			if ca.PackageVersion != "20250419~deb12u2" || purl != "pkg:deb/debian/ca-certificates@20250419~deb12u2?arch=all&distro=debian-12" ||
				ca.PackageLicenseDeclared != wantLicense {
				t.Errorf("ca-certificates %s, purl %s, licence %s; want 20250419~deb12u2, arch=all, %s", ca.PackageVersion, purl, ca.PackageLicenseDeclared, wantLicense)
			}
			if name == "okcanocopy" && !strings.Contains(ca.PackageLicenseComments, `install_files."etc/ssl/certs/ca.crt" names no copyright file`) {
				t.Errorf("licence comment %q, want the reason", ca.PackageLicenseComments)
			}
			var file *spdx.File
			for _, f := range d.Files {
				if f.FileName == "./etc/ssl/certs/ca.crt" {
					file = f
				}
			}
			if file == nil {
				t.Fatal("the bundle is not among the SBOM's files")
			}
			found := false
			for _, c := range file.Checksums {
				found = found || (c.Algorithm == "SHA256" && c.Value == hex.EncodeToString(sum[:]))
			}
			if !found {
				t.Errorf("the bundle's checksums %+v lack its sha256", file.Checksums)
			}
			rels := map[string]bool{}
			for _, rel := range d.Relationships {
				rels[string(rel.RefA.ElementRefID)+" "+rel.Relationship+" "+string(rel.RefB.ElementRefID)] = true
			}
			for _, want := range []string{"Image CONTAINS " + string(ca.PackageSPDXIdentifier), string(file.FileSPDXIdentifier) + " GENERATED_FROM " + string(ca.PackageSPDXIdentifier)} {
				if !rels[want] {
					t.Errorf("no relationship %s", want)
				}
			}
			path := filepath.Join(t.TempDir(), name+".spdx.json")
			if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(validator, "-i", path)
			cmd.Env = append(os.Environ(), "PATH=/usr/local/bin:/usr/bin:/bin")
			if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
				t.Errorf("pyspdxtools -i: %v\n%s", err, out)
			}
		})
	}
}
