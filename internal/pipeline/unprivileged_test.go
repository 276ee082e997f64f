package pipeline

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/internal/debian"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/testutil"
	"golang.org/x/sys/unix"
)

// withoutRoot is what TestHermeticWithoutRoot's child is given.
type withoutRoot struct {
	Repo, Cache, Out string
}

// TestHermeticWithoutRoot builds hello with gcc for linux/amd64, static
// and dynamic, in the build root, as uid 65534 (testutil.RunUnprivileged):
// bubblewrap without setuid in a user namespace of that user's, the build
// root root assembled shared read-only into the user's own cache (a
// hard-linked copy, root's like the original), and gives the same OCI
// bytes as the same build as root. It runs when the tests run as root and
// the kernel gives unprivileged users a user namespace; it costs a few
// seconds (the copy of the root's 22,000 entries and two small builds).
func TestHermeticWithoutRoot(t *testing.T) {
	var args withoutRoot
	if testutil.UnprivilegedArgs(t, &args) {
		buildWithoutRoot(t, args)
		return
	}
	testutil.NeedRoot(t)
	opts := hermeticOptions(t, repoRoot(t)) // skips in short mode
	testutil.UserNamespaces(t, opts.BuildRoot.Bwrap)
	root, err := EnsureBuildRoot(t.Context(), opts.BuildRoot, opts.CacheDir)
	if err != nil {
		t.Fatal(err)
	}

	repo := testutil.SharedTempDir(t)
	copyTree(t, filepath.Join(repoRoot(t), "toolchains"), filepath.Join(repo, "toolchains"))
	copyTree(t, filepath.Join(repoRoot(t), "recipes", "hello"), filepath.Join(repo, "recipes", "hello"))
	cache := testutil.UnprivilegedDir(t, "cache")
	// buildroot/ and the root in it are root's: the user can use them,
	// not change them.
	if err := os.Mkdir(filepath.Join(cache, "buildroot"), 0o755); err != nil {
		t.Fatal(err)
	}
	shared := filepath.Join(cache, "buildroot", filepath.Base(filepath.Dir(root)))
	start := time.Now()
	if err := linkTree(filepath.Dir(root), shared); errors.Is(err, syscall.EXDEV) {
		t.Skipf("the build root's cache is on another file system than /var/tmp: %v", err)
	} else if err != nil {
		t.Fatal(err)
	}
	t.Logf("the build root linked into the user's cache in %s", time.Since(start).Round(time.Millisecond))
	out := testutil.UnprivilegedDir(t, "out")

	childOut, err := testutil.RunUnprivileged(t, withoutRoot{Repo: repo, Cache: cache, Out: out})
	if err != nil {
		t.Fatalf("the build as uid %d failed: %v\n%s", testutil.UnprivilegedUID, err, childOut)
	}
	t.Logf("as uid %d:\n%s", testutil.UnprivilegedUID, testutil.ResultLines(childOut))

	asRoot := cellOptions(hermeticOptions(t, repo))
	if _, err := New(asRoot).Build(t.Context()); err != nil {
		t.Fatal(err)
	}
	want, got := ociDigests(t, asRoot.OutDir), ociDigests(t, out)
	if len(want) == 0 {
		t.Fatal("no OCI files as root")
	}
	for name, sum := range want {
		if got[name] != sum {
			t.Errorf("%s: %s as root, %q as uid %d", name, sum, got[name], testutil.UnprivilegedUID)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d OCI files as root, %d as uid %d", len(want), len(got), testutil.UnprivilegedUID)
	}
}

// cellOptions narrows o to hello, gcc, linux/amd64.
func cellOptions(o Options) Options {
	o.Recipes, o.Toolchains, o.Platforms = []string{"hello"}, []string{"gcc"}, []recipe.Platform{"linux/amd64"}
	return o
}

// buildWithoutRoot is TestHermeticWithoutRoot's part as the user.
func buildWithoutRoot(t *testing.T, a withoutRoot) {
	if os.Geteuid() == 0 {
		t.Fatal("the child runs as root")
	}
	opts := cellOptions(hermeticOptions(t, a.Repo))
	opts.CacheDir, opts.BuildRoot.Fetch.CacheDir, opts.OutDir = a.Cache, a.Cache, a.Out
	readOnly := opts
	readOnly.CacheDir = filepath.Join(a.Repo, "toolchains") // root's
	if _, err := New(readOnly).Build(t.Context()); err == nil || !strings.Contains(err.Error(), "is not writable by uid 65534") ||
		!strings.Contains(err.Error(), "FROMSCRATCH_CACHE") {
		t.Errorf("a build with a cache of root's = %v, want it refused at once, naming the user and FROMSCRATCH_CACHE", err)
	}
	dir := debian.RootDir(a.Cache, opts.BuildRoot.Lock.ComputeDigest())
	if err := unix.Access(dir, unix.W_OK); err == nil {
		t.Fatalf("the shared root %s is writable by the user: the test needs it read-only", dir)
	}
	rep, err := New(opts).Build(t.Context())
	if rep == nil {
		t.Fatal(err)
	}
	built := 0
	for _, r := range rep.Results {
		if r.Err != nil {
			t.Errorf("%s as uid %d: %v", r.Job.Cell, os.Geteuid(), r.Err)
		} else if r.Job.Status == "" {
			built++
		}
	}
	if built != 2 || err != nil {
		t.Errorf("%d cells built (%v), want hello's static and dynamic", built, err)
	}
}

// linkTree makes dst a copy of the tree src whose files are hard links to
// src's and whose directories have src's modes and dates (set deepest
// first, once their entries are made): what `cp -al` makes.
func linkTree(src, dst string) error {
	var dirs []string
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if !d.IsDir() {
			return os.Link(p, target)
		}
		dirs = append(dirs, rel)
		return os.MkdirAll(target, 0o700)
	})
	if err != nil {
		return err
	}
	slices.Reverse(dirs)
	for _, rel := range dirs {
		fi, err := os.Lstat(filepath.Join(src, rel))
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if err := os.Chmod(target, fi.Mode().Perm()|fi.Mode()&(fs.ModeSticky|fs.ModeSetgid|fs.ModeSetuid)); err != nil {
			return err
		}
		if err := os.Chtimes(target, fi.ModTime(), fi.ModTime()); err != nil {
			return err
		}
	}
	return nil
}
