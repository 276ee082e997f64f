package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

// RequireAll is set in CI (FROMSCRATCH_REQUIRE_ALL=1): nothing a test needs
// may be missing there.
func RequireAll() bool { return os.Getenv("FROMSCRATCH_REQUIRE_ALL") == "1" }

// Missing stops a test that lacks something on this machine: a failure in
// CI (FROMSCRATCH_REQUIRE_ALL=1), a skip elsewhere.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if RequireAll() {
		t.Fatalf("FROMSCRATCH_REQUIRE_ALL=1 but "+format, args...)
	}
	t.Skipf(format, args...)
}

// ReadTree returns every regular file under root by slash-separated
// relative path.
func ReadTree(t testing.TB, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// CacheDir is the cache the tests share with the tool (zig's libc builds
// take about 15 s per target the first time): FROMSCRATCH_CACHE, else the
// user cache dir's fromscratch folder.
func CacheDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("FROMSCRATCH_CACHE"); d != "" {
		abs, err := filepath.Abs(d)
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}
	base, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(base, "fromscratch")
}
