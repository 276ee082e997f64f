package release

import (
	"fmt"
	"maps"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"
	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// Source is what a project recipe (build = "autotools", "cmake" or "make")
// was built from, as its recipe.toml pins it: a Debian source package, a
// URL tarball or the recipe folder, and the recipe's own patches. It
// describes the program of an image (SBOMInput.Source) or one of the
// libraries the program was built with (SBOMInput.Depends).
type Source struct {
	Recipe  string // the recipe's name: "jq", "onig"
	Version string // the version of what the recipe built: "0+src.…", as the image's

	// Debian is the Debian source package ("libonig"), DebianVersion its
	// exact version with its epoch, Distro the release it is pinned from
	// ({debian 12} for bookworm); DebianPatches says whether
	// debian/patches/series was applied.
	Debian        string
	DebianVersion string
	Distro        Distro
	DebianPatches bool
	// DebianPatchesSkipped are the patches of that series left out
	// (source.debian_patches_skip), as the series names them.
	DebianPatchesSkipped []string

	// URL is the tarball of a URL source.
	URL string

	// Files are the pinned files: each file of the Debian source package
	// the build used, or the URL's tarball.
	Files []PinnedFile
	// Patches are the recipe's own patches, in the order they were applied.
	Patches []Patch
	// License is what the recipe built is licensed under (its recipe's
	// license, or its debian/copyright); zero: NOASSERTION.
	License License
}

// PinnedFile is one pinned source file and its digest.
type PinnedFile struct {
	Name   string // file name: "jq_1.6.orig.tar.gz"
	SHA256 string // 64 lowercase hex digits
}

// Patch is one of a recipe's patches.
type Patch struct {
	Name         string // relative to the recipe folder, slash-separated
	SHA1, SHA256 string // lowercase hex
}

// NewSource describes the source of project recipe rc, whose build has
// version version (the image's "0+src.…"); distro is the Debian release its
// Debian source package is pinned from. It reads the recipe's patches for
// their digests; nothing else is read, and no host path is kept.
func NewSource(rc *recipe.Recipe, version string, distro Distro) (Source, error) {
	s := Source{Recipe: rc.Name, Version: version}
	src := rc.Source
	switch src.Kind() {
	case recipe.SourceDebian:
		s.Debian, s.DebianVersion, s.Distro, s.DebianPatches = src.Debian, src.Version, distro, src.DebianPatches
		s.DebianPatchesSkipped = slices.Clone(src.DebianPatchesSkip)
		for _, name := range slices.Sorted(maps.Keys(src.Files)) {
			s.Files = append(s.Files, PinnedFile{Name: name, SHA256: src.Files[name].Hex()})
		}
	case recipe.SourceURL:
		s.URL = src.URL
		s.Files = []PinnedFile{{Name: urlFileName(src.URL), SHA256: src.SHA256.Hex()}}
	}
	for _, p := range rc.Patches {
		ref, err := NewFileRef("/"+p, filepath.Join(rc.Dir, filepath.FromSlash(p)))
		if err != nil {
			return Source{}, fmt.Errorf("patch of %s: %w", rc.Name, err)
		}
		s.Patches = append(s.Patches, Patch{Name: path.Clean(filepath.ToSlash(p)), SHA1: ref.SHA1, SHA256: ref.SHA256})
	}
	return s, nil
}

// urlFileName is the last element of a URL's path: the tarball's name.
func urlFileName(u string) string {
	if p, err := url.Parse(u); err == nil && path.Base(p.Path) != "/" && path.Base(p.Path) != "." {
		return path.Base(p.Path)
	}
	return "source"
}

// debianArchive is where Debian's source packages are downloaded from:
// the main archive, whose pool keeps every package of a stable release
// (security updates are copied into it at the next point release). It is
// a constant rather than the machine's mirror, so the SBOM does not depend
// on the machine that wrote it.
const debianArchive = "https://deb.debian.org/debian"

// debianPool is the pool folder of Debian source package name in the main
// component, with a trailing slash: pool/main/j/jq/, pool/main/libo/libonig/.
func debianPool(name string) string {
	prefix := name[:1]
	if strings.HasPrefix(name, "lib") && len(name) > 3 {
		prefix = name[:4]
	}
	return debianArchive + "/pool/main/" + prefix + "/" + name + "/"
}

// noEpoch is a Debian version as file names carry it: without its epoch.
func noEpoch(version string) string {
	if i := strings.IndexByte(version, ':'); i >= 0 {
		return version[i+1:]
	}
	return version
}

// sourcePackage adds the package a recipe's build was made from and
// returns its id, or "" when the recipe folder is the source tree (the
// recipe's own package, whose version is the folder's digest, says it).
// A Debian source package has a deb purl with arch=source (what scanners
// match security advisories on), its .dsc as download location and, since
// SPDX gives a package one checksum per algorithm, one ARCHIVE package per
// pinned file with that file's SHA256, which it CONTAINS. A URL source is
// one tarball: the package carries its checksum itself. Neither is in the
// image, so the image does not CONTAIN them.
func (b *sbomBuilder) sourcePackage(s Source) common.ElementID {
	if s.Debian == "" && s.URL == "" {
		return ""
	}
	var p *spdx.Package
	id := b.ids.next("Source-", s.Recipe)
	switch {
	case s.Debian != "":
		p = newPackage(id, s.Debian, s.DebianVersion, "SOURCE")
		pool := debianPool(s.Debian)
		p.PackageDownloadLocation = pool + s.Debian + "_" + noEpoch(s.DebianVersion) + ".dsc"
		p.PackageExternalReferences = []*spdx.PackageExternalReference{purlRef(debPURL(
			Origin{Package: s.Debian, Version: s.DebianVersion, Arch: "source"}, s.Distro))}
		patches := "only its upstream tarball was used: Debian's patches were not applied"
		if s.DebianPatches {
			patches = "Debian's patches (debian/patches/series) were applied"
		}
		if len(s.DebianPatchesSkipped) > 0 {
			patches += ", less " + strings.Join(s.DebianPatchesSkipped, ", ") + ", which the recipe leaves out"
		}
		p.PackageComment = fmt.Sprintf("the Debian source package recipe %s is pinned to in its recipe.toml; %s", s.Recipe, patches)
		b.doc.Packages = append(b.doc.Packages, p)
		for _, f := range s.Files {
			fid := b.ids.next("SourceFile-", f.Name)
			fp := newPackage(fid, f.Name, s.DebianVersion, "ARCHIVE")
			fp.PackageFileName = f.Name
			fp.PackageDownloadLocation = pool + f.Name
			fp.PackageChecksums = []common.Checksum{{Algorithm: common.SHA256, Value: f.SHA256}}
			fp.PackageComment = fmt.Sprintf("a file of Debian source package %s %s, pinned by its SHA256 in recipe %s", s.Debian, s.DebianVersion, s.Recipe)
			b.doc.Packages = append(b.doc.Packages, fp)
			b.rel(id, relContains, fid)
		}
	default: // a URL
		f := s.Files[0]
		p = newPackage(id, s.Recipe, "", "SOURCE")
		p.PackageFileName = f.Name
		p.PackageDownloadLocation = s.URL
		p.PackageChecksums = []common.Checksum{{Algorithm: common.SHA256, Value: f.SHA256}}
		p.PackageExternalReferences = []*spdx.PackageExternalReference{purlRef(packageurl.NewPackageURL(
			packageurl.TypeGeneric, "", s.Recipe, "", packageurl.QualifiersFromMap(map[string]string{
				"download_url": s.URL, "checksum": "sha256:" + f.SHA256}), "").ToString())}
		p.PackageComment = fmt.Sprintf("the tarball recipe %s is pinned to in its recipe.toml", s.Recipe)
		b.doc.Packages = append(b.doc.Packages, p)
	}
	setLicense(p, s.License)
	return id
}

// patches adds a recipe's own patches as files (they are not in the image)
// that are PATCH_APPLIED to target: its source package, or its package when
// the recipe folder is the source tree.
func (b *sbomBuilder) patches(s Source, target common.ElementID) {
	for _, pt := range s.Patches {
		id := b.ids.next("Patch-", s.Recipe+"-"+pt.Name)
		b.doc.Files = append(b.doc.Files, &spdx.File{
			FileSPDXIdentifier: id,
			FileName:           "./recipes/" + s.Recipe + "/" + pt.Name, // in fromscratch's repository
			FileTypes:          []string{"SOURCE"},
			Checksums: []common.Checksum{
				{Algorithm: common.SHA1, Value: pt.SHA1},
				{Algorithm: common.SHA256, Value: pt.SHA256},
			},
			FileCopyrightText: noAssertion,
			FileComment:       fmt.Sprintf("a patch of recipe %s, applied with patch -p1", s.Recipe),
		})
		b.rel(id, relPatchApplied, target)
	}
}

// validate checks one Source; what names the field in errors.
func (s Source) validate(what string) []error {
	var errs []error
	if s.Recipe == "" || s.Version == "" {
		errs = append(errs, fmt.Errorf("%s: Recipe and Version must be set", what))
	}
	switch {
	case s.Debian != "" && s.URL != "":
		errs = append(errs, fmt.Errorf("%s: set either Debian or URL", what))
	case s.Debian != "":
		if !validDpkgName(s.Debian) || s.DebianVersion == "" {
			errs = append(errs, fmt.Errorf("%s: Debian %q %q is not a source package name and version", what, s.Debian, s.DebianVersion))
		}
		if !distroField.MatchString(s.Distro.ID) || !distroField.MatchString(s.Distro.VersionID) {
			errs = append(errs, fmt.Errorf("%s: Distro %+v: want the release the package is pinned from, such as debian 12", what, s.Distro))
		}
		if len(s.Files) == 0 {
			errs = append(errs, fmt.Errorf("%s: a Debian source needs its pinned files", what))
		}
	case s.URL != "":
		if u, err := url.Parse(s.URL); err != nil || u.Scheme == "" || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s: URL %q is not absolute", what, s.URL))
		}
		if len(s.Files) != 1 {
			errs = append(errs, fmt.Errorf("%s: a URL source is one pinned file, not %d", what, len(s.Files)))
		}
	default:
		if len(s.Files) > 0 {
			errs = append(errs, fmt.Errorf("%s: pinned files without a Debian or URL origin", what))
		}
	}
	for _, f := range s.Files {
		if f.Name == "" || strings.ContainsAny(f.Name, "/\\") || !isLowerHex(f.SHA256, 64) {
			errs = append(errs, fmt.Errorf("%s: file %q: want a plain name and 64 lowercase hex digits", what, f.Name))
		}
	}
	for _, p := range s.Patches {
		if p.Name == "" || path.IsAbs(p.Name) || path.Clean(p.Name) != p.Name || strings.HasPrefix(p.Name, "../") ||
			!isLowerHex(p.SHA1, 40) || !isLowerHex(p.SHA256, 64) {
			errs = append(errs, fmt.Errorf("%s: patch %q: want a clean relative path and its SHA1 and SHA256", what, p.Name))
		}
	}
	return errs
}
