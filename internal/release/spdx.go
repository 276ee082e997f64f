package release

import (
	"fmt"
	"strconv"
	"strings"
)

// The SPDX 2.3 JSON subset the SBOM writes. Field order is output order;
// optional fields are omitted when empty.

const noAssertion = "NOASSERTION"

type spdxDocument struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      spdxCreationInfo   `json:"creationInfo"`
	Packages          []spdxPackage      `json:"packages"`
	Files             []spdxFile         `json:"files"`
	Relationships     []spdxRelationship `json:"relationships"`
}

type spdxCreationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

type spdxPackage struct {
	SPDXID                string            `json:"SPDXID"`
	Name                  string            `json:"name"`
	VersionInfo           string            `json:"versionInfo,omitempty"`
	Supplier              string            `json:"supplier"`
	DownloadLocation      string            `json:"downloadLocation"`
	FilesAnalyzed         bool              `json:"filesAnalyzed"` // false: no verification code
	PrimaryPackagePurpose string            `json:"primaryPackagePurpose"`
	ExternalRefs          []spdxExternalRef `json:"externalRefs,omitempty"`
	Comment               string            `json:"comment,omitempty"`
}

type spdxExternalRef struct {
	ReferenceCategory string `json:"referenceCategory"`
	ReferenceType     string `json:"referenceType"`
	ReferenceLocator  string `json:"referenceLocator"`
}

type spdxFile struct {
	SPDXID    string         `json:"SPDXID"`
	FileName  string         `json:"fileName"`
	FileTypes []string       `json:"fileTypes"`
	Checksums []spdxChecksum `json:"checksums"`
}

type spdxChecksum struct {
	Algorithm     string `json:"algorithm"`
	ChecksumValue string `json:"checksumValue"`
}

type spdxRelationship struct {
	SPDXElementID      string `json:"spdxElementId"`
	RelationshipType   string `json:"relationshipType"`
	RelatedSPDXElement string `json:"relatedSpdxElement"`
}

// idAllocator hands out SPDX identifiers: "SPDXRef-" + a prefix + the key
// with every character outside [A-Za-z0-9.-] replaced by '-'. Replacement
// can make two keys collide ("/lib/a+b", "/lib/a-b"); the later one gets a
// "-2", "-3", ... suffix, so callers must allocate in a deterministic order.
type idAllocator map[string]bool

func (ids idAllocator) next(prefix, key string) string {
	base := "SPDXRef-" + prefix + spdxIDChars(key)
	id := base
	for n := 2; ids[id]; n++ {
		id = base + "-" + strconv.Itoa(n)
	}
	ids[id] = true
	return id
}

func spdxIDChars(s string) string {
	s = strings.TrimLeft(s, "/")
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, s)
}

// debPURL is "pkg:deb/debian/<name>@<version>?arch=<arch>", the version
// left out when unknown and the qualifier when Arch is empty. Name and
// version are percent-encoded as the purl spec asks: everything but
// [A-Za-z0-9.-_~:] is escaped, '+' included (2.36-9%2Bdeb12u14).
func debPURL(o Origin) string {
	s := "pkg:deb/debian/" + purlEscape(o.Package)
	if o.Version != "" {
		s += "@" + purlEscape(o.Version)
	}
	if o.Arch != "" {
		s += "?arch=" + purlEscape(o.Arch)
	}
	return s
}

func purlEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(".-_~:", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
