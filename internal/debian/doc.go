// Package debian fetches pinned Debian packages for the target
// architectures and unpacks them: the runtime libraries (libc6,
// libgcc-s1, libstdc++6 with bookworm's security fixes) that dynamic images
// carry.
//
// It is a small apt client that never touches the machine's apt
// configuration: every architecture gets a private sources list, package
// lists and cache under the cache directory, and apt is told so on every
// command line (Apt.Options). Lock asks that private apt for the current
// candidate of each package and records name, version, file, size and
// sha256 in a lock file (toolchains/runtime.lock.json, as apko's lock
// file). Builds use exactly the pinned files: Fetch downloads the pinned URL
// with apt's own fetcher and checks the pinned sha256, keeping the .deb in
// a content-addressed cache so later builds work offline; it never falls
// back to another version. Unpack and Prepare unpack with dpkg-deb into
// content-addressed directories that are complete or absent.
//
// The package starts no process itself: every command goes through the
// caller's Run.
package debian

import "context"

// Run runs argv in dir (empty: the caller's choice) with exactly the
// environment env and returns its combined output. The engine adapts its
// toolchain.Runner to it.
type Run func(ctx context.Context, argv []string, dir string, env []string) ([]byte, error)

// Env is the environment every apt and dpkg command gets: a fixed PATH and
// the C locale, so that the output parsed here is not translated.
var Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}

// RefreshTarget is what refreshes the lock file; error messages name it.
const RefreshTarget = "go tool mage toolchains:lock"
