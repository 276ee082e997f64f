package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

// RequireAll is set in CI (FROMSCRATCH_REQUIRE_ALL=1): nothing a test needs
// may be missing there.
func RequireAll() bool { return os.Getenv("FROMSCRATCH_REQUIRE_ALL") == "1" }

// AllZigEnv, set to 1, makes the tests build zig for every platform. By
// default they build it for the four of CI's tests (recipe.CIPlatforms)
// and linux/386 only: on a fresh machine zig builds its libc for each target first
// (minutes each on two cores), which a cold .ci/run cannot afford for all
// nine (README: What CI builds).
const AllZigEnv = "FROMSCRATCH_TEST_ALL_ZIG"

// AllZig says whether AllZigEnv asks for zig on every platform.
func AllZig() bool { return os.Getenv(AllZigEnv) == "1" }

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

// LinkProvisioned makes dir an empty cache that links shared's
// provisioned toolchain (zig/), zig's global cache (its libc builds per
// target), the pinned Debian runtime packages (debian/) and the assembled
// build root (buildroot/): those are provisioning, shared and
// content-addressed; the action cache (actions/) and the toolchain digests
// are dir's own.
func LinkProvisioned(shared, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range []string{"zig", "zig-cache", "debian", "buildroot"} {
		if err := os.MkdirAll(filepath.Join(shared, name), 0o755); err != nil {
			return err
		}
		if err := os.Symlink(filepath.Join(shared, name), filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

// SPDXValidator is the SPDX project's validator (spdx/tools-python's
// pyspdxtools) in shared/, the repository's sibling, or stops the test.
func SPDXValidator(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := wd
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			t.Fatalf("no go.mod above %s", wd)
		}
		root = parent
	}
	p := filepath.Join(root, "..", "shared", "tools", "spdx-validate", "pyspdxtools")
	if _, err := os.Stat(p); err != nil {
		Missing(t, "the SPDX validator: %v", err)
	}
	return p
}

// NeedFile stops the test when path does not exist (Missing).
func NeedFile(t testing.TB, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		Missing(t, "%s is not installed", path)
	}
}

// RepoRoot is the repository holding recipes/ and toolchains/: the
// nearest folder at or above the test's working directory (its package
// folder) with a go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod at or above the test's folder")
		}
		dir = parent
	}
}
