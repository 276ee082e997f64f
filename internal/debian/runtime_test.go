package debian

import (
	"archive/tar"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testRuntime is a runtime lock of linux/arm64 whose two packages are laid
// out as bookworm's libc6 and libgcc-s1 are (files in /lib, the loader's
// link), and their .debs.
func testRuntime(t *testing.T) (*LockFile, []string, []Package) {
	t.Helper()
	dir := t.TempDir()
	libc, libcPkg := makeDeb(t, dir, "libc6", "xz", t1,
		member{"./", tar.TypeDir, 0o755, ""},
		member{"./lib/", tar.TypeDir, 0o755, ""},
		member{"./lib/aarch64-linux-gnu/", tar.TypeDir, 0o755, ""},
		member{"./lib/aarch64-linux-gnu/ld-linux-aarch64.so.1", tar.TypeReg, 0o755, "loader\n"},
		member{"./lib/aarch64-linux-gnu/libc.so.6", tar.TypeReg, 0o755, "libc\n"},
		member{"./lib/ld-linux-aarch64.so.1", tar.TypeSymlink, 0o777, "aarch64-linux-gnu/ld-linux-aarch64.so.1"},
		member{"./usr/share/doc/libc6/copyright", tar.TypeReg, 0o644, "glibc's\n"},
	)
	gcc, gccPkg := makeDeb(t, dir, "libgcc-s1", "zst", t2,
		member{"./lib/aarch64-linux-gnu/libgcc_s.so.1", tar.TypeReg, 0o644, "libgcc\n"},
		member{"./usr/share/doc/libgcc-s1", tar.TypeSymlink, 0o777, "gcc-12-base"},
	)
	pkgs := []Package{libcPkg, gccPkg}
	var pins []Pin
	for _, p := range pkgs {
		pins = append(pins, Pin{Name: p.Name, Version: p.Version, Architecture: "arm64", Source: p.Source,
			Filename: p.Filename, URL: DebianArchive.URL(p), Size: p.Size, SHA256: p.SHA256})
	}
	lock := &LockFile{Schema: LockSchema, Suite: "bookworm", Platforms: []PlatformLock{{Platform: "linux/arm64", Arch: "arm64", Packages: pins}}}
	return lock, []string{libc, gcc}, pkgs
}

// TestPrepareInGo: the runtime's packages come from the mirror through
// the Fetcher and are unpacked in Go as the packages name their files (no
// merged /usr), and Verify reads the .deb itself.
func TestPrepareInGo(t *testing.T) {
	lock, debs, pkgs := testRuntime(t)
	mirror, mirrorURL := newArchive(t, debs, pkgs)
	cache := t.TempDir()
	f := &Fetcher{CacheDir: cache, Mirror: mirrorURL, Archive: Mirror{Debian: "http://127.0.0.1:9/none", Security: "http://127.0.0.1:9/none"}}
	rt, err := Prepare(t.Context(), f, lock, "linux/arm64")
	if err != nil {
		t.Fatal(err)
	}
	if mirror.count() != 2 {
		t.Errorf("%d requests for 2 packages", mirror.count())
	}
	if got, err := os.Readlink(filepath.Join(rt.Sysroot, "lib/ld-linux-aarch64.so.1")); err != nil || got != "aarch64-linux-gnu/ld-linux-aarch64.so.1" {
		t.Errorf("the loader's link -> %q (%v)", got, err)
	}
	libc := filepath.Join(rt.Sysroot, "lib/aarch64-linux-gnu/libc.so.6")
	if fi, err := os.Stat(libc); err != nil || fi.Mode() != 0o755 || !fi.ModTime().Equal(t1) {
		t.Errorf("libc.so.6: %v, %v: want mode 0755 and the package's date", fi, err)
	}
	if _, err := os.Lstat(filepath.Join(rt.Sysroot, "usr/lib")); err == nil {
		t.Error("the package was unpacked with merged /usr")
	}
	wantDirs := []string{filepath.Join(rt.Sysroot, "lib/aarch64-linux-gnu"), filepath.Join(rt.Packages[1].Dir, "lib/aarch64-linux-gnu")}
	if strings.Join(rt.LibDirs, " ") != strings.Join(wantDirs, " ") {
		t.Errorf("LibDirs %q, want %q", rt.LibDirs, wantDirs)
	}
	if err := rt.Verify(t.Context(), libc, sha256hex([]byte("libc\n"))); err != nil {
		t.Error(err)
	}
	if err := rt.Verify(t.Context(), libc, sha256hex([]byte("another libc\n"))); err == nil || !strings.Contains(err.Error(), "is not lib/aarch64-linux-gnu/libc.so.6 of libc6:arm64 1.0-1") {
		t.Errorf("Verify of other bytes = %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(cache, "debian", "*", "sha256", ".*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestPrepareCorruptCache: a cached .deb whose bytes are not the pin's is
// fetched again, both to unpack and to verify; offline, it is an error and
// never used.
func TestPrepareCorruptCache(t *testing.T) {
	lock, debs, pkgs := testRuntime(t)
	mirror, mirrorURL := newArchive(t, debs, pkgs)
	cache := t.TempDir()
	f := &Fetcher{CacheDir: cache, Mirror: mirrorURL, Archive: mirrorURL}
	if _, err := Prepare(t.Context(), f, lock, "linux/arm64"); err != nil {
		t.Fatal(err)
	}
	libc := lock.Platforms[0].Packages[0]
	corrupt := func() {
		t.Helper()
		if err := os.WriteFile(DebPath(cache, libc), []byte("!<arch>\ntruncated"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	corrupt()
	rt, err := Prepare(t.Context(), f, lock, "linux/arm64")
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Verify(t.Context(), filepath.Join(rt.Sysroot, "lib/aarch64-linux-gnu/libc.so.6"), sha256hex([]byte("libc\n"))); err != nil {
		t.Fatal(err)
	}
	if err := checkSHA256(DebPath(cache, libc), libc.SHA256); err != nil || mirror.count() != 3 {
		t.Errorf("after Verify: %v, %d requests, want 3 (two packages, libc6 again)", err, mirror.count())
	}

	corrupt()
	os.RemoveAll(UnpackedDir(cache, libc))
	mirror.dropped[libc.Filename] = true
	_, err = Prepare(t.Context(), f, lock, "linux/arm64")
	if ge, ok := errors.AsType[*GoneError](err); !ok || !ge.NotFound {
		t.Fatalf("Prepare with a corrupt .deb offline = %v, want a *GoneError", err)
	}
	if _, err := os.Stat(DebPath(cache, libc)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the corrupt .deb is still in the cache: %v", err)
	}
}

// TestPrepareFallsBack: a file the mirror dropped comes from the archive;
// one neither has fails naming the package, its version, the runtime lock
// and the refresh target.
func TestPrepareFallsBack(t *testing.T) {
	lock, debs, pkgs := testRuntime(t)
	mirror, mirrorURL := newArchive(t, debs, pkgs)
	archive, archiveURL := newArchive(t, debs, pkgs)
	f := &Fetcher{CacheDir: t.TempDir(), Mirror: mirrorURL, Archive: archiveURL}
	mirror.dropped[pkgs[1].Filename] = true
	if _, err := Prepare(t.Context(), f, lock, "linux/arm64"); err != nil {
		t.Fatal(err)
	}
	if mirror.count() != 2 || archive.count() != 1 {
		t.Errorf("mirror %d, archive %d requests: want 2 and 1 (the dropped file)", mirror.count(), archive.count())
	}

	archive.dropped[pkgs[1].Filename] = true
	f.CacheDir = t.TempDir()
	_, err := Prepare(t.Context(), f, lock, "linux/arm64")
	if ge, ok := errors.AsType[*GoneError](err); !ok || !ge.NotFound {
		t.Fatalf("Prepare with a file gone = %v, want a *GoneError with NotFound", err)
	}
	want := "pinned package libgcc-s1:arm64 1.0-1 (toolchains/runtime.lock.json) can no longer be fetched: " + archiveURL.URL(pkgs[1]) + " is gone"
	if !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), ": refresh the pins with "+RefreshTarget()+"; fromscratch never fetches another version on its own") {
		t.Errorf("message:\n%s\nwant it to start with:\n%s", err, want)
	}
	if f.Lock != "" {
		t.Errorf("Prepare changed the caller's Fetcher: Lock %q", f.Lock)
	}
}
