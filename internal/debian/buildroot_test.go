package debian

import (
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// archive serves .deb files by pool path, like a Debian mirror, and counts
// and can drop or spoil files.
type archive struct {
	mu      sync.Mutex
	files   map[string][]byte // pool path -> contents
	gets    int
	paths   []string        // every request's path, in order
	dropped map[string]bool // answered 404
	spoiled map[string]bool // answered with other bytes
}

func newArchive(t *testing.T, debs []string, pkgs []Package) (*archive, Mirror) {
	t.Helper()
	a := &archive{files: map[string][]byte{}, dropped: map[string]bool{}, spoiled: map[string]bool{}}
	for i, p := range pkgs {
		data, err := os.ReadFile(debs[i])
		if err != nil {
			t.Fatal(err)
		}
		a.files[p.Filename] = data
	}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return a, Mirror{Debian: srv.URL + "/debian", Security: srv.URL + "/debian-security"}
}

func (a *archive) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.gets++
	a.paths = append(a.paths, r.URL.Path)
	p := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/debian-security/"), "/debian/")
	data, ok := a.files[p]
	if !ok || a.dropped[p] {
		http.NotFound(w, r)
		return
	}
	if a.spoiled[p] {
		data = append([]byte("spoiled"), data[7:]...)
	}
	w.Write(data)
}

func (a *archive) count() int { a.mu.Lock(); defer a.mu.Unlock(); return a.gets }

func testRootLock(pkgs []Package) *RootLock {
	l := &RootLock{Schema: LockSchema, Suite: "bookworm", Arch: RootArch, Requested: []string{"base"}, Packages: pkgs}
	l.Digest = l.ComputeDigest()
	return l
}

// TestEnsureRoot: assembled once from the mirror, reused, and assembled
// again when damaged.
func TestEnsureRoot(t *testing.T) {
	debs, pkgs := testDebs(t, t.TempDir())
	mirror, mirrorURL := newArchive(t, debs, pkgs)
	cache := t.TempDir()
	f := &Fetcher{CacheDir: cache, Mirror: mirrorURL, Archive: Mirror{Debian: "http://127.0.0.1:9/none", Security: "http://127.0.0.1:9/none"}}
	lock := testRootLock(pkgs)
	ctx := t.Context()

	root, err := EnsureRoot(ctx, cache, lock, f)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(RootDir(cache, lock.Digest), "root"); root != want {
		t.Fatalf("root %s, want %s", root, want)
	}
	if mirror.count() != len(pkgs) {
		t.Fatalf("%d requests for %d packages", mirror.count(), len(pkgs))
	}
	first := treeDigest(t, root)

	if again, err := EnsureRoot(ctx, cache, lock, f); err != nil || again != root || mirror.count() != len(pkgs) {
		t.Fatalf("second use: %s, %v, %d requests", again, err, mirror.count())
	}
	damage := map[string]func(root string) error{
		"file changed": func(root string) error {
			return os.WriteFile(filepath.Join(root, "usr/bin/gcc"), []byte("not gcc at all\n"), 0o755)
		},
		"file removed": func(root string) error { return os.Remove(filepath.Join(root, "etc/passwd")) },
		"file added":   func(root string) error { return os.WriteFile(filepath.Join(root, "usr/bin/extra"), nil, 0o755) },
		"mode changed": func(root string) error { return os.Chmod(filepath.Join(root, "usr/bin/dash"), 0o777) },
		"link changed": func(root string) error {
			p := filepath.Join(root, "usr/bin/cc")
			os.Remove(p)
			return os.Symlink("/usr/local/bin/gcc", p)
		},
	}
	for name, spoil := range damage {
		t.Run(name, func(t *testing.T) {
			if err := spoil(root); err != nil {
				t.Fatal(err)
			}
			if err := CheckRoot(RootDir(cache, lock.Digest)); err == nil {
				t.Fatal("CheckRoot does not see the damage")
			}
			again, err := EnsureRoot(ctx, cache, lock, f)
			if err != nil {
				t.Fatal(err)
			}
			if got := treeDigest(t, again); got != first {
				t.Fatal("the root assembled again differs from the first")
			}
		})
	}
	if mirror.count() != len(pkgs) {
		t.Errorf("assembling again fetched again (%d requests): the cached .debs were good", mirror.count())
	}
	if left, _ := filepath.Glob(filepath.Join(cache, "buildroot", ".*")); len(left) > 0 {
		t.Errorf("temporary directories left behind: %v", left)
	}
}

