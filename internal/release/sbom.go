package release

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"
)

// SBOMInput describes one image for SBOM.
type SBOMInput struct {
	Name             string    // document and image name, e.g. "hello-gcc-dynamic-linux-arm64"
	Namespace        string    // documentNamespace, deterministic: "https://fromscratch.invalid/spdx/<name>-<digest>"
	Created          time.Time // the build date (SOURCE_DATE_EPOCH), never the clock
	ImageDigest      string    // manifest digest, "sha256:…"
	Binary           FileRef   // the program
	Libraries        []FileRef // its shared-library closure, interpreter included
	Recipe           string
	Toolchain        string
	ToolchainVersion string
}

// FileRef is one file of an image.
type FileRef struct {
	ImagePath string // path inside the image, e.g. /lib/x86_64-linux-gnu/libc.so.6
	HostPath  string // where it was copied from: only used to find its origin, never written
	SHA256    string // 64 lowercase hex digits
	Size      int64  // bytes; SPDX 2.3 files have no size field, so not written either
}

// SBOM returns the SPDX 2.3 JSON document of one image: packages for the
// image (CONTAINER), the program (APPLICATION, built from in.Recipe) and
// each Debian package providing a library (LIBRARY, with a deb purl); a
// library whose origin res cannot tell gets a package of its own with
// versionInfo NOASSERTION. res may be nil: every library is then unknown.
//
// The output is a function of in and res only: arrays sorted by SPDX
// identifier, Created the only timestamp, no HostPath, two-space indent and
// a trailing newline.
func SBOM(in SBOMInput, res Resolver) ([]byte, error) {
	if err := in.validate(); err != nil {
		return nil, fmt.Errorf("building SBOM for %s: %w", in.Name, err)
	}
	const docID, imageID, programID = "SPDXRef-DOCUMENT", "SPDXRef-Image", "SPDXRef-Program"
	ids := idAllocator{docID: true, imageID: true, programID: true}

	doc := spdxDocument{
		SPDXVersion:       "SPDX-2.3",
		DataLicense:       "CC0-1.0",
		SPDXID:            docID,
		Name:              in.Name,
		DocumentNamespace: in.Namespace,
		CreationInfo: spdxCreationInfo{
			Created:  in.Created.UTC().Format(time.RFC3339),
			Creators: []string{"Tool: fromscratch"},
		},
	}
	doc.Packages = append(doc.Packages,
		spdxPackage{
			SPDXID: imageID, Name: in.Name, VersionInfo: in.ImageDigest,
			Supplier: noAssertion, DownloadLocation: noAssertion, PrimaryPackagePurpose: "CONTAINER",
		},
		spdxPackage{
			SPDXID: programID, Name: in.Recipe,
			Supplier: noAssertion, DownloadLocation: noAssertion, PrimaryPackagePurpose: "APPLICATION",
			Comment: programComment(in),
		})
	rel := func(a, typ, b string) {
		doc.Relationships = append(doc.Relationships, spdxRelationship{a, typ, b})
	}
	rel(docID, "DESCRIBES", imageID)
	rel(imageID, "CONTAINS", programID)

	// Files, in image-path order so that colliding identifiers are
	// suffixed deterministically.
	libs := append([]FileRef(nil), in.Libraries...)
	sort.Slice(libs, func(i, j int) bool { return libs[i].ImagePath < libs[j].ImagePath })
	fileIDs := map[string]string{} // image path -> SPDXID
	for _, f := range append([]FileRef{in.Binary}, libs...) {
		id := ids.next("File-", f.ImagePath)
		fileIDs[f.ImagePath] = id
		doc.Files = append(doc.Files, spdxFile{
			SPDXID: id, FileName: f.ImagePath, FileTypes: []string{"BINARY"},
			Checksums: []spdxChecksum{{Algorithm: "SHA256", ChecksumValue: f.SHA256}},
		})
	}
	rel(programID, "CONTAINS", fileIDs[in.Binary.ImagePath])

	// Library packages: one per Debian package, one per unknown library.
	byOrigin := map[Origin][]string{} // origin -> image paths
	var unknown []string
	for _, f := range libs {
		var o Origin
		ok := false
		if res != nil && f.HostPath != "" {
			o, ok = res.Origin(f.HostPath)
		}
		if !ok || o.Package == "" {
			unknown = append(unknown, f.ImagePath)
			continue
		}
		byOrigin[o] = append(byOrigin[o], f.ImagePath)
	}
	origins := make([]Origin, 0, len(byOrigin))
	for o := range byOrigin {
		origins = append(origins, o)
	}
	sort.Slice(origins, func(i, j int) bool {
		a, b := origins[i], origins[j]
		if a.Package != b.Package {
			return a.Package < b.Package
		}
		if a.Arch != b.Arch {
			return a.Arch < b.Arch
		}
		return a.Version < b.Version
	})
	for _, o := range origins {
		key := o.Package
		if o.Arch != "" {
			key += "-" + o.Arch
		}
		p := spdxPackage{
			SPDXID: ids.next("Package-deb-", key), Name: o.Package, VersionInfo: o.Version,
			Supplier: noAssertion, DownloadLocation: noAssertion, PrimaryPackagePurpose: "LIBRARY",
			ExternalRefs: []spdxExternalRef{{
				ReferenceCategory: "PACKAGE-MANAGER", ReferenceType: "purl", ReferenceLocator: debPURL(o),
			}},
		}
		if o.Version == "" {
			p.VersionInfo = noAssertion
			p.Comment = "dpkg lists this package but reported no version"
		}
		doc.Packages = append(doc.Packages, p)
		rel(imageID, "CONTAINS", p.SPDXID)
		for _, ip := range byOrigin[o] {
			rel(p.SPDXID, "CONTAINS", fileIDs[ip])
		}
	}
	for _, ip := range unknown {
		p := spdxPackage{
			SPDXID: ids.next("Package-unknown-", ip), Name: path.Base(ip), VersionInfo: noAssertion,
			Supplier: noAssertion, DownloadLocation: noAssertion, PrimaryPackagePurpose: "LIBRARY",
			Comment: "origin unknown: no Debian package found for " + ip,
		}
		doc.Packages = append(doc.Packages, p)
		rel(imageID, "CONTAINS", p.SPDXID)
		rel(p.SPDXID, "CONTAINS", fileIDs[ip])
	}

	sort.Slice(doc.Packages, func(i, j int) bool { return doc.Packages[i].SPDXID < doc.Packages[j].SPDXID })
	sort.Slice(doc.Files, func(i, j int) bool { return doc.Files[i].SPDXID < doc.Files[j].SPDXID })
	sort.Slice(doc.Relationships, func(i, j int) bool {
		a, b := doc.Relationships[i], doc.Relationships[j]
		if a.SPDXElementID != b.SPDXElementID {
			return a.SPDXElementID < b.SPDXElementID
		}
		if a.RelationshipType != b.RelationshipType {
			return a.RelationshipType < b.RelationshipType
		}
		return a.RelatedSPDXElement < b.RelatedSPDXElement
	})

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf) // Encode ends with the trailing newline
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encoding SBOM for %s: %w", in.Name, err)
	}
	return buf.Bytes(), nil
}

