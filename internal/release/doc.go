// Package release produces the byte-for-byte reproducible artifacts that sit
// next to a release build: a SHA256SUMS file over an output tree and one SPDX
// 2.3 JSON SBOM per image, written with the SPDX project's Go types
// (github.com/spdx/tools-golang) and checked by its validator in the tests.
//
// Nothing here reads the clock, the network or the host's identity: checksum
// lines are sorted by path, SBOM arrays are sorted by SPDX identifier, the only
// timestamp is the caller's build date, and host paths never reach an output.
// The Debian package of a file comes from the build root's lock for a
// build in the pinned build root (NewLockedResolver: the caller maps the
// root's files to locked packages, nothing of the host is read), from a
// runtime lock for pinned target packages (NewPinnedResolver), and for a
// build on the host from dpkg's database on disk (NewDpkgResolver), its
// versions from dpkg-query run through the caller's Run: the package
// starts no process and reads no environment variable.
package release
