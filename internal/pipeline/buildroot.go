package pipeline

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/fromscratch/fromscratch/internal/debian"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// BuildRootLockPath is the build root's lock file of the repository at root.
func BuildRootLockPath(root string) string {
	return filepath.Join(root, "toolchains", debian.RootLockFileName)
}

// BuildRootPackages are the packages the build root is resolved from: the
// apt lists of every toolchain target, the build systems'
// (toolchain.BuildPackages) and the base of shells and configure scripts
// (debian.RootBase), sorted and without repeats.
func BuildRootPackages(defs []*toolchain.Definition) []string {
	extra := append(append([]string{}, toolchain.BuildPackages...), debian.RootBase...)
	return toolchain.AptPackages(defs, extra...)
}

// LockBuildRoot refreshes toolchains/buildroot.lock.json of the project
// at root (part of the toolchains:lock target): the closure of
// BuildRootPackages of defs (the project's toolchains), resolved by the private amd64 apt under cacheDir from
// the mirror named in sources (the machine's apt sources).
func LockBuildRoot(ctx context.Context, run toolchain.Runner, defs []*toolchain.Definition, root, cacheDir string, sources []byte) (*debian.RootLock, error) {
	mirror, err := debian.ParseSources(sources, Suite)
	if err != nil {
		return nil, err
	}
	apt := debian.NewApt(cacheDir, debian.RootArch, Suite, mirror)
	lock, err := debian.ResolveRoot(ctx, DebianRun(run), apt, BuildRootPackages(defs))
	if err != nil {
		return nil, fmt.Errorf("pinning the build root: %w", err)
	}
	return lock, debian.WriteRootLock(BuildRootLockPath(root), lock)
}
