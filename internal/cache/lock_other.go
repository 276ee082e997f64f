//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package cache

import "os"

// flock does nothing where flock(2) is not available: the store then
// relies on rename alone, which keeps every Get correct but lets
// concurrent writers remove each other's fresh entries.
func flock(*os.File, bool) (bool, error) { return true, nil }
