package debian

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// Runtime is a platform's pinned runtime packages, unpacked: what the
// closure of a dynamic binary is resolved from, and what tells the SBOM
// which package each library file comes from.
type Runtime struct {
	Platform string
	Arch     string
	// Sysroot is the unpacked libc6, where the loader's absolute path
	// (/lib/ld-linux-aarch64.so.1) is looked up.
	Sysroot string
	// LibDirs are the existing lib/<triple> and usr/lib/<triple> of every
	// package, in package order.
	LibDirs  []string
	Packages []Unpacked

	fetch    *Fetcher
	mu       sync.Mutex
	contents map[string]map[string]string // sha256 of a .deb -> its files
}

// Unpacked is one pinned package and the directory it is unpacked in.
type Unpacked struct {
	Pin Pin
	Dir string
}

// Prepare unpacks the pinned runtime packages of platform (all of them:
// every toolchain of a platform gets the same runtime) and returns them,
// fetching what f's cache lacks with f (the machine's mirror, then
// Debian's archive). Only the pinned files are used; a file neither cached
// nor fetchable is a *GoneError naming lock. Cached packages make it a few
// stat calls.
func Prepare(ctx context.Context, f *Fetcher, lock *LockFile, platform string) (*Runtime, error) {
	pins, err := lock.Pins(platform)
	if err != nil {
		return nil, err
	}
	pl, _ := lock.Platform(platform)
	facts, ok := recipe.FindPlatform(func(f recipe.PlatformFacts) bool { return f.DebianArch == pl.Arch })
	if !ok {
		return nil, fmt.Errorf("%s: platform %s: architecture %q has no known multiarch directory", lock.name(), platform, pl.Arch)
	}
	fetch := *f
	fetch.Lock = lock.name()
	rt := &Runtime{Platform: platform, Arch: pl.Arch, fetch: &fetch}
	for _, p := range pins {
		dir, err := Unpack(ctx, rt.fetch, p)
		if err != nil {
			return nil, err
		}
		// Closure files are named with symlinks followed: so is Dir, so
		// that Owner finds them.
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			dir = real
		}
		rt.Packages = append(rt.Packages, Unpacked{Pin: p, Dir: dir})
		if p.Name == "libc6" {
			rt.Sysroot = dir
		}
		for _, d := range []string{"lib/" + facts.Multiarch, "usr/lib/" + facts.Multiarch} {
			if fi, err := os.Stat(filepath.Join(dir, d)); err == nil && fi.IsDir() {
				rt.LibDirs = append(rt.LibDirs, filepath.Join(dir, d))
			}
		}
	}
	if rt.Sysroot == "" {
		return nil, fmt.Errorf("%s: platform %s pins no libc6: the loader would be missing", lock.name(), platform)
	}
	return rt, nil
}

// Owner is the pinned package whose unpacked files hold hostPath, and
// the path inside the package ("lib/aarch64-linux-gnu/libc.so.6").
func (rt *Runtime) Owner(hostPath string) (Pin, string, bool) {
	abs, err := filepath.Abs(hostPath)
	if err != nil {
		return Pin{}, "", false
	}
	for _, u := range rt.Packages {
		if rel, ok := strings.CutPrefix(abs, u.Dir+string(filepath.Separator)); ok {
			return u.Pin, filepath.ToSlash(rel), true
		}
	}
	return Pin{}, "", false
}

// Verify checks that the file at hostPath, whose sha256 is sum, is the file
// of the same path inside the pinned .deb of the package that Owner names:
// the library an image carries is the one its SBOM attributes to that
// package. The .deb is fetched again if the cache lost it.
func (rt *Runtime) Verify(ctx context.Context, hostPath, sum string) error {
	pin, rel, ok := rt.Owner(hostPath)
	if !ok {
		return fmt.Errorf("%s is not a file of the pinned runtime of %s", hostPath, rt.Platform)
	}
	files, err := rt.debContents(ctx, pin)
	if err != nil {
		return err
	}
	want, ok := files[rel]
	switch {
	case !ok:
		return fmt.Errorf("%s: %s has no file %s", hostPath, pin, rel)
	case want != sum:
		return fmt.Errorf("%s (sha256 %s) is not %s of %s (sha256 %s)", hostPath, sum, rel, pin, want)
	}
	return nil
}

func (rt *Runtime) debContents(ctx context.Context, pin Pin) (map[string]string, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if files, ok := rt.contents[pin.SHA256]; ok {
		return files, nil
	}
	deb, err := rt.fetch.Fetch(ctx, pin.Package())
	if err != nil {
		return nil, err
	}
	files, err := contents(deb)
	if err != nil {
		return nil, err
	}
	if rt.contents == nil {
		rt.contents = map[string]map[string]string{}
	}
	rt.contents[pin.SHA256] = files
	return files, nil
}
