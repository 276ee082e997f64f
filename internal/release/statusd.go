package release

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// StatusDir is where distroless images keep one dpkg status paragraph per
// package, and where syft, grype and trivy look for them.
const StatusDir = "/var/lib/dpkg/status.d"

// ImageSBOMPath is where an image carries its own SPDX document, by the
// document's name: a *.spdx.json file, which syft's sbom cataloger and
// trivy's SBOM analyzer read in an image, in the folder of per-package
// SBOMs that apko-built (Wolfi, Chainguard) images use.
func ImageSBOMPath(name string) string { return "/var/lib/db/sbom/" + name + ".spdx.json" }

// OSReleasePath is the os-release file scanners read the distribution from.
const OSReleasePath = "/etc/os-release"

// StatusEntry is the dpkg status paragraph of a Debian package whose files
// an image carries, in the fields dpkg writes (Package, Status, Source,
// Architecture, Version): the package's own facts from the lock, nothing
// invented. Source is written when it differs from the package's name,
// as dpkg does.
func StatusEntry(o Origin) ([]byte, error) {
	if !validDpkgName(o.Package) || o.Version == "" || o.Arch == "" || strings.ContainsAny(o.Version+o.Arch+o.Source, " \n") {
		return nil, fmt.Errorf("dpkg status entry of %+v: a package needs a valid name, a version and an architecture", o)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Package: %s\nStatus: install ok installed\n", o.Package)
	if o.Source != "" && o.Source != o.Package {
		fmt.Fprintf(&b, "Source: %s\n", o.Source)
	}
	fmt.Fprintf(&b, "Architecture: %s\nVersion: %s\n", o.Arch, o.Version)
	return []byte(b.String()), nil
}

// MD5Sums is the <package>.md5sums file of status.d: a line per file of
// the image the package provides, "<md5>  <path without the leading />",
// sorted by path, as dpkg's md5sums files are. files maps the image path
// to the host file it was copied from.
func MD5Sums(files map[string]string) ([]byte, error) {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var b strings.Builder
	for _, p := range paths {
		f, err := os.Open(files[p])
		if err != nil {
			return nil, fmt.Errorf("hashing %s: %w", p, err)
		}
		h := md5.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("hashing %s: %w", p, err)
		}
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(h.Sum(nil)), strings.TrimPrefix(p, "/"))
	}
	return []byte(b.String()), nil
}

// OSRelease is the /etc/os-release of an image whose packages come from
// distribution d: ID and VERSION_ID say where its Debian packages are
// from (what scanners match them against); NAME and PRETTY_NAME say that
// the image itself is fromscratch's, as distroless's say "Distroless".
func OSRelease(d Distro, codename, homeURL string) []byte {
	s := fmt.Sprintf("PRETTY_NAME=\"fromscratch (packages of Debian %s)\"\nNAME=\"fromscratch\"\nID=%s\nVERSION_ID=\"%s\"\nVERSION_CODENAME=%s\n",
		d.VersionID, d.ID, d.VersionID, codename)
	if homeURL != "" {
		s += fmt.Sprintf("HOME_URL=\"%s\"\n", homeURL)
	}
	return []byte(s)
}