// TestFetchCorruptCache: a cached .deb whose bytes are not the pin's is
// fetched again.
func TestFetchCorruptCache(t *testing.T) {
	debs, pkgs := testDebs(t, t.TempDir())
	mirror, mirrorURL := newArchive(t, debs, pkgs)
	cache := t.TempDir()
	f := &Fetcher{CacheDir: cache, Mirror: mirrorURL}
	p := pkgs[0]
	got, err := f.Fetch(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(got, []byte("truncated"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Fetch(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	if err := checkSHA256(got, p.SHA256); err != nil || mirror.count() != 2 {
		t.Fatalf("after re-fetching: %v, %d requests", err, mirror.count())
	}
}

// TestFetchFallsBack: a file the mirror dropped, or serves with other
// bytes, comes from the archive; one neither has fails naming the
// package, its version and the refresh target.
func TestFetchFallsBack(t *testing.T) {
	debs, pkgs := testDebs(t, t.TempDir())
	mirror, mirrorURL := newArchive(t, debs, pkgs)
	archive, archiveURL := newArchive(t, debs, pkgs)
	cache := t.TempDir()
	f := &Fetcher{CacheDir: cache, Mirror: mirrorURL, Archive: archiveURL}
	mirror.dropped[pkgs[0].Filename] = true
	mirror.spoiled[pkgs[1].Filename] = true
	if _, err := f.FetchAll(t.Context(), pkgs); err != nil {
		t.Fatal(err)
	}
	if archive.count() != 2 {
		t.Errorf("the archive answered %d requests, want 2 (the dropped and the spoiled file)", archive.count())
	}
	for _, p := range pkgs {
		if err := checkSHA256(DebPath(cache, Pin{SHA256: p.SHA256}), p.SHA256); err != nil {
			t.Error(err)
		}
	}

	gone := pkgs[2]
	mirror.dropped[gone.Filename], archive.dropped[gone.Filename] = true, true
	os.Remove(DebPath(cache, Pin{SHA256: gone.SHA256}))
	_, err := f.Fetch(t.Context(), gone)
	var ge *GoneError
	if !errors.As(err, &ge) || !ge.NotFound {
		t.Fatalf("Fetch of a dropped file = %v, want a *GoneError with NotFound", err)
	}
	for _, want := range []string{"zst-pkg:amd64 1.0-1", "toolchains/buildroot.lock.json", RefreshTarget()} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not name %q", err, want)
		}
	}
	if _, err := EnsureRoot(t.Context(), cache, testRootLock(pkgs), f); !errors.As(err, &ge) {
		t.Errorf("EnsureRoot with a file gone = %v", err)
	}
}

func TestMirrorURL(t *testing.T) {
	m := Mirror{Debian: "http://m/debian/", Security: "http://m/debian-security"}
	for filename, want := range map[string]string{
		"pool/main/g/gcc-12/gcc-12_12.2.0-14_amd64.deb":             "http://m/debian/pool/main/g/gcc-12/gcc-12_12.2.0-14_amd64.deb",
		"pool/updates/main/g/glibc/libc6_2.36-9+deb12u14_amd64.deb": "http://m/debian-security/pool/updates/main/g/glibc/libc6_2.36-9+deb12u14_amd64.deb",
	} {
		if got := m.URL(Package{Filename: filename}); got != want {
			t.Errorf("URL(%s) = %s, want %s", filename, got, want)
		}
	}
}

// TestCompareTreeSealed: what a directory the checker may not read holds
// is passed over, and only that.
func TestCompareTreeSealed(t *testing.T) {
	e := func(p string, size int64) manifestEntry { return manifestEntry{Path: p, Mode: 0o644, Size: size} }
	d := func(p string) manifestEntry { return manifestEntry{Path: p, Mode: fs.ModeDir | 0o700} }
	want := []manifestEntry{d("."), d("a"), e("a/x", 1), d("a/y"), e("a/y/z", 1), e("ab", 1), e("b", 1)}
	for _, c := range []struct {
		name   string
		got    []manifestEntry
		sealed []string
		want   string
	}{
		{"all read", want, nil, ""},
		{"a sealed", []manifestEntry{d("."), d("a"), e("ab", 1), e("b", 1)}, []string{"a"}, ""},
		{"a/y sealed", []manifestEntry{d("."), d("a"), e("a/x", 1), d("a/y"), e("ab", 1), e("b", 1)}, []string{"a/y"}, ""},
		{"a unread, not sealed", []manifestEntry{d("."), d("a"), e("ab", 1), e("b", 1)}, nil, "/ab changed"},
		{"a sealed, b changed", []manifestEntry{d("."), d("a"), e("ab", 1), e("b", 2)}, []string{"a"}, "/b changed"},
		{"a sealed, ab missing", []manifestEntry{d("."), d("a"), e("b", 1)}, []string{"a"}, "/b changed"},
		{"a sealed, c added", []manifestEntry{d("."), d("a"), e("ab", 1), e("b", 1), e("c", 1)}, []string{"a"}, "/c was added"},
		{"a sealed, b missing", []manifestEntry{d("."), d("a"), e("ab", 1)}, []string{"a"}, "/b is missing"},
	} {
		got := compareTree(want, c.got, c.sealed)
		if c.want == "" && got != "" || !strings.HasPrefix(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
