// Package fromscratch holds what the fromscratch binary carries with it:
// the built-in toolchain files and locks (toolchains/*.toml,
// runtime.lock.json, buildroot.lock.json), used by every project that has
// no toolchains/ folder of its own, or whose folder lacks some of them
// (see internal/workspace). The command is cmd/fromscratch; mage users
// import github.com/fromscratch/fromscratch/mage.
package fromscratch

import "embed"

// Toolchains is the repository's toolchains/ folder as it was when the
// binary was built.
//
//go:embed toolchains/*.toml toolchains/*.json
var Toolchains embed.FS
