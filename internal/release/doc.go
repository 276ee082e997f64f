// Package release produces the byte-for-byte reproducible artifacts that sit
// next to a release build: a SHA256SUMS file over an output tree and one SPDX
// 2.3 JSON SBOM per image.
//
// Nothing here reads the clock, the network or the host's identity: checksum
// lines are sorted by path, SBOM arrays are sorted by SPDX identifier, the only
// timestamp is the caller's build date, and host paths never reach an output.
// The package origin of a host file comes from dpkg's database on disk
// (NewDpkgResolver); only DpkgVersion starts a process.
package release
