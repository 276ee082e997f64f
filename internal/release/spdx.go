package release

import (
	"crypto/sha1"
	"encoding/hex"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/package-url/packageurl-go"
	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"
)

// Small builders over tools-golang's SPDX 2.3 types, and the identifiers
// the SBOM gives to what it describes: purls, CPEs, SPDX ids.

const noAssertion = "NOASSERTION"

// Relationship types this package writes (SPDX 2.3, clause 11.1).
const (
	relDescribes           = "DESCRIBES"
	relContains            = "CONTAINS"
	relGeneratedFrom       = "GENERATED_FROM"
	relExpandedFromArchive = "EXPANDED_FROM_ARCHIVE"
	relStaticLink          = "STATIC_LINK"
	relDynamicLink         = "DYNAMIC_LINK"
	relDependsOn           = "DEPENDS_ON"
	relPatchApplied        = "PATCH_APPLIED"
	relBuildToolOf         = "BUILD_TOOL_OF"
)

// newPackage is a package with what every package here shares: no supplier
// or download location asserted, and no files of its own unless the caller
// says so (filesAnalyzed false: the package must not CONTAIN files).
func newPackage(id common.ElementID, name, version, purpose string) *spdx.Package {
	return &spdx.Package{
		PackageSPDXIdentifier:     id,
		PackageName:               name,
		PackageVersion:            version,
		PackageSupplier:           &common.Supplier{Supplier: noAssertion},
		PackageDownloadLocation:   noAssertion,
		PackageLicenseConcluded:   NoAssertion,
		PackageLicenseDeclared:    NoAssertion,
		FilesAnalyzed:             false,
		IsFilesAnalyzedTagPresent: true,
		PrimaryPackagePurpose:     purpose,
	}
}

func purlRef(purl string) *spdx.PackageExternalReference {
	return &spdx.PackageExternalReference{Category: "PACKAGE-MANAGER", RefType: "purl", Locator: purl}
}

func cpeRef(cpe string) *spdx.PackageExternalReference {
	return &spdx.PackageExternalReference{Category: "SECURITY", RefType: "cpe23Type", Locator: cpe}
}

// debPURL is "pkg:deb/<distro id>/<name>@<version>?arch=<arch>&distro=<id>-<version id>",
// the version left out when unknown and arch when Arch is empty, and
// "&upstream=<source>" when the source package is known and not named
// like the binary one (syft's qualifier, which scanners match Debian's
// security data on: it lists glibc, not libc6). Name and version are
// percent-encoded as the purl spec asks: everything but [A-Za-z0-9.-_~:]
// is escaped, '+' included (2.36-9%2Bdeb12u14).
func debPURL(o Origin, d Distro) string {
	q := map[string]string{"distro": d.ID + "-" + d.VersionID}
	if o.Arch != "" {
		q["arch"] = o.Arch
	}
	if o.Source != "" && o.Source != o.Package {
		q["upstream"] = o.Source
	}
	return packageurl.NewPackageURL(packageurl.TypeDebian, d.ID, o.Package, o.Version, packageurl.QualifiersFromMap(q), "").ToString()
}

// genericPURL is "pkg:generic/<name>@<version>".
func genericPURL(name, version string) string {
	return packageurl.NewPackageURL(packageurl.TypeGeneric, "", name, version, nil, "").ToString()
}

// upstreamVersion is a Debian version without epoch and Debian revision:
// "2.36-9+deb12u14" -> "2.36", "2.36-8cross1" -> "2.36", "1:1.2.13.dfsg-1"
// -> "1.2.13.dfsg". A version without revision is returned as it is.
func upstreamVersion(debian string) string {
	v := debian
	if i := strings.IndexByte(v, ':'); i >= 0 {
		v = v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i > 0 {
		v = v[:i]
	}
	return v
}

// glibcPackage matches the Debian packages that carry glibc itself: the
// native libc6 and libc6-dev and the cross ones (libc6-arm64-cross,
// libc6-dev-riscv64-cross, ...), whatever their source package is called.
var glibcPackage = regexp.MustCompile(`^libc6(-dev)?(-[a-z0-9]+-cross)?$`)

// libcCPE is the NVD CPE of a C library package, "" when name is not
// glibc or musl or the version is unknown. name is a Debian package
// (libc6, musl-dev, ...) or an upstream name (glibc, musl); version is
// the upstream version.
func libcCPE(name, version string) string {
	if version == "" {
		return ""
	}
	switch {
	case name == "glibc" || glibcPackage.MatchString(name):
		return "cpe:2.3:a:gnu:glibc:" + cpeEscape(version) + ":*:*:*:*:*:*:*"
	case name == "musl" || name == "musl-dev":
		return "cpe:2.3:a:musl-libc:musl:" + cpeEscape(version) + ":*:*:*:*:*:*:*"
	}
	return ""
}

// osCPE is the NVD CPE of the distribution, "" for one this package does
// not know.
func osCPE(d Distro) string {
	if d.ID == "debian" {
		return "cpe:2.3:o:debian:debian_linux:" + cpeEscape(d.VersionID) + ":*:*:*:*:*:*:*"
	}
	return ""
}

// cpeEscape quotes what a CPE 2.3 formatted string does not allow bare:
// everything but [A-Za-z0-9._-] gets a backslash.
func cpeEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

// verificationCode is the SPDX package verification code (clause 7.9): the
// SHA1 of the files' lowercase SHA1s, sorted and concatenated.
func verificationCode(sha1s []string) string {
	s := append([]string(nil), sha1s...)
	sort.Strings(s)
	sum := sha1.Sum([]byte(strings.Join(s, "")))
	return hex.EncodeToString(sum[:])
}

// idAllocator hands out SPDX identifiers (without the "SPDXRef-" that
// tools-golang adds when writing): a prefix + the key with every character
// outside [A-Za-z0-9.-] replaced by '-'. Replacement can make two keys
// collide ("/lib/a+b", "/lib/a-b"); the later one gets a "-2", "-3", ...
// suffix, so callers must allocate in a deterministic order.
type idAllocator map[common.ElementID]bool

func (ids idAllocator) next(prefix, key string) common.ElementID {
	base := prefix + spdxIDChars(key)
	id := base
	for n := 2; ids[common.ElementID(id)]; n++ {
		id = base + "-" + strconv.Itoa(n)
	}
	ids[common.ElementID(id)] = true
	return common.ElementID(id)
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

// setLicense sets what a package's licence is, declared and concluded
// alike (fromscratch concludes what the package declares); one without
// an expression stays NOASSERTION, with why in the licence comments.
func setLicense(p *spdx.Package, l License) {
	if l.Expr == "" || l.Expr == NoAssertion {
		p.PackageLicenseComments = l.Problem
		return
	}
	p.PackageLicenseDeclared, p.PackageLicenseConcluded = l.Expr, l.Expr
}
