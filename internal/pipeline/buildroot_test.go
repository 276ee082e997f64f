package pipeline

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/fromscratch/fromscratch/internal/debian"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// TestBuildRootLockIsCurrent: the checked-in build root lock was resolved
// from what the toolchain files, the build systems and the base ask for
// today; a toolchain file that gains a package makes it stale until
// toolchains:lock runs.
func TestBuildRootLockIsCurrent(t *testing.T) {
	root := repoRoot(t)
	defs, err := toolchain.LoadAll(filepath.Join(root, "toolchains"))
	if err != nil {
		t.Fatal(err)
	}
	lock, err := debian.ReadRootLock(BuildRootLockPath(root))
	if err != nil {
		t.Fatal(err)
	}
	want := BuildRootPackages(defs)
	if !slices.Equal(lock.Requested, want) {
		t.Fatalf("toolchains/%s requests %v, the toolchains ask for %v: run %s", debian.RootLockFileName, lock.Requested, want, debian.RefreshTarget())
	}
	for _, must := range []string{"gcc", "libc6-dev-arm64-cross", "musl-tools", "make", "cmake", "pkgconf", "dash", "perl"} {
		if !slices.Contains(want, must) {
			t.Errorf("the build root does not ask for %s", must)
		}
	}
}