func programComment(in SBOMInput) string {
	version := in.ToolchainVersion
	if version == "" {
		version = "(version unknown)"
	}
	return fmt.Sprintf("%s built from recipe %s with %s %s", in.Binary.ImagePath, in.Recipe, in.Toolchain, version)
}

func (in SBOMInput) validate() error {
	var errs []error
	need := func(v, what string) {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is empty", what))
		}
	}
	need(in.Name, "Name")
	need(in.ImageDigest, "ImageDigest")
	need(in.Recipe, "Recipe")
	need(in.Toolchain, "Toolchain")
	if u, err := url.Parse(in.Namespace); err != nil || u.Scheme == "" || u.Fragment != "" || strings.Contains(in.Namespace, "#") {
		errs = append(errs, fmt.Errorf("Namespace %q is not an absolute URI without '#'", in.Namespace))
	}
	if in.Created.IsZero() {
		errs = append(errs, errors.New("Created is zero: pass the build date"))
	}
	seen := map[string]bool{}
	for i, f := range append([]FileRef{in.Binary}, in.Libraries...) {
		what := "Binary"
		if i > 0 {
			what = fmt.Sprintf("Libraries[%d]", i-1)
		}
		switch {
		case f.ImagePath == "":
			errs = append(errs, fmt.Errorf("%s has no ImagePath", what))
		case seen[f.ImagePath]:
			errs = append(errs, fmt.Errorf("%s: %s listed twice", what, f.ImagePath))
		case !isHexSHA256(f.SHA256):
			errs = append(errs, fmt.Errorf("%s: SHA256 of %s is not 64 lowercase hex digits", what, f.ImagePath))
		}
		seen[f.ImagePath] = true
	}
	return errors.Join(errs...)
}
