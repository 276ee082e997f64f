package debian

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/fromscratch/fromscratch/internal/testutil"
)

// withoutRoot is what TestBuildRootWithoutRoot's child is given.
type withoutRoot struct {
	Lock    *RootLock
	Mirror  Mirror
	Shared  string // a cache whose root root assembled: buildroot/ and the root are root's
	Damaged string // a cache of the user's whose root is root's and damaged
	Own     string // the user's own empty cache
}

// TestBuildRootWithoutRoot runs as uid 65534 (testutil.RunUnprivileged)
// against build roots root assembled, one of whose directories (/root,
// 0700) that user may not enter:
//   - root's correct root is not damaged to the user: EnsureRoot takes it
//     as it is (its directory is not the user's to change);
//   - in the user's own cache the user assembles the same tree (every
//     path, mode, date and content), with the same manifest, its files
//     the user's;
//   - a damaged root of root's is refused with an error that says whose
//     it is and what to do, and is left exactly as it was.
//
// The roots are the test's small packages: well under a second.
func TestBuildRootWithoutRoot(t *testing.T) {
	var args withoutRoot
	if testutil.UnprivilegedArgs(t, &args) {
		childWithoutRoot(t, args)
		return
	}
	testutil.NeedRoot(t)
	debs, pkgs := testDebs(t, t.TempDir())
	_, mirror := newArchive(t, debs, pkgs)
	lock := testRootLock(pkgs)
	assembled := func(cache string) string {
		t.Helper()
		root, err := EnsureRoot(t.Context(), cache, lock, &Fetcher{CacheDir: cache, Mirror: mirror})
		if err != nil {
			t.Fatal(err)
		}
		return root
	}
	shared := testutil.SharedTempDir(t)
	sharedRoot := assembled(shared)
	if fi, err := os.Stat(filepath.Join(sharedRoot, "root")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("the test's root needs a directory only root may enter: %v, %v", fi, err)
	}
	damaged := testutil.SharedTempDir(t)
	damagedRoot := assembled(damaged)
	if err := os.WriteFile(filepath.Join(damagedRoot, "usr/bin/extra"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	// The user's cache, holding a root root put there: the user may
	// write buildroot/ (so it could make a directory beside the root),
	// not the root.
	if err := os.Chown(filepath.Join(damaged, "buildroot"), testutil.UnprivilegedUID, testutil.UnprivilegedUID); err != nil {
		t.Fatal(err)
	}
	damagedBefore := CheckRoot(RootDir(damaged, lock.Digest))
	if damagedBefore == nil {
		t.Fatal("CheckRoot does not see the damage")
	}
	own := testutil.UnprivilegedDir(t, "cache")

	out, err := testutil.RunUnprivileged(t, withoutRoot{Lock: lock, Mirror: mirror, Shared: shared, Damaged: damaged, Own: own})
	if err != nil {
		t.Fatalf("the checks as uid %d failed: %v\n%s", testutil.UnprivilegedUID, err, out)
	}
	t.Logf("as uid %d:\n%s", testutil.UnprivilegedUID, testutil.ResultLines(out))

	ownRoot := filepath.Join(RootDir(own, lock.Digest), "root")
	if treeDigest(t, ownRoot) != treeDigest(t, sharedRoot) {
		t.Error("the root uid 65534 assembled differs from root's")
	}
	for _, name := range []string{manifestName, contentsName} {
		a, _ := os.ReadFile(filepath.Join(RootDir(shared, lock.Digest), name))
		b, err := os.ReadFile(filepath.Join(RootDir(own, lock.Digest), name))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s of the user's root differs from root's (%v)", name, err)
		}
	}
	var st syscall.Stat_t
	if err := syscall.Lstat(filepath.Join(ownRoot, "usr/bin/gcc"), &st); err != nil || st.Uid != testutil.UnprivilegedUID {
		t.Errorf("the user's root: /usr/bin/gcc belongs to uid %d (%v), want %d", st.Uid, err, testutil.UnprivilegedUID)
	}

	// Root's damaged root is as it was, and nothing was put beside it.
	if err := CheckRoot(RootDir(damaged, lock.Digest)); err == nil || err.Error() != damagedBefore.Error() {
		t.Errorf("the damaged root after the user's try: %v, before: %v", err, damagedBefore)
	}
	if names, _ := filepath.Glob(filepath.Join(damaged, "buildroot", "*")); len(names) != 1 {
		t.Errorf("buildroot/ holds %v after the user's try, want the root alone", names)
	}
	if hidden, _ := filepath.Glob(filepath.Join(damaged, "buildroot", ".*")); len(hidden) > 0 {
		t.Errorf("the user's try left %v", hidden)
	}
}

// childWithoutRoot is TestBuildRootWithoutRoot's part as the user.
func childWithoutRoot(t *testing.T, a withoutRoot) {
	if os.Geteuid() == 0 {
		t.Fatal("the child runs as root")
	}
	ctx := t.Context()
	sharedDir := RootDir(a.Shared, a.Lock.Digest)
	if _, err := os.ReadDir(filepath.Join(sharedDir, "root", "root")); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("reading root's /root as uid %d: %v, want a permission error", os.Geteuid(), err)
	}
	if err := CheckRoot(sharedDir); err != nil {
		t.Errorf("CheckRoot of root's correct root: %v", err)
	}
	// Nothing to fetch from: the root must be taken as it is.
	none := Mirror{Debian: "http://127.0.0.1:9/none", Security: "http://127.0.0.1:9/none"}
	root, err := EnsureRoot(ctx, a.Shared, a.Lock, &Fetcher{CacheDir: a.Shared, Mirror: none, Archive: none})
	if err != nil || root != filepath.Join(sharedDir, "root") {
		t.Errorf("EnsureRoot of root's correct root = %s, %v", root, err)
	}

	if _, err := EnsureRoot(ctx, a.Own, a.Lock, &Fetcher{CacheDir: a.Own, Mirror: a.Mirror}); err != nil {
		t.Errorf("assembling a root of the user's own: %v", err)
	}

	_, err = EnsureRoot(ctx, a.Damaged, a.Lock, &Fetcher{CacheDir: a.Damaged, Mirror: a.Mirror})
	var no *NotOwnedError
	if !errors.As(err, &no) || no.Owner != 0 || no.UID != os.Geteuid() {
		t.Fatalf("EnsureRoot of root's damaged root = %v, want a *NotOwnedError naming uid 0", err)
	}
	for _, want := range []string{"is damaged: /usr/bin", "this user cannot assemble it again there", "belongs to root", "it is left as it is", "FROMSCRATCH_CACHE"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
}
