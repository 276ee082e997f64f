package debian

import (
	"fmt"
	"path"
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
//
// Installed-Build-Depends is Debian's own field; the sha256 of each
// package's file (whose name carries its architecture) is in a field of
// its own, because Debian's Checksums-Sha256 lists what a build produced,
// not what it was built with. Both are in package-name order. Everything
// is a function of the lock: no host, no path of this machine, no time.
func (l *RootLock) BuildInfo() []byte {
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
	return []byte(b.String())
}
