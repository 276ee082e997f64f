// Package debian fetches pinned Debian packages and unpacks them: the
// runtime libraries (libc6, libgcc-s1, libstdc++6 with bookworm's security
// fixes) that dynamic images carry, and the build root that builds run in.
//
// It is a small apt client that never touches the machine's apt
// configuration: every architecture gets a private sources list, package
// lists and cache under the cache directory, and apt is told so on every
// command line (Apt.Options). Lock asks that private apt for the current
// candidate of each package and records name, version, file, size and
// sha256 in a lock file (toolchains/runtime.lock.json, as apko's lock
// file). Builds use exactly the pinned files: a Fetcher downloads each
// pinned file in Go (the machine's mirror, then Debian's archive) and
// checks its size and sha256, keeping the .deb in a content-addressed
// cache so later builds work offline; it never falls back to another
// version. Unpack and Prepare unpack the .deb in Go too (no dpkg-deb) into
// content-addressed directories that are complete or absent.
//
// The build root is pinned the same way, in toolchains/buildroot.lock.json
// (RootLock, made by ResolveRoot): every amd64 package of the build
// environment with its dependency closure, by name, version, pool path,
// size and sha256, and a digest that names the root. EnsureRoot fetches the
// files in Go (Fetcher: the machine's mirror, then Debian's archive),
// assembles them without apt, dpkg or root (Assemble: the data.tar of each
// package in name order, merged /usr, then what the maintainer scripts
// would have written that builds need) and keeps the tree in the cache
// under the digest, checked against its manifest on every use.
//
// Debian source packages that recipes pin (file name and sha256) come the
// same way: Fetcher.FetchSource reads the package's .dsc by pool path,
// checks the pins against it and downloads each file from the main pool or
// the security archive's pool/updates/, so a build runs no apt. SourceApt
// (apt-get source) is left to source:pin, which refreshes those pins and
// needs the suite's index to know the newest version.
//
// The package starts no process itself: apt's commands, which only
// refreshing the locks runs, go through the caller's Run.
package debian

import (
	"context"

	"github.com/fromscratch/fromscratch/internal/spell"
)

// Run runs argv in dir (empty: the caller's choice) with exactly the
// environment env and returns its combined output. The engine adapts its
// toolchain.Runner to it.
type Run func(ctx context.Context, argv []string, dir string, env []string) ([]byte, error)

// Env is the environment every apt command gets: a fixed PATH and
// the C locale, so that the output parsed here is not translated.
var Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}

// RefreshTarget is what refreshes the lock files, as the user runs it;
// error messages name it.
func RefreshTarget() string { return spell.Command("toolchains:lock") }

// lockNote names the refresh in the lock files themselves, which do not
// depend on how they were refreshed.
const lockNote = "go tool mage toolchains:lock"
